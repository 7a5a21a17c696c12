/**
 * The `policy` caveat (issue 14, "Policy-engine delegation"): a delegation grants a capability only where
 * a policy allows it, decided at each invocation from the verified invocation (core/policy/request.ts).
 *
 * - `{ "policy": { "cedar": "<policy text>" } }`: a Cedar policy set, run by the node's metered Cedar engine;
 * - `{ "policy": { "function": "<function_cid>", "space"?: "<space id>" } }`: a deployed WASM policy function.
 *
 * It applies to any ability. Policies conjoin: every policy in an invocation's chain must allow it, and a
 * child delegation keeps every policy of its parent (it may add its own, never drop one).
 */
import type { Caveat } from "../capability.js";
import { canonicalJson, isPlainObject } from "../encoding.js";

export const POLICY_CAVEAT = "policy";

/** Largest Cedar policy text accepted in a caveat (it travels inside every delegation that carries it). */
export const MAX_CEDAR_POLICY_BYTES = 16 * 1024;

export type PolicyRef = { readonly kind: "cedar"; readonly text: string } | { readonly kind: "function"; readonly functionCid: string; readonly space?: string };

/** The policy a caveat value names, or why it names none (the caller answers 400 UNSUPPORTED_CAVEAT). */
export function parsePolicyCaveat(value: unknown): PolicyRef | string {
  if (!isPlainObject(value)) return 'caveat policy must be an object: {"cedar": "<policy text>"} or {"function": "<function_cid>"}';
  const keys = Object.keys(value).sort();
  if (keys.length === 1 && keys[0] === "cedar") {
    const text = value["cedar"];
    if (typeof text !== "string" || text.trim().length === 0) return "caveat policy.cedar must be a non-empty Cedar policy text";
    if (new TextEncoder().encode(text).length > MAX_CEDAR_POLICY_BYTES) return `caveat policy.cedar is larger than ${MAX_CEDAR_POLICY_BYTES} bytes`;
    return { kind: "cedar", text };
  }
  if (keys[0] === "function" && (keys.length === 1 || (keys.length === 2 && keys[1] === "space"))) {
    const functionCid = value["function"];
    const space = value["space"];
    if (typeof functionCid !== "string" || !/^b[a-z2-7]{20,120}$/.test(functionCid)) return "caveat policy.function must be a function_cid (a base32 CIDv1, bafkrei…)";
    if (space !== undefined && (typeof space !== "string" || space.length === 0 || space.length > 300)) return "caveat policy.space must be a space id";
    return space === undefined ? { kind: "function", functionCid } : { kind: "function", functionCid, space };
  }
  return `caveat policy takes exactly one of "cedar" or "function" (with an optional "space"), got keys ${JSON.stringify(keys.slice(0, 5))}`;
}

/** A caveat object that holds only a policy: the one kind of caveat a child may add to its parent's list. */
export function isPolicyCaveat(caveat: Caveat): boolean {
  const keys = Object.keys(caveat);
  return keys.length === 1 && keys[0] === POLICY_CAVEAT;
}

/**
 * Does the child keep every caveat of the parent, adding only policy caveats? Order does not matter (all
 * caveats of a chain apply together). Adding a policy only narrows a grant, so this is attenuation.
 */
export function policyCaveatsContain(parent: readonly Caveat[], child: readonly Caveat[]): boolean {
  const extra = [...child];
  for (const caveat of parent) {
    const text = canonicalJson(caveat);
    const at = extra.findIndex((c) => canonicalJson(c) === text);
    if (at === -1) return false;
    extra.splice(at, 1);
  }
  return extra.every(isPolicyCaveat);
}
