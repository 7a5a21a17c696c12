/**
 * The body of a batch read (several kv/get or kv/metadata capabilities in one invocation):
 * `{"results":[{key, ok, dataBase64?, headers} | {key, ok: false, error}, …]}`, byte for byte what
 * `JSON.stringify` would give. It is planned from the stored entries (sizes and metadata, no value
 * bytes) so that its exact length is known before anything is read: the length is checked against the
 * response limits (413), reserved in the node-wide budget (response-budget.ts), and the body is then
 * written into one buffer of that length, one value at a time, base64-encoded in small chunks. Peak
 * memory is the body plus one value, instead of every value, its base64 string and the JSON text.
 *
 * Aliases are refused (400 BATCH_ALIAS): two capabilities that resolve to the same entry (space, key,
 * version) would send the same bytes twice; `key`, `key?after=1`, `key?limit=2` all name one value, so
 * without this one 10 MB value could be asked for 100 times in a 16 KB request.
 */
import { HttpError } from "./http-error.js";
import type { RequestHeaders } from "./kv-headers.js";
import type { Release, ResponseBudget } from "./response-budget.js";

export interface BatchEntry {
  readonly spaceId: string;
  readonly key: string;
  /** The live stored entry, or undefined (missing or deleted). */
  readonly found?: {
    readonly version: number;
    readonly etag: string;
    readonly size: number;
    readonly headers: Readonly<Record<string, string>>;
  };
  /** The `?version=` the capability asked for (its identity among aliases when nothing was found). */
  readonly requestedVersion: string | undefined;
  /** kv/get sends the value; kv/metadata only its headers. */
  readonly withValue: boolean;
}

export type ReadBlob = (spaceId: string, etag: string) => Promise<Uint8Array | undefined>;

export interface BatchBody {
  readonly body: Buffer;
  /** Ends the body's reservation in the node-wide budget: call when the response is done. */
  readonly release: Release;
}

/** base64 text is 4 characters per 3 bytes, padded. */
function base64Length(size: number): number {
  return 4 * Math.ceil(size / 3);
}

/** Bytes of a value encoded per base64 chunk: a multiple of 3, so chunks concatenate without padding. */
const BASE64_CHUNK = 3 * 64 * 1024;

export async function buildBatchBody(entries: readonly BatchEntry[], headers: RequestHeaders, budget: ResponseBudget, readBlob: ReadBlob): Promise<BatchBody> {
  // The plan: text pieces, and between them the values to base64 in.
  const pieces: (string | { readonly spaceId: string; readonly etag: string; readonly size: number })[] = ['{"results":['];
  entries.forEach((entry, i) => {
    const comma = i === 0 ? "" : ",";
    const { found } = entry;
    if (found === undefined) {
      pieces.push(`${comma}${JSON.stringify({ key: entry.key, ok: false, error: { code: "KV_NOT_FOUND", message: `no value at ${entry.key}` } })}`);
    } else if (entry.withValue) {
      pieces.push(
        `${comma}{"key":${JSON.stringify(entry.key)},"ok":true,"dataBase64":"`,
        { spaceId: entry.spaceId, etag: found.etag, size: found.size },
        `","headers":${JSON.stringify(found.headers)}}`,
      );
    } else {
      pieces.push(`${comma}${JSON.stringify({ key: entry.key, ok: true, headers: found.headers })}`);
    }
  });
  pieces.push("]}");
  const length = pieces.reduce((sum, p) => sum + (typeof p === "string" ? Buffer.byteLength(p) : base64Length(p.size)), 0);
  // Limits first, counted as asked (aliases included): the bomb is refused for its size before anything else.
  budget.check(length, headers, `the batch's response (${entries.length} results)`);
  refuseAliases(entries);

  const release = await budget.reserve(length);
  try {
    const body = Buffer.allocUnsafe(length);
    let offset = 0;
    for (const piece of pieces) {
      if (typeof piece === "string") {
        offset += body.write(piece, offset, "utf8");
        continue;
      }
      const bytes = await readBlob(piece.spaceId, piece.etag);
      if (bytes === undefined || bytes.length !== piece.size) throw new Error(`blob ${piece.etag} is ${bytes === undefined ? "missing" : `${bytes.length} bytes, not the stored size ${piece.size}`}`);
      const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let at = 0; at < view.length; at += BASE64_CHUNK) offset += body.write(view.subarray(at, at + BASE64_CHUNK).toString("base64"), offset, "latin1");
    }
    if (offset !== length) throw new Error(`batch body planned at ${length} bytes, wrote ${offset}`);
    return { body, release };
  } catch (error) {
    release();
    throw error;
  }
}

/** 400 BATCH_ALIAS when two capabilities resolve to the same entry. */
function refuseAliases(entries: readonly BatchEntry[]): void {
  const seen = new Set<string>();
  for (const entry of entries) {
    const identity = entry.found !== undefined ? `${entry.spaceId}\u0000${entry.key}\u0000v${entry.found.version}` : `${entry.spaceId}\u0000${entry.key}\u0000?${entry.requestedVersion ?? ""}`;
    if (seen.has(identity)) {
      throw new HttpError(
        "BATCH_ALIAS",
        `two capabilities of this batch name the same entry (${entry.key}${entry.found !== undefined ? ` version ${entry.found.version}` : ""}); ask for each entry once`,
      );
    }
    seen.add(identity);
  }
}
