/**
 * Verifier ids: the key under which TinyCloudVerifierRouter registers a circuit's verifier.
 *
 * id = keccak256(utf8(JCS(vkey))) where JCS is RFC 8785 canonical JSON (npm `canonicalize`), so the
 * id pins the exact verification key (curve points, nPublic, protocol) and not a file's formatting:
 * a re-exported key with different whitespace or key order keeps its id, a new key gets a new one.
 */
import canonicalize from "canonicalize";
import { keccak256, stringToBytes, type Hex } from "viem";

export function verifierIdOf(vkey: object): Hex {
  const canonical = canonicalize(vkey);
  if (canonical === undefined) throw new TypeError("verifierIdOf: the verification key has no JSON representation");
  return keccak256(stringToBytes(canonical));
}
