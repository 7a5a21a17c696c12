/** HTTP header rules of the KV service (reference node semantics). */
import { HttpError } from "./http-error.js";

const STORED_HEADERS = new Set(["content-type", "content-encoding", "content-language", "content-disposition"]);
const META_PREFIX = "x-tinycloud-meta-";

export type RequestHeaders = Readonly<Record<string, string | string[] | undefined>>;

export function header(headers: RequestHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}

/** Only allowlisted headers are stored with a value; never `Authorization`, cookies or anything else. */
export function storedMetadata(headers: RequestHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (value === undefined || !(STORED_HEADERS.has(lower) || (lower.startsWith(META_PREFIX) && lower.length > META_PREFIX.length))) continue;
    out[lower] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

export function etagOf(hex: string): string {
  return `"blake3-${hex}"`;
}

const STRONG_ETAG = /^"blake3-([0-9a-f]{64})"$/;

/** `If-Match` must be one strong blake3 ETag (the reference rejects anything else with 400). */
export function parseIfMatch(value: string): string {
  const m = STRONG_ETAG.exec(value.trim());
  if (m === null) throw new HttpError("BAD_IF_MATCH", 'If-Match must be one strong ETag of the form "blake3-<64 hex>"');
  return m[1] as string;
}

/** Weak comparison for `If-None-Match` on reads: `*` or a list of (possibly weak) ETags. */
export function ifNoneMatchHits(value: string, etagHex: string): boolean {
  if (value.trim() === "*") return true;
  return value.split(",").some((tag) => tag.trim().replace(/^W\//, "") === etagOf(etagHex));
}

/** A `?version=N` value: a positive integer (400 BAD_VERSION otherwise). */
export function parseVersion(text: string): number {
  const n = Number(text);
  if (!/^[1-9][0-9]{0,15}$/.test(text) || !Number.isSafeInteger(n)) throw new HttpError("BAD_VERSION", `version must be a positive integer, got "${text.slice(0, 20)}"`);
  return n;
}

/**
 * Types served inline: ones a browser only ever displays passively (no script, no markup, no plugin).
 * Everything else (HTML, XHTML, SVG, XML, JavaScript, PDF, anything unknown or unparsable) is served with
 * `Content-Disposition: attachment`, so navigating to it downloads it instead of rendering it in the node's
 * origin (the origin of /lightclient). PDF is not inline: browser PDF viewers run embedded script.
 */
const PASSIVE_TYPES = new Set([
  "application/octet-stream",
  "application/json",
  "text/plain",
  "text/csv",
  "image/png",
  "image/jpeg",
  "image/gif",
  "image/webp",
  "image/avif",
  "image/bmp",
  "audio/mpeg",
  "audio/ogg",
  "audio/wav",
  "audio/webm",
  "video/mp4",
  "video/webm",
  "video/ogg",
]);

/** No sniffing, and a sandbox if rendered: on every response whose bytes come from someone else (values, events, blocks, epochs). */
export const INERT_HEADERS: Readonly<Record<string, string>> = { "x-content-type-options": "nosniff", "content-security-policy": "sandbox" };

/** The media type of a Content-Type value, lower case, without parameters (`""` when absent). */
function mediaType(contentType: string | undefined): string {
  return (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

/** Whether a stored value of this Content-Type is served inline (a missing type is sent as application/octet-stream). */
export function isPassiveType(contentType: string | undefined): boolean {
  const type = mediaType(contentType);
  return type === "" || PASSIVE_TYPES.has(type);
}

/**
 * Headers that make a stored value's bytes inert in a browser, set on every response that carries them
 * (`/public/...`, kv/get): no MIME sniffing, a sandboxed document (no script, a unique origin) if it is
 * rendered anyway, and a download rather than a rendering for any type not known to be passive. For an
 * active type, a stored `Content-Disposition` is kept only if it already says `attachment`.
 */
export function valueSafetyHeaders(metadata: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = { ...INERT_HEADERS };
  const stored = metadata["content-disposition"];
  if (!isPassiveType(metadata["content-type"])) out["content-disposition"] = stored !== undefined && /^\s*attachment\s*(;|$)/i.test(stored) ? stored : "attachment";
  return out;
}
