/**
 * PLACEHOLDER until h-runtime lands (compute-design.md "Runtime API"): runs the module in-process, unmetered
 * (gas 0), with the tc:compute/abi@1 host imports. h-runtime's worker pool replaces this file.
 */
export interface ExecuteRequest {
  readonly metered: Uint8Array;
  readonly meteredCid: string;
  readonly inputs: readonly Uint8Array[];
  readonly gasLimit: bigint;
  readonly timeMs: bigint;
  readonly seed: Uint8Array;
}

import type { ExecFailure } from "../../core/compute/errors.js";

export type ExecuteOutcome =
  | { readonly ok: true; readonly status: number; readonly output: Uint8Array; readonly gasUsed: bigint }
  | { readonly ok: false; readonly reason: ExecFailure; readonly gasUsed: bigint; readonly message: string };

export class ComputeRuntime {
  constructor(private readonly options: { workers: number; wallClockMs: number; maxOutputBytes: number; maxQueue: number }) {}

  async execute(request: ExecuteRequest): Promise<ExecuteOutcome> {
    let memory: WebAssembly.Memory | undefined;
    let output: Uint8Array | undefined;
    const view = () => new Uint8Array((memory as WebAssembly.Memory).buffer);
    const tc = {
      input_count: () => request.inputs.length,
      input_len: (i: number) => request.inputs[i]?.length ?? -1,
      input_read: (i: number, ptr: number, len: number) => {
        const input = request.inputs[i];
        if (input === undefined) return -1;
        const n = Math.min(len, input.length);
        view().set(input.subarray(0, n), ptr);
        return n;
      },
      output_write: (ptr: number, len: number) => {
        if (len > this.options.maxOutputBytes) throw new Error("OUTPUT_TOO_LARGE");
        output = view().slice(ptr, ptr + len);
        return len;
      },
      time_ms: () => request.timeMs,
      seed: (ptr: number) => view().set(request.seed, ptr),
    };
    try {
      const { instance } = await WebAssembly.instantiate(request.metered as Uint8Array<ArrayBuffer>, {
        tc,
        env: {
          abort: () => {
            throw new Error("ABORTED");
          },
        },
      });
      memory = instance.exports["memory"] as WebAssembly.Memory;
      const status = (instance.exports["run"] as () => number)();
      if (output === undefined) return { ok: false, reason: "NO_OUTPUT", gasUsed: 0n, message: "the function wrote no output" };
      return { ok: true, status, output, gasUsed: 0n };
    } catch (error) {
      const message = (error as Error).message;
      const reason: ExecFailure = message === "OUTPUT_TOO_LARGE" ? "OUTPUT_TOO_LARGE" : message === "ABORTED" ? "ABORTED" : "TRAP";
      return { ok: false, reason, gasUsed: 0n, message };
    }
  }

  async close(): Promise<void> {}
}
