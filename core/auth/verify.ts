/**
 * One-call verification of the tokens a node receives in `Authorization`.
 * A value containing "." is a UCAN JWT; anything else is a base64url CACAO (reference-node rule).
 */
import { type AuthorityContext, type Authorization, authorizeInvocation, type DelegationRecord, type InvocationOptions, type InvocationRecord } from "./authority.js";
import { decodeCacaoHeader, type DecodedCacao, verifyCacao } from "./cacao.js";
import { assertCanonicalCacao, cacaoCanonicalId, ucanCanonicalId } from "./canonical.js";
import type { AuthorityError, Result } from "../errors.js";
import type { Ed25519Verify } from "../keys.js";
import { nobleEd25519Verify } from "../keys.js";
import { delegationFromCacao, delegationFromUcan, invocationFromUcan } from "./records.js";
import { decodeUcan, type Ucan, verifyUcanSignature } from "./ucan.js";

export type DecodedToken = { readonly kind: "cacao"; readonly cacao: DecodedCacao } | { readonly kind: "ucan"; readonly ucan: Ucan };

export function decodeAuthorization(value: string): DecodedToken {
  return value.includes(".") ? { kind: "ucan", ucan: decodeUcan(value) } : { kind: "cacao", cacao: decodeCacaoHeader(value) };
}

/**
 * Decode + verify the signature of a delegation token (no authority check): the record to store.
 * A CACAO must be in the one canonical encoding of its wire form (see canonical.ts); a UCAN's
 * encoding is fixed by its signature (strict base64url, Ed25519 S < L), and its identity is its signed
 * bytes anyway.
 */
export function verifiedDelegation(token: DecodedToken, verify: Ed25519Verify = nobleEd25519Verify): DelegationRecord {
  if (token.kind === "cacao") {
    assertCanonicalCacao(token.cacao);
    return delegationFromCacao(token.cacao, verifyCacao(token.cacao.cacao));
  }
  verifyUcanSignature(token.ucan, verify);
  return delegationFromUcan(token.ucan);
}

/** The delegation's identity across encodings: revocation and lookup key on it (canonical.ts). */
export function delegationCanonicalId(token: DecodedToken): string {
  return token.kind === "cacao" ? cacaoCanonicalId(token.cacao.cacao) : ucanCanonicalId(token.ucan);
}

export interface VerifiedInvocation {
  readonly ucan: Ucan;
  readonly record: InvocationRecord;
  readonly authorization: Result<Authorization, AuthorityError>;
}

/** Full check of an invocation JWT: encoding, signature, then authority against registered delegations. */
export function verifyInvocationHeader(jwt: string, ctx: AuthorityContext, options: InvocationOptions & { verify?: Ed25519Verify } = {}): VerifiedInvocation {
  const ucan = decodeUcan(jwt);
  verifyUcanSignature(ucan, options.verify);
  const record = invocationFromUcan(ucan);
  return { ucan, record, authorization: authorizeInvocation(record, ctx, options) };
}
