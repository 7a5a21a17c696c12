/**
 * Token → record views. Authority works on `DelegationRecord` / `InvocationRecord`, whatever token
 * carried them (CACAO+ReCap, UCAN 0.9, UCAN 0.10).
 *
 * Difference from the reference node, on purpose: the reference drops ReCap caveats when it turns a
 * SIWE into a delegation (`extract_siwe_cap`), which would grant MORE than the wallet signed. We keep them.
 */
import { type Capability, makeCapability, normalizeCaveats } from "../capability.js";
import type { DelegationRecord, InvocationRecord, RevocationRecord } from "./authority.js";
import { type CID, parseCid } from "../cid.js";
import { canonicalDidOfUrl } from "../did.js";
import { AbilityError, UcanError } from "../errors.js";
import type { DecodedCacao } from "./cacao.js";
import type { Recap } from "./recap.js";
import { parseRfc3339 } from "./siwe.js";
import type { Ucan } from "./ucan.js";
import { canonicalAbility } from "../abilities.js";

export const DELEGATION_MODE_FACT = "xyz.tinycloud.policy/delegationMode";
export const REVOKE_ABILITY = "tinycloud.delegation/revoke";

export function capabilitiesFromRecap(recap: Recap): Capability[] {
  const out: Capability[] = [];
  for (const [resource, abilities] of Object.entries(recap.att)) {
    for (const [ability, caveats] of Object.entries(abilities)) {
      out.push(makeCapability(resource, ability, normalizeCaveats(caveats)));
    }
  }
  return out;
}

export function delegationFromCacao(decoded: DecodedCacao, recap: Recap): DelegationRecord {
  const { siwe } = decoded.cacao;
  return {
    cid: decoded.cid,
    kind: "cacao",
    issuer: `did:pkh:eip155:${siwe.chainId}:${siwe.address}`,
    audience: canonicalDidOfUrl(siwe.uri),
    capabilities: capabilitiesFromRecap(recap),
    proofs: recap.prf,
    notBefore: siwe.notBefore === undefined ? undefined : parseRfc3339(siwe.notBefore, "nbf"),
    expiration: siwe.expirationTime === undefined ? undefined : parseRfc3339(siwe.expirationTime, "exp"),
    terminal: false,
  };
}

export function isTerminal(ucan: Ucan): boolean {
  return ucan.facts.some((fact) => fact[DELEGATION_MODE_FACT] === "terminal");
}

export function delegationFromUcan(ucan: Ucan): DelegationRecord {
  return {
    cid: ucan.cid,
    kind: "ucan",
    issuer: canonicalDidOfUrl(ucan.issuer),
    audience: canonicalDidOfUrl(ucan.audience),
    capabilities: ucan.capabilities,
    proofs: ucan.proofs,
    notBefore: ucan.notBefore,
    expiration: ucan.expiration,
    terminal: isTerminal(ucan),
  };
}

export function invocationFromUcan(ucan: Ucan): InvocationRecord {
  return {
    cid: ucan.cid,
    invoker: canonicalDidOfUrl(ucan.issuer),
    capabilities: ucan.capabilities,
    proofs: ucan.proofs,
    notBefore: ucan.notBefore,
    expiration: ucan.expiration,
  };
}

/**
 * The delegation a revocation UCAN targets: its one capability must be `tinycloud.delegation/revoke`
 * on `urn:cid:<cid>`.
 */
export function revocationTarget(ucan: Ucan): CID {
  const revokes = ucan.capabilities.filter((c) => canonicalAbility(c.ability) === REVOKE_ABILITY);
  if (revokes.length !== 1 || ucan.capabilities.length !== 1) {
    throw new AbilityError("ABILITY_UNKNOWN", `a revocation carries exactly one ${REVOKE_ABILITY} capability`);
  }
  const resource = (revokes[0] as Capability).resource;
  if (resource.kind !== "urn" || !resource.uri.startsWith("urn:cid:")) {
    throw new UcanError("UCAN_MALFORMED", `${REVOKE_ABILITY} must target urn:cid:<delegation cid>`);
  }
  return parseCid(resource.uri.slice("urn:cid:".length));
}

export function revocationFromUcan(ucan: Ucan): RevocationRecord {
  return { cid: ucan.cid, revoker: canonicalDidOfUrl(ucan.issuer), target: revocationTarget(ucan), proofs: ucan.proofs };
}
