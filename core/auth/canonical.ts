/**
 * One identity per delegation, whatever its encoding (issue 12 §1).
 *
 * A CACAO's meaning is "this wallet signed this EIP-4361 text": the DAG-CBOR around it (key order,
 * `version` as text or integer, the signature as bytes or integers, the recovery byte 27/28 or 0/1)
 * can change without changing what was signed, and each change gives a new CID. A UCAN's meaning is
 * its signed bytes (`base64url(header).base64url(payload)`). Revocation, replay and lookup key on
 * this identity, so no re-encoding of a revoked token is a fresh token.
 *
 * On top of that, the node accepts exactly one encoding per wire form (`assertCanonicalCacao`), so a
 * variant is refused with a 400 that names what is wrong instead of being silently renamed.
 */
import { blake3 } from "@noble/hashes/blake3.js";
import { bytesToHex, equalBytes, utf8ToBytes } from "../encoding.js";
import { CacaoError } from "../errors.js";
import { type Cacao, cacaoMessage, type DecodedCacao, encodeCacao } from "./cacao.js";
import type { Ucan } from "./ucan.js";

/** `cacao:<hex>`: blake3 over the signer's canonical did:pkh and the exact signed SIWE text. */
export function cacaoCanonicalId(cacao: Cacao): string {
  const signer = `did:pkh:eip155:${cacao.siwe.chainId}:${cacao.siwe.address}`;
  // A NUL cannot occur in a DID, so the split between signer and message is unambiguous.
  return `cacao:${bytesToHex(blake3(utf8ToBytes(`${signer}\u0000${cacaoMessage(cacao)}`)))}`;
}

/** blake3 of the bytes a UCAN's signature covers: equal for every spelling of one signed token. */
export function ucanSignedDigest(ucan: Ucan): Uint8Array {
  return blake3(ucan.signingInput);
}

/** `ucan:<hex>` of `ucanSignedDigest`. */
export function ucanCanonicalId(ucan: Ucan): string {
  return `ucan:${bytesToHex(ucanSignedDigest(ucan))}`;
}

/**
 * Refuse every CACAO encoding but the one canonical encoding of its wire form:
 * - legacy (official client 0.2.1): `version: "1"`, `requestId`, signature as 65 integers;
 * - current (cacaos 1.0): `version: 1`, `request_id`, signature as a 65-byte string;
 * - in both, `iss` in EIP-55 case, the recovery byte 27 or 28 (what `personal_sign` returns, and what
 *   both clients send), and DAG-CBOR in canonical key order with minimal lengths (re-encoding the decoded
 *   CACAO must give the received bytes).
 */
export function assertCanonicalCacao(decoded: DecodedCacao): void {
  const { cacao } = decoded;
  const { form } = cacao;
  if (form.versionAsText !== form.signatureAsArray) {
    const wrong = form.versionAsText
      ? 'p.version is the text "1" (legacy form), so the signature must be a list of 65 integers, not a byte string'
      : "p.version is the integer 1 (current form), so the signature must be a 65-byte string, not a list of integers";
    throw nonCanonical(wrong);
  }
  if (cacao.siwe.requestId !== undefined && form.requestIdKey !== (form.versionAsText ? "requestId" : "request_id")) {
    throw nonCanonical(form.versionAsText ? 'the legacy form (version "1") spells the request id "requestId"' : 'the current form (version 1) spells the request id "request_id"');
  }
  const canonicalIssuer = `did:pkh:eip155:${cacao.siwe.chainId}:${cacao.siwe.address}`;
  if (cacao.issuer !== canonicalIssuer) throw nonCanonical(`p.iss must be written ${canonicalIssuer} (EIP-55 case)`);
  const v = cacao.signature[64];
  if (v !== 27 && v !== 28) throw nonCanonical(`the signature's recovery byte must be 27 or 28 (as personal_sign returns it), got ${String(v)}`);
  if (!equalBytes(encodeCacao(cacao), decoded.bytes)) {
    throw nonCanonical("the DAG-CBOR is not in canonical form (map keys must be sorted by length then bytewise, with minimal lengths)");
  }
}

function nonCanonical(what: string): CacaoError {
  return new CacaoError("CACAO_NON_CANONICAL", `non-canonical CACAO encoding: ${what}; re-encode it canonically (the signed SIWE message may stay the same)`);
}
