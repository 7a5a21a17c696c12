/**
 * Cost that grows with history: latency of `/rollup/proof?batch=<past>` and of `/rollup/status` and
 * `/rollup/entries` on a node with 50, 500 and 1,000 one-update batches (5 keys rewritten over and over).
 * Past batches are picked round-robin among batches older than the worker's recent views where there are
 * any (so each request forks a checkpoint and replays the batches after it; the 16-view LRU is defeated),
 * else among all. Figures should not grow with the number of batches.
 */
import { signIn } from "../../node/client/client.js";
import { RECENT_VIEWS } from "../../node/rollup/tree-worker.js";
import { startTestNode } from "../helpers/node.js";
import { until } from "../helpers/until.js";
import { testWallet } from "../helpers/wallets.js";
import { fmt, measure, printTable } from "./harness.js";

const SIZES = [50, 500, 1000];

async function ok(url: string): Promise<void> {
  const response = await fetch(url);
  if (response.status !== 200) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  await response.arrayBuffer();
}

export async function run(): Promise<void> {
  const rows: string[][] = [["batches", "past-batch proof ms", "status ms", "entries?limit=50 ms"]];
  for (const size of SIZES) {
    const node = await startTestNode({ batchMaxUpdates: 1, batchMaxDelayMs: 20 });
    try {
      const session = await signIn({ url: node.url, wallet: testWallet(0x52) });
      for (let i = 0; i < size; i++) await session.kv.put(`k/${i % 5}`, `value ${i}`);
      await until(async () => node.sequencer?.latestBatch === size && node.sequencer.pendingUpdates === 0, "every write batched", { timeoutMs: 300_000 });
      const uri = encodeURIComponent(`${session.spaceId}/kv/k/3`);
      const oldest = size > RECENT_VIEWS ? size - RECENT_VIEWS : size;
      const proof = await measure(`proof n=${size}`, (i) => ok(`${node.url}/rollup/proof?uri=${uri}&batch=${1 + ((i * 7) % oldest)}`), 1);
      const status = await measure(`status n=${size}`, () => ok(`${node.url}/rollup/status`), 1);
      const entries = await measure(`entries n=${size}`, () => ok(`${node.url}/rollup/entries?limit=50`), 1);
      rows.push([String(size), fmt(1000 / proof.opsPerSecond, 2), fmt(1000 / status.opsPerSecond, 2), fmt(1000 / entries.opsPerSecond, 2)]);
    } finally {
      await node.stop();
    }
  }
  printTable("Rollup read routes against history length (one update per batch; lower is better)", rows);
}
