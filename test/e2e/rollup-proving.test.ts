/**
 * Batches are proven: a real node (state tree depth 8, test circuits B = 1 and 2) cuts batches, proves
 * them with Groth16 in its embedded worker-thread pool, and the proofs verify with snarkjs against the
 * generated verification keys and exactly the batch's public signals. Batches left unproven by a node
 * that stopped are proven after a restart.
 */
import assert from "node:assert/strict";
import { readFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import * as snarkjs from "snarkjs";
import { NodeHttp, signIn, TinyCloudSession } from "../../node/client/client.js";
import type { BatchRecord } from "../../node/rollup/types.js";
import { startTestNode, type TestNode } from "../helpers/node.js";
import { until } from "../helpers/until.js";
import { testWallet } from "../helpers/wallets.js";
import type { BacklogStatus } from "../../node/rollup/backlog.js";
import { releaseSnarkjsWorkers } from "../../prover/setup/artifacts.js";
import { batchHeader } from "../../core/rollup/header.js";

const circuits = ["epoch_transition_1_d8", "epoch_transition_2_d8"];
const PROVING = { timeoutMs: 120_000, intervalMs: 200 };
const config = { stateTreeDepth: 8, circuits, batchMaxUpdates: 2, batchMaxDelayMs: 200 } as const;

async function batch(url: string, n: number): Promise<BatchRecord> {
  const response = await fetch(`${url}/rollup/batches/${n}`);
  if (response.status === 404) return { status: "absent" } as unknown as BatchRecord;
  assert.equal(response.status, 200);
  return (await response.json()) as BatchRecord;
}

async function verify(record: BatchRecord): Promise<boolean> {
  const vkey = JSON.parse(await readFile(new URL(`../../circuits/keys/${record.circuit}.vkey.json`, import.meta.url), "utf8"));
  return snarkjs.groth16.verify(vkey, record.publicSignals as string[], record.proof as never);
}

describe("rollup proving (Groth16, embedded pool)", () => {
  let node: TestNode | undefined;
  let dataDir: string;
  after(async () => {
    await node?.stop();
    await rm(dataDir, { recursive: true, force: true });
    // snarkjs keeps curve worker threads alive; release them so the test process can exit.
    await releaseSnarkjsWorkers();
  });

  test("default: every cut batch is proven; proofs verify against exactly the batch's signals", async () => {
    dataDir = await mkdtemp(join(tmpdir(), "tinycloud-proving-"));
    node = await startTestNode({ dataDir, prove: true, ...config });
    // A public space: one update per write (a private space's first write also inserts its salt leaf), so
    // the batches are [a, b] and [c] and pick the 2- and 1-step circuits.
    const session = await signIn({ url: node.url, wallet: testWallet(0x11), space: "public" });
    await session.kv.put("a", "1");
    await session.kv.put("b", "2");
    await session.kv.put("c", "3");
    await until(async () => (await batch(node!.url, 2)).status === "proven", "batch 2 proven", PROVING);
    await until(async () => (await batch(node!.url, 1)).status === "proven", "batch 1 proven", PROVING);
    for (const n of [1, 2]) {
      const record = await batch(node.url, n);
      assert.equal(record.circuit, n === 1 ? "epoch_transition_2_d8" : "epoch_transition_1_d8", "the smallest circuit that fits");
      assert.deepEqual(record.publicSignals, [record.oldRoot, record.newRoot, batchHeader(n, 0n).toString(), record.commitment]);
      assert.equal(await verify(record), true);
      const forged = { ...record, publicSignals: [record.oldRoot, record.newRoot, batchHeader(n + 1, 0n).toString(), record.commitment] };
      assert.equal(await verify(forged), false, "the proof binds the batch number");
    }
    const status = (await (await fetch(`${node.url}/rollup/status`)).json()) as { provenBatch: number; backlog: BacklogStatus };
    assert.equal(status.provenBatch, 2);
    // The backlog drained as the batches were proven, and the proving rate is measured from them.
    assert.equal(status.backlog.updates, 0);
    assert.equal(status.backlog.unprovenBatches, 0);
    assert.equal(status.backlog.admitting, true);
    assert.ok(typeof status.backlog.provingRate === "number" && status.backlog.provingRate > 0, `a measured proving rate: ${JSON.stringify(status.backlog)}`);
    assert.equal(status.backlog.drainSeconds, 0);
    const metrics = await (await fetch(`${node.url}/metrics`)).text();
    assert.match(metrics, /tinycloud_prove_seconds_count\S* [1-9]/);
    assert.match(metrics, /^tinycloud_backlog_updates 0$/m);
  });

  test("behavior: a batch cut while proving was off is proven after a restart", async () => {
    assert.ok(node);
    const session0 = await signIn({ url: node.url, wallet: testWallet(0x11), space: "public", host: false });
    await node.close();
    node = await startTestNode({ dataDir, prove: false, ...config });
    const session = new TinyCloudSession(new NodeHttp(node.url, fetch), session0.spaceId, session0.key, session0.proofs, session0.expiresAt);
    await session.kv.put("d", "4");
    await until(async () => (await batch(node!.url, 3)).status === "cut", "batch 3 cut", PROVING);
    await node.close();
    node = await startTestNode({ dataDir, prove: true, ...config });
    await until(async () => (await batch(node!.url, 3)).status === "proven", "batch 3 proven after restart", PROVING);
    assert.equal(await verify(await batch(node.url, 3)), true);
  });
});
