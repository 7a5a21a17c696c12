/**
 * `tinycloud prover --redis URL --concurrency N`: a prover worker process for Redis mode.
 *
 * It takes jobs from the BullMQ queue the node's `BullMqProverPool` fills and proves them in an
 * `EmbeddedProverPool` of N worker threads (backends stay loaded; the main thread stays free to renew
 * BullMQ job locks while snarkjs works). Progress goes back with `job.updateProgress`, results as the
 * job's return value.
 *
 * Crash recovery: a worker holds a lock per active job (`lockDuration`, renewed every half of it). If
 * the process dies (kill -9, OOM, machine lost), the lock expires; any other worker's stalled-job check
 * (every `stalledInterval`) moves the job back to the queue, up to `maxStalledCount` times, and it is
 * proven again from scratch. With the defaults (30 s / 30 s) a job is picked up again within about a
 * minute; tests use 1–2 s.
 *
 * Also runnable without the CLI wiring: `node --import tsx prover/pool/worker-main.ts --redis URL ...`.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve as resolvePath } from "node:path";
import { pathToFileURL } from "node:url";
import type { Job, Worker } from "bullmq";
import { Command } from "commander";
import { ProverError, builtinBackendName, builtinBackendSpec, encodeFailureReason, errorMessage, type BackendSpec, type ProofJob, type ProofResult } from "../backends/backend.js";
import type { CircuitArtifacts, Groth16FactoryOptions } from "../backends/groth16.js";
import { EmbeddedProverPool } from "./embedded.js";
import { DEFAULT_QUEUE_NAME } from "./types.js";

export interface ProverWorkerOptions {
  /** Redis URL. */
  readonly redis: string;
  readonly queueName?: string;
  readonly prefix?: string;
  /** Jobs proven at once, one worker thread each (default 1). */
  readonly concurrency?: number;
  readonly backend: BackendSpec;
  /** Milliseconds between stalled-job checks (default 30 000). */
  readonly stalledIntervalMs?: number;
  /** Job lock lifetime; renewed every half of it while proving (default 30 000). */
  readonly lockDurationMs?: number;
  /** How often one job may be recovered from a dead worker before it fails (default 2). */
  readonly maxStalledCount?: number;
  /** Per-job limit; the prover thread is terminated past it (default: none). */
  readonly jobTimeoutMs?: number;
  /** Minimum milliseconds between progress updates sent to Redis per job (default 250; phase changes always go). */
  readonly progressIntervalMs?: number;
  readonly log?: (line: string) => void;
}

export interface ProverWorkerHandle {
  readonly worker: Worker<ProofJob, ProofResult, string>;
  readonly pool: EmbeddedProverPool;
  /** Finish the active jobs, then disconnect (`force`: stop at once; active jobs are recovered by other workers). */
  close(force?: boolean): Promise<void>;
}

export async function startProverWorker(options: ProverWorkerOptions): Promise<ProverWorkerHandle> {
  // Loaded here, not at module load: the CLI imports this module for every command (the node's
  // start-up included), and bullmq costs a few hundred ms of CPU to import.
  const { UnrecoverableError, Worker: BullWorker } = await import("bullmq");
  const { redisConnection } = await import("./bullmq.js");
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));
  const log = options.log ?? (() => undefined);
  const pool = new EmbeddedProverPool({
    backend: options.backend,
    size: concurrency,
    keepResults: 16,
    ...(options.jobTimeoutMs === undefined ? {} : { jobTimeoutMs: options.jobTimeoutMs }),
  });
  // Load the backend before taking jobs: a misconfigured worker must fail here, not job after job.
  await pool.start();
  const progressEvery = options.progressIntervalMs ?? 250;

  const processor = async (job: Job<ProofJob, ProofResult, string>): Promise<ProofResult> => {
    let lastAt = 0;
    let lastPhase = "";
    const started = performance.now();
    log(`job ${String(job.id)} (batch ${job.data.batch}, circuit ${job.data.circuit}) started, attempt ${job.attemptsStarted}`);
    try {
      const result = await pool.submit(job.data, {
        onProgress: ({ fraction, phase }) => {
          const now = performance.now();
          if (phase === lastPhase && now - lastAt < progressEvery) return;
          lastAt = now;
          lastPhase = phase;
          void job.updateProgress({ fraction, phase }).catch(() => undefined);
        },
      });
      log(`job ${String(job.id)} proven in ${((performance.now() - started) / 1000).toFixed(2)} s (witness ${result.witnessSeconds.toFixed(3)} s, prove ${result.proveSeconds.toFixed(3)} s)`);
      return result;
    } catch (error) {
      log(`job ${String(job.id)} failed: ${encodeFailureReason(error)}`);
      // Permanent failures skip BullMQ's retries; the rest (timeouts, crashes, bugs) are retried.
      if (error instanceof ProverError && !error.retryable) throw new UnrecoverableError(encodeFailureReason(error));
      throw new Error(encodeFailureReason(error));
    }
  };

  const worker: Worker<ProofJob, ProofResult, string> = new BullWorker<ProofJob, ProofResult, string>(options.queueName ?? DEFAULT_QUEUE_NAME, processor, {
    connection: redisConnection(options.redis),
    ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
    concurrency,
    stalledInterval: options.stalledIntervalMs ?? 30_000,
    lockDuration: options.lockDurationMs ?? 30_000,
    maxStalledCount: options.maxStalledCount ?? 2,
  });
  worker.on("error", (error) => log(`worker error: ${error.message}`));
  await worker.waitUntilReady();

  let closing: Promise<void> | undefined;
  return {
    worker,
    pool,
    close(force = false) {
      closing ??= (async () => {
        await worker.close(force);
        await pool.close();
      })();
      return closing;
    },
  };
}

interface ProverCommandOptions {
  redis?: string;
  queue: string;
  prefix?: string;
  concurrency: string;
  backend: string;
  circuits?: string;
  artifacts?: string;
  setupCircuits: string;
  backendOptions?: string;
  backendModule?: string;
  stalledInterval: string;
  lockDuration: string;
  maxStalledCount: string;
  jobTimeout: string;
  quiet?: boolean;
}

/** Adds `tinycloud prover` to the CLI. */
export function registerProverCommand(program: Command): void {
  program
    .command("prover")
    .description("run a prover worker: take proof jobs from Redis (BullMQ) and prove them")
    .option("--redis <url>", "Redis URL (default: $REDIS_URL)")
    .option("--queue <name>", "queue name (must match the node's)", DEFAULT_QUEUE_NAME)
    .option("--prefix <prefix>", "Redis key prefix (must match the node's)")
    .option("-c, --concurrency <n>", "jobs proven at once, one worker thread each", "1")
    .option("--backend <name>", "proof system: groth16 (risc0 and sp1 fail with PROVER_BACKEND_NOT_WIRED)", "groth16")
    .option("--circuits <file>", "groth16: JSON table {circuit: {wasm, zkey, vkey}}; relative paths are relative to the file")
    .option("--artifacts <dir>", "groth16: artifact directory <dir>/<circuit>/{<circuit>.zkey, <circuit>.vkey.json, <circuit>_js/<circuit>.wasm}")
    .option("--setup-circuits <names>", "groth16 without --circuits/--artifacts: use these circuits of circuits/circuits.json, built by `tinycloud setup` (built now if missing)", "epoch_transition_1,epoch_transition_4")
    .option("--backend-options <json>", "JSON options for the backend (groth16: Groth16FactoryOptions)")
    .option("--backend-module <path>", "custom backend module exporting createBackend(options) (overrides --backend)")
    .option("--stalled-interval <ms>", "milliseconds between checks for jobs of dead workers", "30000")
    .option("--lock-duration <ms>", "job lock lifetime in milliseconds (renewed while proving)", "30000")
    .option("--max-stalled-count <n>", "times a job may be recovered from dead workers before it fails", "2")
    .option("--job-timeout <seconds>", "kill a proof after this many seconds (0 = no limit)", "0")
    .option("-q, --quiet", "log only errors")
    .action(async (o: ProverCommandOptions) => {
      const redis = o.redis ?? process.env.REDIS_URL;
      if (!redis) fail("--redis <url> (or REDIS_URL) is required");
      if (o.backend === "groth16" && o.backendModule === undefined && o.circuits === undefined && o.artifacts === undefined) {
        // Same checkout as the node: prove with the keys `tinycloud setup` built (building them if needed).
        const { publishedPhase2, runSetup } = await import("../setup/artifacts.js");
        const { createReporter } = await import("../setup/progress.js");
        const names = o.setupCircuits.split(",").filter(Boolean);
        // The keys the checkout's published verifiers accept, like the node (node/rollup/proving.ts).
        const phase2 = await publishedPhase2(names);
        const builds = await runSetup({ circuits: names, phase2, reuseOnly: phase2 !== "insecure-deterministic", reporter: createReporter({ silent: o.quiet === true }) });
        setupTable = Object.fromEntries(builds.map((b) => [b.name, { wasm: b.wasm, zkey: b.zkey, vkey: b.verificationKey }]));
      }
      const backend = backendFromOptions(o);
      const jobTimeout = int(o.jobTimeout, "--job-timeout", 0);
      const log = o.quiet ? () => undefined : (line: string) => console.log(`[prover ${process.pid}] ${line}`);
      const handle = await startProverWorker({
        redis,
        queueName: o.queue,
        ...(o.prefix === undefined ? {} : { prefix: o.prefix }),
        concurrency: int(o.concurrency, "--concurrency", 1),
        backend,
        stalledIntervalMs: int(o.stalledInterval, "--stalled-interval", 1),
        lockDurationMs: int(o.lockDuration, "--lock-duration", 1),
        maxStalledCount: int(o.maxStalledCount, "--max-stalled-count", 0),
        ...(jobTimeout > 0 ? { jobTimeoutMs: jobTimeout * 1000 } : {}),
        log,
      });
      console.log(`prover worker ready (pid ${process.pid}, queue ${o.queue}, concurrency ${o.concurrency}, backend ${o.backendModule ?? o.backend})`);
      const stop = (signal: string) => {
        console.log(`${signal}: finishing active jobs, then stopping`);
        void handle.close().then(() => process.exit(0));
      };
      process.once("SIGINT", () => stop("SIGINT"));
      process.once("SIGTERM", () => stop("SIGTERM"));
    });
}

function backendFromOptions(o: ProverCommandOptions): BackendSpec {
  let extra: Record<string, unknown> = {};
  if (o.backendOptions !== undefined) {
    try {
      extra = JSON.parse(o.backendOptions) as Record<string, unknown>;
    } catch (error) {
      fail(`--backend-options is not JSON: ${errorMessage(error)}`);
    }
  }
  if (o.backendModule !== undefined) return { module: pathToFileURL(resolvePath(o.backendModule)).href, exportName: "createBackend", options: { ...circuitOptions(o), ...extra } };
  const name = builtinBackendName(o.backend);
  const g = { ...circuitOptions(o), ...extra } as Groth16FactoryOptions;
  if (!g.circuits && !g.artifactsDir) fail("groth16 needs --circuits <file> or --artifacts <dir>");
  return builtinBackendSpec(name, g);
}

/** Artifacts of the circuits built by the setup pipeline (set when no --circuits/--artifacts is given). */
let setupTable: Record<string, CircuitArtifacts> | undefined;

function circuitOptions(o: ProverCommandOptions): Partial<Groth16FactoryOptions> {
  const out: { circuits?: Record<string, CircuitArtifacts>; baseDir?: string; artifactsDir?: string } = {};
  if (setupTable !== undefined) out.circuits = setupTable;
  if (o.circuits !== undefined) {
    const file = resolvePath(o.circuits);
    try {
      out.circuits = JSON.parse(readFileSync(file, "utf8")) as Record<string, CircuitArtifacts>;
    } catch (error) {
      fail(`cannot read --circuits ${file}: ${errorMessage(error)}`);
    }
    out.baseDir = dirname(file);
  }
  if (o.artifacts !== undefined) out.artifactsDir = resolvePath(o.artifacts);
  return out;
}

function int(text: string, flag: string, min: number): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min) fail(`${flag} must be an integer >= ${min}, got "${text}"`);
  return n;
}

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

// Run directly: `node --import tsx prover/pool/worker-main.ts --redis ... [options]`.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolvePath(process.argv[1])).href) {
  const program = new Command().name("tinycloud-prover");
  registerProverCommand(program);
  try {
    await program.parseAsync([process.argv[0] as string, process.argv[1], "prover", ...process.argv.slice(2)]);
  } catch (error) {
    console.error(error instanceof ProverError ? `error ${error.code}: ${error.message}` : error);
    process.exit(2);
  }
}
