/**
 * The verification keys the light client ships with: the repository's circuits/keys/<circuit>.vkey.json
 * of the circuits a node proves with, imported statically so a browser bundle embeds them (nothing is
 * fetched from the node). Override with `pinVkeys` (CLI: --vkeys DIR). Whatever the source, the "vkey"
 * step still checks the key against the contract's router and verifier bytecode.
 */
import epochTransition1 from "../../circuits/keys/epoch_transition_1.vkey.json" with { type: "json" };
import epochTransition4 from "../../circuits/keys/epoch_transition_4.vkey.json" with { type: "json" };
import manifest from "../../circuits/circuits.json" with { type: "json" };
import { STATE_TREE_DEPTH } from "../../node/core/state-tree.js";
import type { Groth16Vkey, PinnedVkey, PinnedVkeys } from "./types.js";

/**
 * State tree depth of a circuit: the second parameter of EpochTransition(B, depth) in
 * circuits/circuits.json; for a circuit not in the manifest, a `_d<depth>` name suffix, else 16.
 */
export function circuitDepth(circuit: string): number {
  const entry = (manifest.circuits as { name: string; template: string; params: unknown[] }[]).find((c) => c.name === circuit);
  if (entry !== undefined && entry.template === "EpochTransition" && typeof entry.params[1] === "number") return entry.params[1];
  const suffix = /_d([0-9]{1,3})$/.exec(circuit);
  return suffix ? Number(suffix[1]) : STATE_TREE_DEPTH;
}

/** Pin keys from plain JSON objects (`{ circuit: vkeyJson }`); the "vkey" step validates their shape. */
export function pinVkeys(vkeys: Readonly<Record<string, unknown>>, source: string): PinnedVkeys {
  const out: Record<string, PinnedVkey> = {};
  for (const [circuit, vkey] of Object.entries(vkeys)) out[circuit] = { circuit, vkey: vkey as Groth16Vkey, depth: circuitDepth(circuit), source };
  return out;
}

/** The bundled keys (epoch_transition_1 and epoch_transition_4, the circuits a node proves with). */
export const BUILTIN_VKEYS: PinnedVkeys = pinVkeys({ epoch_transition_1: epochTransition1, epoch_transition_4: epochTransition4 }, "built-in");
