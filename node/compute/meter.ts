/**
 * PLACEHOLDER until h-runtime lands (compute-design.md "Runtime API"): validates the module's imports and
 * its `run` export with V8 alone and returns it unmetered. h-runtime's binaryen pass replaces this file.
 */
import { COMPUTE_ABI, DEFAULT_CALL_DEPTH_MAX, DEFAULT_MEMORY_PAGES_MAX } from "../../core/compute/abi.js";
import { ComputeError } from "../../core/compute/errors.js";
import { currentMeterInfo, type MeterInfo } from "../../core/compute/records.js";

export interface MeteredModule {
  readonly metered: Uint8Array;
  readonly meter: MeterInfo;
}

const HOST = new Set(["tc.input_count", "tc.input_len", "tc.input_read", "tc.output_write", "tc.time_ms", "tc.seed", "env.abort"]);

export async function meterModule(bytes: Uint8Array, options: { memoryPagesMax?: number; callDepthMax?: number } = {}): Promise<MeteredModule> {
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  } catch (error) {
    throw new ComputeError("WASM_INVALID", `not a WebAssembly module: ${(error as Error).message}`);
  }
  for (const entry of WebAssembly.Module.imports(module)) {
    if (!HOST.has(`${entry.module}.${entry.name}`)) throw new ComputeError("WASM_IMPORT_FORBIDDEN", `import ${entry.module}.${entry.name} is not in ${COMPUTE_ABI}`);
  }
  if (!WebAssembly.Module.exports(module).some((e) => e.name === "run" && e.kind === "function")) throw new ComputeError("WASM_NO_RUN_EXPORT", "the module exports no run function");
  return {
    metered: bytes,
    meter: currentMeterInfo(options.memoryPagesMax ?? DEFAULT_MEMORY_PAGES_MAX, options.callDepthMax ?? DEFAULT_CALL_DEPTH_MAX),
  };
}
