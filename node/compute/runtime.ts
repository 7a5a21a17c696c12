/**
 * The compute runtime: a pool of worker threads that execute metered modules (node/compute/meter.ts).
 *
 * - Each execution gets a fresh instance (node/compute/instance.ts) in one of `workers` threads; the
 *   compiled WebAssembly.Module is cached by metered CID (LRU) and sent to the thread, not recompiled.
 * - A wall-clock watchdog terminates a thread whose execution overruns `wallClockMs` (gas should stop it
 *   first: the watchdog is the backstop for what the gas schedule misses) and replaces the thread.
 * - At most `maxQueue` executions wait for a thread; one more is refused at once (COMPUTE_BUSY, the caller
 *   answers 503 with Retry-After), never queued without bound.
 * - Threads start on the first execution, not with the node, and do not keep the process alive while idle.
 *
 * `execute` resolves with an outcome for everything the function does (ok, or one ExecFailure), and
 * rejects only when the pool is closed or full (ComputeError COMPUTE_CLOSED / COMPUTE_BUSY).
 */
import { Worker } from "node:worker_threads";
import { functionCid } from "../../core/compute/cid.js";
import { ComputeError } from "../../core/compute/errors.js";
import { siblingModule, workerExecArgv } from "../../prover/backends/backend.js";
import type { ExecuteOutcome } from "./instance.js";
import type { WorkerJob, WorkerReply } from "./runtime-protocol.js";
import { COMPUTE_WORKER_MARK } from "./runtime-worker.js";

/** @public Part of the runtime contract (tools/compute-design.md). */
export type { ExecFailure } from "../../core/compute/errors.js";
export type { ExecuteOutcome } from "./instance.js";

const WORKER_ENTRY = siblingModule(import.meta.url, "runtime-worker");

export interface ExecuteRequest {
  /** The metered binary (meterModule's output). */
  readonly metered: Uint8Array;
  /** Its CID (functionCid(metered)): the key of the compiled-module cache. */
  readonly meteredCid: string;
  readonly inputs: readonly Uint8Array[];
  readonly gasLimit: bigint;
  /** What time_ms() returns: the invocation's signed time. */
  readonly timeMs: bigint;
  /** What seed() writes: 32 bytes (core/compute/seed.ts). */
  readonly seed: Uint8Array;
}

export interface ComputeRuntimeOptions {
  /** Worker threads (executions that run at once). */
  readonly workers: number;
  /** Wall-clock limit of one execution, instantiation included. */
  readonly wallClockMs: number;
  /** Largest output a function may write (bigger traps OUTPUT_TOO_LARGE). */
  readonly maxOutputBytes: number;
  /** Executions that may wait for a thread; one more is refused with COMPUTE_BUSY. */
  readonly maxQueue: number;
  /** Compiled modules kept (default 32). */
  readonly moduleCacheSize?: number;
}

interface Job {
  readonly request: ExecuteRequest;
  readonly module: Promise<WebAssembly.Module>;
  resolve(outcome: ExecuteOutcome): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker | undefined;
  /** Resolves once the thread has loaded (its boot time must not count against an execution's wall clock). */
  ready: Promise<void>;
  running: { readonly id: number; readonly job: Job; readonly timer: NodeJS.Timeout } | undefined;
  /** True between taking a job and posting it (the module may still be compiling). */
  reserved: boolean;
}

/** Thread stack: room for the 1,000-frame depth limit with large frames, on every host. */
const WORKER_STACK_MB = 8;

export class ComputeRuntime {
  readonly #options: Required<ComputeRuntimeOptions>;
  readonly #slots: Slot[];
  readonly #queue: Job[] = [];
  readonly #modules = new Map<string, Promise<WebAssembly.Module>>();
  #nextId = 1;
  #closed = false;

  constructor(options: ComputeRuntimeOptions) {
    for (const [name, value, min] of [
      ["workers", options.workers, 1],
      ["wallClockMs", options.wallClockMs, 1],
      ["maxOutputBytes", options.maxOutputBytes, 0],
      ["maxQueue", options.maxQueue, 0],
    ] as const) {
      if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`ComputeRuntime: ${name} must be an integer ≥ ${min} (got ${value})`);
    }
    this.#options = { moduleCacheSize: 32, ...options };
    this.#slots = Array.from({ length: options.workers }, () => ({ worker: undefined, ready: Promise.resolve(), running: undefined, reserved: false }));
  }

  /** Executions running and waiting (for metrics and tests). */
  get load(): { readonly running: number; readonly queued: number } {
    return { running: this.#slots.filter((s) => s.running !== undefined || s.reserved).length, queued: this.#queue.length };
  }

  execute(request: ExecuteRequest): Promise<ExecuteOutcome> {
    if (this.#closed) return Promise.reject(new ComputeError("COMPUTE_CLOSED", "the compute runtime is shut down"));
    const idle = this.#slots.some((s) => s.running === undefined && !s.reserved);
    if (!idle && this.#queue.length >= this.#options.maxQueue) {
      return Promise.reject(new ComputeError("COMPUTE_BUSY", `all ${this.#options.workers} compute workers are busy and ${this.#queue.length} executions wait`));
    }
    return new Promise<ExecuteOutcome>((resolve, reject) => {
      this.#queue.push({ request, module: this.#compiled(request), resolve, reject });
      this.#pump();
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const closed = () => new ComputeError("COMPUTE_CLOSED", "the compute runtime shut down before the execution finished");
    for (const job of this.#queue.splice(0)) job.reject(closed());
    await Promise.all(
      this.#slots.map(async (slot) => {
        if (slot.running !== undefined) {
          clearTimeout(slot.running.timer);
          slot.running.job.reject(closed());
          slot.running = undefined;
        }
        const worker = slot.worker;
        slot.worker = undefined;
        if (worker !== undefined) await worker.terminate();
      }),
    );
  }

  /** The compiled module for a metered binary, from the cache or compiled once (off the main thread by V8). */
  #compiled(request: ExecuteRequest): Promise<WebAssembly.Module> {
    const cached = this.#modules.get(request.meteredCid);
    if (cached !== undefined) {
      // Refresh its LRU position.
      this.#modules.delete(request.meteredCid);
      this.#modules.set(request.meteredCid, cached);
      return cached;
    }
    const compiled = (async () => {
      // The cache trusts the CID: check it once, when the bytes are compiled.
      if (functionCid(request.metered) !== request.meteredCid) throw new TypeError(`meteredCid ${request.meteredCid} is not the CID of the metered bytes`);
      return WebAssembly.compile(request.metered as Uint8Array<ArrayBuffer>);
    })();
    compiled.catch(() => this.#modules.delete(request.meteredCid));
    this.#modules.set(request.meteredCid, compiled);
    while (this.#modules.size > this.#options.moduleCacheSize) {
      const oldest = this.#modules.keys().next().value as string;
      this.#modules.delete(oldest);
    }
    return compiled;
  }

  #pump(): void {
    for (const slot of this.#slots) {
      if (this.#queue.length === 0 || this.#closed) return;
      if (slot.running !== undefined || slot.reserved) continue;
      const job = this.#queue.shift() as Job;
      slot.reserved = true;
      Promise.all([job.module, this.#ensureWorker(slot)]).then(
        ([module]) => this.#start(slot, job, module),
        (error: unknown) => {
          slot.reserved = false;
          job.reject(error instanceof Error ? error : new Error(String(error)));
          this.#pump();
        },
      );
    }
  }

  #start(slot: Slot, job: Job, module: WebAssembly.Module): void {
    slot.reserved = false;
    if (this.#closed) {
      job.reject(new ComputeError("COMPUTE_CLOSED", "the compute runtime is shut down"));
      return;
    }
    const worker = slot.worker;
    if (worker === undefined) {
      // The thread died while it booted: take the job again with a new one.
      this.#queue.unshift(job);
      this.#pump();
      return;
    }
    const id = this.#nextId++;
    const timer = setTimeout(() => this.#overrun(slot, id), this.#options.wallClockMs);
    slot.running = { id, job, timer };
    worker.ref();
    const { request } = job;
    const message: WorkerJob = {
      id,
      module,
      inputs: request.inputs,
      gasLimit: request.gasLimit,
      timeMs: request.timeMs,
      seed: request.seed,
      maxOutputBytes: this.#options.maxOutputBytes,
    };
    worker.postMessage(message);
  }

  #ensureWorker(slot: Slot): Promise<void> {
    if (slot.worker === undefined) this.#spawn(slot);
    return slot.ready;
  }

  #spawn(slot: Slot): Worker {
    const execArgv = workerExecArgv(WORKER_ENTRY);
    const worker = new Worker(new URL(WORKER_ENTRY), {
      workerData: { mark: COMPUTE_WORKER_MARK },
      resourceLimits: { stackSizeMb: WORKER_STACK_MB },
      ...(execArgv !== undefined ? { execArgv } : {}),
    });
    worker.unref();
    let booted: () => void = () => {};
    slot.ready = new Promise<void>((resolve) => (booted = resolve));
    worker.on("message", (reply: WorkerReply | "ready") => {
      if (reply === "ready") return booted();
      if (slot.worker !== worker || slot.running?.id !== reply.id) return;
      this.#finish(slot, reply.outcome);
    });
    // A thread that dies under a job (out of host memory, a crash) fails that job, and is replaced on next use.
    const died = (why: string) => {
      booted();
      if (slot.worker !== worker) return;
      slot.worker = undefined;
      const running = slot.running;
      if (running !== undefined) this.#finish(slot, { ok: false, reason: "TRAP", gasUsed: running.job.request.gasLimit, message: `the compute worker died: ${why}` });
    };
    worker.on("error", (error: Error) => died(error.message));
    worker.on("exit", (code) => died(`exit code ${code}`));
    slot.worker = worker;
    return worker;
  }

  #overrun(slot: Slot, id: number): void {
    if (slot.running?.id !== id) return;
    const worker = slot.worker;
    slot.worker = undefined; // the next job gets a fresh thread
    if (worker !== undefined) void worker.terminate();
    const { request } = slot.running.job;
    this.#finish(slot, { ok: false, reason: "WALL_CLOCK", gasUsed: request.gasLimit, message: `the execution ran longer than ${this.#options.wallClockMs} ms and was stopped` });
  }

  #finish(slot: Slot, outcome: ExecuteOutcome): void {
    const running = slot.running;
    if (running === undefined) return;
    clearTimeout(running.timer);
    slot.running = undefined;
    slot.worker?.unref();
    running.job.resolve(outcome);
    this.#pump();
  }
}
