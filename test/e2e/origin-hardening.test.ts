/**
 * Origin hardening of a real node: stored values never run script in the node's origin (the origin of
 * /lightclient). Each test states the attack and checks it refused, then that the node is still healthy.
 */
import assert from "node:assert/strict";
import { chmod, mkdir, mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { privateKeyToAccount } from "viem/accounts";
import { makeCapability } from "../../core/capability.js";
import { formatSpaceId, spaceIdFor } from "../../core/resource.js";
import { HOST_KEY_CACHE_SIZE } from "../../node/server/node-keys.js";
import { signIn, type TinyCloudSession, type WalletSigner } from "../../node/client/client.js";
import { killAllChildNodes, spawnChildNode } from "../helpers/child-node.js";
import { startTestNode, type TestNode } from "../helpers/node.js";

function clientWallet(seedByte: number): WalletSigner {
  const account = privateKeyToAccount(`0x${seedByte.toString(16).padStart(2, "0").repeat(32)}`);
  return { address: account.address, chainId: 1, signMessage: (message: string) => account.signMessage({ message }) };
}

const SCRIPT = "<html><body><script>fetch('/lightclient').then((r) => r.text()).then(alert)</script></body></html>";

async function assertHealthy(node: { readonly url: string }): Promise<void> {
  const response = await fetch(`${node.url}/healthz`);
  assert.equal(response.status, 200);
  assert.equal(await response.text(), "ok");
}

describe("origin hardening: public values", () => {
  let node: TestNode;
  let pub: TinyCloudSession;
  const publicUrl = (key: string) => `${node.url}/public/${encodeURIComponent(pub.spaceId)}/kv/${key}`;

  before(async () => {
    node = await startTestNode();
    // Anyone can create a space named "public": Mallory does, and stores active content in it.
    pub = await signIn({ url: node.url, wallet: clientWallet(0xb2), space: "public" });
  });
  after(() => node.stop());

  const active = [
    "text/html; charset=utf-8",
    "application/xhtml+xml",
    "image/svg+xml",
    "text/xml",
    "application/xml",
    "text/javascript",
    "application/javascript",
    "application/pdf",
    "application/x-unknown",
    "TEXT/HTML",
  ];
  for (const [i, contentType] of active.entries()) {
    test(`a ${contentType} value with a <script> is served as an inert download (nosniff, CSP sandbox, attachment), GET and HEAD`, async () => {
      const key = `attack/active-${i}`;
      await pub.kv.put(key, SCRIPT, { contentType });
      for (const method of ["GET", "HEAD"]) {
        const response = await fetch(publicUrl(key), { method });
        assert.equal(response.status, 200);
        assert.equal(response.headers.get("x-content-type-options"), "nosniff");
        assert.equal(response.headers.get("content-security-policy"), "sandbox");
        assert.equal(response.headers.get("content-disposition"), "attachment");
        if (method === "GET") assert.equal(await response.text(), SCRIPT, "the bytes themselves are unchanged");
      }
      await assertHealthy(node);
    });
  }

  test("a stored `Content-Disposition: inline` cannot un-download an HTML value; a stored attachment (with a filename) is kept", async () => {
    await putRaw(node.url, pub, "attack/inline", SCRIPT, { "content-type": "text/html", "content-disposition": "inline" });
    const a = await fetch(publicUrl("attack/inline"));
    assert.equal(a.headers.get("content-disposition"), "attachment");
    assert.equal(a.headers.get("content-security-policy"), "sandbox");
    await putRaw(node.url, pub, "attack/named", SCRIPT, { "content-type": "text/html", "content-disposition": 'attachment; filename="page.html"' });
    const b = await fetch(publicUrl("attack/named"));
    assert.equal(b.headers.get("content-disposition"), 'attachment; filename="page.html"');
    await assertHealthy(node);
  });

  test("passive types (plain text, JSON, PNG, octet-stream) are served inline, still with nosniff and CSP sandbox; the content-type is kept", async () => {
    const cases: [string, string][] = [
      ["text/plain; charset=utf-8", "hello"],
      ["application/json", '{"a":1}'],
      ["image/png", "\x89PNG"],
      ["application/octet-stream", SCRIPT],
    ];
    for (const [i, [contentType, body]] of cases.entries()) {
      await pub.kv.put(`passive/${i}`, body, { contentType });
      const response = await fetch(publicUrl(`passive/${i}`));
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("content-type"), contentType);
      assert.equal(response.headers.get("content-disposition"), null, contentType);
      assert.equal(response.headers.get("x-content-type-options"), "nosniff");
      assert.equal(response.headers.get("content-security-policy"), "sandbox");
    }
    await assertHealthy(node);
  });

  test("the signed bytes anyone can fetch (GET /events/:cid, /epochs/:cid) are served with nosniff and CSP sandbox too", async () => {
    const event = await fetch(`${node.url}/events/${pub.proofs[0]?.toString()}`);
    assert.equal(event.status, 200);
    assert.equal(event.headers.get("x-content-type-options"), "nosniff");
    assert.equal(event.headers.get("content-security-policy"), "sandbox");
    const epochs = (await (await fetch(`${node.url}/spaces/${encodeURIComponent(pub.spaceId)}/epochs`)).json()) as { epochs: { cid: string }[] };
    const epoch = await fetch(`${node.url}/epochs/${epochs.epochs[0]?.cid}`);
    assert.equal(epoch.status, 200);
    assert.equal(epoch.headers.get("x-content-type-options"), "nosniff");
    assert.equal(epoch.headers.get("content-security-policy"), "sandbox");
    await assertHealthy(node);
  });

  test("an authenticated kv/get of an HTML value carries the same headers (a browser pointed at it renders nothing)", async () => {
    await pub.kv.put("attack/get", SCRIPT, { contentType: "text/html" });
    const value = await pub.kv.get("attack/get");
    assert.ok(value !== undefined);
    assert.equal(value.text(), SCRIPT);
    assert.equal(value.contentType, "text/html");
    assert.equal(value.headers.get("x-content-type-options"), "nosniff");
    assert.equal(value.headers.get("content-security-policy"), "sandbox");
    assert.equal(value.headers.get("content-disposition"), "attachment");
    await assertHealthy(node);
  });
});

describe("origin hardening: host-key requests", () => {
  let node: TestNode;
  before(async () => {
    node = await startTestNode();
  });
  after(() => node.stop());

  test("more distinct GET /peer/generate names than the host-key cache holds: answers stay stable, the node healthy (bound: test/unit/node-keys.test.ts)", async () => {
    const spaceId = (i: number) => encodeURIComponent(formatSpaceId(spaceIdFor("did:pkh:eip155:1:0x00000000000000000000000000000000000000b2", `flood-${i}`)));
    const generate = async (i: number) => {
      const response = await fetch(`${node.url}/peer/generate/${spaceId(i)}`);
      assert.equal(response.status, 200);
      return response.text();
    };
    const first = await generate(0);
    assert.match(first, /^did:key:z/);
    for (let i = 1; i <= HOST_KEY_CACHE_SIZE + 100; i++) await generate(i);
    assert.equal(await generate(0), first, "an evicted host key is derived again, the same");
    await assertHealthy(node);
  });
});

describe("origin hardening: data-directory permissions", () => {
  let parent: string;
  before(async () => {
    parent = await mkdtemp(join(tmpdir(), "tinycloud-perms-"));
  });
  after(async () => {
    await killAllChildNodes();
    await rm(parent, { recursive: true, force: true });
  });

  test("`tinycloud node` on a fresh data directory: no file or directory under it has a group or other permission bit (other local users read neither the node key nor the values)", async () => {
    const dataDir = join(parent, "fresh", "data");
    const child = await spawnChildNode(dataDir);
    const session = await signIn({ url: child.url, wallet: clientWallet(0xa1) });
    for (let i = 0; i < 20; i++) await session.kv.put(`secret/${i}`, `private value ${i}`);
    await assertHealthy(child);
    await child.kill9();
    const entries = await walk(dataDir);
    assert.ok(entries.some((e) => e.path.endsWith("node.key")) && entries.some((e) => e.path.includes(join("db", "CURRENT"))), "the node key and the store are there");
    for (const { path, mode } of [{ path: dataDir, mode: (await stat(dataDir)).mode }, ...entries]) {
      assert.equal(mode & 0o077, 0, `${path} has mode ${(mode & 0o777).toString(8)}`);
    }
  });

  test("an existing data directory that others could enter is narrowed to 0700 (and its db directory) when a node starts on it", async () => {
    const dataDir = join(parent, "open");
    await mkdir(dataDir);
    await chmod(dataDir, 0o755);
    const node = await startTestNode({ dataDir });
    try {
      await assertHealthy(node);
      assert.equal((await stat(dataDir)).mode & 0o777, 0o700);
      assert.equal((await stat(join(dataDir, "db"))).mode & 0o777, 0o700);
      assert.equal((await stat(join(dataDir, "node.key"))).mode & 0o777, 0o600);
    } finally {
      await node.stop();
    }
  });
});

async function walk(dir: string): Promise<{ path: string; mode: number }[]> {
  const out: { path: string; mode: number }[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    out.push({ path, mode: (await stat(path)).mode });
    if (entry.isDirectory()) out.push(...(await walk(path)));
  }
  return out;
}

/** kv/put with exactly these headers (the client sets only content-type and x-tinycloud-meta-*). */
async function putRaw(url: string, session: TinyCloudSession, key: string, body: string, headers: Record<string, string>): Promise<void> {
  const jwt = session.invocation([makeCapability(session.resource("kv", key), "tinycloud.kv/put")]);
  const response = await fetch(`${url}/invoke`, { method: "POST", headers: { authorization: jwt, ...headers }, body });
  assert.equal(response.status, 200, await response.text());
}
