/**
 * Typed compute errors. Deploy-time rejections (the module is not acceptable) are `ComputeError`s with a
 * `WASM_*` code; the runtime's own refusals (queue full, shut down) are `COMPUTE_BUSY` / `COMPUTE_CLOSED`.
 * An execution that runs and fails is not an error but an outcome (`ExecFailure`), mapped to its HTTP code
 * by `execFailureCode`.
 */
import { TinyCloudError } from "../errors.js";

export type ComputeErrorCode =
  | "WASM_INVALID"
  | "WASM_FEATURE_FORBIDDEN"
  | "WASM_IMPORT_FORBIDDEN"
  | "WASM_NO_RUN_EXPORT"
  | "WASM_MEMORY_FORBIDDEN"
  | "WASM_TABLE_FORBIDDEN"
  | "WASM_TOO_COMPLEX"
  | "WASM_UNSUPPORTED_INSTRUCTION"
  | "COMPUTE_BUSY"
  | "COMPUTE_CLOSED";

export class ComputeError extends TinyCloudError<ComputeErrorCode> {
  override readonly name = "ComputeError" as const;
}

export function isComputeError(value: unknown, code?: ComputeErrorCode): value is ComputeError {
  return value instanceof ComputeError && (code === undefined || value.code === code);
}

/** Why an execution failed (the runtime classifies every failure as exactly one of these). */
export const EXEC_FAILURES = ["OUT_OF_GAS", "CALL_DEPTH", "TRAP", "ABORTED", "MEMORY_LIMIT", "OUTPUT_TOO_LARGE", "WALL_CLOCK", "NO_OUTPUT"] as const;
export type ExecFailure = (typeof EXEC_FAILURES)[number];

/** The HTTP error code of a failed execution: `COMPUTE_<reason>`. */
export type ExecFailureCode = `COMPUTE_${ExecFailure}`;
export function execFailureCode(reason: ExecFailure): ExecFailureCode {
  return `COMPUTE_${reason}`;
}
