/**
 * Key provenance (format 2) and the verdict on whether a Groth16 key can be trusted.
 *
 * A Groth16 verification key is only as good as the secrets thrown away while it was made:
 *   - phase 1 (powers of tau): whoever knows τ, α, β can forge proofs. The dev ptau
 *     (prover/ptau/dev-ptau.ts) derives them from a public seed, so every key on it is forgeable;
 *   - phase 2 (per circuit): whoever knows δ can forge proofs (A = α, B = β, C = −δ⁻¹·vk_x). δ is the
 *     product of every contribution's secret; a public beacon's secret is derivable by design, so a
 *     phase 2 that is only a beacon is forgeable, one secret contribution from the OS CSPRNG is not.
 *
 * `keySecurity` reads a provenance object (circuits/keys/<name>.provenance.json) and says whether the
 * key is insecure and why. It is pure (no I/O, no Node built-ins), so the deploy command, the node and
 * the browser light client can all import it.
 */

export const PROVENANCE_FORMAT = 2;

export type Phase2Kind = "insecure-deterministic" | "csprng" | "ceremony";

export interface PtauProvenance {
  /** "dev": generated from a public seed (INSECURE); "file": a prepared ptau from a ceremony. */
  kind: "dev" | "file";
  /** kind "file": sha256 (hex) of the whole ptau file. */
  sha256?: string;
  /** kind "file": the file's base name, for humans. */
  name?: string;
  /** kind "dev": the dev ptau's beacon hash (hex): it and the seed recipe fix τ, α, β. */
  devBeaconHashHex?: string;
  insecure: boolean;
}

/** One phase-2 contribution as `snarkjs zkey verify` reports it. */
export interface ContributionRecord {
  /** Name stored in the zkey (may be empty). */
  name: string;
  /** snarkjs' contribution hash (blake2b-512, hex): the value the contributor printed and can recognise. */
  hash: string;
  /** "secret": random entropy, discarded; "beacon": derived from a public value (never secret). */
  type: "secret" | "beacon";
}

export interface BeaconRecord {
  /** Public beacon value (hex). */
  hashHex: string;
  numIterationsExp: number;
}

export interface Phase2Provenance {
  kind: Phase2Kind;
  /** Every contribution, oldest first (for "insecure-deterministic" the single beacon). */
  contributions: ContributionRecord[];
  /** The public beacon applied last, if any. */
  beacon?: BeaconRecord;
}

export interface ProvenanceV2 {
  format: 2;
  ptau: PtauProvenance;
  phase2: Phase2Provenance;
  insecure: boolean;
  insecureReasons: string[];
  [key: string]: unknown;
}

/** The transcript published beside the keys (<name>.transcript.json): what anyone can recheck with `snarkjs zkey verify`. */
export interface KeyTranscript {
  format: 1;
  circuit: string;
  /** snarkjs' circuit hash (blake2b-512 of the initial key, hex). */
  circuitHash: string;
  contributions: ContributionRecord[];
}

export interface KeySecurity {
  insecure: boolean;
  reasons: string[];
}

export const INSECURE_REASONS = {
  devPtau: "dev ptau: phase-1 secrets (tau, alpha, beta) are derived from a public seed, so anyone can forge proofs",
  deterministicPhase2: "deterministic phase 2: the only contribution is a beacon computed from public data, so its delta is known and anyone can forge proofs",
  noSecretContribution: "phase 2 has no secret contribution: delta is derivable from public data",
  legacyFormat: "provenance format 1 (before key hardening): deterministic phase 2",
  malformed: "provenance is missing or malformed: the key's origin is unknown",
} as const;

/**
 * Whether a key with this provenance is insecure, and why. Recomputed from the facts (ptau kind, phase-2
 * contributions), never taken from the file's own `insecure` flag, so a hand-edited `"insecure": false`
 * does not make a dev key look safe; a flag that says insecure is honoured too.
 */
export function keySecurity(provenance: unknown): KeySecurity {
  if (typeof provenance !== "object" || provenance === null) return { insecure: true, reasons: [INSECURE_REASONS.malformed] };
  const p = provenance as Record<string, unknown>;
  const reasons: string[] = [];
  const ptau = p["ptau"] as Record<string, unknown> | undefined;
  if (!ptau || typeof ptau !== "object") reasons.push(INSECURE_REASONS.malformed);
  else if (ptau["kind"] !== "file" || ptau["insecure"] !== false) reasons.push(INSECURE_REASONS.devPtau);
  if (p["format"] !== PROVENANCE_FORMAT) {
    reasons.push(INSECURE_REASONS.legacyFormat);
    return { insecure: true, reasons: unique(reasons) };
  }
  const phase2 = p["phase2"] as Record<string, unknown> | undefined;
  const contributions = phase2 && Array.isArray(phase2["contributions"]) ? (phase2["contributions"] as unknown[]) : undefined;
  if (!phase2 || !contributions) {
    reasons.push(INSECURE_REASONS.malformed);
  } else if (phase2["kind"] === "insecure-deterministic") {
    reasons.push(INSECURE_REASONS.deterministicPhase2);
  } else if (phase2["kind"] !== "csprng" && phase2["kind"] !== "ceremony") {
    reasons.push(INSECURE_REASONS.malformed);
  } else if (!contributions.some((c) => typeof c === "object" && c !== null && (c as Record<string, unknown>)["type"] === "secret")) {
    reasons.push(INSECURE_REASONS.noSecretContribution);
  }
  if (p["insecure"] === true && reasons.length === 0 && Array.isArray(p["insecureReasons"])) {
    for (const r of p["insecureReasons"] as unknown[]) if (typeof r === "string") reasons.push(r);
    if (reasons.length === 0) reasons.push(INSECURE_REASONS.malformed);
  }
  return { insecure: reasons.length > 0, reasons: unique(reasons) };
}

/** The insecure flag and reasons a new provenance records (the same rules keySecurity applies). */
export function provenanceSecurity(ptau: PtauProvenance, phase2: Phase2Provenance): KeySecurity {
  return keySecurity({ format: PROVENANCE_FORMAT, ptau, phase2 });
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

/** keySecurity(provenance).reasons: why a key is insecure, empty when no weakness is known. */
export function insecurityOf(provenance: unknown): string[] {
  return keySecurity(provenance).reasons;
}
