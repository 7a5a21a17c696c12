/**
 * Content identifiers. TinyCloud hashes everything with BLAKE3-256 (multihash code 0x1e), not the
 * SHA-256 that the whitepaper appendix names; the reference node's `hash.rs` is the source of truth.
 *
 * - Events (delegations, invocations, revocations) are CIDv1 with the raw codec (0x55) over the exact
 *   bytes received: the CACAO DAG-CBOR bytes, or the ASCII of a JWT. Never over a re-encoding.
 * - Epochs, KV ops and values inside epochs are CIDv1 with the dag-cbor codec (0x71).
 * - Proof links are looked up by multihash only: the legacy client names its session by a dag-cbor
 *   CID (`bafyr4i…`) while the node answers with the raw CID (`bafkr4i…`) of the same bytes.
 */
import { blake3 } from "@noble/hashes/blake3.js";
import * as dagCbor from "@ipld/dag-cbor";
import { CID } from "multiformats/cid";
import { base58btc } from "multiformats/bases/base58";
import { from as hasherFrom } from "multiformats/hashes/hasher";
import * as raw from "multiformats/codecs/raw";
import { EncodingError } from "./errors.js";
import { bytesToHex, equalBytes } from "./encoding.js";

export const BLAKE3_CODE = 0x1e;
export const RAW_CODE = raw.code; // 0x55
export const DAG_CBOR_CODE = dagCbor.code; // 0x71

export const blake3Hasher = hasherFrom({
  name: "blake3",
  code: BLAKE3_CODE,
  encode: (input: Uint8Array) => blake3(input),
});

export function blake3Hex(bytes: Uint8Array): string {
  return bytesToHex(blake3(bytes));
}

function digestOf(bytes: Uint8Array) {
  const digest = blake3Hasher.digest(bytes);
  // blake3Hasher is synchronous; the union type in multiformats also admits a Promise.
  if (digest instanceof Promise) throw new Error("blake3 hasher unexpectedly async");
  return digest;
}

/** CID of a signed event: CIDv1, raw codec, blake3 over the exact bytes. */
export function rawBlake3Cid(bytes: Uint8Array): CID {
  return CID.createV1(RAW_CODE, digestOf(bytes));
}

/** CID of a DAG-CBOR block hashed with blake3. */
export function dagCborBlake3Cid(bytes: Uint8Array): CID {
  return CID.createV1(DAG_CBOR_CODE, digestOf(bytes));
}

/** Encode a value as DAG-CBOR and return both the bytes and their blake3 CID. */
export function encodeDagCborBlock(value: unknown): { bytes: Uint8Array; cid: CID } {
  const bytes = dagCbor.encode(value);
  return { bytes, cid: dagCborBlake3Cid(bytes) };
}

/** Parse a CID string in any multibase that multiformats knows (base32 `b…`, base58btc `z…`). */
export function parseCid(text: string): CID {
  if (typeof text !== "string" || text.length === 0) {
    throw new EncodingError("ENCODING_BAD_CID", "CID must be a non-empty string");
  }
  try {
    const cid = text.startsWith("z") ? CID.parse(text, base58btc) : CID.parse(text);
    if (cid.version !== 1) throw new Error(`CIDv${cid.version} is not accepted; use CIDv1`);
    return cid;
  } catch (cause) {
    throw new EncodingError("ENCODING_BAD_CID", `not a valid CIDv1: ${truncate(text)}`, { cause });
  }
}

/** Stable lookup key for a CID that ignores the codec (parents are matched by multihash). */
export function multihashKey(cid: CID): string {
  return bytesToHex(cid.multihash.bytes);
}

export function sameMultihash(a: CID, b: CID): boolean {
  return equalBytes(a.multihash.bytes, b.multihash.bytes);
}

export function toBase58(cid: CID): string {
  return cid.toString(base58btc);
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export { CID };
