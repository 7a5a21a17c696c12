/**
 * The verification keys the light client ships with: the repository's circuits/keys/<circuit>.vkey.json
 * of the circuits a node proves with, imported statically so a browser bundle embeds them (nothing is
 * fetched from the node). Override with `pinVkeys` (CLI: --vkeys DIR). Whatever the source, the "vkey"
 * step still checks the key against the contract's router and verifier bytecode.
 */
import epochTransition1 from "../../circuits/keys/epoch_transition_1.vkey.json" with { type: "json" };
import epochTransition4 from "../../circuits/keys/epoch_transition_4.vkey.json" with { type: "json" };
import epochTransition1Provenance from "../../circuits/keys/epoch_transition_1.provenance.json" with { type: "json" };
import epochTransition4Provenance from "../../circuits/keys/epoch_transition_4.provenance.json" with { type: "json" };
import manifest from "../../circuits/circuits.json" with { type: "json" };
import verifiers from "../../contracts/generated/verifiers.json" with { type: "json" };
import { insecurityOf } from "../../core/key-security.js";
import { STATE_TREE_DEPTH } from "../../core/state/state-tree.js";
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

export interface PinExtras {
  /** circuit → keccak256 of its verifier's runtime code (contracts/generated/verifiers.json `codeHash`). */
  readonly codeHashes?: Readonly<Record<string, string>>;
  /** circuit → its key's provenance (circuits/keys/<circuit>.provenance.json): insecure keys are flagged. */
  readonly provenance?: Readonly<Record<string, unknown>>;
}

/**
 * Pin keys from plain JSON objects (`{ circuit: vkeyJson }`); the "vkey" step validates their shape.
 * A key is only usable with the code hash of its verifier (extras.codeHashes).
 */
export function pinVkeys(vkeys: Readonly<Record<string, unknown>>, source: string, extras: PinExtras = {}): PinnedVkeys {
  const out: Record<string, PinnedVkey> = {};
  for (const [circuit, vkey] of Object.entries(vkeys)) {
    const codeHash = extras.codeHashes?.[circuit];
    const provenance = extras.provenance?.[circuit];
    out[circuit] = {
      circuit,
      vkey: vkey as Groth16Vkey,
      depth: circuitDepth(circuit),
      source,
      ...(codeHash !== undefined ? { codeHash } : {}),
      ...(provenance !== undefined ? { insecure: insecurityOf(provenance) } : {}),
    };
  }
  return out;
}

/** Every pinned key that is known to be insecure, with its reasons (for the CLI's and the page's warning). */
export function insecurePins(pins: PinnedVkeys): { circuit: string; reasons: readonly string[] }[] {
  return Object.values(pins)
    .filter((p) => p.insecure !== undefined && p.insecure.length > 0)
    .map((p) => ({ circuit: p.circuit, reasons: p.insecure as readonly string[] }));
}

/**
 * The bundled keys (epoch_transition_1 and epoch_transition_4, the circuits a node proves with), with
 * the code hashes of their verifiers and their provenance. The repository's keys are the INSECURE dev
 * keys: a deployment that matters pins its own (CLI --vkeys DIR / --deployment, page ?vkeys=).
 */
export const BUILTIN_VKEYS: PinnedVkeys = pinVkeys({ epoch_transition_1: epochTransition1, epoch_transition_4: epochTransition4 }, "built-in", {
  codeHashes: { epoch_transition_1: verifiers.epoch_transition_1.codeHash, epoch_transition_4: verifiers.epoch_transition_4.codeHash },
  provenance: { epoch_transition_1: epochTransition1Provenance, epoch_transition_4: epochTransition4Provenance },
});
