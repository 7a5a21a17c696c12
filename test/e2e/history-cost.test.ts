/**
 * Cost that grows with history (issue 12 §3): after a few hundred tiny batches, a proof at a past batch
 * replays at most a checkpoint's spacing of batches (not the history up to it), /rollup/status reads no
 * batch record to find the proven batch, and /rollup/entries reads one record per entry it returns.
 * The answers equal what the old full scans gave (proofs against the TypeScript oracle replayed from the
 * batch records; entries against a newest-first scan of every record), and survive a restart.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { signIn } from "../../node/client/client.js";
import { StateTree, stateKey, stateProofToJson } from "../../core/state/state-tree.js";
import { CHECKPOINT_EVERY, RECENT_VIEWS } from "../../node/rollup/tree-worker.js";
import type { BatchRecord } from "../../node/rollup/types.js";
import { startTestNode, type TestNode } from "../helpers/node.js";
import { until } from "../helpers/until.js";
import { testWallet } from "../helpers/wallets.js";

/** More batches than the worker keeps recent views of, so old batches need the checkpoints. */
const BATCHES = RECENT_VIEWS + 44;
const KEYS = 5;

async function json<T>(url: string): Promise<T> {
  const response = await fetch(url);
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json()) as T;
}

describe("history cost", () => {
  let node: TestNode | undefined;
  let dataDir: string | undefined;
  after(async () => {
    await node?.stop();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  test("behavior: past-batch proofs, status and entries do work bounded by the request, not by the history", async () => {
    dataDir = await mkdtemp(join(tmpdir(), "tinycloud-history-"));
    node = await startTestNode({ dataDir, batchMaxUpdates: 1, batchMaxDelayMs: 20 });
    // A public space: /rollup/entries lists public entries only, and one update per write (no salt leaf).
    const session = await signIn({ url: node.url, wallet: testWallet(0x51), space: "public" });
    // Few keys written many times: the old entries scan walked every batch to find KEYS distinct keys.
    for (let i = 0; i < BATCHES; i++) await session.kv.put(`k/${i % KEYS}`, `value ${i}`);
    await until(
      async () => {
        const s = await json<{ latestBatch: number; pending: number }>(`${node!.url}/rollup/status`);
        return s.pending === 0 && s.latestBatch === BATCHES ? s : undefined;
      },
      "every write batched",
      { timeoutMs: 120_000 },
    );
    const rollup = node.rollup;
    const sequencer = node.sequencer;
    assert.ok(rollup !== undefined && sequencer !== undefined);

    // The oracle: the TypeScript tree replayed from the stored records, with its root after every batch.
    const records: BatchRecord[] = [];
    for (let n = 1; n <= BATCHES; n++) records.push((await rollup.batch(n)) as BatchRecord);
    const oracleAt = (n: number) => StateTree.fromEntries(records.slice(0, n).flatMap((r) => r.updates.map((u) => [BigInt(u.key), BigInt(u.value)] as const)));

    const uri = `${session.spaceId}/kv/k/3`;
    const key = stateKey(session.spaceId, "kv", "k/3");
    const proofAt = async (n: number) => {
      const replayed = sequencer.replayedBatches;
      const body = await json<{ root: string; batch: number; proof: unknown }>(`${node!.url}/rollup/proof?uri=${encodeURIComponent(uri)}&batch=${n}`);
      const oracle = oracleAt(n);
      assert.equal(body.root, oracle.root.toString(), `root after batch ${n}`);
      assert.equal(body.root, (records[n - 1] as BatchRecord).newRoot);
      assert.deepEqual(body.proof, JSON.parse(JSON.stringify(stateProofToJson(oracle.prove(key)))), `the oracle's proof at batch ${n}`);
      return sequencer.replayedBatches - replayed;
    };
    // 43 is outside the recent window: the old path replayed batches 1..43 into a fresh tree.
    const old = BATCHES - RECENT_VIEWS - 1;
    assert.ok(old > CHECKPOINT_EVERY, "the batch is past the first checkpoint");
    const first = await proofAt(old);
    assert.ok(first < CHECKPOINT_EVERY, `a past-batch proof replays fewer than ${CHECKPOINT_EVERY} batches (replayed ${first})`);
    assert.equal(first, old % CHECKPOINT_EVERY, "exactly the batches after the checkpoint below it");
    assert.equal(await proofAt(old), 0, "asked again: served from the kept view");
    assert.equal(await proofAt(CHECKPOINT_EVERY), 0, "a checkpoint itself replays nothing");
    assert.equal(await proofAt(3), 3);
    assert.equal(await proofAt(BATCHES), 0, "the latest batch is a recent view");

    // Status: the proven batch is maintained, not searched for (this node proves nothing: 0).
    let reads = rollup.batchReads;
    const status = await json<{ latestBatch: number; provenBatch: number }>(`${node.url}/rollup/status`);
    assert.deepEqual([status.latestBatch, status.provenBatch], [BATCHES, 0]);
    assert.equal(rollup.batchReads - reads, 0, "/rollup/status reads no batch record");

    // Entries: what the old newest-first scan of every record returned, for one record read per entry.
    const expected: unknown[] = [];
    const seen = new Set<string>();
    for (const r of [...records].reverse()) {
      for (const u of [...r.updates].reverse()) {
        if (seen.has(u.key)) continue;
        seen.add(u.key);
        expected.push({ path: u.path, version: u.version, batch: r.number });
      }
    }
    reads = rollup.batchReads;
    const { entries } = await json<{ entries: { path: string; version: number; batch: number }[] }>(`${node.url}/rollup/entries?limit=50`);
    assert.deepEqual(
      entries.map(({ path, version, batch }) => ({ path, version, batch })),
      expected,
    );
    assert.ok(rollup.batchReads - reads <= KEYS, `/rollup/entries read ${rollup.batchReads - reads} records for ${KEYS} entries`);
    reads = rollup.batchReads;
    assert.equal((await json<{ entries: unknown[] }>(`${node.url}/rollup/entries?limit=2`)).entries.length, 2);
    assert.ok(rollup.batchReads - reads <= 2);

    // A restart rebuilds the checkpoints and keeps the index.
    await node.close();
    node = await startTestNode({ dataDir, batchMaxUpdates: 1, batchMaxDelayMs: 20 });
    const again = node.rollup;
    assert.ok(again !== undefined && node.sequencer !== undefined);
    const restarted = node.sequencer;
    const before = restarted.replayedBatches;
    const body = await json<{ root: string }>(`${node.url}/rollup/proof?uri=${encodeURIComponent(uri)}&batch=${old}`);
    assert.equal(body.root, (records[old - 1] as BatchRecord).newRoot);
    assert.ok(restarted.replayedBatches - before < CHECKPOINT_EVERY);
    const afterRestart = await json<{ entries: { path: string; version: number; batch: number }[] }>(`${node.url}/rollup/entries?limit=50`);
    assert.deepEqual(
      afterRestart.entries.map(({ path, version, batch }) => ({ path, version, batch })),
      expected,
    );
    assert.equal((await fetch(`${node.url}/healthz`)).status, 200);
  });
});
