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
import { prefixList } from "../../core/compute/grant-caveats.js";
import { POLICY_CAVEAT, type PolicyRef, parsePolicyCaveat } from "../../core/policy/caveat.js";
import { resourceCovers } from "../../core/resource.js";
import { HttpError } from "./http-error.js";
import { type SqlCaveats, sqlCaveats } from "../sql/caveats.js";

/** Caveat name → the abilities it applies to. */
export const SUPPORTED_CAVEATS: Readonly<Record<string, readonly string[]>> = {
  /** Largest value, in bytes, a kv/put may store (413 CAVEAT_MAX_SIZE above). */
  maxSize: ["tinycloud.kv/put"],
  /** KV key prefixes a compute function may read (403 COMPUTE_CAVEAT_INPUT outside them). */
  inputs: ["tinycloud.compute/execute"],
  /** KV key prefixes it may write its result to (403 COMPUTE_CAVEAT_OUTPUT). */
  output: ["tinycloud.compute/execute"],
  /** The function_cid the grant pins (403 COMPUTE_CAVEAT_FUNCTION for another module under that name). */
  function: ["tinycloud.compute/execute"],
  /** Most gas one execution may use (403 COMPUTE_CAVEAT_GAS for a larger request; the default limit is lowered to it). */
  maxGas: ["tinycloud.compute/execute"],
};

export interface CaveatLimits {
  readonly maxSize?: number;
  /** One prefix list per `inputs` caveat in the chain: a key must lie inside one prefix of EVERY list. */
  readonly inputs?: readonly (readonly string[])[];
  /** Likewise for `output`. */
  readonly output?: readonly (readonly string[])[];
  /** Every `function` pin in the chain (all must name the executed function). */
  readonly functions?: readonly string[];
  readonly maxGas?: number;
  /** Every `policy` caveat of the chain (any ability): all must allow the invocation (node/policy). */
  readonly policies?: readonly PolicyRef[];
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
  if (capability.ability.startsWith("tinycloud.sql/")) {
    // Policies bind SQL grants like any other; the rest of each caveat is the SQL service's to read.
    const policies: PolicyRef[] = [];
    const rest: Caveat[] = [];
    for (const caveat of caveats) {
      if (!Object.hasOwn(caveat, POLICY_CAVEAT)) {
        rest.push(caveat);
        continue;
      }
      const { [POLICY_CAVEAT]: value, ...others } = caveat;
      policies.push(parsedPolicy(value));
      if (Object.keys(others).length > 0) rest.push(others);
    }
    return { sql: sqlCaveats(capability.ability, rest), ...(policies.length > 0 ? { policies } : {}) };
  }
  return limitsOf(capability.ability, caveats);
}

function limitsOf(ability: string, caveats: readonly Caveat[]): CaveatLimits {
  let maxSize: number | undefined;
  let maxGas: number | undefined;
  const inputs: (readonly string[])[] = [];
  const output: (readonly string[])[] = [];
  const functions: string[] = [];
  const policies: PolicyRef[] = [];
  for (const caveat of caveats) {
    for (const [name, value] of Object.entries(caveat)) {
      if (name === POLICY_CAVEAT) {
        policies.push(parsedPolicy(value));
        continue;
      }
      const appliesTo = Object.hasOwn(SUPPORTED_CAVEATS, name) ? SUPPORTED_CAVEATS[name] : undefined;
      if (appliesTo === undefined) {
        throw new HttpError("UNSUPPORTED_CAVEAT", `caveat "${name.slice(0, 60)}" on ${ability} is not one this node enforces (${supportedList()}), so it cannot honour the grant`);
      }
      if (!appliesTo.includes(ability)) {
        throw new HttpError("UNSUPPORTED_CAVEAT", `caveat "${name}" applies to ${appliesTo.join(", ")}, not to ${ability}`);
      }
      const bad = (what: string) => new HttpError("UNSUPPORTED_CAVEAT", `caveat ${name} must be ${what}, got ${JSON.stringify(value)?.slice(0, 40)}`);
      if (name === "inputs" || name === "output") {
        const prefixes = prefixList(value);
        if (prefixes === undefined) throw bad("a non-empty list of KV key prefixes");
        (name === "inputs" ? inputs : output).push(prefixes);
        continue;
      }
      if (name === "function") {
        if (typeof value !== "string" || value.length > 200) throw bad("a function_cid");
        functions.push(value);
        continue;
      }
      if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) throw bad(name === "maxGas" ? "a non-negative integer amount of gas" : "a non-negative integer number of bytes");
      if (name === "maxGas") maxGas = maxGas === undefined ? value : Math.min(maxGas, value);
      else maxSize = maxSize === undefined ? value : Math.min(maxSize, value);
    }
  }
  return {
    ...(maxSize !== undefined ? { maxSize } : {}),
    ...(maxGas !== undefined ? { maxGas } : {}),
    ...(inputs.length > 0 ? { inputs } : {}),
    ...(output.length > 0 ? { output } : {}),
    ...(functions.length > 0 ? { functions } : {}),
    ...(policies.length > 0 ? { policies } : {}),
  };
}

function parsedPolicy(value: unknown): PolicyRef {
  const policy = parsePolicyCaveat(value);
  if (typeof policy === "string") throw new HttpError("UNSUPPORTED_CAVEAT", policy);
  return policy;
}

function supportedList(): string {
  return [...Object.entries(SUPPORTED_CAVEATS).map(([name, abilities]) => `${name} on ${abilities.join(", ")}`), `${POLICY_CAVEAT} on any ability`].join("; ");
}
