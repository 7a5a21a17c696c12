/**
 * The official client, @tinycloudlabs/web-sdk 0.2.1 (legacy orbit protocol), unchanged, against our node.
 * It runs under Node with the small shims of sdk-wire.md §9; its wallet is a viem account behind an
 * EIP-1193 provider. The node runs for real on a random loopback port.
 */
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { after, before, describe, test } from "node:test";
import { privateKeyToAccount } from "viem/accounts";
import { startTestNode, type TestNode } from "../helpers/node.js";

// --- shims (before the SDK loads) ---
const g = globalThis as Record<string, unknown>;
g["window"] = new EventTarget();
g["location"] = { hostname: "localhost", host: "localhost", protocol: "http:" };
(g["window"] as Record<string, unknown>)["location"] = g["location"];
g["self"] = globalThis;
g["HTMLElement"] = class {};
g["customElements"] = { define() {}, get() {} };

const require = createRequire(import.meta.url);
const { TinyCloudWeb } = require("@tinycloudlabs/web-sdk") as { TinyCloudWeb: new (config: unknown) => any };

function eip1193(privateKey: `0x${string}`) {
  const account = privateKeyToAccount(privateKey);
  return {
    address: account.address,
    request: async ({ method, params }: { method: string; params?: unknown[] }) => {
      switch (method) {
        case "eth_accounts":
        case "eth_requestAccounts":
          return [account.address];
        case "eth_chainId":
          return "0x1";
        case "net_version":
          return "1";
        case "personal_sign":
          return account.signMessage({ message: { raw: (params as string[])[0] as `0x${string}` } });
        default:
          throw new Error(`unsupported ${method}`);
      }
    },
  };
}

function client(url: string, provider: ReturnType<typeof eip1193>) {
  return new TinyCloudWeb({
    providers: { web3: { driver: provider } },
    notifications: { popups: false },
    siweConfig: { domain: "localhost" },
    modules: { storage: { hosts: [url], prefix: "default", autoCreateNewOrbit: false } },
  });
}

describe("official client @tinycloudlabs/web-sdk 0.2.1 (legacy orbit protocol)", () => {
  let node: TestNode;
  const wallet = eip1193(`0x${"11".repeat(32)}`);
  let tcw: any;

  before(async () => {
    node = await startTestNode();
    tcw = client(node.url, wallet);
  });
  after(async () => {
    await node.stop();
  });

  test("default: sign in, host the orbit, then the session activates", async () => {
    const session = await tcw.signIn();
    assert.equal(tcw.storage._orbit, undefined, "the orbit does not exist yet, so the session is not active");
    await tcw.storage.hostOrbit(session);
    assert.ok(tcw.storage.orbit, "after hosting, the session delegation is accepted");
  });

  test("default: put, get, list, head and delete", async () => {
    const put = await tcw.storage.put("hello.txt", "hello world");
    assert.equal(put.status, 200);
    await tcw.storage.put("obj.json", { a: 1, b: [true, null] });
    const text = await tcw.storage.get("hello.txt");
    assert.equal(text.data, "hello world");
    const obj = await tcw.storage.get("obj.json");
    assert.deepEqual(obj.data, { a: 1, b: [true, null] });
    const list = await tcw.storage.list();
    assert.deepEqual(list.data.sort(), ["default/hello.txt", "default/obj.json"]);
    const head = await tcw.storage.orbit.head("default/hello.txt");
    assert.equal(head.status, 200);
    assert.match(head.headers.get("etag"), /^"blake3-[0-9a-f]{64}"$/);
    const deleted = await tcw.storage.delete("hello.txt");
    assert.equal(deleted.status, 200);
    const gone = await tcw.storage.get("hello.txt");
    assert.equal(gone.status, 404);
    assert.deepEqual((await tcw.storage.list()).data, ["default/obj.json"]);
  });

  test("default: a sharing link is retrieved by a fresh client", async () => {
    await tcw.storage.put("shared.txt", "for your eyes");
    const link: string = await tcw.storage.generateSharingLink("default/shared.txt");
    assert.ok(link.length > 100);
    const stranger = client(node.url, eip1193(`0x${"22".repeat(32)}`));
    const response = await stranger.storage.retrieveSharingLink(link);
    assert.equal(response.status, 200);
    assert.equal(response.data, "for your eyes");
  });
});
