/**
 * Caveats the node enforces on invocations (node/README.md, "Caveats"). The core checks that a child's
 * caveats are contained in its parent's; this is where they take effect. Fail closed: a caveat this node
 * does not understand, on the invoked capability or on any delegation in its chain that grants it, refuses
 * the invocation (400 UNSUPPORTED_CAVEAT) instead of being ignored, since ignoring a restriction widens
 * the grant. Caveats of an invocation and of its chain all apply together (a conjunction: the smallest
 * `maxSize` wins), the strictest reading of a caveat list.
 */
import { abilityCovers } from "../../core/abilities.js";
import type { AuthorityContext } from "../../core/auth/authority.js";
import type { Capability, Caveat } from "../../core/capability.js";
import { type CID, multihashKey } from "../../core/cid.js";
import { resourceCovers } from "../../core/resource.js";
import { HttpError } from "./http-error.js";
import { type SqlCaveats, sqlCaveats } from "../sql/caveats.js";

/** Caveat name → the abilities it applies to. */
export const SUPPORTED_CAVEATS: Readonly<Record<string, readonly string[]>> = {
  /** Largest value, in bytes, a kv/put may store (413 CAVEAT_MAX_SIZE above). */
  maxSize: ["tinycloud.kv/put"],
};

export interface CaveatLimits {
  readonly maxSize?: number;
  /** tinycloud.sql/* caveats (node/sql/caveats.ts). */
  readonly sql?: SqlCaveats;
}

/**
 * The limits that bind one invoked capability: its own caveats plus those of every delegation reachable
 * from `proofs` whose capability covers it (resource and ability). `ctx` holds the chain the authority
 * check has just accepted, so the walk is bounded by what the loader loaded.
 */
export function caveatLimits(capability: Capability, proofs: readonly CID[], ctx: AuthorityContext): CaveatLimits {
  const caveats: Caveat[] = [...capability.caveats];
  const seen = new Set<string>();
  const queue = [...proofs];
  while (queue.length > 0) {
    const cid = queue.shift() as CID;
    const key = multihashKey(cid);
    if (seen.has(key)) continue;
    seen.add(key);
    const record = ctx.resolve(cid);
    if (record === undefined) continue;
    for (const held of record.capabilities) {
      if (resourceCovers(held.resource, capability.resource) && abilityCovers(held.ability, capability.ability)) caveats.push(...held.caveats);
    }
    queue.push(...record.proofs);
  }
  if (capability.ability.startsWith("tinycloud.sql/")) return { sql: sqlCaveats(capability.ability, caveats) };
  return limitsOf(capability.ability, caveats);
}

function limitsOf(ability: string, caveats: readonly Caveat[]): CaveatLimits {
  let maxSize: number | undefined;
  for (const caveat of caveats) {
    for (const [name, value] of Object.entries(caveat)) {
      const appliesTo = Object.hasOwn(SUPPORTED_CAVEATS, name) ? SUPPORTED_CAVEATS[name] : undefined;
      if (appliesTo === undefined) {
        throw new HttpError("UNSUPPORTED_CAVEAT", `caveat "${name.slice(0, 60)}" on ${ability} is not one this node enforces (${supportedList()}), so it cannot honour the grant`);
      }
      if (!appliesTo.includes(ability)) {
        throw new HttpError("UNSUPPORTED_CAVEAT", `caveat "${name}" applies to ${appliesTo.join(", ")}, not to ${ability}`);
      }
      if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
        throw new HttpError("UNSUPPORTED_CAVEAT", `caveat maxSize must be a non-negative integer number of bytes, got ${JSON.stringify(value)?.slice(0, 40)}`);
      }
      maxSize = maxSize === undefined ? value : Math.min(maxSize, value);
    }
  }
  return maxSize === undefined ? {} : { maxSize };
}

function supportedList(): string {
  return Object.entries(SUPPORTED_CAVEATS)
    .map(([name, abilities]) => `${name} on ${abilities.join(", ")}`)
    .join("; ");
}
