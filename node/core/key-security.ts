/**
 * Is a Groth16 key safe to rely on? Pure (the node, `tinycloud deploy` and the browser light client all
 * ask), from the key's provenance (circuits/keys/<circuit>.provenance.json, written by `tinycloud setup`
 * or `tinycloud ceremony finalize`).
 *
 * A key is insecure when anyone can know its toxic waste: made from the dev ptau (τ derived from a
 * public seed), or with a phase 2 that has no secret contribution (a deterministic beacon whose seed is
 * published: δ follows from it, and A = α, B = β, C = −δ⁻¹·vk_x is then a valid proof of anything).
 */

/** Why a key is insecure (empty: no known weakness). Accepts provenance format 1 and 2. */
export function insecurityOf(provenance: unknown): string[] {
  if (typeof provenance !== "object" || provenance === null) return ["no provenance: nothing says how the key was made"];
  const p = provenance as Record<string, unknown>;
  const reasons = new Set<string>();
  // Format 2 states its reasons itself; format 1 is judged from its ptau and phase-2 entries.
  if (Array.isArray(p["insecureReasons"])) {
    for (const r of p["insecureReasons"]) if (typeof r === "string") reasons.add(r);
    if (p["insecure"] === true && reasons.size === 0) reasons.add("its provenance marks it insecure");
    if (p["insecure"] !== false && p["insecure"] !== true) reasons.add("its provenance does not say whether it is secure");
    return [...reasons];
  }
  const ptau = p["ptau"] as Record<string, unknown> | undefined;
  const phase2 = p["phase2"] as Record<string, unknown> | undefined;
  if (ptau?.["insecure"] === true || ptau?.["kind"] === "dev") reasons.add("made from the INSECURE dev ptau (its τ is derived from a public seed)");
  if (phase2?.["insecure"] === true || phase2?.["kind"] === "deterministic-beacon" || phase2?.["kind"] === "insecure-deterministic") {
    reasons.add("phase 2 has no secret contribution (a deterministic beacon whose seed is published)");
  }
  if (p["insecure"] === true && reasons.size === 0) reasons.add("its provenance marks it insecure");
  if (ptau === undefined || phase2 === undefined) reasons.add("its provenance does not say which ptau and phase-2 contributions made it");
  return [...reasons];
}
