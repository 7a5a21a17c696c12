/**
 * Attenuation of the compute caveats on `tinycloud.compute/execute` grants (issue 14): a delegate may pass
 * on a grant narrower than its own, and an invocation may restate it narrower still.
 * - `inputs: ["prefix", …]` / `output: ["prefix", …]`: KV key prefixes on "/" boundaries (as resources);
 *   every child prefix must lie inside one of the parent's;
 * - `function: "<function_cid>"`: the child pins the same function;
 * - `maxGas: n`: the child's is at most the parent's.
 * A child may add caveats the parent lacks. Pure: no I/O.
 */
import type { Caveat } from "../capability.js";
import { pathCovers } from "../resource.js";

export const COMPUTE_CAVEAT_NAMES = ["inputs", "output", "function", "maxGas"] as const;

/** Only compute caveats in every object of the list (and at least one). */
export function isComputeCaveatList(caveats: readonly Caveat[]): boolean {
  return caveats.length > 0 && caveats.every((c) => Object.keys(c).length > 0 && Object.keys(c).every((k) => (COMPUTE_CAVEAT_NAMES as readonly string[]).includes(k)));
}

/** Well-formed prefix list: non-empty strings, no NUL. */
export function prefixList(value: unknown): readonly string[] | undefined {
  if (!Array.isArray(value) || value.length === 0 || value.length > 64) return undefined;
  return value.every((p) => typeof p === "string" && p.length <= 1024 && !p.includes("\u0000")) ? (value as string[]) : undefined;
}

/** Does key `key` lie inside `prefix` (on "/" boundaries; "" is the whole KV service)? */
export function prefixCovers(prefix: string, key: string): boolean {
  return prefix === "" || pathCovers(prefix, key);
}

function narrower(name: string, parent: unknown, child: unknown): boolean {
  switch (name) {
    case "inputs":
    case "output": {
      const p = prefixList(parent);
      const c = prefixList(child);
      if (p === undefined || c === undefined) return false;
      return c.every((cp) => p.some((pp) => prefixCovers(pp, cp)));
    }
    case "function":
      return typeof parent === "string" && parent === child;
    case "maxGas":
      return typeof parent === "number" && typeof child === "number" && Number.isSafeInteger(child) && child >= 0 && child <= parent;
    default:
      return false;
  }
}

/** Is the child's list of compute caveats at least as narrow as the parent's, caveat by caveat? */
export function computeCaveatsContain(parent: readonly Caveat[], child: readonly Caveat[]): boolean {
  return parent.every((p) => Object.entries(p).every(([name, value]) => child.some((c) => Object.hasOwn(c, name) && narrower(name, value, c[name]))));
}
