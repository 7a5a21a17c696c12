/**
 * The one check of a UCAN invocation token, shared by POST /invoke and the read gate of the GET routes:
 * decode, verify the signature, require known abilities, require aud = iss (an invocation is addressed to
 * its own issuer; otherwise any delegation could be replayed as its delegator's invocation), and authorize
 * the capabilities against the delegation chain. Replay and dispatch stay with the caller.
 */
import { requireKnownAbility } from "../../core/abilities.js";
import { type AuthorityContext, authorizeInvocation } from "../../core/auth/authority.js";
import { invocationFromUcan } from "../../core/auth/records.js";
import { decodeUcan, type Ucan, verifyUcanSignature } from "../../core/auth/ucan.js";
import type { Capability } from "../../core/capability.js";
import { canonicalDidOfUrl } from "../../core/did.js";
import { loadAuthorityContext } from "./authority-loader.js";
import { HttpError } from "./http-error.js";
import type { ServiceDeps } from "./service-deps.js";

export interface VerifiedInvocation {
  readonly ucan: Ucan;
  readonly record: ReturnType<typeof invocationFromUcan> & { readonly capabilities: readonly Capability[] };
  readonly capabilities: readonly Capability[];
  readonly ctx: AuthorityContext;
  /** The time it was authorized at (Unix seconds). */
  readonly now: number;
}

/**
 * `jwt` verified and authorized, or a typed 4xx. `beforeAuthority` runs on the known abilities before any
 * store read (POST /invoke refuses abilities that belong on another route there).
 */
export async function verifyInvocationToken(deps: ServiceDeps, jwt: string, maxLifetimeSeconds: number, beforeAuthority?: (capabilities: readonly Capability[]) => void): Promise<VerifiedInvocation> {
  const ucan = decodeUcan(jwt);
  verifyUcanSignature(ucan, deps.verify);
  const capabilities = ucan.capabilities.map((c) => ({ ...c, ability: requireKnownAbility(c.ability) }));
  beforeAuthority?.(capabilities);
  const record = { ...invocationFromUcan(ucan), capabilities };
  if (canonicalDidOfUrl(ucan.audience) !== record.invoker) {
    throw new HttpError("NOT_AN_INVOCATION", `an invocation's aud must be its issuer (${record.invoker}); this token is addressed to ${ucan.audience}, so it is a delegation (POST /delegate)`);
  }
  const now = deps.now();
  const ctx = await loadAuthorityContext(deps.store, record.proofs, now, capabilities, deps.clockSkewSeconds);
  const decision = authorizeInvocation(record, ctx, { maxLifetimeSeconds });
  if (!decision.ok) throw decision.error;
  return { ucan, record, capabilities, ctx, now };
}
