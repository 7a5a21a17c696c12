/**
 * Crash recovery in Redis mode: a prover worker process is SIGKILLed in the middle of a job; a second
 * worker is started, BullMQ's stalled-job check (short `stalledInterval` / `lockDuration` here) moves
 * the job back to the queue, and the batch is proven exactly once: one `completed` event, one
 * finished proving run (logged by the test backend), a proof that verifies, job state `completed`.
 *
 * The backend is Groth16 behind a deliberate 3 s delay (`test/helpers/slow-prover-backend.ts`), so the
 * kill provably lands mid-job: after the job reported "slow" progress and before it could finish.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { ProofResult } from "../../prover/backends/backend.js";
import { loadSnarkjs, terminateCurves, type Groth16Proof } from "../../prover/backends/snarkjs-api.js";
import { BullMqProverPool } from "../../prover/pool/bullmq.js";
import { proverFixture, type ProverFixture } from "../helpers/prover-fixture.js";
import { killAllProverWorkers, slowBackendWorkerArgs, spawnProverWorker } from "../helpers/prover-worker.js";
import type { SlowBackendLogLine } from "../helpers/slow-prover-backend.js";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

let fx: ProverFixture;
let tmp: string;
let pool: BullMqProverPool;
const queueName = `tinycloud-test-recovery-${process.pid}-${randomBytes(4).toString("hex")}`;

before(async () => {
  fx = await proverFixture();
  tmp = await mkdtemp(join(tmpdir(), "tinycloud-prover-recovery-"));
  pool = new BullMqProverPool({ connection: REDIS_URL, queueName, pollIntervalMs: 500 });
  await pool.ready();
});

after(async () => {
  await killAllProverWorkers();
  await pool.queue.obliterate({ force: true });
  await pool.close();
  await terminateCurves();
  await rm(tmp, { recursive: true, force: true });
});

test("kill -9 of a prover worker mid-job: a second worker picks the job up and the batch is proven exactly once", async () => {
  const logFile = join(tmp, "runs.jsonl");
  await writeFile(logFile, "");
  const workerArgs = [
    ...slowBackendWorkerArgs(REDIS_URL, queueName, { circuits: fx.circuits, delayMs: 3000, logFile }),
    "--stalled-interval",
    "1000",
    "--lock-duration",
    "2000",
    "--max-stalled-count",
    "2",
  ];
  const completed: string[] = [];
  const stalled: string[] = [];
  pool.events.on("completed", ({ jobId }) => completed.push(jobId));
  pool.events.on("stalled", ({ jobId }) => stalled.push(jobId));

  const first = await spawnProverWorker(workerArgs);
  let sawSlow!: () => void;
  const slowSeen = new Promise<void>((resolve) => (sawSlow = resolve));
  const result = pool.submit({ batch: 7, circuit: fx.circuit, input: fx.input(7) }, { onProgress: (e) => e.phase === "slow" && sawSlow() });
  await slowSeen;
  assert.equal(await pool.state(7), "active", "the first worker holds the job");
  await first.kill9();

  const second = await spawnProverWorker(workerArgs);
  const proven: ProofResult = await result;
  // Anything still to come (a duplicate completion) would arrive within a stalled interval or two.
  await new Promise((r) => setTimeout(r, 2500));

  const runs = readFileSync(logFile, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as SlowBackendLogLine);
  assert.deepEqual(
    runs.filter((r) => r.batch === 7),
    [
      { event: "start", batch: 7, pid: first.pid },
      { event: "start", batch: 7, pid: second.pid },
      { event: "end", batch: 7, pid: second.pid },
    ],
    "started by the killed worker, started again and finished once by the second",
  );
  assert.deepEqual(completed, ["batch-7"], "exactly one completed event");
  assert.ok(stalled.includes("batch-7"), "the job was recovered by the stalled-job check");
  const job = await pool.queue.getJob("batch-7");
  assert.equal(await job?.getState(), "completed");
  assert.equal(job?.attemptsMade, 1, "a stall is not a failed attempt");
  assert.deepEqual((job?.returnvalue as ProofResult).publicSignals, proven.publicSignals);
  assert.equal((await pool.queue.getJobCounts("completed")).completed, 1);

  const vkey: unknown = JSON.parse(readFileSync(fx.artifacts.vkey, "utf8"));
  const snarkjs = await loadSnarkjs();
  assert.equal(await snarkjs.groth16.verify(vkey, proven.publicSignals, proven.proof as Groth16Proof), true);
  assert.equal(proven.publicSignals[1], fx.input(7).a);
  await second.stop();
});

test("the worker CLI refuses a missing Redis URL and an unreadable circuit table (exit 2, message)", async () => {
  const { spawnSync } = await import("node:child_process");
  const node = new URL("../../node_modules/.bin/node", import.meta.url).pathname;
  const main = new URL("../../cli/main.ts", import.meta.url).pathname;
  const env = { ...process.env };
  delete env.REDIS_URL;
  const noRedis = spawnSync(node, ["--import", "tsx", main, "prover"], { encoding: "utf8", env });
  assert.equal(noRedis.status, 2);
  assert.match(noRedis.stderr, /--redis <url> \(or REDIS_URL\) is required/);
  const noCircuits = spawnSync(node, ["--import", "tsx", main, "prover", "--redis", REDIS_URL, "--circuits", "/nonexistent/circuits.json"], { encoding: "utf8", env });
  assert.equal(noCircuits.status, 2);
  assert.match(noCircuits.stderr, /cannot read --circuits \/nonexistent\/circuits.json/);
});
