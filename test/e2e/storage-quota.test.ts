/**
 * Storage quotas (issue 12 §3), against a real node with small quotas: a put past what its space has
 * left is 413 SPACE_QUOTA_EXCEEDED, a put or a delegation past what the node has left is 507
 * NODE_QUOTA_EXCEEDED, nothing of a refused write is stored, reads keep working, the count survives a
 * restart, and the node stays healthy.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { signIn, type TinyCloudSession } from "../../node/client/client.js";
import { startTestNode, type TestNode } from "../helpers/node.js";
import { testWallet } from "../helpers/wallets.js";
import { iso, signSession, wallet } from "../helpers/actors.js";
import { formatSpaceId, spaceIdFor } from "../../core/resource.js";

const SPACE_QUOTA = 25_000;
const NODE_QUOTA = 60_000;

describe("storage quotas", () => {
  let dataDir: string;
  let node: TestNode;

  async function start(port = 0): Promise<void> {
    node = await startTestNode({ dataDir, port, spaceQuotaBytes: SPACE_QUOTA, nodeQuotaBytes: NODE_QUOTA });
  }
  async function healthy(): Promise<void> {
    assert.equal((await fetch(`${node.url}/healthz`)).status, 200);
  }

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "tinycloud-quota-"));
    await start();
  });
  after(async () => {
    await node.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  let alice: TinyCloudSession;

  test("attack: a put larger than what its space has left → 413 SPACE_QUOTA_EXCEEDED; the space still reads and takes small puts", async () => {
    alice = await signIn({ url: node.url, wallet: testWallet(0x31) });
    await alice.kv.put("big", "a".repeat(15_000));
    await assert.rejects(alice.kv.put("more", "b".repeat(12_000)), (e: unknown) => {
      const error = e as { status?: number; code?: string; message?: string };
      assert.equal(error.status, 413);
      assert.equal(error.code, "SPACE_QUOTA_EXCEEDED");
      assert.match(String(error.message), /quota left/);
      return true;
    });
    assert.equal(await alice.kv.get("more"), undefined, "nothing of the refused put is stored");
    assert.equal((await alice.kv.get("big"))?.text().length, 15_000);
    await alice.kv.put("small", "fits");
    await healthy();
  });

  test("attack: puts past the node's quota → 507 NODE_QUOTA_EXCEEDED for every space, reads still work", async () => {
    // Fresh spaces each take 15 KB (far inside their own quota) until the node is full.
    let full: TinyCloudSession | undefined;
    for (const seed of [0x32, 0x33, 0x34, 0x35, 0x36]) {
      const session = await signIn({ url: node.url, wallet: testWallet(seed) });
      try {
        await session.kv.put("big", "c".repeat(15_000));
      } catch (error) {
        assert.equal((error as { status?: number }).status, 507, String(error));
        assert.equal((error as { code?: string }).code, "NODE_QUOTA_EXCEEDED");
        full = session;
        break;
      }
    }
    assert.ok(full !== undefined, "the node filled up");
    // Fill what is left with tiny puts: then even a 1-byte put is refused, in every space.
    let refused = false;
    for (let i = 0; i < 100 && !refused; i++) {
      try {
        await full.kv.put(`tiny/${i}`, "t");
      } catch (error) {
        assert.equal((error as { code?: string }).code, "NODE_QUOTA_EXCEEDED", String(error));
        refused = true;
      }
    }
    assert.ok(refused);
    await assert.rejects(alice.kv.put("y", "e"), { status: 507, code: "NODE_QUOTA_EXCEEDED" });
    // Delegations count too: a new space's host delegation no longer fits, and no space is created.
    const erin = wallet(0x37);
    const erinSpace = formatSpaceId(spaceIdFor(erin.did, "default"));
    const hostKey = (await (await fetch(`${node.url}/peer/generate/${encodeURIComponent(erinSpace)}`)).text()).trim();
    const now = Math.floor(Date.now() / 1000);
    const host = await signSession(erin, hostKey, {
      capabilities: [{ resource: erinSpace, abilities: ["tinycloud.space/host"] }],
      statement: "Host my space. ".repeat(200),
      issuedAt: iso(now - 60),
      expirationTime: iso(now + 3600),
    });
    const hosted = await fetch(`${node.url}/delegate`, { method: "POST", headers: { authorization: host.header } });
    const text = await hosted.text();
    assert.equal(hosted.status, 507, text);
    assert.match(text, /^NODE_QUOTA_EXCEEDED: /);
    assert.equal(await node.rollup?.store.getSpace(erinSpace), undefined, "no space was created");
    // Reads are never refused.
    assert.equal((await alice.kv.get("small"))?.text(), "fits");
    assert.deepEqual((await alice.kv.list()).keys, ["big", "small"]);
    assert.equal((await full.kv.get("tiny/0"))?.text(), "t");
    await healthy();
  });

  test("behavior: the counts are durable: after a restart the same writes are refused again", async () => {
    const port = Number(new URL(node.url).port);
    await node.stop();
    await start(port);
    await assert.rejects(alice.kv.put("more", "b".repeat(12_000)), { status: 413, code: "SPACE_QUOTA_EXCEEDED" });
    await assert.rejects(alice.kv.put("y", "e"), { status: 507, code: "NODE_QUOTA_EXCEEDED" });
    assert.equal((await alice.kv.get("big"))?.text().length, 15_000);
    await healthy();
  });
});
