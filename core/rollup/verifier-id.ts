/**
 * Verifier ids and verifier code hashes: how the chain names and vouches for a verification key.
 *
 *     verifierId = keccak256(utf8(JCS(vkey)))      (RFC 8785 canonical JSON, npm `canonicalize`)
 *     codeHash   = keccak256(runtime bytecode)
 *
 * The id pins the exact key (curve points, nPublic, protocol), not a file's formatting: a re-exported key
 * with other whitespace or key order keeps its id, a new key gets a new one. It is only a label under
 * which TinyCloudVerifierRouter registers a verifier; what binds a key to the contract that checks proofs
 * is the pair (vkey, codeHash) a light client pins. On @noble/hashes so the browser bundle has no viem.
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex, hexToBytes } from "../encoding.js";
import canonicalize from "canonicalize";

export function verifierIdOf(vkey: object): `0x${string}` {
  const canonical = canonicalize(vkey);
  if (canonical === undefined) throw new TypeError("verifierIdOf: the verification key has no JSON representation");
  return `0x${bytesToHex(keccak_256(new TextEncoder().encode(canonical)))}`;
}

/** keccak256 of runtime bytecode given as hex ("0x…"); the hash of empty code for "0x". */
export function codeHashOf(code: string): `0x${string}` {
  const clean = code.replace(/^0x/i, "");
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) throw new TypeError("codeHashOf: not hex bytecode");
  return `0x${bytesToHex(keccak_256(hexToBytes(clean)))}`;
}
