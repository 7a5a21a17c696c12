/**
 * The sequencer against a real node: writes become state-tree updates, batches are cut by size and by
 * time, roots chain, commitments and proofs check against the TypeScript oracle, and a restart resumes
 * without losing or duplicating an update.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { signIn, TinyCloudSession, NodeHttp } from "../../node/client/client.js";
import { contentHashField, leafValue, StateTree, stateKey, stateProofFromJson, verifyStateProof } from "../../core/state/state-tree.js";
import { utf8ToBytes } from "../../core/encoding.js";
import { epochCommitment } from "../../core/rollup/commitment.js";
import type { BatchRecord } from "../../node/rollup/types.js";
import { startTestNode, type TestNode } from "../helpers/node.js";
import { until } from "../helpers/until.js";
import { testWallet } from "../helpers/wallets.js";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

async function json<T>(url: string): Promise<T> {
  const response = await fetch(url);
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()) as T;
}

describe("rollup sequencer", () => {
  let node: TestNode | undefined;
  let dataDir: string;
  after(async () => {
    await node?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  test("default: batches by size and time, chained roots, oracle-equal roots and commitments, proofs; restart resumes", async () => {
    dataDir = await mkdtemp(join(tmpdir(), "tinycloud-rollup-"));
    node = await startTestNode({ dataDir, batchMaxUpdates: 4, batchMaxDelayMs: 300 });
    const session = await signIn({ url: node.url, wallet: testWallet(0x11), space: "public" });
    const oracle = new StateTree();
    const written: { path: string; value: string; version: number }[] = [];
    const put = async (path: string, value: string) => {
      const { version } = await session.kv.put(path, value);
      written.push({ path, value, version });
      oracle.set(stateKey(session.spaceId, "kv", path), leafValue(contentHashField(utf8ToBytes(value)), version, false));
    };
    for (let i = 0; i < 9; i++) await put(`notes/${i}`, `note ${i}`);
    await put("notes/0", "note 0, edited");
    await session.kv.del("notes/1");
    oracle.set(stateKey(session.spaceId, "kv", "notes/1"), leafValue(0n, 2, true));

    // 11 updates: full batches of 4 are cut at once; what remains is cut 300 ms after it arrived.
    const status = await until(async () => {
      const s = await json<{ latestBatch: number; root: string; pending: number }>(`${node!.url}/rollup/status`);
      return s.pending === 0 && s.root === oracle.root.toString() ? s : undefined;
    }, "every update batched");
    assert.ok(status.latestBatch >= 3, `11 updates need at least 3 batches of at most 4, got ${status.latestBatch}`);

    // Batch 1 starts from the indexed tree's genesis root (the list head alone), not 0.
    let previousRoot = new StateTree().root.toString();
    const seen: number[] = [];
    const sizes: number[] = [];
    for (let n = 1; n <= status.latestBatch; n++) {
      const record: BatchRecord = await json<BatchRecord>(`${node.url}/rollup/batches/${n}`);
      assert.equal(record.number, n);
      assert.equal(record.oldRoot, previousRoot, "roots chain from batch to batch");
      assert.equal(record.status, "cut");
      assert.ok(record.updates.length >= 1 && record.updates.length <= 4);
      sizes.push(record.updates.length);
      const commitment = epochCommitment({
        context: 0n,
        batchNumber: n,
        updates: record.updates.map((u) => ({ key: BigInt(u.key), newValue: BigInt(u.value) })),
        eventsHash: BigInt(record.eventsHash),
      });
      assert.equal(record.commitment, commitment.toString());
      assert.ok(record.eventCids.length > 0 && record.updates.every((u) => record.eventCids.includes(u.event)));
      seen.push(...record.updates.map((u) => u.seq));
      previousRoot = record.newRoot;
    }
    assert.ok(sizes.includes(4), `a batch is cut as soon as 4 updates are pending (sizes ${sizes.join(", ")})`);
    assert.equal(seen.length, 11);
    assert.deepEqual(
      seen,
      [...seen].sort((a, b) => a - b),
      "updates are in acceptance order",
    );
    assert.equal(new Set(seen).size, seen.length, "no update is batched twice");
    assert.equal(previousRoot, oracle.root.toString());

    const proofOf = async (path: string) => json<{ root: string; batch: number; proof: unknown }>(`${node!.url}/rollup/proof?uri=${encodeURIComponent(`${session.spaceId}/kv/${path}`)}`);
    const included = await proofOf("notes/0");
    const proof = stateProofFromJson(included.proof);
    assert.equal(proof.kind, "inclusion");
    assert.equal(proof.value, leafValue(contentHashField(utf8ToBytes("note 0, edited")), 2, false));
    assert.ok(verifyStateProof(proof, BigInt(included.root)));
    const tombstone = stateProofFromJson((await proofOf("notes/1")).proof);
    assert.equal(tombstone.value, leafValue(0n, 2, true), "a delete is a provable tombstone");
    const absent = stateProofFromJson((await proofOf("nothing/here")).proof);
    assert.notEqual(absent.kind, "inclusion");
    assert.ok(verifyStateProof(absent, BigInt(included.root)));

    // Restart: the tree is rebuilt from the batch records; new writes continue the numbering.
    await node.close();
    node = await startTestNode({ dataDir, batchMaxUpdates: 4, batchMaxDelayMs: 300 });
    const again = new TinyCloudSession(new NodeHttp(node.url, fetch), session.spaceId, session.key, session.proofs, session.expiresAt);
    const restarted = await json<{ latestBatch: number; root: string }>(`${node.url}/rollup/status`);
    assert.deepEqual([restarted.latestBatch, restarted.root], [status.latestBatch, oracle.root.toString()]);
    const { version } = await again.kv.put("after/restart", "x");
    oracle.set(stateKey(session.spaceId, "kv", "after/restart"), leafValue(contentHashField(utf8ToBytes("x")), version, false));
    const final = await until(async () => {
      const s = await json<{ latestBatch: number; root: string }>(`${node!.url}/rollup/status`);
      return s.latestBatch === status.latestBatch + 1 ? s : undefined;
    }, "the next batch");
    assert.equal(final.root, oracle.root.toString());
    const fourth = await json<BatchRecord>(`${node.url}/rollup/batches/${status.latestBatch + 1}`);
    assert.deepEqual(
      fourth.updates.map((u) => u.path),
      ["after/restart"],
    );
    assert.equal(fourth.oldRoot, previousRoot);
  });

  test("error: bad batch numbers and URIs are 4xx", async () => {
    assert.ok(node);
    assert.equal((await fetch(`${node.url}/rollup/batches/0`)).status, 400);
    assert.equal((await fetch(`${node.url}/rollup/batches/99`)).status, 404);
    assert.equal((await fetch(`${node.url}/rollup/proof`)).status, 400);
    assert.equal((await fetch(`${node.url}/rollup/proof?uri=nope`)).status, 400);
  });
});

describe("a data directory of the previous state tree", () => {
  test("is refused at start-up with ROLLUP_TREE_FORMAT (a new genesis), never replayed into wrong roots", async () => {
    const { NodeStore } = await import("../../node/store/store.js");
    const { RollupStore } = await import("../../node/rollup/rollup-store.js");
    const { Sequencer, TreeFormatError, STATE_TREE_FORMAT } = await import("../../node/rollup/sequencer.js");
    const dir = await mkdtemp(join(tmpdir(), "tinycloud-oldtree-"));
    const store = new NodeStore(join(dir, "db"));
    await store.open();
    try {
      const rollup = new RollupStore(store);
      // What a node before the indexed tree left behind: a batch, no tree-format marker.
      const old: BatchRecord = { number: 1, oldRoot: "0", newRoot: "123", updates: [], eventCids: [], eventsHash: "0", header: "0", commitment: "0", status: "anchored", cutAt: 0 };
      await rollup.cut(old);
      const options = { maxUpdates: 4, maxDelayMs: 1000, context: 0n, depth: 16 };
      await assert.rejects(Sequencer.open(rollup, options), (e: unknown) => e instanceof TreeFormatError && e.code === "ROLLUP_TREE_FORMAT" && /new genesis/.test(e.message));
      // A fresh directory is marked with the format on first open, and opens again.
      const fresh = new RollupStore(store);
      await store.db.clear();
      const seq = await Sequencer.open(fresh, options);
      await seq.close();
      assert.equal(await fresh.treeFormat(), STATE_TREE_FORMAT);
      await (await Sequencer.open(fresh, options)).close();
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
