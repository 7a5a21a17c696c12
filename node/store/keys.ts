/**
 * Key encoding for level: `[bucket] part (0x00 part)*`. Text parts never contain NUL (paths reject it),
 * so 0x00 separates them unambiguously and keeps lexicographic order by part; numbers are fixed-width
 * big-endian so they sort numerically.
 */
import type { Bucket } from "./buckets.js";

const encoder = new TextEncoder();

export type KeyPart = string | number | Uint8Array;

export function encodeKey(bucket: Bucket, ...parts: KeyPart[]): Uint8Array {
  const chunks: Uint8Array[] = [Uint8Array.of(bucket)];
  parts.forEach((part, i) => {
    if (i > 0) chunks.push(Uint8Array.of(0));
    chunks.push(encodePart(part));
  });
  return concat(chunks);
}

/** All keys of `bucket` that start with these parts (followed by a separator). */
export function prefixRange(bucket: Bucket, ...parts: KeyPart[]): { gte: Uint8Array; lt: Uint8Array } {
  const base = parts.length === 0 ? Uint8Array.of(bucket) : concat([encodeKey(bucket, ...parts), Uint8Array.of(0)]);
  return { gte: base, lt: incrementLast(base) };
}

/** Keys of `bucket` whose next text part starts with `prefix` (raw string prefix, as KV list is). */
export function textPrefixRange(bucket: Bucket, parts: KeyPart[], prefix: string): { gte: Uint8Array; lt: Uint8Array } {
  const head = parts.length === 0 ? Uint8Array.of(bucket) : concat([encodeKey(bucket, ...parts), Uint8Array.of(0)]);
  const base = concat([head, encoder.encode(prefix)]);
  return { gte: base, lt: incrementLast(base) };
}

function encodePart(part: KeyPart): Uint8Array {
  if (typeof part === "string") {
    if (part.includes("\u0000")) throw new Error("key part contains NUL");
    return encoder.encode(part);
  }
  if (typeof part === "number") {
    if (!Number.isSafeInteger(part) || part < 0) throw new Error(`key number out of range: ${part}`);
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigUint64(0, BigInt(part));
    return out;
  }
  return part;
}

export function decodeNumber(bytes: Uint8Array): number {
  return Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0));
}

function incrementLast(bytes: Uint8Array): Uint8Array {
  const out = Uint8Array.from(bytes);
  for (let i = out.length - 1; i >= 0; i--) {
    if ((out[i] as number) < 0xff) {
      out[i] = (out[i] as number) + 1;
      return out.subarray(0, i + 1);
    }
  }
  throw new Error("cannot increment an all-0xff key");
}

export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}
