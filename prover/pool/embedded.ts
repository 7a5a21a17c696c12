/**
 * `EmbeddedProverPool`: provers in `worker_threads` of this process (default mode, no Redis).
 *
 * Each thread builds its backend once (wasm compiled, zkey in memory) and proves one job at a time;
 * jobs wait in a FIFO queue. Proving off the main thread keeps the node's HTTP handlers (and, inside a
 * `tinycloud prover` process, BullMQ's lock renewals) responsive while snarkjs works.
 *
 * Idempotence: entries are keyed by batch number. A second `submit` of a batch that is queued, running
 * or done (among the last `keepResults`) returns the same promise; with a different circuit/input it
 * fails with PROVER_JOB_CONFLICT. Failed batches are forgotten, so submitting again retries.
 *
 * A thread that crashes fails its job with PROVER_BACKEND_FAILED (retryable); a job over `jobTimeoutMs`
 * has its thread terminated and fails with PROVER_TIMEOUT. Both threads are replaced on demand.
 */
import { createHash } from "node:crypto";
import { Worker } from "node:worker_threads";
import {
  ProverError,
  deserializeError,
  errorMessage,
  jsonWithBigInts,
  normalizeJob,
  siblingModule,
  workerExecArgv,
  type BackendSpec,
  type ProofJob,
  type ProofResult,
  type SerializedError,
} from "../backends/backend.js";
import type { ProverMetrics } from "./metrics.js";
import { pendingProof, submitRefusal, type PendingProof, type ProgressEvent, type ProgressListener, type ProverPool, type SubmitOptions } from "./types.js";

export interface EmbeddedPoolOptions {
  /** The backend each thread builds (e.g. `groth16BackendSpec({ circuits })`). */
  readonly backend: BackendSpec;
  /** Worker threads (default 1: snarkjs already multi-threads one proof; more threads help only with spare cores). */
  readonly size?: number;
  /** Kill a job's thread after this long (default: no limit). */
  readonly jobTimeoutMs?: number;
  /** How long a thread may take to build its backend (default 120 s). */
  readonly startupTimeoutMs?: number;
  /** Finished results kept for idempotence and `result()` (default 1024). */
  readonly keepResults?: number;
  readonly metrics?: ProverMetrics;
}

type FromThread =
  | { type: "ready" }
  | { type: "fatal"; error: SerializedError }
  | { type: "progress"; id: number; fraction: number; phase: string }
  | { type: "done"; id: number; result: ProofResult }
  | { type: "error"; id: number; error: SerializedError }
  | { type: "closed" };

interface Entry extends PendingProof {
  readonly id: number;
  readonly job: ProofJob;
  readonly fingerprint: string;
  state: "queued" | "running" | "done";
  result?: ProofResult;
}

interface Slot {
  readonly worker: Worker;
  state: "starting" | "idle" | "busy" | "dead";
  entry?: Entry;
  timer?: NodeJS.Timeout;
}

const THREAD_ENTRY = siblingModule(import.meta.url, "thread-worker");

export class EmbeddedProverPool implements ProverPool {
  readonly mode = "embedded" as const;
  readonly #o: EmbeddedPoolOptions;
  readonly #size: number;
  readonly #slots = new Set<Slot>();
  readonly #queue: Entry[] = [];
  readonly #entries = new Map<number, Entry>();
  readonly #done: number[] = [];
  readonly #listeners = new Set<ProgressListener>();
  #nextId = 1;
  #closed = false;

  constructor(options: EmbeddedPoolOptions) {
    this.#o = options;
    this.#size = Math.max(1, Math.floor(options.size ?? 1));
    options.metrics?.trackQueueDepth(() => this.#depthNow());
  }

  /** Start all threads and wait until their backends are loaded (optional; `submit` starts them lazily). */
  async start(): Promise<void> {
    const starting: Promise<void>[] = [];
    while (this.#slots.size < this.#size) starting.push(this.#spawn());
    await Promise.all(starting);
  }

  submit(job: ProofJob, options: SubmitOptions = {}): Promise<ProofResult> {
    const refused = submitRefusal(this.#closed, job);
    if (refused) return Promise.reject(refused);
    const normalized = normalizeJob(job);
    const fingerprint = createHash("sha256").update(normalized.circuit).update("\0").update(jsonWithBigInts(normalized.input)).digest("hex");
    const existing = this.#entries.get(job.batch);
    if (existing) {
      if (existing.fingerprint !== fingerprint) {
        return Promise.reject(new ProverError("PROVER_JOB_CONFLICT", `batch ${job.batch} was already submitted with a different circuit or input`, { details: { batch: job.batch } }));
      }
      if (options.onProgress && existing.state !== "done") existing.listeners.add(options.onProgress);
      return existing.promise;
    }
    const entry: Entry = { id: this.#nextId++, job: normalized, fingerprint, ...pendingProof(options.onProgress), state: "queued" };
    this.#entries.set(job.batch, entry);
    this.#queue.push(entry);
    this.#pump();
    return entry.promise;
  }

  async result(batch: number): Promise<ProofResult | undefined> {
    return this.#entries.get(batch)?.result;
  }

  onProgress(listener: ProgressListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async depth(): Promise<number> {
    return this.#depthNow();
  }

  /** Threads currently alive (starting, idle or busy). */
  get threads(): number {
    return this.#slots.size;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const closed = new ProverError("PROVER_POOL_CLOSED", "prover pool closed before the job finished");
    for (const entry of this.#queue.splice(0)) this.#fail(entry, closed);
    await Promise.all(
      [...this.#slots].map(async (slot) => {
        if (slot.entry) this.#fail(slot.entry, closed);
        if (slot.state === "idle") {
          // Let the backend release its resources (snarkjs curve threads), briefly.
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, 2000);
            slot.worker.once("message", (m: FromThread) => {
              if (m.type === "closed") {
                clearTimeout(t);
                resolve();
              }
            });
            slot.worker.postMessage({ type: "close" });
          });
        }
        this.#kill(slot);
      }),
    );
  }

  #depthNow(): number {
    let running = 0;
    for (const slot of this.#slots) if (slot.entry) running++;
    return this.#queue.length + running;
  }

  #pump(): void {
    if (this.#closed) return;
    for (const slot of this.#slots) {
      if (this.#queue.length === 0) return;
      if (slot.state === "idle") this.#run(slot, this.#queue.shift() as Entry);
    }
    const starting = [...this.#slots].filter((s) => s.state === "starting").length;
    let wanted = Math.min(this.#queue.length - starting, this.#size - this.#slots.size);
    while (wanted-- > 0) void this.#spawn().catch(() => undefined);
  }

  #spawn(): Promise<void> {
    const execArgv = workerExecArgv(THREAD_ENTRY);
    const worker = new Worker(new URL(THREAD_ENTRY), { workerData: { backend: this.#o.backend }, ...(execArgv ? { execArgv } : {}) });
    const slot: Slot = { worker, state: "starting" };
    this.#slots.add(slot);
    return new Promise<void>((resolve, reject) => {
      const startup = setTimeout(() => {
        if (slot.state !== "starting") return;
        const error = new ProverError("PROVER_BACKEND_UNAVAILABLE", `prover thread did not load its backend within ${this.#o.startupTimeoutMs ?? 120_000} ms`);
        this.#startFailed(slot, error);
        reject(error);
      }, this.#o.startupTimeoutMs ?? 120_000);
      worker.on("message", (message: FromThread) => {
        switch (message.type) {
          case "ready":
            clearTimeout(startup);
            slot.state = "idle";
            worker.unref();
            resolve();
            this.#pump();
            return;
          case "fatal": {
            clearTimeout(startup);
            const error = deserializeError(message.error);
            this.#startFailed(slot, error);
            reject(error);
            return;
          }
          case "progress":
            if (slot.entry?.id === message.id) this.#progress(slot.entry, message.fraction, message.phase);
            return;
          case "done":
            if (slot.entry?.id === message.id) this.#finish(slot, message.result);
            return;
          case "error":
            if (slot.entry?.id === message.id) {
              const entry = slot.entry;
              this.#release(slot);
              this.#fail(entry, deserializeError(message.error));
              this.#pump();
            }
            return;
          case "closed":
            return;
        }
      });
      const died = (why: string, cause?: unknown) => {
        if (slot.state === "dead") return;
        clearTimeout(startup);
        const wasStarting = slot.state === "starting";
        const entry = slot.entry;
        this.#kill(slot);
        const error = new ProverError(wasStarting ? "PROVER_BACKEND_UNAVAILABLE" : "PROVER_BACKEND_FAILED", `prover thread ${why}`, cause === undefined ? {} : { cause });
        if (wasStarting) {
          this.#startFailed(slot, error);
          reject(error);
        }
        if (entry) this.#fail(entry, error);
        this.#pump();
      };
      worker.on("error", (error) => died(`crashed: ${errorMessage(error)}`, error));
      worker.on("exit", (code) => died(`exited with code ${code}`));
    });
  }

  /** A thread could not build its backend: every queued job would fail the same way, so fail them now. */
  #startFailed(slot: Slot, error: Error): void {
    this.#kill(slot);
    const others = [...this.#slots].some((s) => s.state !== "starting");
    if (!others) for (const entry of this.#queue.splice(0)) this.#fail(entry, error);
  }

  #run(slot: Slot, entry: Entry): void {
    slot.state = "busy";
    slot.entry = entry;
    entry.state = "running";
    slot.worker.ref();
    if (this.#o.jobTimeoutMs !== undefined && this.#o.jobTimeoutMs > 0) {
      const timeoutMs = this.#o.jobTimeoutMs;
      slot.timer = setTimeout(() => {
        if (slot.entry !== entry) return;
        this.#kill(slot);
        this.#fail(entry, new ProverError("PROVER_TIMEOUT", `batch ${entry.job.batch} exceeded the ${timeoutMs} ms time limit; its prover thread was terminated`));
        this.#pump();
      }, timeoutMs);
    }
    this.#progress(entry, 0, "start");
    slot.worker.postMessage({ type: "prove", id: entry.id, job: entry.job });
  }

  #finish(slot: Slot, result: ProofResult): void {
    const entry = slot.entry as Entry;
    this.#release(slot);
    entry.state = "done";
    entry.result = result;
    entry.listeners.clear();
    this.#o.metrics?.observe(result);
    this.#done.push(entry.job.batch);
    const keep = this.#o.keepResults ?? 1024;
    while (this.#done.length > keep) {
      const old = this.#done.shift() as number;
      if (this.#entries.get(old)?.state === "done") this.#entries.delete(old);
    }
    entry.resolve(result);
    this.#pump();
  }

  #fail(entry: Entry, error: Error): void {
    if (entry.state === "done") return;
    entry.state = "done";
    entry.listeners.clear();
    if (this.#entries.get(entry.job.batch) === entry) this.#entries.delete(entry.job.batch);
    const qi = this.#queue.indexOf(entry);
    if (qi >= 0) this.#queue.splice(qi, 1);
    this.#o.metrics?.observeFailure(entry.job.circuit);
    entry.reject(error);
  }

  #release(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    delete slot.timer;
    delete slot.entry;
    if (slot.state === "busy") slot.state = "idle";
    slot.worker.unref();
  }

  #kill(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.state = "dead";
    this.#slots.delete(slot);
    void slot.worker.terminate().catch(() => undefined);
  }

  #progress(entry: Entry, fraction: number, phase: string): void {
    const event: ProgressEvent = { batch: entry.job.batch, fraction, phase };
    for (const listener of entry.listeners) safeCall(listener, event);
    for (const listener of this.#listeners) safeCall(listener, event);
  }
}

function safeCall(listener: ProgressListener, event: ProgressEvent): void {
  try {
    listener(event);
  } catch {
    // a listener's bug must not break the pool
  }
}
