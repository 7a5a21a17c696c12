/** Messages between the compute pool (runtime.ts) and its worker threads (runtime-worker.ts). */
import type { ExecuteOutcome, InstanceRequest } from "./instance.js";

export interface WorkerJob extends InstanceRequest {
  readonly id: number;
  /** Compiled once by the pool; a WebAssembly.Module crosses threads without recompiling. */
  readonly module: WebAssembly.Module;
  readonly maxOutputBytes: number;
}

export interface WorkerReply {
  readonly id: number;
  readonly outcome: ExecuteOutcome;
}
