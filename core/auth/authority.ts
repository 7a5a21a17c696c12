/**
 * Authority: delegation-chain validation, attenuation, time bounds, transitive revocation and
 * invocation authorization. Pure: the caller supplies `now` and a resolver over already-verified
 * delegations (signatures are checked once, when a delegation is registered, as the reference node does).
 *
 * Rules (reference node 1.16, tinycloud-protocol.md §1.4–1.5):
 * - A capability on a space is root authority when the issuer IS the space's DID (the controller).
 *   Otherwise it must be covered by a cited parent: resource containment on "/" boundaries, ability
 *   equality widened only by registry implications, caveats contained.
 * - Every cited parent's delegatee must equal the issuer/invoker (fragment stripped, pkh canonicalized).
 * - Time: a child lies within each parent's window (exp ≤ parent.exp; a parent with exp requires a child
 *   with exp; nbf ≥ parent.nbf). At use time every ancestor must be inside its own window.
 * - Revocation is transitive: a revoked ancestor invalidates every descendant. Walks visit at most
 *   `maxChainNodes` (64) delegations, so a hostile DAG cannot make verification unbounded.
 * - Terminal delegations (`xyz.tinycloud.policy/delegationMode: terminal`) cannot be re-delegated.
 */
import { type Capability, capabilityCovers, describeCapability } from "../capability.js";
import { abilityCovers } from "../abilities.js";
import { type CID, multihashKey, parseCid } from "../cid.js";
import { AuthorityError, err, ok, type Result } from "../errors.js";
import { resourceCovers } from "../resource.js";

export const DEFAULT_MAX_CHAIN_NODES = 64;

/** The node's default tolerance for signers' clocks (config `clockSkewSeconds`); an audit re-checks with the same. */
export const DEFAULT_CLOCK_SKEW_SECONDS = 30;

export interface DelegationRecord {
  readonly cid: CID;
  readonly kind: "cacao" | "ucan";
  /** Delegator: canonical DID, fragment stripped. */
  readonly issuer: string;
  /** Delegatee: canonical DID, fragment stripped. */
  readonly audience: string;
  readonly capabilities: readonly Capability[];
  readonly proofs: readonly CID[];
  /** Seconds since the epoch; undefined = no bound. */
  readonly notBefore: number | undefined;
  readonly expiration: number | undefined;
  /** May not be re-delegated. */
  readonly terminal: boolean;
}

export interface InvocationRecord {
  readonly cid: CID;
  /** Invoker: canonical DID, fragment stripped. */
  readonly invoker: string;
  readonly capabilities: readonly Capability[];
  readonly proofs: readonly CID[];
  readonly notBefore: number | undefined;
  readonly expiration: number;
}

export interface AuthorityContext {
  /** Seconds since the epoch. */
  readonly now: number;
  /** Look up a registered, signature-verified delegation by CID (matched by multihash). */
  readonly resolve: (cid: CID) => DelegationRecord | undefined;
  /** Is this delegation itself revoked? (Ancestors are walked by the core.) */
  readonly isRevoked: (cid: CID) => boolean;
  readonly maxChainNodes?: number;
  /**
   * Tolerated clock difference between the signer and this verifier, in seconds (default 0): a token is
   * accepted from `nbf - skew` to `exp + skew`, and an invocation may expire up to `skew` seconds past the
   * lifetime cap. Whoever remembers accepted tokens (the replay guard) must keep them `skew` seconds longer.
   */
  readonly clockSkewSeconds?: number;
}

export interface InvocationOptions {
  /** Reject invocations whose expiry lies further than this many seconds ahead (node default 300). */
  readonly maxLifetimeSeconds?: number;
}

export interface Authorization {
  /** The parents that granted each capability, in the order of the capabilities; null for root authority. */
  readonly grants: readonly (DelegationRecord | null)[];
}

type Window = { readonly notBefore: number | undefined; readonly expiration: number | undefined };

/**
 * Is `now` inside the window, widened by `skewSeconds` on both sides? CACAO `nbf` is strict
 * (`nbf < now`), as in the reference verifier.
 */
export function checkTimeWindow(window: Window, now: number, strictNotBefore: boolean, what: string, skewSeconds = 0): AuthorityError | undefined {
  const nbf = window.notBefore === undefined ? undefined : window.notBefore - skewSeconds;
  if (nbf !== undefined && (strictNotBefore ? !(nbf < now) : now < nbf)) {
    return new AuthorityError("AUTH_NOT_YET_VALID", `${what} is not valid before ${iso(window.notBefore as number)} (now ${iso(now)}, clock skew tolerated ${skewSeconds} s)`, {
      details: { notBefore: window.notBefore, now, clockSkewSeconds: skewSeconds },
    });
  }
  const exp = window.expiration;
  if (exp !== undefined && now > exp + skewSeconds) {
    return new AuthorityError("AUTH_EXPIRED", `${what} expired at ${iso(exp)} (now ${iso(now)})`, { details: { expiration: exp, now } });
  }
  return undefined;
}

/**
 * Is `did` the controller of the capability's resource (root authority, no proof needed)?
 * - a space: its owner DID;
 * - an encryption network URN: the owner DID named in it;
 * - `urn:cid:<delegation>`: whoever may revoke that delegation directly (its delegator, delegatee or a
 *   space owner), so the right to revoke can itself be delegated.
 */
export function isRootAuthority(did: string, capability: Capability, resolve?: AuthorityContext["resolve"]): boolean {
  const resource = capability.resource;
  if (resource.kind === "tinycloud") return resource.space.did === did;
  if (resource.uri.startsWith("urn:tinycloud:encryption:")) {
    const body = resource.uri.slice("urn:tinycloud:encryption:".length);
    return body.slice(0, body.lastIndexOf(":")) === did;
  }
  if (resource.uri.startsWith("urn:cid:") && resolve !== undefined) {
    let target: DelegationRecord | undefined;
    try {
      target = resolve(parseCid(resource.uri.slice("urn:cid:".length)));
    } catch {
      return false;
    }
    return target !== undefined && isDirectRevoker(did, target);
  }
  return false;
}

/** The delegator, the delegatee, or the owner of a space the delegation grants on. */
export function isDirectRevoker(did: string, target: DelegationRecord): boolean {
  if (did === target.issuer || did === target.audience) return true;
  return target.capabilities.some((c) => c.resource.kind === "tinycloud" && c.resource.space.did === did);
}

/**
 * Validate a delegation for registration: its own window, then for each capability root authority or
 * a covering, currently-valid, unrevoked parent whose window contains the child's.
 */
export function validateDelegation(record: DelegationRecord, ctx: AuthorityContext): Result<Authorization, AuthorityError> {
  const own = checkTimeWindow(record, ctx.now, record.kind === "cacao", `delegation ${short(record.cid)}`, ctx.clockSkewSeconds);
  if (own) return err(own);
  if (record.capabilities.length === 0) return err(new AuthorityError("AUTH_NO_CAPABILITIES", "delegation grants no capabilities"));
  // Parents only matter when some capability needs them; a root-only delegation may cite none.
  if (record.capabilities.every((c) => isRootAuthority(record.issuer, c, ctx.resolve))) return ok({ grants: record.capabilities.map(() => null) });
  // The new delegation is itself one node of the chain it extends.
  const parents = resolveParents(record.proofs, record.issuer, ctx, true, 1);
  if (!parents.ok) return parents;
  for (const parent of parents.value) {
    const timing = childWindowWithinParent(record, parent);
    if (timing) return err(timing);
  }
  return grantAll(record.issuer, record.capabilities, parents.value, ctx);
}

/** Authorize an invocation: its window and lifetime, then every capability root or covered by a parent. */
export function authorizeInvocation(invocation: InvocationRecord, ctx: AuthorityContext, options: InvocationOptions = {}): Result<Authorization, AuthorityError> {
  const own = checkTimeWindow(invocation, ctx.now, false, `invocation ${short(invocation.cid)}`, ctx.clockSkewSeconds);
  if (own) return err(own);
  if (options.maxLifetimeSeconds !== undefined) {
    // A signer whose clock runs ahead writes a later exp for the same lifetime.
    const limit = ctx.now + options.maxLifetimeSeconds + (ctx.clockSkewSeconds ?? 0);
    if (invocation.expiration > limit) {
      return err(
        new AuthorityError("AUTH_LIFETIME_TOO_LONG", `invocation must expire within ${options.maxLifetimeSeconds} s (exp ${iso(invocation.expiration)})`, {
          details: { maxLifetimeSeconds: options.maxLifetimeSeconds },
        }),
      );
    }
  }
  if (invocation.capabilities.length === 0) return err(new AuthorityError("AUTH_NO_CAPABILITIES", "invocation invokes no capabilities"));
  if (invocation.capabilities.every((c) => isRootAuthority(invocation.invoker, c, ctx.resolve))) return ok({ grants: invocation.capabilities.map(() => null) });
  const parents = resolveParents(invocation.proofs, invocation.invoker, ctx, false, 0);
  if (!parents.ok) return parents;
  return grantAll(invocation.invoker, invocation.capabilities, parents.value, ctx);
}

export interface RevocationRecord {
  readonly cid: CID;
  /** Signer: canonical DID, fragment stripped. */
  readonly revoker: string;
  readonly target: CID;
  readonly proofs: readonly CID[];
}

const REVOKE = "tinycloud.delegation/revoke";

/**
 * May this revocation revoke `target`? (reference `revoker_is_authorized` / `control_proof_decision`)
 * The principal must be the target's delegator, its delegatee, or the owner of a space it grants on.
 * - A signer who is such a principal itself needs no proof: its authority comes from its place in the
 *   target, so cited proofs (relevant or not, registered or not) cannot take it away. A delegator can
 *   always revoke its own delegation.
 * - Otherwise the authority must be delegated: some cited proof P, delegated to the signer, valid and
 *   unrevoked, grants `tinycloud.delegation/revoke` on `urn:cid:<target>` (or on its delegator's whole
 *   `delegation` service), and P's delegator is a principal of the target.
 */
export function authorizeRevocation(revocation: RevocationRecord, target: DelegationRecord, ctx: AuthorityContext): Result<{ readonly principal: string }, AuthorityError> {
  if (isDirectRevoker(revocation.revoker, target)) return ok({ principal: revocation.revoker });
  let failure: AuthorityError | undefined;
  for (const proof of revocation.proofs) {
    const principal = delegatedRevoker(proof, revocation.revoker, target, ctx);
    if (principal.ok) return principal;
    failure ??= principal.error;
  }
  const why = failure === undefined ? "" : ` (and no cited proof lends that authority: ${failure.message})`;
  return err(
    new AuthorityError("AUTH_UNAUTHORIZED_REVOKER", `${revocation.revoker} is neither the delegator, the delegatee nor a space owner of ${short(target.cid)}${why}`, {
      details: { principal: revocation.revoker, delegator: target.issuer, delegatee: target.audience },
    }),
  );
}

/** The principal a cited proof lets `signer` act for when revoking `target`, or why it does not. */
function delegatedRevoker(proof: CID, signer: string, target: DelegationRecord, ctx: AuthorityContext): Result<{ readonly principal: string }, AuthorityError> {
  const parent = ctx.resolve(proof);
  if (parent === undefined) return err(new AuthorityError("AUTH_UNKNOWN_PROOF", `proof ${short(proof)} is not a registered delegation`));
  if (parent.audience !== signer) {
    return err(new AuthorityError("AUTH_AUDIENCE_MISMATCH", `proof ${short(proof)} was delegated to ${parent.audience}, not to ${signer}`));
  }
  const chain = checkAncestry(parent, ctx, { remaining: ctx.maxChainNodes ?? DEFAULT_MAX_CHAIN_NODES }, new Set());
  if (chain) return err(chain);
  const grantsRevoke = parent.capabilities.some((c) => {
    if (!abilityCovers(c.ability, REVOKE)) return false;
    if (c.resource.kind === "urn") return urnNamesCid(c.resource.uri, target.cid);
    return c.resource.service === "delegation" && c.resource.path === undefined && c.resource.space.did === parent.issuer;
  });
  if (!grantsRevoke) {
    return err(new AuthorityError("AUTH_UNAUTHORIZED_REVOKER", `proof ${short(proof)} does not grant ${REVOKE} on urn:cid:${target.cid.toString()}`));
  }
  if (isDirectRevoker(parent.issuer, target)) return ok({ principal: parent.issuer });
  return err(
    new AuthorityError("AUTH_UNAUTHORIZED_REVOKER", `${parent.issuer} is neither the delegator, the delegatee nor a space owner of ${short(target.cid)}`, {
      details: { principal: parent.issuer, delegator: target.issuer, delegatee: target.audience },
    }),
  );
}

function grantAll(holder: string, capabilities: readonly Capability[], parents: readonly DelegationRecord[], ctx: AuthorityContext): Result<Authorization, AuthorityError> {
  const grants: (DelegationRecord | null)[] = [];
  for (const capability of capabilities) {
    if (isRootAuthority(holder, capability, ctx.resolve)) {
      grants.push(null);
      continue;
    }
    const parent = parents.find((p) => p.capabilities.some((held) => capabilityCovers(held, capability)));
    if (parent === undefined) return err(explainEscalation(capability, parents));
    grants.push(parent);
  }
  return ok({ grants });
}

/** Name the closest failing rule, so a client learns whether it over-reached on path, ability or caveats. */
function explainEscalation(capability: Capability, parents: readonly DelegationRecord[]): AuthorityError {
  const held = parents.flatMap((p) => p.capabilities);
  const details = { requested: describeCapability(capability), held: held.map(describeCapability) };
  if (held.some((h) => resourceCovers(h.resource, capability.resource) && abilityCovers(h.ability, capability.ability))) {
    return new AuthorityError("AUTH_CAVEAT_ESCALATION", `caveats of ${describeCapability(capability)} are wider than the parent's`, { details });
  }
  if (held.some((h) => resourceCovers(h.resource, capability.resource))) {
    return new AuthorityError("AUTH_ABILITY_ESCALATION", `no parent grants ${capability.ability} on that resource`, { details });
  }
  return new AuthorityError("AUTH_RESOURCE_ESCALATION", `no parent covers the resource of ${describeCapability(capability)}`, { details });
}

function resolveParents(proofs: readonly CID[], holder: string, ctx: AuthorityContext, forDelegation: boolean, alreadyCounted: number): Result<DelegationRecord[], AuthorityError> {
  if (proofs.length === 0) return err(new AuthorityError("AUTH_MISSING_PROOF", `${holder} is not the space controller and cites no proof`));
  const budget = { remaining: (ctx.maxChainNodes ?? DEFAULT_MAX_CHAIN_NODES) - alreadyCounted };
  const parents: DelegationRecord[] = [];
  for (const cid of proofs) {
    const parent = ctx.resolve(cid);
    if (parent === undefined) return err(new AuthorityError("AUTH_UNKNOWN_PROOF", `proof ${short(cid)} is not a registered delegation`, { details: { cid: cid.toString() } }));
    if (parent.audience !== holder) {
      return err(
        new AuthorityError("AUTH_AUDIENCE_MISMATCH", `proof ${short(cid)} was delegated to ${parent.audience}, not to ${holder}`, {
          details: { delegatee: parent.audience, holder },
        }),
      );
    }
    if (forDelegation && parent.terminal) {
      return err(new AuthorityError("AUTH_TERMINAL_DELEGATION", `proof ${short(cid)} is terminal and cannot be re-delegated`));
    }
    const chain = checkAncestry(parent, ctx, budget, new Set());
    if (chain) return err(chain);
    parents.push(parent);
  }
  return ok(parents);
}

/** Walk a delegation and its ancestors: each must be inside its window and not revoked. */
function checkAncestry(record: DelegationRecord, ctx: AuthorityContext, budget: { remaining: number }, seen: Set<string>): AuthorityError | undefined {
  const key = multihashKey(record.cid);
  if (seen.has(key)) return undefined;
  seen.add(key);
  if (--budget.remaining < 0) {
    return new AuthorityError("AUTH_CHAIN_TOO_DEEP", `delegation chain visits more than ${ctx.maxChainNodes ?? DEFAULT_MAX_CHAIN_NODES} delegations`);
  }
  if (ctx.isRevoked(record.cid)) return new AuthorityError("AUTH_REVOKED", `delegation ${short(record.cid)} has been revoked`, { details: { cid: record.cid.toString() } });
  const timing = checkTimeWindow(record, ctx.now, record.kind === "cacao", `delegation ${short(record.cid)}`, ctx.clockSkewSeconds);
  if (timing) return timing;
  for (const cid of record.proofs) {
    const parent = ctx.resolve(cid);
    if (parent === undefined) return new AuthorityError("AUTH_UNKNOWN_PROOF", `ancestor ${short(cid)} is not a registered delegation`);
    const failure = checkAncestry(parent, ctx, budget, seen);
    if (failure) return failure;
  }
  return undefined;
}

function childWindowWithinParent(child: DelegationRecord, parent: DelegationRecord): AuthorityError | undefined {
  if (parent.expiration !== undefined && (child.expiration === undefined || child.expiration > parent.expiration)) {
    return new AuthorityError(
      "AUTH_EXPIRY_EXCEEDS_PARENT",
      `delegation expires ${child.expiration === undefined ? "never" : `at ${iso(child.expiration)}`}, after its parent (${iso(parent.expiration)})`,
      { details: { expiration: child.expiration, parentExpiration: parent.expiration } },
    );
  }
  if (parent.notBefore !== undefined && (child.notBefore === undefined || child.notBefore < parent.notBefore)) {
    return new AuthorityError("AUTH_STARTS_BEFORE_PARENT", `delegation becomes valid before its parent (${iso(parent.notBefore)})`, {
      details: { notBefore: child.notBefore, parentNotBefore: parent.notBefore },
    });
  }
  return undefined;
}

/** Does `urn:cid:<x>` name this delegation? Compared by multihash: the codec of the spelling does not matter. */
function urnNamesCid(uri: string, cid: CID): boolean {
  if (!uri.startsWith("urn:cid:")) return false;
  try {
    return multihashKey(parseCid(uri.slice("urn:cid:".length))) === multihashKey(cid);
  } catch {
    return false;
  }
}

function iso(seconds: number): string {
  const d = new Date(seconds * 1000);
  return Number.isNaN(d.getTime()) ? String(seconds) : d.toISOString();
}

function short(cid: CID): string {
  const text = cid.toString();
  return text.length > 20 ? `${text.slice(0, 12)}…${text.slice(-6)}` : text;
}
