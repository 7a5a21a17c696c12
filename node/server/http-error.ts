/**
 * HTTP errors: plain-text bodies `<CODE>: <message>` (the reference node answers plain text, and the
 * SDK parses 401/403 texts). Every protocol error maps to a 4xx; only a bug becomes a 500.
 */
import { TinyCloudError } from "../../core/errors.js";

export class HttpError extends Error {
  override readonly name = "HttpError" as const;
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  AUTH_UNAUTHORIZED_REVOKER: 403,
  ABILITY_UNKNOWN: 400,
  ABILITY_MALFORMED: 400,
  ABILITY_BAD_NAMESPACE: 400,
};

/** Status for a typed protocol error: bad URIs and abilities are 400, bad or insufficient credentials 401. */
export function statusOf(error: TinyCloudError): number {
  const explicit = STATUS_BY_CODE[error.code];
  if (explicit !== undefined) return explicit;
  if (error.name === "ResourceUriError") return 400;
  return 401;
}

export function toHttpError(error: unknown): HttpError | undefined {
  if (error instanceof HttpError) return error;
  if (error instanceof TinyCloudError) return new HttpError(statusOf(error), error.code, error.message);
  return undefined;
}
