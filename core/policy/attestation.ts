/**
 * Attestations a policy may rely on: signed claims about the invoker, carried in the invocation's facts.
 *
 * An attestation is a UCAN (EdDSA, did:key issuer) listed under the invocation fact
 * `xyz.tinycloud.policy/attestations` (an array of JWTs). It counts only if
 * - its signature verifies for its issuer (a fact that is merely written into the invocation, unsigned by
 *   anyone but the invoker, is NOT an attestation: the invoker could write anything);
 * - its `aud` is the invoker (a claim about someone else cannot be borrowed);
 * - the invocation's signed time lies inside its `nbf`/`exp` window (no clock skew: the decision must be
 *   reproducible from the invocation alone).
 * Each of its facts with a string `claim` gives one attestation `{ issuer, claim }` (issuer = canonical DID).
 * A candidate that fails is dropped (the policy sees no such attestation) and named in the decision's reasons.
 */
import { canonicalDidOfUrl } from "../did.js";
import type { Ed25519Verify } from "../keys.js";
import { decodeUcan, verifyUcanSignature } from "../auth/ucan.js";

export const ATTESTATIONS_FACT = "xyz.tinycloud.policy/attestations";

/** More candidates than this refuse the decision (deny): each one costs a signature check. */
export const MAX_ATTESTATIONS = 16;

export interface Attestation {
  readonly issuer: string;
  readonly claim: string;
}

export interface VerifiedAttestations {
  readonly attestations: readonly Attestation[];
  /** Why each dropped candidate was dropped (index in the fact's list). */
  readonly rejected: readonly string[];
}

/** `facts` are the invocation's (signed) facts, `invoker` its canonical DID, `timeSeconds` its signed time. */
export function verifyAttestations(facts: readonly Readonly<Record<string, unknown>>[], invoker: string, timeSeconds: number, verify: Ed25519Verify): VerifiedAttestations {
  const candidates = facts.flatMap((fact): unknown[] => {
    const listed = fact[ATTESTATIONS_FACT];
    if (listed === undefined) return [];
    return Array.isArray(listed) ? listed : [listed];
  });
  if (candidates.length > MAX_ATTESTATIONS) throw new RangeError(`an invocation may carry at most ${MAX_ATTESTATIONS} attestations, got ${candidates.length}`);
  const attestations: Attestation[] = [];
  const rejected: string[] = [];
  candidates.forEach((candidate, index) => {
    const claims = checkCandidate(candidate, invoker, timeSeconds, verify);
    if (typeof claims === "string") rejected.push(`attestation ${index} ignored: ${claims}`);
    else attestations.push(...claims);
  });
  return { attestations, rejected };
}

function checkCandidate(candidate: unknown, invoker: string, timeSeconds: number, verify: Ed25519Verify): Attestation[] | string {
  if (typeof candidate !== "string") return "not a signed UCAN (a JWT string)";
  let issuer: string;
  let claims: Attestation[];
  try {
    const ucan = decodeUcan(candidate);
    verifyUcanSignature(ucan, verify);
    issuer = canonicalDidOfUrl(ucan.issuer);
    if (canonicalDidOfUrl(ucan.audience) !== invoker) return `it is about ${ucan.audience}, not the invoker`;
    if (ucan.notBefore !== undefined && timeSeconds < ucan.notBefore) return "not yet valid at the invocation's signed time";
    if (timeSeconds > ucan.expiration) return "expired at the invocation's signed time";
    claims = ucan.facts.flatMap((fact) => (typeof fact["claim"] === "string" ? [{ issuer, claim: fact["claim"] }] : []));
  } catch (error) {
    return error instanceof Error ? error.message.slice(0, 200) : "undecodable";
  }
  return claims.length === 0 ? 'it states no claim (a fact {claim: "…"})' : claims;
}
