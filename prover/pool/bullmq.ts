/**
 * `BullMqProverPool`: the node side of Redis mode. Proof jobs go to a BullMQ queue with
 * `jobId = "batch-<n>"`, so a batch is enqueued at most once however often (and by however many node
 * restarts) it is submitted; `tinycloud prover --redis URL` processes (`worker-main.ts`) prove them.
 * Results and failures come back through `QueueEvents`; completed jobs stay in Redis (default 7 days)
 * so a node that was down when its batches finished gets them with `result(batch)` or by submitting
 * them again.
 *
 * Failures: retryable errors (timeouts, crashed provers) are retried `attempts` times with exponential
 * backoff; permanent ones (unknown circuit, witness rejected) fail at once (the worker throws BullMQ's
 * `UnrecoverableError`). The typed error crosses Redis as `[CODE] message` in `failedReason`.
 * A prover process that dies mid-job loses its lock; another worker's stalled-job check puts the job
 * back in the queue (see `worker-main.ts`).
 */
import { Queue, QueueEvents, type ConnectionOptions, type Job } from "bullmq";
import { ProverError, decodeFailureReason, normalizeJob, type ProofJob, type ProofResult } from "../backends/backend.js";
import type { ProverMetrics } from "./metrics.js";
import { DEFAULT_QUEUE_NAME, batchJobId, pendingProof, submitRefusal, type PendingProof, type ProgressEvent, type ProgressListener, type ProverPool, type SubmitOptions } from "./types.js";

export interface BullMqPoolOptions {
  /** `redis://host:port/db` or BullMQ/ioredis connection options. */
  readonly connection: string | ConnectionOptions;
  /** Default "tinycloud-proofs". Workers must use the same name (and prefix). */
  readonly queueName?: string;
  /** Redis key prefix (default BullMQ's "bull"). */
  readonly prefix?: string;
  /** Tries per job, first included (default 3). */
  readonly attempts?: number;
  /** First retry delay; doubles each retry (default 5000 ms). */
  readonly backoffMs?: number;
  /** How long completed jobs (and their proofs) stay in Redis (default 7 days). */
  readonly keepCompletedSeconds?: number;
  /** How long failed jobs stay (default 30 days). */
  readonly keepFailedSeconds?: number;
  /** Re-check pending jobs' state this often, in case an event was missed (default 5000 ms). */
  readonly pollIntervalMs?: number;
  readonly metrics?: ProverMetrics;
}

interface Waiter extends PendingProof {
  readonly batch: number;
  readonly circuit: string;
  settled: boolean;
  /** Set once the job is in the queue; only then may polling settle the waiter. */
  enqueued: boolean;
}

export type ProofQueue = Queue<ProofJob, ProofResult, string>;

/** BullMQ connection options for a Redis URL (`maxRetriesPerRequest: null` as BullMQ requires). */
export function redisConnection(connection: string | ConnectionOptions): ConnectionOptions {
  return typeof connection === "string" ? { url: connection, maxRetriesPerRequest: null } : connection;
}

export class BullMqProverPool implements ProverPool {
  readonly mode = "bullmq" as const;
  readonly queueName: string;
  readonly #o: BullMqPoolOptions;
  readonly #queue: ProofQueue;
  readonly #events: QueueEvents;
  readonly #waiters = new Map<string, Waiter>();
  readonly #listeners = new Set<ProgressListener>();
  #poll: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: BullMqPoolOptions) {
    this.#o = options;
    this.queueName = options.queueName ?? DEFAULT_QUEUE_NAME;
    const connection = redisConnection(options.connection);
    const prefix = options.prefix === undefined ? {} : { prefix: options.prefix };
    this.#queue = new Queue<ProofJob, ProofResult, string>(this.queueName, { connection, ...prefix });
    this.#events = new QueueEvents(this.queueName, { connection, ...prefix });
    // Connection errors are retried by ioredis; keep them from becoming unhandled 'error' events.
    this.#queue.on("error", () => undefined);
    this.#events.on("error", () => undefined);
    this.#events.on("completed", ({ jobId, returnvalue }) => {
      const waiter = this.#waiters.get(jobId);
      if (!waiter) return;
      if (isProofResult(returnvalue)) this.#resolve(jobId, returnvalue);
      else void this.#reconcile(jobId);
    });
    this.#events.on("failed", ({ jobId, failedReason }) => {
      if (this.#waiters.has(jobId)) this.#reject(jobId, decodeFailureReason(failedReason));
    });
    this.#events.on("progress", ({ jobId, data }) => {
      const waiter = this.#waiters.get(jobId);
      const batch = waiter?.batch ?? batchOf(jobId);
      if (batch === undefined || typeof data !== "object" || data === null) return;
      const d = data as { fraction?: unknown; phase?: unknown };
      const event: ProgressEvent = { batch, fraction: typeof d.fraction === "number" ? d.fraction : 0, phase: typeof d.phase === "string" ? d.phase : "" };
      if (waiter) for (const l of waiter.listeners) safeCall(l, event);
      for (const l of this.#listeners) safeCall(l, event);
    });
    options.metrics?.trackQueueDepth(() => this.depth());
  }

  /** The underlying queue (dashboard, admin, tests). */
  get queue(): ProofQueue {
    return this.#queue;
  }

  get events(): QueueEvents {
    return this.#events;
  }

  /** Resolves when the queue and the event listener are connected. */
  async ready(): Promise<void> {
    await Promise.all([this.#queue.waitUntilReady(), this.#events.waitUntilReady()]);
  }

  submit(job: ProofJob, options: SubmitOptions = {}): Promise<ProofResult> {
    const refused = submitRefusal(this.#closed, job);
    if (refused) return Promise.reject(refused);
    const jobId = batchJobId(job.batch);
    const existing = this.#waiters.get(jobId);
    if (existing) {
      if (options.onProgress) existing.listeners.add(options.onProgress);
      return existing.promise;
    }
    const waiter: Waiter = { batch: job.batch, circuit: job.circuit, ...pendingProof(options.onProgress), settled: false, enqueued: false };
    this.#waiters.set(jobId, waiter);
    this.#startPolling();
    void this.#enqueue(jobId, normalizeJob(job)).catch((error: unknown) => this.#reject(jobId, error instanceof Error ? error : new Error(String(error))));
    return waiter.promise;
  }

  async #enqueue(jobId: string, job: ProofJob): Promise<void> {
    // Listen before adding, so a fast completion is not missed.
    await this.#events.waitUntilReady();
    try {
      // The job may exist already (resubmission, node restart): settle from its stored state.
      const existing = await this.#queue.getJob(jobId);
      const state = existing ? await existing.getState() : "unknown";
      if (existing && state === "completed") return this.#settleCompleted(jobId, existing);
      if (existing && state === "failed") {
        // Failed for good earlier: submitting again means "try again".
        await existing.retry("failed", { resetAttemptsMade: true, resetAttemptsStarted: true });
        return;
      }
      if (state !== "unknown") return; // queued, delayed or active: its events will settle the waiter
      const keepCompleted = this.#o.keepCompletedSeconds ?? 7 * 24 * 3600;
      const keepFailed = this.#o.keepFailedSeconds ?? 30 * 24 * 3600;
      await this.#queue.add(job.circuit, job, {
        jobId,
        attempts: this.#o.attempts ?? 3,
        backoff: { type: "exponential", delay: this.#o.backoffMs ?? 5000 },
        removeOnComplete: { age: keepCompleted },
        removeOnFail: { age: keepFailed },
      });
    } finally {
      const waiter = this.#waiters.get(jobId);
      if (waiter) waiter.enqueued = true;
    }
  }

  async result(batch: number): Promise<ProofResult | undefined> {
    const job = await this.#queue.getJob(batchJobId(batch));
    if (!job) return undefined;
    const state = await job.getState();
    return state === "completed" && isProofResult(job.returnvalue) ? job.returnvalue : undefined;
  }

  /** BullMQ state of a batch's job ("waiting", "active", "completed", "failed", ..., "unknown"). */
  async state(batch: number): Promise<string> {
    const job = await this.#queue.getJob(batchJobId(batch));
    return job ? await job.getState() : "unknown";
  }

  /** Drop a finished batch's job from Redis once the node has stored its proof. */
  async forget(batch: number): Promise<void> {
    const job = await this.#queue.getJob(batchJobId(batch));
    const state = job ? await job.getState() : "unknown";
    if (job && (state === "completed" || state === "failed")) await job.remove();
  }

  onProgress(listener: ProgressListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async depth(): Promise<number> {
    const counts = await this.#queue.getJobCounts("waiting", "active", "delayed", "prioritized", "waiting-children");
    return Object.values(counts).reduce((a, b) => a + b, 0);
  }

  /** Stops listening; jobs stay in Redis and keep being proven by the workers. Pending `submit`s reject. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#poll) clearInterval(this.#poll);
    for (const jobId of [...this.#waiters.keys()]) {
      this.#reject(jobId, new ProverError("PROVER_POOL_CLOSED", "prover pool closed; the job stays queued, recover it with result(batch)"), false);
    }
    await Promise.allSettled([this.#events.close(), this.#queue.close()]);
  }

  #settleCompleted(jobId: string, job: Job<ProofJob, ProofResult, string>): void {
    if (isProofResult(job.returnvalue)) this.#resolve(jobId, job.returnvalue);
    else this.#reject(jobId, new ProverError("PROVER_OUTPUT_INVALID", `job ${jobId} completed without a proof result`));
  }

  async #reconcile(jobId: string): Promise<void> {
    const job = await this.#queue.getJob(jobId);
    if (!job) return;
    const state = await job.getState();
    if (state === "completed") this.#settleCompleted(jobId, job);
    else if (state === "failed") this.#reject(jobId, decodeFailureReason(job.failedReason));
  }

  #startPolling(): void {
    if (this.#poll || this.#closed) return;
    this.#poll = setInterval(() => {
      if (this.#waiters.size === 0) {
        clearInterval(this.#poll);
        this.#poll = undefined;
        return;
      }
      for (const [jobId, waiter] of this.#waiters) if (waiter.enqueued) void this.#reconcile(jobId).catch(() => undefined);
    }, this.#o.pollIntervalMs ?? 5000);
    this.#poll.unref();
  }

  #resolve(jobId: string, result: ProofResult): void {
    const waiter = this.#waiters.get(jobId);
    if (!waiter || waiter.settled) return;
    waiter.settled = true;
    this.#waiters.delete(jobId);
    this.#o.metrics?.observe(result);
    waiter.resolve(result);
  }

  #reject(jobId: string, error: Error, countFailure = true): void {
    const waiter = this.#waiters.get(jobId);
    if (!waiter || waiter.settled) return;
    waiter.settled = true;
    this.#waiters.delete(jobId);
    if (countFailure) this.#o.metrics?.observeFailure(waiter.circuit);
    waiter.reject(error);
  }
}

function isProofResult(value: unknown): value is ProofResult {
  const v = value as Partial<ProofResult> | null;
  return typeof v === "object" && v !== null && typeof v.backend === "string" && Array.isArray(v.publicSignals) && "proof" in v;
}

function batchOf(jobId: string): number | undefined {
  const m = /^batch-(\d+)$/.exec(jobId);
  return m ? Number(m[1]) : undefined;
}

function safeCall(listener: ProgressListener, event: ProgressEvent): void {
  try {
    listener(event);
  } catch {
    // a listener's bug must not break the pool
  }
}
