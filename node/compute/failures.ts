/** A failed execution (ExecuteOutcome.ok false) as the 4xx the caller gets: 422, or 413 for a huge output. */
import type { HttpErrorCode } from "../../core/http-errors.js";
import { HttpError } from "../server/http-error.js";
import type { ExecFailure } from "./runtime.js";

const CODES: Readonly<Record<ExecFailure, HttpErrorCode>> = {
  OUT_OF_GAS: "COMPUTE_OUT_OF_GAS",
  CALL_DEPTH: "COMPUTE_CALL_DEPTH",
  TRAP: "COMPUTE_TRAP",
  ABORTED: "COMPUTE_ABORTED",
  MEMORY_LIMIT: "COMPUTE_MEMORY_LIMIT",
  OUTPUT_TOO_LARGE: "COMPUTE_OUTPUT_TOO_LARGE",
  WALL_CLOCK: "COMPUTE_WALL_CLOCK",
  NO_OUTPUT: "COMPUTE_NO_OUTPUT",
};

export function failureError(reason: ExecFailure, message: string, gasUsed: bigint, gasLimit: bigint): HttpError {
  const code = Object.hasOwn(CODES, reason) ? CODES[reason] : "COMPUTE_TRAP";
  return new HttpError(code, `${message} (gas used ${gasUsed} of ${gasLimit}); nothing was stored`);
}
