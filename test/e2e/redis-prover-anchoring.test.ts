/**
 * Redis mode end to end, run the way an operator runs it: `node bin/tinycloud.js node --redis URL`
 * (embedded anvil chain, contracts deployed on start) and a separate `node bin/tinycloud.js prover
 * --redis URL` process. A write is cut into batch 1, proven by the prover process through BullMQ and
 * anchored by the node: the batch reaches status "anchored" and the root the anchor contract stores for
 * it is the batch's newRoot.
 *
 * The node's queue has the default name, so the test gets its own Redis database (an empty one of
 * 1..15 on REDIS_URL, default 127.0.0.1:6379) and flushes it afterwards. Both processes use only the
 * depth-16 epoch_transition_1 (batches of one write), whose keys the other stack tests build too.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Redis } from "ioredis";
import { createPublicClient, getAddress, http } from "viem";
import { ANCHOR_ABI } from "../../contracts/abi.js";
import { signIn } from "../../node/client/client.js";
import type { BatchRecord } from "../../node/rollup/types.js";
import { BullMqProverPool } from "../../prover/pool/bullmq.js";
import { killAllChildNodes, spawnChildNode, type ChildNode } from "../helpers/child-node.js";
import { killAllProverWorkers, spawnProverCli, type ProverWorkerChild } from "../helpers/prover-worker.js";
import { until } from "../helpers/until.js";
import { testWallet } from "../helpers/wallets.js";

const REDIS_URL = process.env["REDIS_URL"] ?? "redis://127.0.0.1:6379";
/** On a cold .cache the prover process builds the depth-16 keys first: tens of minutes on a busy 2-core machine. */
const START_TIMEOUT_MS = 1_800_000;

interface Status {
  latestBatch: number;
  anchoredBatch: number;
  chain: { chainId: number; rpcUrl?: string; anchor: string } | null;
}

/** A Redis URL on a database of REDIS_URL that holds no keys, claimed with a marker key. */
async function emptyRedisDatabase(): Promise<{ url: string; flush(): Promise<void> }> {
  for (const db of [...Array(15).keys()].map((i) => i + 1).sort(() => Math.random() - 0.5)) {
    const url = new URL(REDIS_URL);
    url.pathname = `/${db}`;
    const client = new Redis(url.toString(), { lazyConnect: true, maxRetriesPerRequest: 1 });
    await client.connect();
    try {
      if ((await client.dbsize()) === 0 && (await client.set("tinycloud-test-claim", String(process.pid), "NX")) === "OK") {
        return {
          url: url.toString(),
          async flush() {
            const c = new Redis(url.toString(), { maxRetriesPerRequest: 1 });
            await c.flushdb();
            c.disconnect();
          },
        };
      }
    } finally {
      client.disconnect();
    }
  }
  throw new Error(`no empty Redis database on ${REDIS_URL}`);
}

describe("tinycloud node --redis with a separate tinycloud prover process", { timeout: 2 * START_TIMEOUT_MS + 300_000 }, () => {
  let dataDir: string;
  let redis: { url: string; flush(): Promise<void> } | undefined;
  let prover: ProverWorkerChild;
  let node: ChildNode;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "tinycloud-redis-anchoring-"));
    redis = await emptyRedisDatabase();
    prover = await spawnProverCli(["--redis", redis.url, "--setup-circuits", "epoch_transition_1"], START_TIMEOUT_MS);
    node = await spawnChildNode(dataDir, {
      prove: true,
      timeoutMs: START_TIMEOUT_MS,
      extraArgs: ["--redis", redis.url, "--circuits", "epoch_transition_1", "--chain", "embedded", "--chain-port", "0", "--batch-size", "1", "--batch-delay-ms", "200"],
    });
  });

  after(async () => {
    await killAllChildNodes();
    await killAllProverWorkers();
    await redis?.flush();
    await rm(dataDir, { recursive: true, force: true });
  });

  test("a write is proven by the prover process and anchored; the anchor stores the batch's newRoot", async () => {
    const session = await signIn({ url: node.url, wallet: testWallet(0x7e) });
    await session.kv.put("redis-mode", "proven elsewhere");

    const record = await until(
      async () => {
        const response = await fetch(`${node.url}/rollup/batches/1`);
        if (response.status !== 200) return undefined;
        const batch = (await response.json()) as BatchRecord;
        return batch.status === "anchored" ? batch : undefined;
      },
      "batch 1 anchored",
      { timeoutMs: 300_000, intervalMs: 250 },
    );

    const status = (await (await fetch(`${node.url}/rollup/status`)).json()) as Status;
    assert.ok(status.chain?.rpcUrl, "the node reports its embedded chain");
    assert.ok(status.anchoredBatch >= 1);
    const chain = createPublicClient({ transport: http(status.chain.rpcUrl) });
    const anchor = getAddress(status.chain.anchor);
    const onChain = await chain.readContract({ address: anchor, abi: ANCHOR_ABI, functionName: "roots", args: [1n] });
    assert.equal(onChain, BigInt(record.newRoot), "roots(1) on chain is batch 1's newRoot");
    assert.notEqual(record.newRoot, record.oldRoot, "the write changed the root");

    // The proof came from the prover process, through the node's queue in Redis.
    const queue = new BullMqProverPool({ connection: redis!.url });
    try {
      assert.equal(await queue.state(1), "completed");
      assert.deepEqual((await queue.result(1))?.publicSignals, record.publicSignals);
    } finally {
      await queue.close();
    }
    assert.match(prover.output(), /job batch-1 \(batch 1, circuit epoch_transition_1\) started/);
    assert.match(prover.output(), /job batch-1 proven in/);
  });
});
