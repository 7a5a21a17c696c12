/** What the policy e2e tests share: a delegate key holding a capability under a policy caveat, and its invocations. */
import { makeCapability } from "../../core/capability.js";
import { createUcan } from "../../core/auth/ucan.js";
import { parseCid, type CID } from "../../core/cid.js";
import { ATTESTATIONS_FACT } from "../../core/policy/attestation.js";
import type { Ed25519Signer } from "../../core/keys.js";
import type { TinyCloudSession } from "../../node/client/client.js";
import { type Answer, post } from "./http-answer.js";

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export type Caveats = readonly Record<string, unknown>[];

export function cedar(text: string): Caveats {
  return [{ policy: { cedar: text } }];
}

/** Register a UCAN from the owner's session key to `delegate`: `ability` on `resource` with `caveats`. */
export async function delegateTo(
  url: string,
  owner: TinyCloudSession,
  delegate: Ed25519Signer,
  resource: string,
  ability: string,
  caveats: Caveats,
  proofs?: readonly CID[],
  issuer?: Ed25519Signer,
  expiration = nowSeconds() + 600,
): Promise<{ answer: Answer; cid: CID | undefined }> {
  const token = createUcan({
    issuer: issuer ?? owner.key,
    audience: delegate.did,
    capabilities: [makeCapability(resource, ability, caveats)],
    proofs: proofs ?? owner.proofs,
    expiration,
    nonce: `urn:uuid:${crypto.randomUUID()}`,
  });
  const answer = await post(url, "/delegate", { authorization: token });
  return { answer, cid: answer.status === 200 ? parseCid((JSON.parse(answer.text) as { cid: string }).cid) : undefined };
}

export interface InvokeOptions {
  /** The invocation's signed time (`nbf`); `null` leaves it out. Default: now. */
  readonly notBefore?: number | null;
  readonly facts?: readonly Record<string, unknown>[];
}

/** The delegate invokes `ability` on `resource`, restating the caveats (the containment rule). */
export function invoke(url: string, delegate: Ed25519Signer, proof: CID, resource: string, ability: string, caveats: Caveats, options: InvokeOptions = {}, body?: string): Promise<Answer> {
  const notBefore = options.notBefore === undefined ? nowSeconds() : options.notBefore;
  const jwt = createUcan({
    issuer: delegate,
    audience: delegate.did,
    capabilities: [makeCapability(resource, ability, caveats)],
    proofs: [proof],
    expiration: Math.max(nowSeconds(), notBefore ?? 0) + 60,
    ...(notBefore !== null ? { notBefore } : {}),
    ...(options.facts !== undefined ? { facts: options.facts } : {}),
    nonce: `urn:uuid:${crypto.randomUUID()}`,
  });
  return post(url, "/invoke", { authorization: jwt, ...(body !== undefined ? { "content-type": "application/json" } : {}) }, body);
}

/** A signed claim by `issuer` about `subject` (a UCAN with no capabilities and the fact `{claim}`). */
export function attestation(issuer: Ed25519Signer, subject: string, claim: string, window: { notBefore?: number; expiration?: number } = {}): string {
  return createUcan({
    issuer,
    audience: subject,
    capabilities: [],
    expiration: window.expiration ?? nowSeconds() + 3600,
    ...(window.notBefore !== undefined ? { notBefore: window.notBefore } : {}),
    facts: [{ claim }],
  });
}

export function attestationFacts(...jwts: readonly unknown[]): Record<string, unknown>[] {
  return [{ [ATTESTATIONS_FACT]: jwts }];
}
