/**
 * Capabilities and caveats, independent of the token that carries them (ReCap, UCAN 0.9, UCAN 0.10).
 *
 * Caveat lists: on the wire "no caveat" is `[{}]` (an empty list is rejected by the reference
 * node's ucan-capabilities-object). In memory we normalize `[{}]` to `[]` so that "unconstrained"
 * has exactly one representation.
 */
import { abilityCovers, canonicalAbility } from "./abilities.js";
import { computeCaveatsContain, isComputeCaveatList } from "./compute/grant-caveats.js";
import { canonicalJson, isPlainObject } from "./encoding.js";
import { isPolicyCaveat, policyCaveatsContain } from "./policy/caveat.js";
import type { CapabilityResource } from "./resource.js";
import { formatCapabilityResource, parseCapabilityResource, resourceCovers } from "./resource.js";

export type Caveat = Readonly<Record<string, unknown>>;

export interface Capability {
  readonly resource: CapabilityResource;
  /** Canonical ability (`tinycloud.kv/get`). */
  readonly ability: string;
  /** Normalized: `[]` means unconstrained. */
  readonly caveats: readonly Caveat[];
}

export function makeCapability(resource: string | CapabilityResource, ability: string, caveats: readonly Caveat[] = []): Capability {
  return {
    resource: typeof resource === "string" ? parseCapabilityResource(resource) : resource,
    ability: canonicalAbility(ability),
    caveats: normalizeCaveats(caveats),
  };
}

/** `[{}]` (and any list of only empty objects) → `[]`. */
export function normalizeCaveats(caveats: readonly Caveat[]): readonly Caveat[] {
  return caveats.every((c) => isPlainObject(c) && Object.keys(c).length === 0) ? [] : caveats;
}

/** Wire form of a caveat list: never empty. */
export function wireCaveats(caveats: readonly Caveat[]): readonly Caveat[] {
  return caveats.length === 0 ? [{}] : caveats;
}

const SQL_CONSTRAINED = "constrained-statements";

function isConstrainedSql(caveat: Caveat): boolean {
  return caveat["mode"] === SQL_CONSTRAINED;
}

/**
 * Is the child's caveat list contained in the parent's? (reference `caveats_contain_child`)
 * - parent unconstrained: the child may add anything;
 * - SQL constrained-statements: the child may keep a subset of the statements and may only become read-only;
 * - compute caveats (inputs/output prefixes, function pin, maxGas): the child may narrow them
 *   (core/compute/grant-caveats.ts);
 * - policies (core/policy/caveat.ts): the child keeps every policy of the parent and may add policies;
 *   the rest of the two lists is then compared by these same rules;
 * - otherwise the child's caveats must equal the parent's (order-sensitive, canonical JSON).
 */
export function caveatsContain(parent: readonly Caveat[], child: readonly Caveat[]): boolean {
  if (parent.length === 0) return true;
  if (child.length === 0) return false;
  if (parent.some(isPolicyCaveat) || child.some(isPolicyCaveat)) {
    const parentRest = parent.filter((c) => !isPolicyCaveat(c));
    const childRest = child.filter((c) => !isPolicyCaveat(c));
    return policyCaveatsContain(parent.filter(isPolicyCaveat), child.filter(isPolicyCaveat)) && caveatsContain(parentRest, childRest);
  }
  if (parent.length === 1 && child.length === 1 && isConstrainedSql(parent[0] as Caveat) && isConstrainedSql(child[0] as Caveat)) {
    return sqlStatementsContain(parent[0] as Caveat, child[0] as Caveat);
  }
  if (canonicalJson(parent) === canonicalJson(child)) return true;
  return isComputeCaveatList(parent) && isComputeCaveatList(child) && computeCaveatsContain(parent, child);
}

function sqlStatementsContain(parent: Caveat, child: Caveat): boolean {
  if (parent["readOnly"] === true && child["readOnly"] !== true) return false;
  const parentStatements = Array.isArray(parent["statements"]) ? parent["statements"] : [];
  const childStatements = Array.isArray(child["statements"]) ? child["statements"] : [];
  const allowed = new Set(parentStatements.map((s: unknown) => canonicalJson(s)));
  return childStatements.every((s: unknown) => allowed.has(canonicalJson(s)));
}

/** Does one held capability cover a requested one (resource, ability and caveats)? */
export function capabilityCovers(parent: Capability, child: Capability): boolean {
  return resourceCovers(parent.resource, child.resource) && abilityCovers(parent.ability, child.ability) && caveatsContain(parent.caveats, child.caveats);
}

export function describeCapability(capability: Capability): string {
  return `${capability.ability} on ${formatCapabilityResource(capability.resource)}`;
}
