/**
 * The anchorer against a real anvil with the real contracts and real Groth16 proofs (test circuits of
 * depth 8): batches are anchored strictly in order and exactly once, a restarted anchorer recognises
 * what the chain already holds (no new transaction, not even for a record whose receipt was lost),
 * invalid proofs are rejected without a transaction and without a hot loop, RPC failures (503s,
 * dropped connections, lost responses) are retried until the batch is anchored exactly once, a
 * transaction persisted but never broadcast (crash) is replaced, `confirmations` is honoured, and a
 * chain with another history stops anchoring with a clear error.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Hash } from "viem";
import { ANCHOR_ABI } from "../../contracts/abi.js";
import { Anchorer, type AnchorerOptions } from "../../node/chain/anchorer.js";
import { createChainClients } from "../../node/chain/clients.js";
import { epochContext } from "../../core/rollup/header.js";
import { releaseSnarkjsWorkers } from "../../prover/setup/artifacts.js";
import { RollupStore } from "../../node/rollup/rollup-store.js";
import type { BatchRecord } from "../../node/rollup/types.js";
import { NodeStore } from "../../node/store/store.js";
import { startFaultProxy, startTestChain, type TestChain } from "../helpers/anvil.js";
import { ProvenBatchFactory } from "../helpers/proven-batch-factory.js";
import { until } from "../helpers/until.js";

describe("anchorer (anvil, real contracts, real Groth16 proofs)", () => {
  let chain: TestChain;
  let dir: string;
  let store: NodeStore;
  let rollup: RollupStore;
  const factory = new ProvenBatchFactory();
  let records: ReturnType<ProvenBatchFactory["records"]>;
  const running: Anchorer[] = [];
  const logs: string[] = [];

  before(async () => {
    chain = await startTestChain();
    dir = await mkdtemp(join(tmpdir(), "tinycloud-anchorer-"));
    store = new NodeStore(join(dir, "db"));
    await store.open();
    rollup = new RollupStore(store);
    records = factory.records(epochContext(chain.deployment.chainId, chain.deployment.anchor));
  });

  after(async () => {
    for (const a of running) await a.stop();
    await store?.close();
    await chain?.stop();
    await factory.close();
    await rm(dir, { recursive: true, force: true });
    await releaseSnarkjsWorkers();
  });

  const sequencer = () => chain.sequencer.account!.address;
  const nonce = () => chain.owner.publicClient.getTransactionCount({ address: sequencer() });
  const record = async (n: number) => (await rollup.batch(n)) as BatchRecord;
  const chainRoot = (n: number) => chain.owner.publicClient.readContract({ address: chain.deployment.anchor, abi: ANCHOR_ABI, functionName: "roots", args: [BigInt(n)] });
  const latest = () => chain.owner.publicClient.readContract({ address: chain.deployment.anchor, abi: ANCHOR_ABI, functionName: "latestBatch" });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  function anchorer(options: Partial<AnchorerOptions> = {}): Anchorer {
    const a = new Anchorer({
      publicClient: chain.sequencer.publicClient,
      walletClient: chain.sequencer.walletClient!,
      deployment: chain.deployment,
      rollup,
      pollIntervalMs: 50,
      maxBackoffMs: 400,
      log: (line) => {
        logs.push(line);
        if (process.env["TINYCLOUD_TEST_LOG"]) console.log(`  anchorer: ${line}`);
      },
      ...options,
    });
    running.push(a);
    a.start();
    return a;
  }

  async function stop(a: Anchorer): Promise<void> {
    await a.stop();
    running.splice(running.indexOf(a), 1);
  }

  test("default: proven batches are anchored strictly in order; the contract's roots are the records'", async () => {
    const r1 = await records.next(2);
    const r2 = await records.next(1);
    // Batch 2 is proven before batch 1: nothing may be sent for it yet.
    const { proof: _p, publicSignals: _s, ...unproven } = r1;
    await rollup.cut({ ...unproven, status: "proving" });
    await rollup.cut(r2);
    const anchored: number[] = [];
    const a = anchorer({ onAnchored: (r) => anchored.push(r.number) });
    await until(() => a.status().anchoredBatch === 0 && a.status().state === "idle", "first round");
    await sleep(300);
    assert.equal(await nonce(), 0, "batch 2 is not submitted before batch 1");
    assert.equal((await record(2)).status, "proven");

    await rollup.updateBatch(r1);
    a.notify();
    await until(async () => (await record(2)).status === "anchored", "batch 2 anchored");
    assert.deepEqual(anchored, [1, 2]);
    assert.equal(await latest(), 2n);
    assert.equal(await nonce(), 2, "one transaction per batch");
    for (const r of [r1, r2]) {
      assert.equal((await chainRoot(r.number)).toString(), r.newRoot);
      const stored = await record(r.number);
      assert.equal(stored.status, "anchored");
      assert.match(stored.anchorTx ?? "", /^0x[0-9a-f]{64}$/);
      const receipt = await chain.owner.publicClient.getTransactionReceipt({ hash: stored.anchorTx as Hash });
      assert.equal(receipt.status, "success");
      assert.equal(stored.anchorBlock, Number(receipt.blockNumber));
      const block = await chain.owner.publicClient.getBlock({ blockNumber: receipt.blockNumber });
      assert.equal(stored.anchoredAt, Number(block.timestamp) * 1000);
      assert.ok(receipt.gasUsed < 1_500_000n);
    }
    const events = await chain.owner.publicClient.getContractEvents({ address: chain.deployment.anchor, abi: ANCHOR_ABI, eventName: "BatchAnchored", fromBlock: 0n });
    assert.deepEqual(
      events.map((e) => [e.args.batchNumber, e.args.newRoot?.toString()]),
      [
        [1n, r1.newRoot],
        [2n, r2.newRoot],
      ],
    );
    const status = a.status();
    assert.equal(status.state, "idle");
    assert.equal(status.anchoredBatch, 2);
    assert.equal(status.chainId, chain.anvil.chainId);
    assert.equal(status.anchor, chain.deployment.anchor);
    assert.equal(status.fatal, false);
    await stop(a);
  });

  test("behavior: a fresh anchorer after a restart sends nothing and leaves the records anchored", async () => {
    const before1 = await record(1);
    const before2 = await record(2);
    const a = anchorer();
    await until(() => a.status().anchoredBatch === 2 && a.status().state === "idle", "re-synced");
    await sleep(300);
    assert.equal(await nonce(), 2);
    assert.deepEqual(await record(1), before1);
    assert.deepEqual(await record(2), before2);
    await stop(a);
  });

  test("behavior: proven records whose batches are on chain (lost receipts) are marked anchored without a transaction", async () => {
    const originals = [await record(1), await record(2)];
    for (const r of originals) {
      const { anchorTx: _t, anchorBlock: _b, anchoredAt: _a, ...rest } = r;
      await rollup.updateBatch({ ...rest, status: "proven" });
    }
    const a = anchorer();
    await until(async () => (await record(2)).status === "anchored" && (await record(1)).status === "anchored", "recognised");
    assert.equal(await nonce(), 2, "no transaction");
    assert.deepEqual(await record(1), originals[0], "tx, block and time recovered from the BatchAnchored logs");
    assert.deepEqual(await record(2), originals[1]);
    await stop(a);
  });

  test("error: an invalid proof is rejected by simulation, without a transaction and without a hot loop", async () => {
    const r3 = await records.next(1);
    const proof = r3.proof!;
    await rollup.cut({ ...r3, proof: { ...proof, pi_a: proof.pi_c } });
    const before = logs.length;
    const a = anchorer();
    await until(() => a.status().state === "error", "error state");
    await sleep(500);
    const status = a.status();
    assert.equal(status.fatal, false);
    assert.match(status.lastError ?? "", /TinyCloudAnchor__InvalidProof\(3\)/);
    assert.equal(logs.slice(before).filter((l) => l.includes("rejected")).length, 1, "rejected once, not retried while the record is unchanged");
    assert.equal(await nonce(), 2);

    // The batch is proven again: anchored on the next round.
    await rollup.updateBatch(r3);
    a.notify();
    await until(async () => (await record(3)).status === "anchored", "batch 3 anchored");
    assert.equal(await nonce(), 3);
    assert.equal((await chainRoot(3)).toString(), r3.newRoot);
    assert.equal(a.status().state, "idle");
    await stop(a);
  });

  test("error: RPC failures (503, dropped connections, lost responses) are retried; the batch is anchored exactly once", async () => {
    const r4 = await records.next(2);
    await rollup.cut(r4);
    let sends = 0;
    const proxy = await startFaultProxy(chain.anvil.rpcUrl, (i, methods) => {
      if (i < 6) return i % 2 === 0 ? "503" : "drop";
      if (methods.includes("eth_sendRawTransaction")) {
        sends++;
        if (sends === 1) return "drop"; // never reaches anvil
        if (sends === 2) return "drop-response"; // reaches anvil, the answer is lost
      }
      return undefined;
    });
    try {
      const clients = createChainClients({ rpcUrl: proxy.url, chainId: chain.anvil.chainId, privateKey: chain.anvil.accounts[1]!.privateKey, retryCount: 0, pollingIntervalMs: 50 });
      const states = new Set<string>();
      const a = anchorer({ publicClient: clients.publicClient, walletClient: clients.walletClient! });
      const watch = setInterval(() => states.add(a.status().state), 5);
      await until(async () => (await record(4)).status === "anchored", "batch 4 anchored through the faulty proxy");
      clearInterval(watch);
      assert.ok(states.has("retrying"), `went through "retrying" (saw ${[...states].join(", ")})`);
      assert.equal(proxy.injected["503"], 3);
      assert.equal(proxy.injected.drop, 4);
      assert.equal(proxy.injected["drop-response"], 1);
      assert.equal(sends, 2, "the lost broadcast was repeated once, byte for byte");
      assert.equal(await nonce(), 4, "exactly one transaction for batch 4");
      assert.equal((await chainRoot(4)).toString(), r4.newRoot);
      await stop(a);
    } finally {
      await proxy.close();
    }
  });

  test("behavior: a transaction persisted but never broadcast (crash) is replaced by a new one", async () => {
    const r5 = await records.next(1);
    const ghost = `0x${"ab".repeat(32)}`;
    await rollup.cut({ ...r5, anchorTx: ghost });
    const a = anchorer();
    await until(async () => (await record(5)).status === "anchored", "batch 5 anchored");
    const stored = await record(5);
    assert.notEqual(stored.anchorTx, ghost);
    assert.equal(await nonce(), 5);
    await stop(a);
  });

  test("behavior: with confirmations = 2 a batch is anchored only once another block is mined", async () => {
    const r6 = await records.next(2);
    await rollup.cut(r6);
    const a = anchorer({ confirmations: 2 });
    await until(async () => (await record(6)).anchorTx !== undefined && (await latest()) === 6n, "batch 6 mined");
    await sleep(400);
    assert.equal((await record(6)).status, "proven", "one confirmation is not enough");
    assert.equal(a.status().state, "confirming");
    assert.equal(a.status().anchoredBatch, 5);
    await chain.owner.publicClient.request({ method: "anvil_mine" as never, params: ["0x1"] as never });
    await until(async () => (await record(6)).status === "anchored", "batch 6 anchored after a second confirmation");
    const stored = await record(6);
    const receipt = await chain.owner.publicClient.getTransactionReceipt({ hash: stored.anchorTx as Hash });
    assert.equal(stored.anchorBlock, Number(receipt.blockNumber));
    assert.equal(a.status().anchoredBatch, 6);
    assert.equal(await nonce(), 6);
    await stop(a);
  });

  test("behavior: after a chain reset and a redeploy at the same addresses, anchored batches are anchored again", async () => {
    const chain2 = await startTestChain();
    try {
      assert.equal(chain2.deployment.anchor, chain.deployment.anchor, "same deployer, same nonces: same addresses");
      const read = chain2.owner.publicClient;
      const latest2 = () => read.readContract({ address: chain2.deployment.anchor, abi: ANCHOR_ABI, functionName: "latestBatch" });
      const a = anchorer({ publicClient: chain2.sequencer.publicClient, walletClient: chain2.sequencer.walletClient!, deployment: chain2.deployment });
      await until(async () => (await latest2()) === 6n && (await record(6)).status === "anchored", "re-anchored on the new chain");
      for (let n = 1; n <= 6; n++) {
        const r = await record(n);
        assert.equal(r.status, "anchored");
        assert.equal((await read.readContract({ address: chain2.deployment.anchor, abi: ANCHOR_ABI, functionName: "roots", args: [BigInt(n)] })).toString(), r.newRoot);
        assert.equal((await read.getTransactionReceipt({ hash: r.anchorTx as Hash })).status, "success");
      }
      assert.equal(await read.getTransactionCount({ address: sequencer() }), 6);
      await stop(a);
    } finally {
      await chain2.stop();
    }
  });

  test("error: a chain holding a different history stops anchoring with a clear, fatal error", async () => {
    const otherDir = await mkdtemp(join(tmpdir(), "tinycloud-anchorer-other-"));
    const other = new NodeStore(join(otherDir, "db"));
    await other.open();
    try {
      const otherRollup = new RollupStore(other);
      const r1 = await record(1);
      await otherRollup.cut({ ...r1, newRoot: "12345", status: "cut" });
      const a = anchorer({ rollup: otherRollup });
      await until(() => a.status().state === "error", "fatal error");
      const status = a.status();
      assert.equal(status.fatal, true);
      assert.match(status.lastError ?? "", /different history: the anchor's root of batch 1 is \d+, this node's is 12345/);
      assert.equal(await nonce(), 6);
      await stop(a);
    } finally {
      await other.close();
      await rm(otherDir, { recursive: true, force: true });
    }
  });
});
