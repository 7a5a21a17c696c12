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
 */
import type { Job, Worker } from "bullmq";
import { ProverError, encodeFailureReason, type BackendSpec, type ProofJob, type ProofResult } from "../backends/backend.js";
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
