/**
 * Prover pool, both modes, with real snarkjs proofs of a real circuit (circomlib Poseidon(2), compiled
 * with circom2, throwaway power-8 ptau) and, for Redis mode, the real Redis at REDIS_URL (default
 * 127.0.0.1:6379) with the worker in a child process.
 *
 * Every Redis test uses its own queue name and obliterates it at the end.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import Fastify from "fastify";
import { ProverError, type ProofResult } from "../../prover/backends/backend.js";
import { groth16BackendSpec } from "../../prover/backends/groth16.js";
import { loadSnarkjs, terminateCurves, type Groth16Proof } from "../../prover/backends/snarkjs-api.js";
import { BullMqProverPool } from "../../prover/pool/bullmq.js";
import { mountQueueDashboard } from "../../prover/pool/dashboard.js";
import { EmbeddedProverPool } from "../../prover/pool/embedded.js";
import { createProverMetrics, mountMetrics } from "../../prover/pool/metrics.js";
import type { ProgressEvent } from "../../prover/pool/types.js";
import { proverFixture, type ProverFixture } from "../helpers/prover-fixture.js";
import { killAllProverWorkers, spawnProverWorker } from "../helpers/prover-worker.js";
import { until } from "../helpers/until.js";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

let fx: ProverFixture;
let vkey: unknown;
let tmp: string;

before(async () => {
  fx = await proverFixture();
  vkey = JSON.parse(readFileSync(fx.artifacts.vkey, "utf8"));
  tmp = await mkdtemp(join(tmpdir(), "tinycloud-prover-pool-"));
});

after(async () => {
  await killAllProverWorkers();
  await terminateCurves();
  await rm(tmp, { recursive: true, force: true });
});

async function assertVerifies(result: ProofResult, batch: number): Promise<void> {
  assert.equal(result.backend, "groth16");
  assert.equal(result.circuit, fx.circuit);
  // Public signals: [h = Poseidon(a, b), a]; a identifies the batch's input.
  assert.equal(result.publicSignals[1], fx.input(batch).a);
  const snarkjs = await loadSnarkjs();
  assert.equal(await snarkjs.groth16.verify(vkey, result.publicSignals, result.proof as Groth16Proof), true, `proof of batch ${batch} verifies`);
  // And not for another statement.
  const forged = [...result.publicSignals];
  forged[1] = String(BigInt(forged[1] as string) + 1n);
  assert.equal(await snarkjs.groth16.verify(vkey, forged, result.proof as Groth16Proof), false);
  assert.ok(result.proveSeconds > 0 && result.witnessSeconds >= 0);
}

describe("embedded prover pool (worker threads, no Redis)", () => {
  let pool: EmbeddedProverPool;
  before(() => {
    pool = new EmbeddedProverPool({ backend: groth16BackendSpec({ circuits: fx.circuits }), size: 1 });
  });
  after(() => pool.close());

  test("proves a batch; the proof verifies against the vkey; progress goes load → witness → prove → verify → done", async () => {
    const events: ProgressEvent[] = [];
    const result = await pool.submit({ batch: 1, circuit: fx.circuit, input: fx.input(1) }, { onProgress: (e) => events.push(e) });
    await assertVerifies(result, 1);
    assert.deepEqual(
      events.map((e) => e.phase),
      ["start", "load", "witness", "prove", "verify", "done"],
    );
    assert.ok(events.every((e, i) => e.batch === 1 && (i === 0 || e.fraction >= (events[i - 1] as ProgressEvent).fraction)));
    assert.equal(await pool.depth(), 0);
    assert.equal(await pool.result(1), result);
  });

  test("the same batch submitted twice (concurrently, then again after it finished) is proven once", async () => {
    const starts: number[] = [];
    const off = pool.onProgress((e) => {
      if (e.phase === "start") starts.push(e.batch);
    });
    const job = { batch: 2, circuit: fx.circuit, input: fx.input(2) };
    const p1 = pool.submit(job);
    const p2 = pool.submit({ ...job, input: { ...fx.input(2) } });
    assert.equal(p1, p2, "same promise");
    const [r1, r2] = await Promise.all([p1, p2]);
    assert.equal(r1, r2);
    const r3 = await pool.submit(job);
    assert.equal(r3, r1, "finished batch: same result, not proven again");
    off();
    assert.deepEqual(starts, [2], "one proving run");
    await assertVerifies(r1, 2);
    // The same batch number with another input is a caller bug, not a second proof.
    await assert.rejects(pool.submit({ batch: 2, circuit: fx.circuit, input: fx.input(3) }), (e: unknown) => e instanceof ProverError && e.code === "PROVER_JOB_CONFLICT");
  });

  test("typed failures: bad input → PROVER_WITNESS_FAILED, unknown circuit → PROVER_CIRCUIT_UNKNOWN, bad job → PROVER_BAD_JOB; a failed batch can be retried", async () => {
    await assert.rejects(pool.submit({ batch: 10, circuit: fx.circuit, input: { a: "1" } }), (e: unknown) => e instanceof ProverError && e.code === "PROVER_WITNESS_FAILED");
    await assert.rejects(pool.submit({ batch: 11, circuit: "no-such-circuit", input: {} }), (e: unknown) => e instanceof ProverError && e.code === "PROVER_CIRCUIT_UNKNOWN");
    await assert.rejects(pool.submit({ batch: -1, circuit: fx.circuit, input: {} }), (e: unknown) => e instanceof ProverError && e.code === "PROVER_BAD_JOB");
    // Batch 10 failed, so it is not remembered: submitting it with a good input proves it.
    await assertVerifies(await pool.submit({ batch: 10, circuit: fx.circuit, input: fx.input(10) }), 10);
  });

  test("a job over its time limit has its thread terminated (PROVER_TIMEOUT); the pool replaces the thread and goes on", async () => {
    const logFile = join(tmp, "timeout-runs.jsonl");
    await writeFile(logFile, "");
    const slow = new EmbeddedProverPool({
      backend: { module: new URL("../helpers/slow-prover-backend.ts", import.meta.url).href, options: { circuits: fx.circuits, delayMs: 5000, logFile } },
      jobTimeoutMs: 800,
    });
    try {
      const started = performance.now();
      await assert.rejects(slow.submit({ batch: 1, circuit: fx.circuit, input: fx.input(1) }), (e: unknown) => e instanceof ProverError && e.code === "PROVER_TIMEOUT" && e.retryable);
      assert.ok(performance.now() - started < 4000, "not waiting for the slow job");
      assert.equal(slow.threads, 0, "the stuck thread is gone");
      // The next job gets a fresh thread (and, with a 5 s delay, times out the same way: the point is it runs).
      await assert.rejects(slow.submit({ batch: 2, circuit: fx.circuit, input: fx.input(2) }), (e: unknown) => e instanceof ProverError && e.code === "PROVER_TIMEOUT");
      const runs = readFileSync(logFile, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { event: string; batch: number });
      assert.deepEqual(
        runs.map((r) => `${r.event}:${r.batch}`),
        ["start:1", "start:2"],
      );
    } finally {
      await slow.close();
    }
  });
});

describe("BullMQ prover pool (Redis, worker in a child process)", () => {
  const queueName = `tinycloud-test-proofs-${process.pid}-${randomBytes(4).toString("hex")}`;
  let pool: BullMqProverPool;

  before(async () => {
    const circuitsFile = join(tmp, "circuits.json");
    await writeFile(circuitsFile, JSON.stringify(fx.circuits));
    pool = new BullMqProverPool({ connection: REDIS_URL, queueName, backoffMs: 200 });
    await pool.ready();
    await spawnProverWorker(["--redis", REDIS_URL, "--queue", queueName, "--circuits", circuitsFile, "--concurrency", "1", "--stalled-interval", "1000", "--lock-duration", "5000"]);
  });

  after(async () => {
    await killAllProverWorkers();
    await pool.queue.obliterate({ force: true });
    await pool.close();
  });

  test("proves 3 batches in the worker process; every proof verifies; progress events arrive for each", async () => {
    const progress = new Map<number, string[]>();
    const off = pool.onProgress((e) => progress.set(e.batch, [...(progress.get(e.batch) ?? []), e.phase]));
    const results = await Promise.all([1, 2, 3].map((n) => pool.submit({ batch: n, circuit: fx.circuit, input: fx.input(n) })));
    // Progress events travel separately from the completion event: give the last ones a moment.
    await until(() => [1, 2, 3].every((n) => (progress.get(n) ?? []).includes("done")), 'progress "done" of batches 1, 2 and 3', { timeoutMs: 1000 });
    off();
    for (const [i, result] of results.entries()) await assertVerifies(result, i + 1);
    for (const n of [1, 2, 3]) {
      const phases = progress.get(n) ?? [];
      for (const phase of ["witness", "prove", "done"]) assert.ok(phases.includes(phase), `batch ${n} progress has ${phase}: ${phases.join(",")}`);
    }
    for (const n of [1, 2, 3]) assert.equal(await pool.state(n), "completed");
    assert.equal(await pool.depth(), 0);
  });

  test("idempotent by batch: submitting a finished batch again returns the stored result (job batch-<n>, no second run)", async () => {
    await pool.submit({ batch: 5, circuit: fx.circuit, input: fx.input(5) });
    const before = await pool.queue.getJob("batch-5");
    const completed = (await pool.queue.getJobCounts("completed")).completed;
    const again = await pool.submit({ batch: 5, circuit: fx.circuit, input: fx.input(5) });
    const afterJob = await pool.queue.getJob("batch-5");
    assert.equal(afterJob?.attemptsStarted, before?.attemptsStarted);
    assert.equal(afterJob?.finishedOn, before?.finishedOn);
    assert.deepEqual(again.publicSignals, (before?.returnvalue as ProofResult).publicSignals);
    assert.equal((await pool.queue.getJobCounts("completed")).completed, completed, "no new job");
  });

  test("typed failures cross Redis: witness failure → PROVER_WITNESS_FAILED after one attempt (not retried)", async () => {
    await assert.rejects(pool.submit({ batch: 20, circuit: fx.circuit, input: { a: "5" } }), (e: unknown) => e instanceof ProverError && e.code === "PROVER_WITNESS_FAILED");
    assert.equal((await pool.queue.getJob("batch-20"))?.attemptsMade, 1);
    await assert.rejects(pool.submit({ batch: 21, circuit: "no-such-circuit", input: {} }), (e: unknown) => e instanceof ProverError && e.code === "PROVER_CIRCUIT_UNKNOWN");
  });

  test("metrics: prove-seconds histogram, queue depth gauge, batch lag gauge; bull-board at /admin/queues and /metrics on Fastify", async (t) => {
    // Its own pool handle and registry on the queue: the counts below are this test's jobs only.
    const metrics = createProverMetrics();
    const own = new BullMqProverPool({ connection: REDIS_URL, queueName, backoffMs: 200, metrics });
    t.after(() => own.close());
    await own.submit({ batch: 30, circuit: fx.circuit, input: fx.input(30) });
    await assert.rejects(own.submit({ batch: 31, circuit: fx.circuit, input: { a: "5" } }), (e: unknown) => e instanceof ProverError && e.code === "PROVER_WITNESS_FAILED");
    metrics.setBatchLag(2);
    const text = await metrics.text();
    assert.match(text, /tinycloud_prove_seconds_count\{backend="groth16",circuit="poseidon2"\} [1-9]/);
    assert.match(text, /tinycloud_proof_queue_depth 0/);
    assert.match(text, /tinycloud_batch_lag 2/);
    assert.match(text, /tinycloud_proofs_total\{backend="unknown",circuit="poseidon2",outcome="failed"\} 1/);

    const app = Fastify();
    t.after(() => app.close());
    await mountQueueDashboard(app, [own.queue]);
    mountMetrics(app, metrics);
    await app.ready();
    const page = await app.inject({ method: "GET", url: "/admin/queues" });
    assert.equal(page.statusCode, 200);
    assert.match(page.headers["content-type"] as string, /text\/html/);
    const api = await app.inject({ method: "GET", url: "/admin/queues/api/queues" });
    assert.equal(api.statusCode, 200);
    const names = (api.json() as { queues: { name: string }[] }).queues.map((q) => q.name);
    assert.ok(names.includes(queueName), `dashboard lists ${queueName}: ${names.join(",")}`);
    const scraped = await app.inject({ method: "GET", url: "/metrics" });
    assert.equal(scraped.statusCode, 200);
    assert.match(scraped.body, /tinycloud_prove_seconds_bucket/);
  });
});
