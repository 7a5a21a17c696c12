/**
 * The compute host ABI `tc:compute/abi@1`: the only imports a deployed function may have, its entry point,
 * and the gas schedule of the metering pass. Shared by the metering pass (deploy), the runtime (execute),
 * the deploy record (what an auditor re-runs) and the SDK (compute/sdk). Pure constants: no I/O.
 *
 * A function reads the inputs that the invocation's capabilities allow, writes one output, and returns a
 * status; it has no clock and no randomness except the invocation's signed time and a seed derived from it.
 */

export const COMPUTE_ABI = "tc:compute/abi@1";

/** Module name of every host import. */
export const ABI_MODULE = "tc";

/** Host imports: name → wasm signature (params → results), exactly as a module must declare them. */
export const ABI_IMPORTS = {
  /** Number of inputs. */
  input_count: { params: [], results: ["i32"] },
  /** Byte length of input i, −1 if there is none. */
  input_len: { params: ["i32"], results: ["i32"] },
  /** Copy up to `len` bytes of input i to `ptr`; returns the bytes copied (charges gas ∝ len). */
  input_read: { params: ["i32", "i32", "i32"], results: ["i32"] },
  /** Set the one output (a second call replaces it); over the output cap traps OUTPUT_TOO_LARGE. */
  output_write: { params: ["i32", "i32"], results: ["i32"] },
  /** The invocation's signed time in milliseconds since the epoch. */
  time_ms: { params: [], results: ["i64"] },
  /** Writes 32 bytes: sha256("tc:compute/seed@1" ‖ invocation token hash). */
  seed: { params: ["i32"], results: [] },
} as const satisfies Readonly<Record<string, { readonly params: readonly WasmValueType[]; readonly results: readonly WasmValueType[] }>>;

export type WasmValueType = "i32" | "i64" | "f32" | "f64";
export type AbiImportName = keyof typeof ABI_IMPORTS;

/** AssemblyScript's `abort(msg, file, line, col)`, allowed so that its default runtime links (→ ABORTED). */
export const ABORT_IMPORT = { module: "env", name: "abort", params: ["i32", "i32", "i32", "i32"], results: [] } as const;

/** The entry point: `run() -> i32` (0 = ok; non-zero = the function's own failure code, still a result). */
export const ENTRY_EXPORT = "run";

/** Exports the metering pass adds (a module that already exports one of these names is refused). */
export const GAS_EXPORT = "__gas";
export const START_EXPORT = "__start";
/** The module's memory, re-exported under this name (the host ABI reads and writes it). */
export const MEMORY_EXPORT = "memory";
/** Current call depth; set to `DEPTH_EXCEEDED` when the depth limit trapped. */
export const DEPTH_EXPORT = "__depth";
export const DEPTH_EXCEEDED = -1;
/** 1 once a memory.grow was refused (the cap): the trap that follows reads as MEMORY_LIMIT. */
export const OOM_EXPORT = "__oom";

/** Domain separator of the execution seed. */
export const SEED_DOMAIN = "tc:compute/seed@1";

/** Name and version of the metering pass; a change of the schedule below is a new version. */
export const METER_PASS = "tc-meter@1";
export const METER_TOOL = "binaryen";
export const METER_TOOL_VERSION = "132.0.0";

/**
 * The gas schedule (all integers). A region's static cost is the number of IR nodes in it, charged once at
 * function entry and once per loop iteration, so the charge is an upper bound of the work until the next
 * charge point. Variable-size work is charged by size at the point it happens.
 */
export const METER_COSTS = {
  /** Per binaryen IR node of a straight-line region (function body or loop body, nested loops excluded). */
  node: 1,
  /** memory.copy / memory.fill / memory.init / table.copy / table.fill / table.init: one gas per this many bytes (elements). */
  bulkBytesPerGas: 64,
  /** memory.grow: per page requested (a grow zeroes 64 KiB). */
  memoryGrowPage: 1024,
  /** Every host call. */
  hostCall: 10,
  /** input_read / output_write: one gas per this many bytes copied. */
  hostBytesPerGas: 16,
} as const;
export type MeterCosts = typeof METER_COSTS;

/** Defaults of the deploy-time limits (the deploy record pins the values used). */
export const DEFAULT_MEMORY_PAGES_MAX = 256; // 16 MiB
export const DEFAULT_CALL_DEPTH_MAX = 1000;
export const WASM_PAGE_BYTES = 65_536;
