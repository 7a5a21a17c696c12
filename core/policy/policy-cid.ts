/** A Cedar policy's CID: its UTF-8 text named like a module (CIDv1 raw sha2-256, core/compute/cid.ts). */
import { functionCid } from "../compute/cid.js";
import { utf8ToBytes } from "../encoding.js";

export function cedarPolicyCid(text: string): string {
  return functionCid(utf8ToBytes(text));
}
