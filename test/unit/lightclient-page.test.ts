/**
 * The light-client page's build and routes, without a browser: the bundle builds without warnings and
 * stays within its size budget (350 KB gzip), and the node's routes serve the page, its script and the
 * chain config (nulls when the node anchors nowhere). The page itself runs in
 * test/e2e/lightclient-browser.test.ts.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import Fastify from "fastify";
import { buildLightClient } from "../../lightclient/build.js";
import { registerLightClientRoutes, type LightClientChain } from "../../lightclient/serve.js";

const BUDGET_GZIP_BYTES = 350 * 1024;

describe("light-client page: build and routes", () => {
  test("the bundle builds without warnings, within 350 KB gzip, and the page inlines its stylesheet", async () => {
    const bundle = await buildLightClient();
    assert.deepEqual(bundle.warnings, []);
    assert.ok(bundle.jsGzipBytes <= BUDGET_GZIP_BYTES, `app.js is ${bundle.jsGzipBytes} B gzip, over the ${BUDGET_GZIP_BYTES} B budget`);
    assert.ok(!bundle.html.includes("/* STYLE */"), "the stylesheet is inlined");
    assert.match(bundle.html, /<link rel="icon" href="data:image\/svg\+xml,/, "an inline icon: no /favicon.ico request, no 404");
    assert.match(bundle.html, /<script type="module" src="\/lightclient\/app\.js"><\/script>/);
    for (const step of ["vkey", "proof", "root", "path", "value"]) assert.match(bundle.html, new RegExp(`data-step="${step}"`));
    const js = new TextDecoder().decode(bundle.js);
    // A browser bundle: no Node built-ins left to resolve at runtime.
    assert.doesNotMatch(js, /\bfrom\s*"node:/);
    assert.doesNotMatch(js, /require\("(crypto|os|fs|worker_threads)"\)/);
  });

  test("routes: page, script, config with the node's chain; nulls without one", async () => {
    let chain: LightClientChain | undefined = { rpcUrl: "http://127.0.0.1:8545", anchor: "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0", chainId: 31337 };
    const app = Fastify();
    registerLightClientRoutes(app, { chain: () => chain });
    try {
      const page = await app.inject({ method: "GET", url: "/lightclient" });
      assert.equal(page.statusCode, 200);
      assert.match(page.headers["content-type"] as string, /^text\/html/);
      assert.match(page.body, /TinyCloud light client/);
      const slash = await app.inject({ method: "GET", url: "/lightclient/" });
      assert.equal(slash.statusCode, 301);
      assert.equal(slash.headers["location"], "/lightclient");
      const script = await app.inject({ method: "GET", url: "/lightclient/app.js" });
      assert.equal(script.statusCode, 200);
      assert.match(script.headers["content-type"] as string, /^text\/javascript/);
      assert.ok(script.rawPayload.byteLength > 10_000);
      assert.deepEqual((await app.inject({ method: "GET", url: "/lightclient/config.json" })).json(), chain);
      chain = { anchor: "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0", chainId: 8453 };
      assert.deepEqual(
        (await app.inject({ method: "GET", url: "/lightclient/config.json" })).json(),
        { rpcUrl: null, anchor: chain.anchor, chainId: 8453 },
        "no RPC URL: null (the page then asks for ?rpc=)",
      );
      chain = undefined;
      assert.deepEqual((await app.inject({ method: "GET", url: "/lightclient/config.json" })).json(), { rpcUrl: null, anchor: null, chainId: null });
    } finally {
      await app.close();
    }
  });
});
