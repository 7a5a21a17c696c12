/** Policy CIDs: CIDv1 raw sha2-256, the rule compute uses for function_cid (so a Cedar text and a module are named alike). */
import { sha256 } from "@noble/hashes/sha2.js";
import { CID } from "multiformats/cid";
import * as raw from "multiformats/codecs/raw";
import { create as createDigest } from "multiformats/hashes/digest";
import { utf8ToBytes } from "../encoding.js";

export function policyCid(content: Uint8Array | string): string {
  const bytes = typeof content === "string" ? utf8ToBytes(content) : content;
  return CID.createV1(raw.code, createDigest(0x12, sha256(bytes))).toString();
}
