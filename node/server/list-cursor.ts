/**
 * Opaque `kv/list` cursors: base64url(JSON{after, mac}) where the MAC binds the position to the invoker,
 * space, prefix and limit, so a cursor cannot be replayed by someone else or against another listing.
 */
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, bytesToUtf8, decodeBase64UrlUnpadded, encodeBase64UrlUnpadded, isPlainObject, utf8ToBytes } from "../../core/encoding.js";
import { HttpError } from "./http-error.js";

export interface CursorScope {
  readonly invoker: string;
  readonly space: string;
  readonly prefix: string;
  readonly limit: number;
}

function mac(key: Uint8Array, scope: CursorScope, after: string): string {
  return bytesToHex(hmac(sha256, key, utf8ToBytes(JSON.stringify([scope.invoker, scope.space, scope.prefix, scope.limit, after])))).slice(0, 32);
}

export function encodeCursor(key: Uint8Array, scope: CursorScope, after: string): string {
  return encodeBase64UrlUnpadded(utf8ToBytes(JSON.stringify({ after, mac: mac(key, scope, after) })));
}

export function decodeCursor(key: Uint8Array, scope: CursorScope, cursor: string): string {
  let value: unknown;
  try {
    value = JSON.parse(bytesToUtf8(decodeBase64UrlUnpadded(cursor, "cursor")));
  } catch {
    throw new HttpError("BAD_CURSOR", "x-tinycloud-cursor is not a cursor this node issued");
  }
  if (!isPlainObject(value) || typeof value["after"] !== "string" || value["mac"] !== mac(key, scope, value["after"])) {
    throw new HttpError("BAD_CURSOR", "x-tinycloud-cursor does not belong to this listing (same invoker, prefix and x-tinycloud-limit are required)");
  }
  return value["after"];
}
