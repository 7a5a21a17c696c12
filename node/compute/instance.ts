/**
 * One execution of a metered module, in the calling thread: a fresh instance, the `tc:compute/abi@1` host
 * functions over this execution's inputs, the gas budget set before `__start`, and the outcome classified.
 * The runtime's worker threads call this (node/compute/runtime-worker.ts); the wall-clock limit is theirs.
 *
 * Determinism: the host functions read only the request (inputs, time, seed), charge gas by a fixed rule,
 * and a new instance starts every execution from the module's initial state, so the same metered binary
 * and request give the same output and gas in every process.
 */
import { ABI_MODULE, ABORT_IMPORT, DEPTH_EXCEEDED, DEPTH_EXPORT, ENTRY_EXPORT, GAS_EXPORT, MEMORY_EXPORT, METER_COSTS, OOM_EXPORT, START_EXPORT } from "../../core/compute/abi.js";
import type { ExecFailure } from "../../core/compute/errors.js";

export interface InstanceRequest {
  readonly inputs: readonly Uint8Array[];
  readonly gasLimit: bigint;
  readonly timeMs: bigint;
  readonly seed: Uint8Array;
}

export type ExecuteOutcome =
  | { readonly ok: true; readonly status: number; readonly output: Uint8Array; readonly gasUsed: bigint }
  | { readonly ok: false; readonly reason: ExecFailure; readonly gasUsed: bigint; readonly message: string };

/** The largest budget an i64 counter holds. */
export const GAS_LIMIT_MAX = 2n ** 63n - 1n;

/** Thrown by a host function to stop the execution; the classification reads the flags, not this. */
class HostStop extends Error {}

export function executeInstance(module: WebAssembly.Module, request: InstanceRequest, maxOutputBytes: number): ExecuteOutcome {
  const gasLimit = request.gasLimit < 0n ? 0n : request.gasLimit > GAS_LIMIT_MAX ? GAS_LIMIT_MAX : request.gasLimit;
  let exports: Record<string, unknown> | undefined;
  let output: Uint8Array | undefined;
  const flags = { outputTooLarge: false, aborted: "" };

  // Set once instantiated; host functions run only after that (the start function was stripped at deploy).
  const live: { gas?: WebAssembly.Global<"i64">; memory?: WebAssembly.Memory } = {};
  const gas = (): WebAssembly.Global<"i64"> => {
    if (live.gas === undefined) throw new Error("bug: a host function ran before instantiation ended");
    return live.gas;
  };
  const memory = (): Uint8Array => new Uint8Array(live.memory?.buffer ?? new ArrayBuffer(0));
  /** Host calls pay a fixed cost plus their bytes; running out stops the execution (read as OUT_OF_GAS). */
  const charge = (bytes: number): void => {
    const g = gas();
    g.value = g.value - BigInt(METER_COSTS.hostCall + Math.floor(bytes / METER_COSTS.hostBytesPerGas));
    if (g.value < 0n) throw new HostStop("out of gas in a host call");
  };
  /** A guest range [ptr, ptr+len) inside memory, or a trap (the same one a guest load would raise). */
  const range = (ptr: number, len: number): [number, number] => {
    const start = ptr >>> 0;
    const end = start + (len >>> 0);
    if (end > memory().length) throw new HostStop(`memory access out of bounds (host call at ${start}+${len >>> 0})`);
    return [start, end];
  };

  const tc = {
    input_count: (): number => {
      charge(0);
      return request.inputs.length;
    },
    input_len: (i: number): number => {
      charge(0);
      return request.inputs[i]?.length ?? -1;
    },
    input_read: (i: number, ptr: number, len: number): number => {
      const input = request.inputs[i];
      if (input === undefined) {
        charge(0);
        return -1;
      }
      const n = Math.min(input.length, len >>> 0);
      charge(n);
      const [start] = range(ptr, n);
      memory().set(input.subarray(0, n), start);
      return n;
    },
    output_write: (ptr: number, len: number): number => {
      const n = len >>> 0;
      if (n > maxOutputBytes) {
        flags.outputTooLarge = true;
        throw new HostStop(`output of ${n} bytes exceeds the cap of ${maxOutputBytes} bytes`);
      }
      charge(n);
      const [start, end] = range(ptr, n);
      output = memory().slice(start, end);
      return n;
    },
    time_ms: (): bigint => {
      charge(0);
      return request.timeMs;
    },
    seed: (ptr: number): void => {
      charge(request.seed.length);
      const [start] = range(ptr, request.seed.length);
      memory().set(request.seed, start);
    },
  };
  const env = {
    [ABORT_IMPORT.name]: (msg: number, file: number, line: number, col: number): never => {
      flags.aborted = `${readAsString(memory(), msg) ?? "abort"} at ${readAsString(memory(), file) ?? "?"}:${line}:${col}`;
      throw new HostStop(flags.aborted);
    },
  };

  let status: number;
  try {
    const instance = new WebAssembly.Instance(module, { [ABI_MODULE]: tc, [ABORT_IMPORT.module]: env });
    exports = instance.exports as Record<string, unknown>;
    live.gas = exports[GAS_EXPORT] as WebAssembly.Global<"i64">;
    live.memory = exports[MEMORY_EXPORT] as WebAssembly.Memory;
  } catch (error) {
    // Validated at deploy: what fails here is allocating the initial memory (RangeError) or a data segment
    // out of bounds (a trap).
    return { ok: false, reason: error instanceof RangeError ? "MEMORY_LIMIT" : "TRAP", gasUsed: 0n, message: `instantiation failed: ${messageOf(error)}` };
  }
  try {
    gas().value = gasLimit;
    const start = exports[START_EXPORT];
    if (typeof start === "function") start();
    status = (exports[ENTRY_EXPORT] as () => number)();
  } catch (error) {
    const left = gas().value;
    const gasUsed = left < 0n ? gasLimit : gasLimit - left;
    return { ok: false, reason: classify(exports, flags, error), gasUsed, message: messageOf(error) };
  }
  const gasUsed = gasLimit - gas().value;
  if (output === undefined && status === 0) return { ok: false, reason: "NO_OUTPUT", gasUsed, message: "run() returned 0 without calling output_write" };
  return { ok: true, status, output: output ?? new Uint8Array(), gasUsed };
}

/** Which limit stopped the execution. Order matters: running out of gas explains any trap that follows. */
function classify(exports: Record<string, unknown>, flags: { outputTooLarge: boolean; aborted: string }, error: unknown): ExecFailure {
  const value = (name: string) => (exports[name] as WebAssembly.Global | undefined)?.value as bigint | number | undefined;
  if ((value(GAS_EXPORT) as bigint) < 0n) return "OUT_OF_GAS";
  if (value(DEPTH_EXPORT) === DEPTH_EXCEEDED) return "CALL_DEPTH";
  // V8's own stack limit (frames too large for the depth limit): not portable, but still a depth failure.
  if (error instanceof RangeError && /call stack/i.test(error.message)) return "CALL_DEPTH";
  if (flags.outputTooLarge) return "OUTPUT_TOO_LARGE";
  if (value(OOM_EXPORT) === 1) return "MEMORY_LIMIT";
  if (flags.aborted !== "") return "ABORTED";
  return "TRAP";
}

/** An AssemblyScript string (UTF-16LE, byte length at ptr − 4), for abort messages; undefined if unreadable. */
function readAsString(memory: Uint8Array, ptr: number): string | undefined {
  const p = ptr >>> 0;
  if (p < 4 || p > memory.length) return undefined;
  const bytes = new DataView(memory.buffer, memory.byteOffset).getUint32(p - 4, true);
  if (bytes > 4096 || p + bytes > memory.length || bytes % 2 !== 0) return undefined;
  return new TextDecoder("utf-16le").decode(memory.subarray(p, p + bytes));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
