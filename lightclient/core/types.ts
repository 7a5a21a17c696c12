/**
 * Types of the light client's verification core. Everything here is plain data (JSON-friendly apart
 * from the bigint / Uint8Array fields named as such) so the same report renders in the CLI, the
 * browser page and a `--json` dump.
 */
import { err, ok, type Result } from "../../core/errors.js";

/** The five checks, in the order they run. The names are API (CLI output, JSON reports, the page). */
export const STEP_NAMES = ["vkey", "proof", "root", "path", "value"] as const;
export type StepName = (typeof STEP_NAMES)[number];

export type StepStatus = "passed" | "failed" | "skipped";

/** Stable codes. A passed step has a *_OK-style code, a skipped one "SKIPPED". */
export type StepCode =
  // vkey
  | "VKEY_OK"
  | "VKEY_MISSING" // no pinned key for the batch's circuit
  | "VKEY_MALFORMED" // the pinned key is not a groth16/bn128 key with 4 public signals
  | "VKEY_MISMATCH" // the router has no live groth16 route for the key's id, or the routed verifier's code hash is not the pinned one
  | "VKEY_REVOKED" // the route exists but was removed from the router
  | "VKEY_UNAVAILABLE" // the chain (router / verifier code) could not be read
  // proof
  | "PROOF_OK"
  | "PROOF_MISSING" // the batch has no proof (not proven yet) or nothing is anchored
  | "PROOF_MALFORMED" // the record, proof or public signals do not parse
  | "PROOF_WRONG_BATCH" // the record / proof header is for another batch number
  | "PROOF_WRONG_DEPLOYMENT" // the proof header names another chain id or anchor contract
  | "PROOF_ROOT_MISMATCH" // publicSignals[1] is not the batch's claimed root
  | "PROOF_INVALID" // the Groth16 pairing check fails
  | "PROOF_OLD_ROOT_MISMATCH" // publicSignals[0] is not anchor.roots(n - 1)
  | "PROOF_COMMITMENT_MISMATCH" // publicSignals[3] is not the commitment of batch n's BatchAnchored event
  | "PROOF_WRONG_VERIFIER" // batch n was anchored under another verifier id than the pinned key's
  | "PROOF_UNAVAILABLE" // the node or the chain could not be read
  // root
  | "ROOT_ANCHORED"
  | "ROOT_NOT_ANCHORED" // the claimed root is not anchor.roots(n), or n > anchor.latestBatch()
  | "ROOT_BAD_GENESIS" // roots(0) is not the empty tree of the pinned circuits' depth
  | "ROOT_UNPINNED_VERIFIER" // some batch 1..n was anchored under a verifier id (or code) the client does not pin
  | "ROOT_HISTORY_MISMATCH" // the BatchAnchored events do not match the contract's roots (missing, extra, out of order)
  | "ROOT_MALFORMED"
  | "ROOT_UNAVAILABLE"
  // path
  | "PATH_OK"
  | "PATH_MALFORMED" // the state proof JSON does not parse
  | "PATH_WRONG_KEY" // the proof is for another key than the one derived from the URI
  | "PATH_ROOT_MISMATCH" // the proof does not recompute to the anchored root (or names another root)
  | "PATH_SALT_UNPROVEN" // a private space's response lacks the space salt, or its salt proof is not the salt leaf of the anchored root
  | "PATH_UNAVAILABLE"
  // value
  | "VALUE_OK" // inclusion: bytes hash to the leaf's content hash
  | "VALUE_DELETED" // inclusion of a tombstone: the key was deleted (no bytes)
  | "VALUE_ABSENT" // non-inclusion: the key holds nothing at this root
  | "VALUE_MALFORMED" // the entry the node sent with the proof does not parse
  | "VALUE_LEAF_MISMATCH" // leafValue(entry) is not the proof's leaf value
  | "VALUE_HASH_MISMATCH" // blake3(bytes) is not the entry's content hash
  | "VALUE_UNAVAILABLE" // the bytes could not be fetched (private space without --value-file, 404, …)
  | "SKIPPED";

export interface StepResult {
  readonly step: StepName;
  readonly status: StepStatus;
  /** status === "passed" */
  readonly ok: boolean;
  readonly code: StepCode;
  /** Human-readable, one line. */
  readonly reason: string;
  /** Step-specific facts (decimal strings for field elements, 0x hex for addresses / ids). */
  readonly data?: Readonly<Record<string, unknown>>;
}

/** A piece of evidence that was obtained, or the reason it could not be: the core's Result, with a reason. */
export type Fetched<T> = Result<T, string>;

export const got = <T>(value: T): Fetched<T> => ok(value);
export const missing = <T = never>(error: string): Fetched<T> => err(error);

/** A snarkjs Groth16 verification key (verification_key.json). */
export interface Groth16Vkey {
  readonly protocol: "groth16";
  readonly curve: "bn128";
  readonly nPublic: number;
  readonly vk_alpha_1: readonly string[];
  readonly vk_beta_2: readonly (readonly string[])[];
  readonly vk_gamma_2: readonly (readonly string[])[];
  readonly vk_delta_2: readonly (readonly string[])[];
  readonly IC: readonly (readonly string[])[];
  readonly [extra: string]: unknown;
}

/** A snarkjs Groth16 proof (proof.json): its one schema is core/rollup/wire.ts. */
export type { Groth16Proof as Groth16ProofJson } from "../../core/rollup/wire.js";

/** A verification key the client trusts for one circuit, and where it came from. */
export interface PinnedVkey {
  readonly circuit: string;
  readonly vkey: Groth16Vkey;
  /** State tree depth of the circuit (bounds the length of state proofs). */
  readonly depth: number;
  /** "built-in" (bundled from circuits/keys), a file path, "config", or "node (checked against the contract)". */
  readonly source: string;
  /**
   * keccak256 of the verifier contract's runtime code that checks proofs for this key
   * (contracts/generated/verifiers.json). The router's id for a key is only a label its owner picks a
   * contract for; the code hash is what binds the key to the contract that anchored the root.
   */
  readonly codeHash?: string;
  /** Why this key is insecure (dev ptau, no secret phase-2 contribution): empty or absent when not known to be. */
  readonly insecure?: readonly string[];
}

export type PinnedVkeys = Readonly<Record<string, PinnedVkey>>;

/** What the chain says (trusted: read from the anchor contract the user named). */
export interface AnchoredState {
  readonly chainId: number;
  /** The TinyCloudAnchor address (0x…, any case). */
  readonly anchor: string;
  /** anchor.latestBatch() */
  readonly latestBatch: number;
  /** The batch being checked. */
  readonly batch: number;
  /** anchor.roots(batch); 0n for a batch the contract does not know. */
  readonly root: bigint;
}

/** The anchor's fixed facts (immutables): genesis is the empty tree of `treeDepth`. */
export interface AnchorGenesis {
  readonly genesisRoot: bigint;
  readonly treeDepth: number;
  /** Block of the deployment (log scans start there). */
  readonly deployedAt: number;
}

/** One BatchAnchored event of the anchor. */
export interface AnchoredBatch {
  readonly batch: number;
  readonly newRoot: bigint;
  readonly commitment: bigint;
  /** 0x… lowercase */
  readonly verifierId: string;
}

/** The chain's history up to the checked batch: what every root the client relies on was proven under. */
export interface HistoryEvidence {
  readonly genesis: AnchorGenesis;
  /** anchor.roots(n - 1) (the old root the proof must start from); genesis for n = 1. */
  readonly previousRoot: bigint;
  /** BatchAnchored events of batches 1..n, in log order. */
  readonly batches: readonly AnchoredBatch[];
  /** For every verifier id in `batches`: its route and keccak256 of the routed contract's runtime code. */
  readonly verifiers: Readonly<Record<string, Fetched<{ readonly route: VerifierRoute; readonly codeHash: string }>>>;
}

/** A route of TinyCloudVerifierRouter: routes(id) → (verifier, kind, removed, activeAt). */
export interface VerifierRoute {
  readonly verifier: string;
  readonly kind: number;
  readonly removed: boolean;
  /** Unix time from which the router routes proofs to it (deployment, or addVerifier + the timelock). */
  readonly activeAt?: number;
}

/** Chain facts about the pinned key of the batch's circuit. */
export interface VkeyEvidence {
  /** The circuit the batch record names (untrusted: it only picks which pinned key to check). */
  readonly circuit: string;
  /** The pinned key, undefined when none is pinned for `circuit`. */
  readonly pinned: PinnedVkey | undefined;
  /** router.routes(verifierIdOf(pinned.vkey)) */
  readonly route: Fetched<VerifierRoute> | undefined;
  /** Runtime bytecode at route.verifier ("0x" when none). */
  readonly verifierCode: Fetched<string> | undefined;
}

/** Everything the steps look at. Node-supplied parts are raw JSON: the core parses them. */
export interface Evidence {
  readonly uri: string;
  /** The batch being checked (normally anchor.latestBatch()). */
  readonly batch: number;
  readonly anchored: Fetched<AnchoredState>;
  /** GET /rollup/batches/<batch> (raw, untrusted). */
  readonly batchRecord: Fetched<unknown>;
  readonly vkey: Fetched<VkeyEvidence>;
  /** Genesis, roots(n - 1) and the BatchAnchored events of batches 1..n (trusted: from the anchor). */
  readonly history: Fetched<HistoryEvidence>;
  /** GET /rollup/proof?uri=<uri>&batch=<batch> (raw, untrusted). */
  readonly stateProof: Fetched<unknown>;
  /** The value bytes at the entry's version; undefined when none were needed (absent key, tombstone). */
  readonly value: Fetched<Uint8Array> | undefined;
}

/** What the URI holds at the checked root, once every step passed (or as far as the steps got). */
export type VerifiedEntry =
  | { readonly kind: "value"; readonly version: number; readonly contentHash: string; readonly size: number }
  | { readonly kind: "deleted"; readonly version: number }
  | { readonly kind: "absent" };

export interface VerifyReport {
  readonly uri: string;
  /** Every step passed. */
  readonly ok: boolean;
  /** The first failed step, if any. */
  readonly failedStep: StepName | undefined;
  readonly batch: number | undefined;
  readonly chainId: number | undefined;
  readonly anchor: string | undefined;
  /** The anchored root the entry was checked against (decimal). */
  readonly root: string | undefined;
  readonly entry: VerifiedEntry | undefined;
  /** Always five, in STEP_NAMES order. */
  readonly steps: readonly StepResult[];
  readonly timings: { readonly fetchMs: number; readonly verifyMs: number; readonly totalMs: number };
  /**
   * What the verdict does not cover, e.g. pinned keys that are INSECURE (anyone can forge their proofs,
   * so VERIFIED only means the anchor accepted the root). Always shown next to the verdict.
   */
  readonly warnings?: readonly string[];
}
