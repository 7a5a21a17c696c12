/**
 * Issue #5 benchmark: write-to-anchored latency on the embedded stack (anvil on loopback, contracts
 * deployed by the node, embedded prover pool, anchorer with 1 confirmation), batches of 1 at the
 * production depth (16, circuit epoch_transition_1). Each sample: one KV put through the HTTP API,
 * then poll /rollup/status until the batch holding it is anchored on chain. Target: ≤ 15 s.
 * Split: put → cut (sequencer delay), cut → proven (Groth16), proven → anchored (tx + confirmation).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { signIn } from "../../node/client/client.js";
import type { BatchRecord } from "../../node/rollup/types.js";
import { startNode } from "../../node/server/node.js";
import { releaseSnarkjsWorkers } from "../../prover/setup/artifacts.js";
import { until } from "../helpers/until.js";
import { testWallet } from "../helpers/wallets.js";
import { fmt, printTable } from "./harness.js";

const SAMPLES = Number(process.env["BENCH_STACK_SAMPLES"] ?? 5);
const DELAY_MS = 100;

export async function run(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), "tinycloud-bench-stack-"));
  const node = await startNode({ port: 0, dataDir, quiet: true, chain: "embedded", chainPort: 0, circuits: ["epoch_transition_1"], batchMaxUpdates: 1, batchMaxDelayMs: DELAY_MS });
  try {
    const session = await signIn({ url: node.url, wallet: testWallet(0x77) });
    const rows: string[][] = [["sample", "put→cut ms", "cut→proven ms", "proven→anchored ms", "put→anchored ms"]];
    const totals: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const batch = (node.sequencer?.latestBatch ?? 0) + 1;
      const t0 = Date.now();
      await session.kv.put(`bench/${i}`, `value ${i}`);
      const record = await until(
        async () => {
          const response = await fetch(`${node.url}/rollup/batches/${batch}`);
          const found = response.status === 200 ? ((await response.json()) as BatchRecord) : undefined;
          return found?.status === "anchored" ? found : undefined;
        },
        `batch ${batch} anchored`,
        { timeoutMs: 120_000, intervalMs: 25 },
      );
      const t1 = Date.now();
      totals.push(t1 - t0);
      rows.push([String(i + 1), fmt(record.cutAt - t0), fmt((record.provenAt ?? 0) - record.cutAt), fmt(t1 - (record.provenAt ?? 0)), fmt(t1 - t0)]);
    }
    const sorted = [...totals].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)] as number;
    printTable(`write → anchored on the embedded stack (depth 16, B = 1, ${DELAY_MS} ms batch delay, 1 confirmation)`, rows);
    console.log(`  median ${fmt(median)} ms, worst ${fmt(sorted[sorted.length - 1] as number)} ms — target ≤ 15,000 ms: ${median <= 15_000 ? "met" : "NOT met"}`);
  } finally {
    await node.close();
    await rm(dataDir, { recursive: true, force: true });
    await releaseSnarkjsWorkers();
  }
}
