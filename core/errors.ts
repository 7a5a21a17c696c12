/**
 * Typed errors for the protocol core.
 *
 * Every expected failure (a malformed DID, an escalated capability, a forged signature) is a
 * `TinyCloudError` with a stable machine-readable `code` and a literal `name`, so callers branch on
 * `code` and HTTP layers map codes to status codes without parsing messages. Bugs are plain throws.
 * `toJSON()` keeps errors intact across worker/queue boundaries.
 */

export type ErrorDetails = Readonly<Record<string, unknown>>;

export interface TinyCloudErrorOptions {
  readonly cause?: unknown;
  readonly details?: ErrorDetails;
}

export abstract class TinyCloudError<Code extends string = string> extends Error {
  abstract override readonly name: string;
  readonly code: Code;
  readonly details: ErrorDetails | undefined;

  constructor(code: Code, message: string, options: TinyCloudErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
  }

  toJSON(): { name: string; code: Code; message: string; details?: ErrorDetails } {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

export type EncodingErrorCode = "ENCODING_BAD_BASE64" | "ENCODING_BAD_PADDING" | "ENCODING_BAD_UTF8" | "ENCODING_BAD_JSON" | "ENCODING_BAD_CBOR" | "ENCODING_BAD_CID" | "ENCODING_BAD_HEX";

/** Bytes or text that cannot be decoded at all (before any protocol meaning is attached). */
export class EncodingError extends TinyCloudError<EncodingErrorCode> {
  override readonly name = "EncodingError" as const;
}

export type DidErrorCode = "DID_MALFORMED" | "DID_UNSUPPORTED_METHOD" | "DID_BAD_CHAIN_ID" | "DID_BAD_ADDRESS" | "DID_BAD_CHECKSUM" | "DID_BAD_KEY" | "DID_UNSUPPORTED_KEY_TYPE" | "DID_BAD_FRAGMENT";

export class DidError extends TinyCloudError<DidErrorCode> {
  override readonly name = "DidError" as const;
}

export type ResourceUriErrorCode =
  | "URI_BAD_SCHEME"
  | "URI_BAD_DID"
  | "URI_MISSING_SPACE"
  | "URI_BAD_SPACE_NAME"
  | "URI_MISSING_SERVICE"
  | "URI_BAD_SERVICE"
  | "URI_BAD_PATH"
  | "URI_BAD_PERCENT_ENCODING"
  | "URI_DOT_SEGMENT"
  | "URI_BAD_URN";

export class ResourceUriError extends TinyCloudError<ResourceUriErrorCode> {
  override readonly name = "ResourceUriError" as const;
}

export type AbilityErrorCode = "ABILITY_MALFORMED" | "ABILITY_UNKNOWN" | "ABILITY_BAD_NAMESPACE";

export class AbilityError extends TinyCloudError<AbilityErrorCode> {
  override readonly name = "AbilityError" as const;
}

export type CacaoErrorCode =
  | "CACAO_MALFORMED"
  | "CACAO_UNSUPPORTED_TYPE"
  | "CACAO_BAD_SIGNATURE"
  | "CACAO_ISSUER_MISMATCH"
  | "CACAO_MISSING_RECAP"
  | "CACAO_RECAP_NOT_LAST"
  | "CACAO_RECAP_MALFORMED"
  | "CACAO_RECAP_NOT_CANONICAL"
  | "CACAO_STATEMENT_MISMATCH"
  | "CACAO_BAD_TIMESTAMP"
  | "CACAO_NON_CANONICAL";

export class CacaoError extends TinyCloudError<CacaoErrorCode> {
  override readonly name = "CacaoError" as const;
}

export type UcanErrorCode = "UCAN_MALFORMED" | "UCAN_UNSUPPORTED_VERSION" | "UCAN_UNSUPPORTED_ALGORITHM" | "UCAN_BAD_SIGNATURE" | "UCAN_JWK_MISMATCH" | "UCAN_EMPTY_CAVEATS" | "UCAN_BAD_PROOF_LINK";

export class UcanError extends TinyCloudError<UcanErrorCode> {
  override readonly name = "UcanError" as const;
}

export type AuthorityErrorCode =
  | "AUTH_NOT_YET_VALID"
  | "AUTH_EXPIRED"
  | "AUTH_LIFETIME_TOO_LONG"
  | "AUTH_MISSING_PROOF"
  | "AUTH_UNKNOWN_PROOF"
  | "AUTH_AUDIENCE_MISMATCH"
  | "AUTH_RESOURCE_ESCALATION"
  | "AUTH_ABILITY_ESCALATION"
  | "AUTH_CAVEAT_ESCALATION"
  | "AUTH_EXPIRY_EXCEEDS_PARENT"
  | "AUTH_STARTS_BEFORE_PARENT"
  | "AUTH_REVOKED"
  | "AUTH_TERMINAL_DELEGATION"
  | "AUTH_CHAIN_TOO_DEEP"
  | "AUTH_UNAUTHORIZED_REVOKER"
  | "AUTH_NO_CAPABILITIES";

/** The token is well-formed and correctly signed, but does not carry the authority it claims. */
export class AuthorityError extends TinyCloudError<AuthorityErrorCode> {
  override readonly name = "AuthorityError" as const;
}

export type ProtocolError = EncodingError | DidError | ResourceUriError | AbilityError | CacaoError | UcanError | AuthorityError;

export function isProtocolError(value: unknown): value is ProtocolError {
  return value instanceof TinyCloudError;
}

/** A value-level result for expected failures, in the style of ucanto's `Result`. */
export type Result<T, E = ProtocolError> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

export const ok = <T>(value: T): { readonly ok: true; readonly value: T } => ({ ok: true, value });
export const err = <E>(error: E): { readonly ok: false; readonly error: E } => ({ ok: false, error });
