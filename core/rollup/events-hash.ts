/** The field element that binds a batch to its signed events (the circuit's `eventsHash` input). */
import { blake3 } from "@noble/hashes/blake3.js";
import { concatBytes } from "@noble/hashes/utils.js";
import type { CID } from "../cid.js";

/** blake3 over the concatenated CID bytes, first 31 bytes as a field element. */
export function eventsHashOf(cids: readonly CID[]): bigint {
  const digest = blake3(concatBytes(...cids.map((c) => c.bytes)));
  let x = 0n;
  for (const byte of digest.subarray(0, 31)) x = (x << 8n) | BigInt(byte);
  return x;
}
