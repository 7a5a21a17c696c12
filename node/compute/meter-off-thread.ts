/**
 * `meterModule` for deploys, off the event loop: one long-lived worker thread (meter-worker.ts) meters one
 * module at a time. A module that takes longer than the deadline is refused (400 WASM_TOO_COMPLEX: a
 * structure the meter cannot process in time) and its worker killed; the next deploy starts a fresh one.
 * At most `maxQueue` deploys wait (503 COMPUTE_BUSY beyond), so deploys cannot starve the node's requests.
 */
import { Worker } from "node:worker_threads";
import { siblingModule, workerExecArgv } from "../../prover/backends/backend.js";
import { ComputeError, type ComputeErrorCode } from "../../core/compute/errors.js";
import type { MeteredModule } from "./meter.js";

const WORKER_ENTRY = siblingModule(import.meta.url, "meter-worker");

type Reply = { id: number; ok: true; metered: Uint8Array; meter: MeteredModule["meter"] } | { id: number; ok: false; code?: ComputeErrorCode; message: string };

interface Running {
  readonly worker: Worker;
  /** Resolves once binaryen is loaded (not under the deadline: that is start-up, not the module's cost). */
  readonly ready: Promise<void>;
}

export class OffThreadMeter {
  private current: Running | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;
  private nextId = 0;

  constructor(private readonly options: { readonly timeoutMs: number; readonly maxQueue: number }) {}

  meter(bytes: Uint8Array): Promise<MeteredModule> {
    if (this.waiting >= this.options.maxQueue) return Promise.reject(new ComputeError("COMPUTE_BUSY", `${this.waiting} deploys are waiting to be metered; retry shortly`));
    this.waiting++;
    const run = this.tail.then(() => this.once(bytes));
    this.tail = run.catch(() => undefined);
    return run.finally(() => {
      this.waiting--;
    });
  }

  private start(): Running {
    const execArgv = workerExecArgv(WORKER_ENTRY);
    const worker = new Worker(new URL(WORKER_ENTRY), execArgv !== undefined ? { execArgv } : {});
    worker.unref();
    const ready = new Promise<void>((resolve, reject) => {
      worker.once("message", () => resolve());
      worker.once("error", reject);
      worker.once("exit", (code) => reject(new Error(`the metering worker exited (${code})`)));
    });
    const running = { worker, ready };
    // A worker that dies is replaced on the next deploy.
    worker.once("exit", () => {
      if (this.current === running) this.current = undefined;
    });
    return running;
  }

  private async once(bytes: Uint8Array): Promise<MeteredModule> {
    this.current ??= this.start();
    const { worker, ready } = this.current;
    await ready;
    const id = ++this.nextId;
    return new Promise<MeteredModule>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        worker.off("message", onMessage);
        worker.off("exit", onExit);
      };
      const timer = setTimeout(() => {
        done();
        if (this.current?.worker === worker) this.current = undefined;
        void worker.terminate();
        reject(new ComputeError("WASM_TOO_COMPLEX", `metering the module took over ${this.options.timeoutMs} ms (too many functions or too deep nesting)`));
      }, this.options.timeoutMs);
      const onMessage = (reply: Reply) => {
        if (reply.id !== id) return;
        done();
        if (reply.ok) resolve({ metered: new Uint8Array(reply.metered), meter: reply.meter });
        else reject(reply.code !== undefined ? new ComputeError(reply.code, reply.message) : new Error(`metering failed: ${reply.message}`));
      };
      const onExit = (code: number) => {
        done();
        reject(new Error(`the metering worker exited (${code})`));
      };
      worker.on("message", onMessage);
      worker.once("exit", onExit);
      worker.postMessage({ id, bytes });
    });
  }
}
