/**
 * HTTP errors: plain-text bodies `<CODE>: <message>` (core/http-errors.ts formats them, the client
 * parses them). A code's status comes from HTTP_STATUS; every protocol error maps to a 4xx, and a
 * typed error whose code has no status is a bug: a logged 500, never a guessed 401.
 */
import { TinyCloudError, type TinyCloudErrorOptions } from "../../core/errors.js";
import { HTTP_STATUS, type HttpErrorCode, isHttpErrorCode } from "../../core/http-errors.js";

export class HttpError extends TinyCloudError<HttpErrorCode> {
  override readonly name = "HttpError" as const;
  readonly status: number;
  /** Response headers the answer carries (Retry-After on 429 and 503). */
  readonly headers: Readonly<Record<string, string>>;
  constructor(code: HttpErrorCode, message: string, options?: TinyCloudErrorOptions & { readonly headers?: Readonly<Record<string, string>> }) {
    super(code, message, options);
    this.status = HTTP_STATUS[code];
    this.headers = options?.headers ?? {};
  }
}

/** The HttpError for a typed error; undefined for anything else (the caller logs it as a bug). */
export function toHttpError(error: unknown): HttpError | undefined {
  if (error instanceof HttpError) return error;
  if (!(error instanceof TinyCloudError)) return undefined;
  if (isHttpErrorCode(error.code)) return new HttpError(error.code, error.message);
  console.error(`bug: ${error.name} ${error.code} has no HTTP status (add it to core/http-errors.ts):`, error);
  return new HttpError("INTERNAL", "internal error", { cause: error });
}
