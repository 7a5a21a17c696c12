/**
 * Parsers for what the node says (all untrusted): the batch record (`GET /rollup/batches/:n`), the state
 * proof response (`GET /rollup/proof`) and the entry it commits to, each checked against its one schema
 * (core/rollup/wire.ts, the schemas the node serves them with). They never throw; a failure names the field.
 */
import { parseWire, DecodedPublishedBatchSchema, ProofEntrySchema, ProofResponseSchema, type Groth16Proof } from "../../core/rollup/wire.js";
import { stateProofFromJson, type StateProof } from "../../core/state/state-tree.js";
import { type Fetched, got, missing } from "./types.js";

export type Parsed<T> = Fetched<T>;

/** The part of a node's BatchRecord the light client needs. */
export interface BatchClaim {
  readonly number: number;
  readonly newRoot: bigint;
  readonly status: string;
  readonly circuit: string | undefined;
  /** Present once proven. */
  readonly proof: Groth16Proof | undefined;
  readonly publicSignals: readonly string[] | undefined;
  readonly anchorTx: string | undefined;
}

/**
 * A batch record checked against its published schema (core/rollup/wire.ts: a private space's updates
 * may be sealed), reduced to what the client uses (none of the updates).
 */
export function parseBatchClaim(json: unknown): Parsed<BatchClaim> {
  const parsed = parseWire(DecodedPublishedBatchSchema, json, "the batch record");
  if (!parsed.ok) return parsed;
  const r = parsed.value;
  return got({ number: r.number, newRoot: r.newRoot, status: r.status, circuit: r.circuit, proof: r.proof, publicSignals: r.publicSignals, anchorTx: r.anchorTx });
}

/** The KV entry a leaf commits to, as the node describes it. */
export interface EntryClaim {
  readonly version: number;
  readonly deleted: boolean;
  readonly contentHash: bigint;
  readonly etag: string | undefined;
  readonly size: number | undefined;
  /** A private entry's leaf salt. */
  readonly salt: bigint | undefined;
}

/** The part of a `/rollup/proof` response the light client needs. */
export interface ProofClaim {
  readonly batch: number | undefined;
  readonly root: bigint;
  readonly proof: StateProof;
  /** Raw entry (parsed by the value step, so a bad entry fails "value", not "path"). */
  readonly entry: unknown;
  /** Private spaces, for an authorized reader: the space salt, and the raw state proof of its leaf (checked by the path step). */
  readonly spaceSalt: bigint | undefined;
  readonly saltProof: unknown;
}

export function parseProofClaim(json: unknown): Parsed<ProofClaim> {
  const parsed = parseWire(ProofResponseSchema, json, "the state proof response");
  if (!parsed.ok) return parsed;
  let proof: StateProof;
  try {
    proof = stateProofFromJson(parsed.value.proof);
  } catch (error) {
    return missing(`the state proof does not parse: ${error instanceof Error ? error.message : String(error)}`);
  }
  const { spaceSalt, saltProof } = parsed.value;
  return got({ batch: parsed.value.batch, root: BigInt(parsed.value.root), proof, entry: parsed.value.entry, spaceSalt: spaceSalt === undefined ? undefined : BigInt(spaceSalt), saltProof });
}

export function parseEntryClaim(json: unknown): Parsed<EntryClaim> {
  if (json === undefined) return missing("the node sent no entry for the leaf");
  const parsed = parseWire(ProofEntrySchema, json, "the entry");
  if (!parsed.ok) return parsed;
  const e = parsed.value;
  return got({ version: e.version, deleted: e.deleted, contentHash: BigInt(e.contentHash), etag: e.etag, size: e.size, salt: e.salt === undefined ? undefined : BigInt(e.salt) });
}
