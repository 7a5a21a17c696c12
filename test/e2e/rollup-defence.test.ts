/**
 * The rollup defends the KV node (issue #10): a write the state tree cannot take is refused with a 4xx
 * before it is acknowledged; an update the tree refuses at cut time is held back and reported while the
 * others are batched; a batch whose proof fails is retried a bounded number of times, reported in
 * /rollup/status, and later batches keep being cut and proven; and `rollup: false` runs a plain KV node.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { CID } from "multiformats/cid";
import { sha256 } from "multiformats/hashes/sha2";
import { signIn, TinyCloudHttpError } from "../../node/client/client.js";
import { contentHashField, leafValue, StateTree, stateKey } from "../../core/state/state-tree.js";
import { utf8ToBytes } from "../../core/encoding.js";
import { BatchProver } from "../../node/rollup/batch-prover.js";
import type { FailedBatch } from "../../node/rollup/batch-failures.js";
import type { BatchRecord } from "../../node/rollup/types.js";
import { Batch } from "../../node/store/store.js";
import { epochPublicSignals, type EpochTransitionInput } from "../../prover/circuit-inputs.js";
import type { ProofJob, ProofResult, ProverPool } from "../../prover/pool/types.js";
import { startTestNode, type TestNode } from "../helpers/node.js";
import { until } from "../helpers/until.js";
import { testWallet } from "../helpers/wallets.js";

interface Status {
  latestBatch: number;
  provenBatch: number;
  root: string;
  pending: number;
  failedBatches: FailedBatch[];
}

async function status(node: TestNode): Promise<Status> {
  const response = await fetch(`${node.url}/rollup/status`);
  assert.equal(response.status, 200);
  return (await response.json()) as Status;
}

async function batch(node: TestNode, n: number): Promise<BatchRecord> {
  const response = await fetch(`${node.url}/rollup/batches/${n}`);
  assert.equal(response.status, 200, `batch ${n}`);
  return (await response.json()) as BatchRecord;
}

/**
 * A prover pool that fails every proof of the batches in `failing` and "proves" the others by
 * answering exactly the batch's public signals (the BatchProver checks them); no circuits needed.
 */
/** A well-formed Groth16 proof (the node stores only proofs that pass Groth16ProofSchema) that proves nothing. */
const SCRIPTED_PROOF = {
  pi_a: ["1", "2", "1"],
  pi_b: [
    ["1", "2"],
    ["3", "4"],
    ["1", "0"],
  ],
  pi_c: ["1", "2", "1"],
  protocol: "groth16",
  curve: "bn128",
};

class ScriptedPool implements ProverPool {
  readonly mode = "embedded" as const;
  readonly submitted: number[] = [];
  constructor(private readonly failing: ReadonlySet<number>) {}
  async submit(job: ProofJob): Promise<ProofResult> {
    this.submitted.push(job.batch);
    if (this.failing.has(job.batch)) throw new Error(`injected: the prover crashed on batch ${job.batch}`);
    return { backend: "groth16", circuit: job.circuit, proof: SCRIPTED_PROOF, publicSignals: epochPublicSignals(job.input as unknown as EpochTransitionInput), proveSeconds: 0, witnessSeconds: 0 };
  }
  async result(): Promise<ProofResult | undefined> {
    return undefined;
  }
  onProgress(): () => void {
    return () => undefined;
  }
  async depth(): Promise<number> {
    return 0;
  }
  async close(): Promise<void> {}
}

describe("rollup defence", () => {
  const nodes: TestNode[] = [];
  after(async () => {
    for (const node of nodes) await node.stop();
  });

  test("error: a write the state tree cannot take gets a 4xx and is not acknowledged; existing keys still write", async () => {
    // Depth 1: 4 positions, the list head and 3 keys.
    const node = await startTestNode({ stateTreeDepth: 1, batchMaxUpdates: 2, batchMaxDelayMs: 50 });
    nodes.push(node);
    const session = await signIn({ url: node.url, wallet: testWallet(0x21), space: "public" });
    const oracle = new StateTree(1);
    const put = async (path: string, value: string) => {
      const { version } = await session.kv.put(path, value);
      oracle.set(stateKey(session.spaceId, "kv", path), leafValue(contentHashField(utf8ToBytes(value)), version, false));
    };
    await put("a", "1");
    await put("b", "2");
    await put("c", "3");
    await assert.rejects(session.kv.put("d", "4"), (e: unknown) => e instanceof TinyCloudHttpError && e.status === 409 && e.code === "STATE_TREE_FULL");
    assert.equal(await session.kv.get("d"), undefined, "the refused write was not stored");
    await put("a", "1, edited"); // an update of a stored key needs no new position
    const settled = await until(async () => {
      const s = await status(node);
      return s.pending === 0 && s.root === oracle.root.toString() ? s : undefined;
    }, "every accepted write batched");
    assert.deepEqual(settled.failedBatches, []);
    const keys = (await Promise.all(Array.from({ length: settled.latestBatch }, (_, i) => batch(node, i + 1)))).flatMap((r) => r.updates.map((u) => u.path));
    assert.deepEqual(keys.sort(), ["a", "a", "b", "c"], "the refused key never reached a batch");
  });

  test("behavior: an update the tree refuses at cut time is held back and reported; the others are batched", async () => {
    const node = await startTestNode({ batchMaxUpdates: 4, batchMaxDelayMs: 50 });
    nodes.push(node);
    const session = await signIn({ url: node.url, wallet: testWallet(0x22), space: "public" });
    assert.ok(node.rollup && node.sequencer);
    // Staged updates no node writes (admission refuses them), far ahead in the queue: one the node
    // cannot even send to the tree (its event is not a CID), one the tree itself refuses (a key of
    // more than 248 bits: StateError from the worker, attributed to its update).
    const event = CID.create(1, 0x71, await sha256.digest(new Uint8Array([1]))).toString();
    const common = { spaceId: session.spaceId, service: "kv", contentHash: "0", version: 1, deleted: false, epoch: "none" };
    const staged = new Batch();
    node.rollup.stagePending(staged, { ...common, seq: 1_000_000, path: "poison", key: "12345", event: "not-a-cid" });
    node.rollup.stagePending(staged, { ...common, seq: 1_000_001, path: "huge", key: (1n << 248n).toString(), event });
    await node.rollup.store.write(staged);
    await session.kv.put("before", "x");
    await node.sequencer.cut(true);
    await session.kv.put("after", "y");
    const s = await until(async () => {
      const current = await status(node);
      return current.pending === 0 && current.failedBatches.length >= 2 && current.latestBatch >= 2 ? current : undefined;
    }, "the good updates batched, the poison ones reported");
    assert.deepEqual(
      s.failedBatches.map((f) => [f.stage, f.seqs, f.retrying]),
      [
        ["cut", [1_000_000], false],
        ["cut", [1_000_001], false],
      ],
    );
    assert.equal(s.failedBatches[1]?.code, "STATE_OUT_OF_FIELD");
    const held = await node.rollup.held(10);
    assert.deepEqual(
      held.map((h) => [h.update.seq, h.code]),
      [
        [1_000_000, "TREE_BAD_MESSAGE"],
        [1_000_001, "STATE_OUT_OF_FIELD"],
      ],
      "kept for the operator, out of the queue",
    );
    const paths = (await Promise.all(Array.from({ length: s.latestBatch }, (_, i) => batch(node, i + 1)))).flatMap((r) => r.updates.map((u) => u.path));
    assert.deepEqual(paths, ["before", "after"]);
  });

  test("behavior: a batch whose proof fails is retried, reported in /rollup/status, and later batches keep flowing", async () => {
    const node = await startTestNode({ batchMaxUpdates: 2, batchMaxDelayMs: 50 });
    nodes.push(node);
    assert.ok(node.rollup && node.sequencer);
    const pool = new ScriptedPool(new Set([1]));
    const prover = new BatchProver(pool, node.rollup, [{ name: "scripted_4", B: 4, depth: 16 }], 16, 0n, { failures: node.sequencer.failures, retry: { attempts: 3, baseDelayMs: 20 } });
    node.sequencer.onBatch((record, witnesses) => void prover.prove(record, witnesses));
    const session = await signIn({ url: node.url, wallet: testWallet(0x23), space: "public" });
    await session.kv.put("one", "1");
    await session.kv.put("two", "2");
    const failed = await until(async () => {
      const s = await status(node);
      return s.failedBatches.find((f) => f.number === 1 && !f.retrying);
    }, "batch 1 reported as failed");
    assert.equal(failed.stage, "prove");
    assert.equal(failed.attempts, 3, "retried a bounded number of times");
    assert.match(failed.error, /injected: the prover crashed on batch 1/);
    assert.deepEqual(
      pool.submitted.filter((n) => n === 1),
      [1, 1, 1],
      "then left alone: nothing is retried forever",
    );

    await session.kv.put("three", "3");
    await session.kv.put("four", "4");
    const proven = await until(async () => {
      const record = await batch(node, 2).catch(() => undefined);
      return record?.status === "proven" ? record : undefined;
    }, "batch 2 proven");
    const first = await batch(node, 1);
    assert.notEqual(first.status, "proven");
    assert.deepEqual(
      first.updates.map((u) => u.path),
      ["one", "two"],
      "the failed batch's writes are kept",
    );
    assert.equal(proven.oldRoot, first.newRoot, "and are in every later root");
    const s = await status(node);
    assert.equal(s.provenBatch, 2);
    assert.deepEqual(
      s.failedBatches.map((f) => [f.number, f.stage]),
      [[1, "prove"]],
    );
    await prover.close();
  });

  test("behavior: a crashed tree worker is replaced, replayed from the store, and batching goes on with the oracle's roots", async () => {
    const node = await startTestNode({ batchMaxUpdates: 2, batchMaxDelayMs: 50 });
    nodes.push(node);
    assert.ok(node.sequencer);
    const session = await signIn({ url: node.url, wallet: testWallet(0x25), space: "public" });
    const oracle = new StateTree();
    const put = async (path: string, value: string) => {
      const { version } = await session.kv.put(path, value);
      oracle.set(stateKey(session.spaceId, "kv", path), leafValue(contentHashField(utf8ToBytes(value)), version, false));
    };
    await put("x", "1");
    await put("y", "2");
    await until(async () => ((await status(node)).latestBatch >= 1 ? true : undefined), "batch 1");
    // Kill the thread the way a crash would (the sequencer is not told).
    const internals = node.sequencer as unknown as { tree: { worker: { terminate(): Promise<number> } } };
    await internals.tree.worker.terminate();
    await put("z", "3");
    await put("x", "4");
    const s = await until(async () => {
      const current = await status(node);
      return current.pending === 0 && current.root === oracle.root.toString() ? current : undefined;
    }, "batches after the crash, with the oracle's root");
    assert.ok(s.latestBatch >= 2);
    const proof = await fetch(`${node.url}/rollup/proof?uri=${encodeURIComponent(`${session.spaceId}/kv/y`)}&batch=1`);
    assert.equal(proof.status, 200, "old views are served by the new worker");
  });

  test("behavior: rollup: false runs a plain KV node (no /rollup routes)", async () => {
    const node = await startTestNode({ rollup: false });
    nodes.push(node);
    assert.equal(node.sequencer, undefined);
    const session = await signIn({ url: node.url, wallet: testWallet(0x24) });
    await session.kv.put("plain", "kv");
    assert.equal(new TextDecoder().decode((await session.kv.get("plain"))?.bytes), "kv");
    assert.equal((await fetch(`${node.url}/rollup/status`)).status, 404);
  });
});
