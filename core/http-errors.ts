/**
 * The node's HTTP error vocabulary, shared by the server (node/server) and the client (node/client,
 * the browser): every code the node can answer, its one status, and the plain-text body
 * `<CODE>: <message>` (the reference node answers plain text, and the SDK parses 401/403 texts).
 *
 * `HTTP_STATUS` is total over `HttpErrorCode`: a protocol or state-tree code without a status is a
 * compile error (the `satisfies` clauses below), and a server code exists only as a key of the map.
 * The one exception: Fastify's own 4xx (413 body too large, 415, …) keep Fastify's status and FST_* code
 * (node/server/app.ts's error handler).
 * Pure and browser-safe: type-only imports from the core.
 */
import type { ComputeErrorCode, ExecFailureCode } from "./compute/errors.js";
import type { ProtocolError } from "./errors.js";
import type { StateErrorCode } from "./state/state-tree.js";

export type ProtocolErrorCode = ProtocolError["code"];

/**
 * Typed protocol errors: undecodable or insufficient credentials are 401, except a revocation by
 * someone who may not revoke (403) and a bad resource URI or ability, which are the request's fault (400).
 */
const PROTOCOL_STATUS = {
  // EncodingError
  ENCODING_BAD_BASE64: 401,
  ENCODING_BAD_PADDING: 401,
  ENCODING_BAD_UTF8: 401,
  ENCODING_BAD_JSON: 401,
  ENCODING_BAD_CBOR: 401,
  ENCODING_BAD_CID: 401,
  ENCODING_BAD_HEX: 401,
  // DidError
  DID_MALFORMED: 401,
  DID_UNSUPPORTED_METHOD: 401,
  DID_BAD_CHAIN_ID: 401,
  DID_BAD_ADDRESS: 401,
  DID_BAD_CHECKSUM: 401,
  DID_BAD_KEY: 401,
  DID_UNSUPPORTED_KEY_TYPE: 401,
  DID_BAD_FRAGMENT: 401,
  // ResourceUriError
  URI_BAD_SCHEME: 400,
  URI_BAD_DID: 400,
  URI_MISSING_SPACE: 400,
  URI_BAD_SPACE_NAME: 400,
  URI_MISSING_SERVICE: 400,
  URI_BAD_SERVICE: 400,
  URI_BAD_PATH: 400,
  URI_BAD_PERCENT_ENCODING: 400,
  URI_DOT_SEGMENT: 400,
  URI_BAD_URN: 400,
  // AbilityError
  ABILITY_MALFORMED: 400,
  ABILITY_UNKNOWN: 400,
  ABILITY_BAD_NAMESPACE: 400,
  // CacaoError
  CACAO_MALFORMED: 401,
  CACAO_UNSUPPORTED_TYPE: 401,
  CACAO_BAD_SIGNATURE: 401,
  CACAO_ISSUER_MISMATCH: 401,
  CACAO_MISSING_RECAP: 401,
  CACAO_RECAP_NOT_LAST: 401,
  CACAO_RECAP_MALFORMED: 401,
  CACAO_RECAP_NOT_CANONICAL: 401,
  CACAO_STATEMENT_MISMATCH: 401,
  CACAO_BAD_TIMESTAMP: 401,
  // One encoding per wire form: a re-encoded CACAO is the request's fault, not bad credentials.
  CACAO_NON_CANONICAL: 400,
  // UcanError
  UCAN_MALFORMED: 401,
  UCAN_UNSUPPORTED_VERSION: 401,
  UCAN_UNSUPPORTED_ALGORITHM: 401,
  UCAN_BAD_SIGNATURE: 401,
  UCAN_JWK_MISMATCH: 401,
  UCAN_EMPTY_CAVEATS: 401,
  UCAN_BAD_PROOF_LINK: 401,
  // AuthorityError
  AUTH_NOT_YET_VALID: 401,
  AUTH_EXPIRED: 401,
  AUTH_LIFETIME_TOO_LONG: 401,
  AUTH_MISSING_PROOF: 401,
  AUTH_UNKNOWN_PROOF: 401,
  AUTH_AUDIENCE_MISMATCH: 401,
  AUTH_RESOURCE_ESCALATION: 401,
  AUTH_ABILITY_ESCALATION: 401,
  AUTH_CAVEAT_ESCALATION: 401,
  AUTH_EXPIRY_EXCEEDS_PARENT: 401,
  AUTH_STARTS_BEFORE_PARENT: 401,
  AUTH_REVOKED: 401,
  AUTH_TERMINAL_DELEGATION: 401,
  AUTH_CHAIN_TOO_DEEP: 401,
  AUTH_UNAUTHORIZED_REVOKER: 403,
  AUTH_NO_CAPABILITIES: 401,
} as const satisfies Record<ProtocolErrorCode, number>;

/** A write the state tree cannot take (node/server/kv-writer.ts): full for a new key 409, a key it cannot represent 400. */
const STATE_STATUS = {
  STATE_TREE_FULL: 409,
  STATE_RESERVED_KEY: 400,
  STATE_BAD_PROOF: 400,
  STATE_MISSING_KEY: 400,
  STATE_OUT_OF_FIELD: 400,
  STATE_BAD_KEY: 400,
} as const satisfies Record<StateErrorCode | "STATE_BAD_KEY", number>;

/**
 * The compute runtime (issue 14): a module refused at deploy is the request's fault (400), too large 413;
 * an execution that fails is 422 (the function ran and failed), except an output over the cap (413);
 * a full execution queue is 503 with Retry-After.
 */
const COMPUTE_STATUS = {
  WASM_INVALID: 400,
  WASM_FEATURE_FORBIDDEN: 400,
  WASM_IMPORT_FORBIDDEN: 400,
  WASM_NO_RUN_EXPORT: 400,
  WASM_MEMORY_FORBIDDEN: 400,
  WASM_TABLE_FORBIDDEN: 400,
  WASM_TOO_COMPLEX: 400,
  WASM_UNSUPPORTED_INSTRUCTION: 400,
  COMPUTE_MODULE_TOO_LARGE: 413,
  COMPUTE_OUT_OF_GAS: 422,
  COMPUTE_TRAP: 422,
  COMPUTE_CALL_DEPTH: 422,
  COMPUTE_MEMORY_LIMIT: 422,
  COMPUTE_WALL_CLOCK: 422,
  COMPUTE_ABORTED: 422,
  COMPUTE_NO_OUTPUT: 422,
  COMPUTE_OUTPUT_TOO_LARGE: 413,
  COMPUTE_BUSY: 503,
  COMPUTE_CLOSED: 503,
} as const satisfies Record<ComputeErrorCode | ExecFailureCode | "COMPUTE_MODULE_TOO_LARGE", number>;

/**
 * The compute service (node/compute): a bad execute body or function name 400; a grant's data caveats
 * refuse an input, output, function or gas amount 403; an unknown function, input or execution 404; inputs
 * over the limit 413; the per-space quotas (deployed bytes, gas per period) 429.
 */
const COMPUTE_SERVICE_STATUS = {
  COMPUTE_BAD_REQUEST: 400,
  COMPUTE_BAD_NAME: 400,
  COMPUTE_CAVEAT_INPUT: 403,
  COMPUTE_CAVEAT_OUTPUT: 403,
  COMPUTE_CAVEAT_FUNCTION: 403,
  COMPUTE_CAVEAT_GAS: 403,
  COMPUTE_FUNCTION_NOT_FOUND: 404,
  COMPUTE_INPUT_NOT_FOUND: 404,
  COMPUTE_EXECUTION_NOT_FOUND: 404,
  COMPUTE_INPUT_TOO_LARGE: 413,
  COMPUTE_GAS_QUOTA: 429,
  COMPUTE_DEPLOY_QUOTA: 429,
} as const;

/** The node's own codes (routes, services, the framework glue in node/server/app.ts). */
const SERVER_STATUS = {
  // 400: the request is malformed
  BAD_REQUEST: 400,
  BAD_URL: 400,
  BAD_BATCH: 400,
  BAD_BATCH_NUMBER: 400,
  BAD_CID: 400,
  BAD_CIRCUIT: 400,
  BAD_CURSOR: 400,
  BAD_IF_MATCH: 400,
  BAD_IF_NONE_MATCH: 400,
  BAD_LIMIT: 400,
  BAD_MAX_RESPONSE_BYTES: 400,
  BATCH_ALIAS: 400,
  BAD_QUERY: 400,
  BAD_RESOURCE: 400,
  RESOURCE_WRONG_SERVICE: 400,
  BAD_SPACE_ID: 400,
  BAD_URI: 400,
  BAD_VERSION: 400,
  MISSING_KEY: 400,
  MISSING_URI: 400,
  MIXED_SERVICES: 400,
  REVOCATION_FORMAT: 400,
  UNSUPPORTED_HEADER: 400,
  BAD_HTTP_REQUEST: 400,
  UNSUPPORTED_CAVEAT: 400,
  WRONG_ENDPOINT: 400,
  // 401: no usable invocation
  MISSING_AUTHORIZATION: 401,
  NOT_A_UCAN: 401,
  BAD_AUTHORIZATION: 401,
  NOT_AN_INVOCATION: 401,
  ADMIN_UNAUTHORIZED: 401,
  // 403: authenticated, not allowed
  HOST_NOT_OWNER: 403,
  ADMIN_DISABLED: 403,
  HOST_WRONG_NODE: 403,
  SPACE_NOT_PUBLIC: 403,
  PRIVATE_SPACE: 403,
  /** A policy caveat's policy did not allow the invocation (node/policy). */
  POLICY_DENIED: 403,
  // 404
  NOT_FOUND: 404,
  BATCH_NOT_FOUND: 404,
  BLOCK_NOT_FOUND: 404,
  DELEGATION_NOT_FOUND: 404,
  EPOCH_NOT_FOUND: 404,
  EVENT_NOT_FOUND: 404,
  KV_NOT_FOUND: 404,
  SPACE_NOT_FOUND: 404,
  VKEY_NOT_FOUND: 404,
  // conflicts and preconditions
  REQUEST_TIMEOUT: 408,
  REPLAYED_INVOCATION: 409,
  PRECONDITION_FAILED: 412,
  KV_TOO_LARGE: 413,
  RESPONSE_TOO_LARGE: 413,
  SPACE_QUOTA_EXCEEDED: 413,
  CAVEAT_MAX_SIZE: 413,
  URL_TOO_LONG: 414,
  // load shedding: retry after the Retry-After header's seconds
  BACKLOG_FULL: 429,
  HEADERS_TOO_LARGE: 431,
  // 5xx: a bug, a missing feature, a closed store
  INTERNAL: 500,
  SERVICE_NOT_SUPPORTED: 501,
  STORE_CLOSED: 503,
  NODE_BUSY: 503,
  NODE_QUOTA_EXCEEDED: 507,
  /** /healthz while writes fail for lack of disk space (reads are still served). */
  DEGRADED: 503,
  /** A write refused because the data directory's disk is full; retried once space is freed. */
  INSUFFICIENT_STORAGE: 507,
  // SQL service (node/sql): bad statements 400, authorizer refusals 403, limits 413
  SQL_ERROR: 400,
  SQL_NOT_ONE_STATEMENT: 400,
  SQL_BAD_PARAMS: 400,
  SQL_BAD_REQUEST: 400,
  SQL_NO_PRIMARY_KEY: 400,
  SQL_NOT_A_QUERY: 400,
  SQL_DENIED: 403,
  SQL_NON_DETERMINISTIC: 403,
  SQL_STATEMENT_NOT_ALLOWED: 403,
  SQL_FIXED_PARAM_OVERRIDE: 403,
  SQL_TOO_LARGE: 413,
  SQL_QUOTA_EXCEEDED: 413,
  /** A read stopped at the node's time limit (not 408: clients retry those). */
  SQL_TIMEOUT: 422,
} as const;

export type HttpErrorCode = ProtocolErrorCode | keyof typeof STATE_STATUS | keyof typeof COMPUTE_STATUS | keyof typeof COMPUTE_SERVICE_STATUS | keyof typeof SERVER_STATUS;

/** The one status of every code the node answers. */
export const HTTP_STATUS: { readonly [K in HttpErrorCode]: number } = { ...PROTOCOL_STATUS, ...STATE_STATUS, ...COMPUTE_STATUS, ...COMPUTE_SERVICE_STATUS, ...SERVER_STATUS };

export function isHttpErrorCode(code: string): code is HttpErrorCode {
  return Object.hasOwn(HTTP_STATUS, code);
}

/** A code as a client receives it: one of ours, or whatever another server sends. */
export type ReceivedErrorCode = HttpErrorCode | (string & {});

/** The code a client reports for an error body that is not `<CODE>: <message>`. */
export const UNPARSED_ERROR_CODE = "HTTP_ERROR";

/** The plain-text error body: `<CODE>: <message>`. */
export function formatErrorBody(code: string, message: string): string {
  return `${code}: ${message}`;
}

/** Split an error body into code and message; a body without `<CODE>: ` is all message, code `HTTP_ERROR`. */
export function parseErrorBody(text: string): { readonly code: ReceivedErrorCode; readonly message: string } {
  const colon = text.indexOf(": ");
  return colon > 0 ? { code: text.slice(0, colon), message: text.slice(colon + 2) } : { code: UNPARSED_ERROR_CODE, message: text };
}
