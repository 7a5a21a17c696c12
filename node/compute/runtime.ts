/**
 * PLACEHOLDER until h-runtime's worker pool lands (compute-design.md "Runtime API"): runs each execution
 * in the calling thread with `executeInstance` (no wall-clock watchdog). h-runtime's runtime.ts replaces it.
 */
import { executeInstance, type ExecuteOutcome } from "./instance.js";

export type { ExecuteOutcome };

export interface ExecuteRequest {
  readonly metered: Uint8Array;
  readonly meteredCid: string;
  readonly inputs: readonly Uint8Array[];
  readonly gasLimit: bigint;
  readonly timeMs: bigint;
  readonly seed: Uint8Array;
}

export class ComputeRuntime {
  private readonly modules = new Map<string, WebAssembly.Module>();

  constructor(private readonly options: { workers: number; wallClockMs: number; maxOutputBytes: number; maxQueue: number }) {}

  async execute(request: ExecuteRequest): Promise<ExecuteOutcome> {
    let module = this.modules.get(request.meteredCid);
    if (module === undefined) {
      module = new WebAssembly.Module(request.metered as Uint8Array<ArrayBuffer>);
      this.modules.set(request.meteredCid, module);
    }
    return executeInstance(module, request, this.options.maxOutputBytes);
  }

  async close(): Promise<void> {}
}
