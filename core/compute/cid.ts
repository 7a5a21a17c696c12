/**
 * Compute CIDs. Unlike the protocol's events (BLAKE3, core/cid.ts), compute content is addressed with
 * sha2-256 so that any IPFS tool, and a zkVM guest with a SHA-256 precompile, recomputes the same CIDs:
 *
 * - `function_cid`, `metered_cid`, `output_cid`: CIDv1, raw codec (0x55), sha2-256 of the bytes (`bafkrei…`);
 * - deploy and execution records: CIDv1, dag-cbor codec (0x71), sha2-256 of their DAG-CBOR encoding (`bafyrei…`).
 */
import * as dagCbor from "@ipld/dag-cbor";
import { sha256 } from "@noble/hashes/sha2.js";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { create as createDigest } from "multiformats/hashes/digest";

export const SHA2_256_CODE = 0x12;

function sha256Digest(bytes: Uint8Array) {
  return createDigest(SHA2_256_CODE, sha256(bytes));
}

/** CID of module bytes (what `function_cid` and `metered_cid` name), or of an output. */
export function functionCid(bytes: Uint8Array): string {
  return CID.createV1(raw.code, sha256Digest(bytes)).toString();
}

/** CID of an execution's output bytes (the same rule as `functionCid`). */
export const outputCid = functionCid;

/** DAG-CBOR bytes of a compute record and their CID (what an execution record links as `deploy`). */
export function encodeComputeRecord(value: unknown): { readonly bytes: Uint8Array; readonly cid: string } {
  const bytes = dagCbor.encode(value);
  return { bytes, cid: CID.createV1(dagCbor.code, sha256Digest(bytes)).toString() };
}
