/**
 * One conformance suite for the `ProverPool` contract (prover/pool/types.ts), run against both pools:
 * the embedded worker-thread pool (prover/pool/embedded.ts) and the BullMQ pool (prover/pool/bullmq.ts)
 * on the real Redis at REDIS_URL (default 127.0.0.1:6379) with `tinycloud prover` worker processes
 * (tinycloud prover).
 *
 * Proofs are real: snarkjs Groth16 over circomlib Poseidon(2) (test/helpers/prover-fixture.ts), behind
 * the logging backend of test/helpers/slow-prover-backend.ts, whose log counts proving runs per batch
 * in either pool. Every test builds its own pool (its own queue and workers in BullMQ mode).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ProverError, type ProofResult } from "../../prover/backends/backend.js";
import { loadSnarkjs, terminateCurves, type Groth16Proof } from "../../prover/backends/snarkjs-api.js";
import { BullMqProverPool } from "../../prover/pool/bullmq.js";
import { EmbeddedProverPool } from "../../prover/pool/embedded.js";
import type { ProverPool } from "../../prover/pool/types.js";
import { proverFixture, type ProverFixture } from "../helpers/prover-fixture.js";
import { killAllProverWorkers, slowBackendWorkerArgs, spawnProverWorker, type ProverWorkerChild } from "../helpers/prover-worker.js";
import type { SlowBackendLogLine } from "../helpers/slow-prover-backend.js";
import { until } from "../helpers/until.js";

const REDIS_URL = process.env["REDIS_URL"] ?? "redis://127.0.0.1:6379";
const LOGGING_BACKEND = new URL("../helpers/slow-prover-backend.ts", import.meta.url);

/** A pool under test, with its provers. */
interface PoolUnderTest {
  /** A node's handle on the pool; after closing one, `open()` again is the node coming back. */
  open(): Promise<ProverPool>;
  /**
   * Whether the provers outlive the node's handle, so a proof finished while the node was down is
   * collected when it comes back (BullMQ: provers are separate processes, results stay in Redis).
   * Embedded provers are threads of the node: closing the handle ends them.
   */
  readonly durable: boolean;
  /** Stop the provers taking jobs (durable pools): jobs submitted meanwhile wait in the queue. */
  pause(): Promise<void>;
  /** Let the provers take jobs again. */
  resume(): Promise<void>;
  /** Proving runs so far, from the backend's log: "start:<batch>" and "end:<batch>". */
  runs(): string[];
  dispose(): Promise<void>;
}

interface PoolOptions {
  readonly fx: ProverFixture;
  readonly dir: string;
  /** Each proof waits this long first (reporting "slow" progress). */
  readonly delayMs: number;
}

type PoolFactory = (options: PoolOptions) => Promise<PoolUnderTest>;

function backendLog(dir: string): { file: string; runs(): string[] } {
  const file = join(dir, `runs-${randomBytes(4).toString("hex")}.jsonl`);
  return {
    file,
    runs: () =>
      readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l) as SlowBackendLogLine)
        .map((r) => `${r.event}:${r.batch}`),
  };
}

const embeddedPool: PoolFactory = async ({ fx, dir, delayMs }) => {
  const log = backendLog(dir);
  await writeFile(log.file, "");
  const handles: EmbeddedProverPool[] = [];
  return {
    durable: false,
    async open() {
      const pool = new EmbeddedProverPool({ backend: { module: LOGGING_BACKEND.href, options: { circuits: fx.circuits, delayMs, logFile: log.file } }, size: 1 });
      handles.push(pool);
      return pool;
    },
    pause: () => Promise.reject(new Error("embedded provers are threads of the node: they stop only with it")),
    resume: () => Promise.reject(new Error("embedded provers are threads of the node: they stop only with it")),
    runs: log.runs,
    async dispose() {
      await Promise.all(handles.map((h) => h.close()));
    },
  };
};

const bullmqPool: PoolFactory = async ({ fx, dir, delayMs }) => {
  const log = backendLog(dir);
  await writeFile(log.file, "");
  const queueName = `tinycloud-test-conformance-${process.pid}-${randomBytes(4).toString("hex")}`;
  const workerArgs = [...slowBackendWorkerArgs(REDIS_URL, queueName, { circuits: fx.circuits, delayMs, logFile: log.file }), "--concurrency", "1"];
  const handles: BullMqProverPool[] = [];
  let workers: ProverWorkerChild[] = [await spawnProverWorker(workerArgs)];
  return {
    durable: true,
    async open() {
      const pool = new BullMqProverPool({ connection: REDIS_URL, queueName, backoffMs: 200, pollIntervalMs: 500 });
      await pool.ready();
      handles.push(pool);
      return pool;
    },
    async pause() {
      await Promise.all(workers.map((w) => w.stop()));
      workers = [];
    },
    async resume() {
      workers.push(await spawnProverWorker(workerArgs));
    },
    runs: log.runs,
    async dispose() {
      await Promise.all(workers.map((w) => w.kill9()));
      const admin = new BullMqProverPool({ connection: REDIS_URL, queueName });
      await admin.queue.obliterate({ force: true });
      await Promise.all([...handles, admin].map((h) => h.close()));
    },
  };
};

/** The ProverPool contract, for the pool `factory` makes. */
function proverPoolConformance(name: string, factory: PoolFactory): void {
  describe(`ProverPool conformance: ${name}`, { timeout: 240_000 }, () => {
    let fx: ProverFixture;
    let vkey: unknown;
    let dir: string;
    const live = new Set<PoolUnderTest>();

    before(async () => {
      fx = await proverFixture();
      vkey = JSON.parse(readFileSync(fx.artifacts.vkey, "utf8"));
      dir = await mkdtemp(join(tmpdir(), "tinycloud-pool-conformance-"));
    });

    after(async () => {
      await Promise.all([...live].map((p) => p.dispose()));
      await killAllProverWorkers();
      await terminateCurves();
      await rm(dir, { recursive: true, force: true });
    });

    async function poolUnderTest(delayMs = 0): Promise<PoolUnderTest> {
      const pool = await factory({ fx, dir, delayMs });
      live.add(pool);
      return pool;
    }

    async function assertProves(result: ProofResult, batch: number): Promise<void> {
      assert.equal(result.circuit, fx.circuit);
      // Public signals: [h = Poseidon(a, b), a]; a identifies the batch's input.
      assert.equal(result.publicSignals[1], fx.input(batch).a);
      const snarkjs = await loadSnarkjs();
      assert.equal(await snarkjs.groth16.verify(vkey, result.publicSignals, result.proof as Groth16Proof), true, `proof of batch ${batch} verifies`);
    }

    const isCode = (code: string) => (e: unknown) => e instanceof ProverError && e.code === code;

    test("proves a batch: the proof verifies, progress ends in done, result(batch) returns it", async () => {
      const put = await poolUnderTest();
      const pool = await put.open();
      const phases: string[] = [];
      const result = await pool.submit({ batch: 1, circuit: fx.circuit, input: fx.input(1) }, { onProgress: (e) => phases.push(e.phase) });
      await assertProves(result, 1);
      await until(() => phases.includes("done"), `progress "done" of batch 1 (got ${phases.join(",")})`, { timeoutMs: 5000 });
      assert.deepEqual((await pool.result(1))?.publicSignals, result.publicSignals);
      assert.equal(await pool.result(2), undefined, "a batch never submitted has no result");
      assert.equal(await pool.depth(), 0);
      assert.deepEqual(put.runs(), ["start:1", "end:1"]);
    });

    test("a batch submitted twice (same job id) is proven once and both callers get the proof; once more after it finished, too", async () => {
      const put = await poolUnderTest();
      const pool = await put.open();
      const job = { batch: 2, circuit: fx.circuit, input: fx.input(2) };
      const [r1, r2] = await Promise.all([pool.submit(job), pool.submit({ ...job, input: { ...fx.input(2) } })]);
      assert.deepEqual(r2.publicSignals, r1.publicSignals);
      assert.deepEqual(r2.proof, r1.proof, "the same proof, not a second one");
      const r3 = await pool.submit(job);
      assert.deepEqual(r3.proof, r1.proof, "a finished batch answers with its stored proof");
      await assertProves(r1, 2);
      assert.deepEqual(put.runs(), ["start:2", "end:2"], "one proving run");
    });

    test("typed failures: a rejected witness is PROVER_WITNESS_FAILED, an unknown circuit PROVER_CIRCUIT_UNKNOWN, a bad job PROVER_BAD_JOB", async () => {
      const pool = await (await poolUnderTest()).open();
      await assert.rejects(pool.submit({ batch: 10, circuit: fx.circuit, input: { a: "1" } }), isCode("PROVER_WITNESS_FAILED"));
      await assert.rejects(pool.submit({ batch: 11, circuit: "no-such-circuit", input: {} }), isCode("PROVER_CIRCUIT_UNKNOWN"));
      await assert.rejects(pool.submit({ batch: -1, circuit: fx.circuit, input: {} }), isCode("PROVER_BAD_JOB"));
    });

    test("a proof that finishes while the node is down", async () => {
      // Each proof waits 3 s first, so a node that goes down mid-proof provably does.
      const put = await poolUnderTest(3000);
      const job = { batch: 4, circuit: fx.circuit, input: fx.input(4) };
      const node = await put.open();
      if (put.durable) {
        // Provers paused: the job waits in the queue while the node goes down.
        await put.pause();
        const closed = assert.rejects(node.submit(job), isCode("PROVER_POOL_CLOSED"));
        await until(async () => (await node.depth()) === 1, "batch 4 queued");
        await node.close();
        await closed;
        assert.deepEqual(put.runs(), [], "nothing proven before the node went down");
        // The provers go on without the node and finish the job...
        await put.resume();
        await until(() => put.runs().includes("end:4"), "batch 4 proven while the node is down");
        // ...and the node, back, collects the proof without proving again.
        const back = await put.open();
        const recovered = await back.result(4);
        assert.ok(recovered, "result(4) after the restart");
        await assertProves(recovered, 4);
        assert.deepEqual((await back.submit(job)).proof, recovered.proof, "submitting it again returns the stored proof");
        assert.deepEqual(put.runs(), ["start:4", "end:4"], "proven once");
      } else {
        // The provers are the node's threads: going down mid-proof ends the proof with it...
        let started!: () => void;
        const running = new Promise<void>((resolve) => (started = resolve));
        const closed = assert.rejects(node.submit(job, { onProgress: (e) => e.phase === "slow" && started() }), isCode("PROVER_POOL_CLOSED"));
        await running;
        await node.close();
        await closed;
        // ...so the node, back, has no result and proves the batch again when it resubmits it.
        const back = await put.open();
        assert.equal(await back.result(4), undefined);
        await assertProves(await back.submit(job), 4);
        assert.deepEqual(put.runs(), ["start:4", "start:4", "end:4"], "the interrupted run, then one complete run");
      }
    });
  });
}

proverPoolConformance("embedded worker threads", embeddedPool);
proverPoolConformance("BullMQ on Redis with tinycloud prover processes", bullmqPool);
