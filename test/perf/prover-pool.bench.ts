/**
 * Prover pool benchmark: N batches of the Poseidon(2) test circuit (test/helpers/prover-fixture.ts)
 * proven through the BullMQ pool (Redis at REDIS_URL, one `tinycloud prover` worker process,
 * concurrency 1) vs N bare `snarkjs.groth16.fullProve` calls on the same inputs in this process.
 * Target: pool throughput / bare throughput >= 0.95 (the queue, Redis round trips, progress events and
 * the verify-before-return must cost less than what keeping the wasm/zkey loaded saves).
 * The embedded pool (worker threads) is measured too. Both sides are warmed up first (snarkjs' bn128
 * thread pool is built once per process/thread); timings are summed over ROUNDS rounds.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ProofResult } from "../../prover/backends/backend.js";
import { groth16BackendSpec } from "../../prover/backends/groth16.js";
import { loadSnarkjs, terminateCurves } from "../../prover/backends/snarkjs-api.js";
import { BullMqProverPool } from "../../prover/pool/bullmq.js";
import { EmbeddedProverPool } from "../../prover/pool/embedded.js";
import type { ProverPool } from "../../prover/pool/types.js";
import { proverFixture } from "../helpers/prover-fixture.js";
import { spawnProverWorker } from "../helpers/prover-worker.js";
import { fmt, printTable } from "./harness.js";

const N = Number(process.env.PROVER_BENCH_BATCHES ?? 12);
const ROUNDS = Number(process.env.PROVER_BENCH_ROUNDS ?? 3);
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

export async function run(): Promise<void> {
  const t0 = performance.now();
  const fx = await proverFixture();
  console.log(`\nprover-pool: fixture ready in ${((performance.now() - t0) / 1000).toFixed(1)} s (${fx.dir}); ${N} batches × ${ROUNDS} rounds`);
  const snarkjs = await loadSnarkjs();
  const tmp = await mkdtemp(join(tmpdir(), "tinycloud-prover-bench-"));
  const queueName = `tinycloud-bench-proofs-${process.pid}-${randomBytes(4).toString("hex")}`;
  const circuitsFile = join(tmp, "circuits.json");
  await writeFile(circuitsFile, JSON.stringify(fx.circuits));

  const bullmq = new BullMqProverPool({ connection: REDIS_URL, queueName });
  const embedded = new EmbeddedProverPool({ backend: groth16BackendSpec({ circuits: fx.circuits }), size: 1 });
  const worker = await spawnProverWorker(["--redis", REDIS_URL, "--queue", queueName, "--circuits", circuitsFile, "--concurrency", "1", "--quiet"]);
  try {
    await bullmq.ready();
    await embedded.start();
    // Warm-up: one proof each (bn128 thread pools, JIT).
    await snarkjs.groth16.fullProve(fx.input(0), fx.artifacts.wasm, fx.artifacts.zkey);
    await bullmq.submit({ batch: 0, circuit: fx.circuit, input: fx.input(0) });
    await embedded.submit({ batch: 0, circuit: fx.circuit, input: fx.input(0) });

    let bareSeconds = 0;
    let bullSeconds = 0;
    let embeddedSeconds = 0;
    const bullResults: ProofResult[] = [];
    const embeddedResults: ProofResult[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      let start = performance.now();
      for (let i = 1; i <= N; i++) await snarkjs.groth16.fullProve(fx.input(i), fx.artifacts.wasm, fx.artifacts.zkey);
      bareSeconds += (performance.now() - start) / 1000;

      start = performance.now();
      bullResults.push(...(await throughPool(bullmq, round, N, fx.circuit, fx.input)));
      bullSeconds += (performance.now() - start) / 1000;

      start = performance.now();
      embeddedResults.push(...(await throughPool(embedded, round, N, fx.circuit, fx.input)));
      embeddedSeconds += (performance.now() - start) / 1000;
    }
    const total = N * ROUNDS;
    const bareRate = total / bareSeconds;
    const mean = (rs: ProofResult[], k: "witnessSeconds" | "proveSeconds") => rs.reduce((a, r) => a + r[k], 0) / rs.length;
    const poolRow = (mode: string, seconds: number, results: ProofResult[]) => {
      const rate = total / seconds;
      return [mode, fmt(rate, 2), fmt((1000 * seconds) / total, 1), fmt(1000 * mean(results, "witnessSeconds"), 2), fmt(1000 * mean(results, "proveSeconds"), 1), fmt(rate / bareRate, 2)];
    };
    printTable(`Prover pool vs bare snarkjs.groth16.fullProve (Poseidon(2), ${total} proofs per mode; pool proofs are verified before return)`, [
      ["mode", "proofs/s", "ms/proof", "witness ms (mean)", "prove ms (mean)", "ratio vs bare (target >= 0.95)"],
      ["bare fullProve, one process", fmt(bareRate, 2), fmt((1000 * bareSeconds) / total, 1), "-", "-", "1.00"],
      poolRow("BullMQ pool, 1 worker process", bullSeconds, bullResults),
      poolRow("embedded pool, 1 worker thread", embeddedSeconds, embeddedResults),
    ]);
  } finally {
    await worker.stop();
    await bullmq.queue.obliterate({ force: true });
    await bullmq.close();
    await embedded.close();
    await terminateCurves();
    await rm(tmp, { recursive: true, force: true });
  }
}

async function throughPool(pool: ProverPool, round: number, n: number, circuit: string, input: (i: number) => Record<string, string>): Promise<ProofResult[]> {
  const jobs = Array.from({ length: n }, (_, k) => pool.submit({ batch: round * 1000 + k + 1, circuit, input: input(k + 1) }));
  return await Promise.all(jobs);
}

// `node --import tsx test/perf/prover-pool.bench.ts` runs it alone.
if (import.meta.url === `file://${process.argv[1]}`) await run();
