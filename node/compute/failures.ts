/** A failed execution (ExecuteOutcome.ok false) as the 4xx the caller gets: 422, or 413 for a huge output. */
import { execFailureCode } from "../../core/compute/errors.js";
import { isHttpErrorCode } from "../../core/http-errors.js";
import { HttpError } from "../server/http-error.js";
import type { ExecFailure } from "./runtime.js";

export function failureError(reason: ExecFailure, message: string, gasUsed: bigint, gasLimit: bigint): HttpError {
  const named = execFailureCode(reason);
  const code = isHttpErrorCode(named) ? named : "COMPUTE_TRAP";
  return new HttpError(code, `${message} (gas used ${gasUsed} of ${gasLimit}); nothing was stored`);
}
