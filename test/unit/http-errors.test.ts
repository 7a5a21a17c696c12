/**
 * The HTTP error vocabulary (core/http-errors.ts): the status map is total (checked by the compiler,
 * and here at runtime), error bodies round-trip between the server's formatter and the client's
 * parser, and a typed error whose code has no status is a logged 500, not a 401.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { AbilityError, AuthorityError, ResourceUriError, TinyCloudError } from "../../core/errors.js";
import { formatErrorBody, HTTP_STATUS, type HttpErrorCode, isHttpErrorCode, parseErrorBody, type ProtocolErrorCode, UNPARSED_ERROR_CODE } from "../../core/http-errors.js";
import type { StateErrorCode } from "../../core/state/state-tree.js";
import { StateError } from "../../core/state/state-tree.js";
import { TinyCloudHttpError } from "../../node/client/client.js";
import { ChainError } from "../../node/chain/contract-errors.js";
import { HttpError, toHttpError } from "../../node/server/http-error.js";

// Compile-time: every code the server can raise is an HttpErrorCode (a new protocol or state code
// without a status fails `tsc` in core/http-errors.ts before it fails here).
const protocolCodesAreHttpCodes: readonly HttpErrorCode[] = [] as ProtocolErrorCode[];
const stateCodesAreHttpCodes: readonly HttpErrorCode[] = [] as StateErrorCode[];
void [protocolCodesAreHttpCodes, stateCodesAreHttpCodes];

const codes = Object.keys(HTTP_STATUS) as HttpErrorCode[];

test("default: every code of the status map has one 4xx/5xx status", () => {
  assert.ok(codes.length > 100, `${codes.length} codes`);
  for (const code of codes) {
    const status = HTTP_STATUS[code];
    assert.ok(Number.isInteger(status) && status >= 400 && status <= 599, `${code} → ${status}`);
    assert.match(code, /^[A-Z][A-Z0-9_]*$/, "codes are UPPER_SNAKE (the body parser relies on it)");
    assert.equal(new HttpError(code, "m").status, status);
  }
});

test("default: the protocol statuses are today's: 400 for URIs, abilities and non-canonical CACAOs, 403 for a foreign revoker, 401 otherwise", () => {
  for (const code of codes) {
    const badRequest = code.startsWith("URI_") || code.startsWith("ABILITY_") || code === "CACAO_NON_CANONICAL";
    const expected = badRequest ? 400 : code === "AUTH_UNAUTHORIZED_REVOKER" ? 403 : 401;
    if (/^(ENCODING|DID|URI|ABILITY|CACAO|UCAN|AUTH)_/.test(code)) assert.equal(HTTP_STATUS[code], expected, code);
  }
  assert.equal(toHttpError(new AuthorityError("AUTH_EXPIRED", "expired"))?.status, 401);
  assert.equal(toHttpError(new AuthorityError("AUTH_UNAUTHORIZED_REVOKER", "not yours"))?.status, 403);
  assert.equal(toHttpError(new AbilityError("ABILITY_UNKNOWN", "what"))?.status, 400);
  assert.equal(toHttpError(new ResourceUriError("URI_BAD_SCHEME", "http:"))?.status, 400);
  assert.equal(toHttpError(new StateError("STATE_TREE_FULL", "full"))?.status, 409);
  assert.equal(HTTP_STATUS.STATE_BAD_KEY, 400);
  assert.equal(HTTP_STATUS.KV_NOT_FOUND, 404);
  assert.equal(HTTP_STATUS.URL_TOO_LONG, 414);
  assert.equal(HTTP_STATUS.INTERNAL, 500);
});

test("default: a typed error whose code has no status is a logged 500 INTERNAL, not a 401", (t) => {
  const logged = t.mock.method(console, "error", () => {});
  const chain = new ChainError("CHAIN_REVERTED", "reverted");
  assert.equal(isHttpErrorCode(chain.code), false);
  const answer = toHttpError(chain);
  assert.ok(answer instanceof HttpError);
  assert.equal(answer.status, 500);
  assert.equal(answer.code, "INTERNAL");
  assert.equal(answer.message, "internal error", "the internal message is not leaked");
  assert.equal(logged.mock.callCount(), 1, "logged as a bug");
  assert.equal(toHttpError(new Error("plain")), undefined, "untyped errors are left to the caller");
  const http = new HttpError("KV_NOT_FOUND", "no value");
  assert.equal(toHttpError(http), http);
  assert.ok(http instanceof TinyCloudError);
  assert.deepEqual(http.toJSON(), { name: "HttpError", code: "KV_NOT_FOUND", message: "no value" });
});

test("default: error bodies round-trip between formatErrorBody and parseErrorBody", () => {
  for (const code of codes) {
    for (const message of ["plain", "with: a colon", "", "multi\nline: text"]) {
      assert.deepEqual(parseErrorBody(formatErrorBody(code, message)), { code, message });
    }
  }
  assert.equal(formatErrorBody("KV_NOT_FOUND", "no value at a"), "KV_NOT_FOUND: no value at a");
  assert.deepEqual(parseErrorBody("Bad Gateway"), { code: UNPARSED_ERROR_CODE, message: "Bad Gateway" });
  assert.deepEqual(parseErrorBody(": no code"), { code: UNPARSED_ERROR_CODE, message: ": no code" });
  assert.deepEqual(parseErrorBody("SOME_OTHER_SERVER_CODE: x"), { code: "SOME_OTHER_SERVER_CODE", message: "x" });
});

test("default: the client's TinyCloudHttpError is a TinyCloudError with the server's code", () => {
  const error = new TinyCloudHttpError(404, "KV_NOT_FOUND", "no value at a");
  assert.ok(error instanceof TinyCloudError);
  assert.equal(error.name, "TinyCloudHttpError");
  assert.equal(error.code, "KV_NOT_FOUND");
  assert.equal(error.status, 404);
  assert.equal(error.message, "404 KV_NOT_FOUND: no value at a");
});
