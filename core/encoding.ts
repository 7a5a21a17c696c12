/**
 * Byte/text encodings used on the wire, all strict: a decoder that accepts two spellings of the same
 * bytes lets an attacker mint distinct token strings (and so distinct CIDs) for one signature.
 *
 * - CACAO `Authorization` headers: base64url WITH canonical `=` padding (Rust `URL_SAFE`).
 * - ReCap payloads and JWT segments: base64url WITHOUT padding.
 * - ReCap JSON: RFC 8785 (JCS) canonical JSON.
 */
import { base64url, base64urlnopad, hex } from "@scure/base";
import canonicalizeJson from "canonicalize";
import { EncodingError } from "./errors.js";

const utf8Decoder = new TextDecoder("utf-8", { fatal: true });
const utf8Encoder = new TextEncoder();

export function utf8ToBytes(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

export function bytesToUtf8(bytes: Uint8Array): string {
  try {
    return utf8Decoder.decode(bytes);
  } catch (cause) {
    throw new EncodingError("ENCODING_BAD_UTF8", "bytes are not valid UTF-8", { cause });
  }
}

/** base64url with canonical `=` padding (the CACAO header form). */
export function encodeBase64UrlPadded(bytes: Uint8Array): string {
  return base64url.encode(bytes);
}

export function decodeBase64UrlPadded(text: string, what = "value"): Uint8Array {
  if (text.length % 4 !== 0) {
    throw new EncodingError("ENCODING_BAD_PADDING", `${what} is not canonically padded base64url (length ${text.length} is not a multiple of 4)`);
  }
  // Checked here, not left to the decoder: @scure/base uses the runtime's Uint8Array.fromBase64 where
  // it exists (Node >= 25), whose error for too much padding does not mention padding.
  if (/[^=]={3,}$/.test(text)) throw new EncodingError("ENCODING_BAD_PADDING", `${what} has more than two '=' of padding`);
  return decodeWith(base64url, text, what);
}

/** base64url without padding (JWT segments, ReCap payloads). */
export function encodeBase64UrlUnpadded(bytes: Uint8Array): string {
  return base64urlnopad.encode(bytes);
}

export function decodeBase64UrlUnpadded(text: string, what = "value"): Uint8Array {
  if (text.includes("=")) {
    throw new EncodingError("ENCODING_BAD_PADDING", `${what} must be base64url without '=' padding`);
  }
  if (text.length % 4 === 1) throw new EncodingError("ENCODING_BAD_BASE64", `${what} is not valid base64url: impossible length ${text.length}`);
  return decodeWith(base64urlnopad, text, what);
}

function decodeWith(coder: { decode(s: string): Uint8Array }, text: string, what: string): Uint8Array {
  try {
    return coder.decode(text);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    const code = /padding/i.test(reason) ? "ENCODING_BAD_PADDING" : "ENCODING_BAD_BASE64";
    throw new EncodingError(code, `${what} is not valid base64url: ${reason}`, { cause });
  }
}

export function bytesToHex(bytes: Uint8Array): string {
  return hex.encode(bytes);
}

export function hexToBytes(text: string): Uint8Array {
  const body = text.startsWith("0x") ? text.slice(2) : text;
  try {
    return hex.decode(body.toLowerCase());
  } catch (cause) {
    throw new EncodingError("ENCODING_BAD_HEX", `not valid hex: ${text.slice(0, 20)}`, { cause });
  }
}

/** RFC 8785 JSON canonicalization. */
export function canonicalJson(value: unknown): string {
  const text = canonicalizeJson(value);
  if (text === undefined) throw new TypeError("value cannot be canonicalized as JSON");
  return text;
}

export function parseJson(text: string, what = "value"): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new EncodingError("ENCODING_BAD_JSON", `${what} is not valid JSON`, { cause });
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Lexicographic byte order, used for LWW tie-breaks and canonical sorting. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}
