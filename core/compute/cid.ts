/**
 * PLACEHOLDER until h-runtime lands (compute-design.md): `functionCid(bytes)` is the CIDv1, raw codec,
 * sha2-256 of the bytes (`bafkrei…`), for function modules and outputs alike.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { CID } from "multiformats/cid";
import * as Digest from "multiformats/hashes/digest";
import * as raw from "multiformats/codecs/raw";

const SHA2_256 = 0x12;

export function functionCid(bytes: Uint8Array): CID {
  return CID.createV1(raw.code, Digest.create(SHA2_256, sha256(bytes)));
}
