/**
 * The rollup's wire objects, one schema each, shared by the node (which serves them) and the light
 * client and the auditor (which parse them as untrusted input):
 *
 *   - `BatchRecordSchema`: GET /rollup/batches/:n, and the record the node stores;
 *   - `Groth16ProofSchema`: a snarkjs Groth16 proof (proof.json), inside a batch record;
 *   - `ProofResponseSchema`: GET /rollup/proof (a state proof of one KV entry against a batch root).
 *
 * valibot: small and tree-shakable, so the browser bundle carries only what it uses. Numbers that are
 * field elements travel as canonical decimal strings below p (`FieldDecimal`); parsers never throw, they
 * return a Result whose error names the offending field.
 */
import * as v from "valibot";
import { err, ok, type Result, TinyCloudError } from "../errors.js";
import { FIELD_DECIMAL, FIELD_MODULUS, type Field } from "../state/field.js";

/** A canonical decimal string of a BN254 scalar field element. */
export const FieldDecimal = v.pipe(
  v.string(),
  v.regex(FIELD_DECIMAL, "is not a canonical decimal number"),
  v.check((s) => BigInt(s) < FIELD_MODULUS, "is not below the field modulus"),
);
/** The same, decoded once into a `Field` (what code that computes with a record reads). */
export const FieldValue = v.pipe(
  FieldDecimal,
  v.transform((s) => BigInt(s) as Field),
);
type FieldSchema = typeof FieldDecimal | typeof FieldValue;

const Nat = v.pipe(v.number(), v.safeInteger("is not an integer"), v.minValue(0, "is negative"));
const Text = v.pipe(v.string(), v.minLength(1, "is empty"), v.maxLength(8192, "is longer than 8192 characters"));
/** Circuit names as circuits/circuits.json spells them (they also name files: no path characters). */
export const CircuitName = v.pipe(v.string(), v.regex(/^[a-z0-9_]{1,64}$/, "is not a circuit name"));
const Hex32 = v.pipe(v.string(), v.regex(/^0x[0-9a-fA-F]{64}$/, "is not a 32-byte hex string"));

/** Base-field coordinates: canonical decimals (the verifier checks they are below q). */
const Coordinate = v.pipe(v.string(), v.regex(FIELD_DECIMAL, "is not a canonical decimal number"));
const G1 = v.pipe(v.array(Coordinate), v.minLength(2, "is not a G1 point"), v.maxLength(3, "is not a G1 point"));
const G2 = v.pipe(v.array(v.pipe(v.array(Coordinate), v.length(2, "is not an Fq2 element"))), v.minLength(2, "is not a G2 point"), v.maxLength(3, "is not a G2 point"));

export const Groth16ProofSchema = v.object({
  pi_a: G1,
  pi_b: G2,
  pi_c: G1,
  protocol: v.exactOptional(v.literal("groth16"), "groth16"),
  curve: v.exactOptional(v.literal("bn128"), "bn128"),
});
export type Groth16Proof = v.InferOutput<typeof Groth16ProofSchema>;

/** One change of the state tree, caused by one committed KV write. */
const stateUpdateSchema = <F extends FieldSchema>(field: F) =>
  v.object({
    /** Order of acceptance across all spaces (monotonic, never reused). */
    seq: Nat,
    spaceId: Text,
    service: Text,
    path: Text,
    /** stateKey(spaceId, service, path). */
    key: field,
    contentHash: field,
    version: Nat,
    deleted: v.boolean(),
    /** leafValue(contentHash, version, deleted[, salt]). */
    value: field,
    /** The signed invocation that caused it, and the epoch that holds it (CIDs). */
    event: Text,
    epoch: Text,
    /**
     * Private spaces only (core/state/privacy.ts): the version's leaf salt, and the space salt that salts
     * `key` (for the space's salt leaf, `service` "space", the salt it commits). Never served to a caller
     * without a read capability on the space: they see the sealed form instead.
     */
    salt: v.exactOptional(field),
    spaceSalt: v.exactOptional(field),
  });
/** On the wire: field elements as decimal strings. */
export const StateUpdateSchema = stateUpdateSchema(FieldDecimal);
export type StateUpdate = v.InferOutput<typeof StateUpdateSchema>;
/** Decoded: field elements as `Field`. */
export type DecodedUpdate = v.InferOutput<ReturnType<typeof stateUpdateSchema<typeof FieldValue>>>;

/**
 * An update of a private space as served to a caller who cannot read that space: only the opaque leaf
 * key and value the circuit's commitment binds (both hiding: salted key, salted leaf). An auditor without
 * access checks them against the commitment; one with access gets the full update.
 */
const sealedUpdateSchema = <F extends FieldSchema>(field: F) =>
  v.object({
    seq: Nat,
    sealed: v.literal(true),
    key: field,
    value: field,
  });
export const SealedUpdateSchema = sealedUpdateSchema(FieldDecimal);
export type DecodedSealedUpdate = v.InferOutput<ReturnType<typeof sealedUpdateSchema<typeof FieldValue>>>;

export const BATCH_STATUSES = ["cut", "proving", "proven", "anchored"] as const;

/** The most updates one batch record may list (a batch is cut from at most this many writes). */
export const MAX_BATCH_UPDATES = 4096;

const batchRecordSchema = <F extends FieldSchema, U extends v.GenericSchema>(field: F, update: U) =>
  v.object({
    number: Nat,
    oldRoot: field,
    newRoot: field,
    updates: v.pipe(v.array(update), v.maxLength(MAX_BATCH_UPDATES, `lists more than ${MAX_BATCH_UPDATES} updates`), v.readonly()),
    /** CIDs of the signed events, in update order (deduplicated). */
    eventCids: v.pipe(v.array(Text), v.maxLength(MAX_BATCH_UPDATES, `lists more than ${MAX_BATCH_UPDATES} events`), v.readonly()),
    /** Field element binding the event CIDs (core/rollup/events-hash.ts). */
    eventsHash: field,
    /** The circuit's public header (core/rollup/header.ts). */
    header: field,
    /** The circuit's public commitment (core/rollup/commitment.ts). */
    commitment: field,
    status: v.picklist(BATCH_STATUSES, "is not a batch status"),
    cutAt: Nat,
    provenAt: v.exactOptional(Nat),
    anchoredAt: v.exactOptional(Nat),
    /** Groth16 proof and public signals, once proven. */
    proof: v.exactOptional(Groth16ProofSchema),
    publicSignals: v.exactOptional(v.pipe(v.array(FieldDecimal), v.maxLength(16, "has more than 16 public signals"), v.readonly())),
    /** The anchoring transaction (set when sent, before it is mined) and the block that holds it. */
    anchorTx: v.exactOptional(Hex32),
    anchorBlock: v.exactOptional(Nat),
    /** Which circuit (batch size) proves it. */
    circuit: v.exactOptional(CircuitName),
  });
/** The record the node stores (every update in full). */
export const BatchRecordSchema = batchRecordSchema(FieldDecimal, stateUpdateSchema(FieldDecimal));
export type BatchRecord = v.InferOutput<typeof BatchRecordSchema>;
/** The same record with its roots, header, commitment, events hash and update fields decoded to `Field`. */
export const DecodedBatchSchema = batchRecordSchema(FieldValue, stateUpdateSchema(FieldValue));
export type DecodedBatch = v.InferOutput<typeof DecodedBatchSchema>;

/**
 * GET /rollup/batches/:n: the stored record with each update of a private space the caller cannot read
 * in its sealed form. What auditors and light clients parse.
 */
export const PublishedBatchSchema = batchRecordSchema(FieldDecimal, v.union([SealedUpdateSchema, StateUpdateSchema]));
export type PublishedBatch = v.InferOutput<typeof PublishedBatchSchema>;
export const DecodedPublishedBatchSchema = batchRecordSchema(FieldValue, v.union([sealedUpdateSchema(FieldValue), stateUpdateSchema(FieldValue)]));
export type DecodedPublishedBatch = v.InferOutput<typeof DecodedPublishedBatchSchema>;

/** Is this published update sealed (a private space's, served without its contents)? */
export function isSealed<U extends object>(update: U): update is Extract<U, { readonly sealed: true }> {
  // `U extends object`, not `{ sealed?: unknown }`: a full update has no `sealed` member, and a union with it must still narrow.
  return "sealed" in update && update.sealed === true;
}

/** A valid record's decoded form (the schema already holds, so this cannot fail). */
export function decodeBatch(record: BatchRecord): DecodedBatch {
  return v.parse(DecodedBatchSchema, record);
}

/** The KV entry an inclusion proof's leaf commits to. */
export const ProofEntrySchema = v.object({
  version: v.pipe(Nat, v.minValue(1, "is not a positive version")),
  deleted: v.boolean(),
  contentHash: FieldDecimal,
  etag: v.exactOptional(v.string()),
  size: v.exactOptional(Nat),
  /** A private entry's leaf salt: the leaf is leafValue(contentHash, version, deleted, salt). */
  salt: v.exactOptional(FieldDecimal),
});
export type ProofEntry = v.InferOutput<typeof ProofEntrySchema>;

/**
 * GET /rollup/proof. `proof` is the state tree's own JSON form, checked by `stateProofFromJson`
 * (core/state/state-tree.ts) where it is used; `entry` only comes with an inclusion proof and is parsed
 * with ProofEntrySchema by whoever checks the value (a bad entry fails the value, not the path).
 */
export const ProofResponseSchema = v.object({
  uri: v.string(),
  spaceId: v.string(),
  path: v.string(),
  key: FieldDecimal,
  batch: Nat,
  status: v.picklist([...BATCH_STATUSES, "genesis"], "is not a batch status"),
  root: FieldDecimal,
  proof: v.unknown(),
  entry: v.exactOptional(v.unknown()),
  /**
   * Private spaces (served only to a holder of a read capability): the space salt that salts `key`, and
   * the state proof of its commitment leaf (`spaceSaltKey(spaceId)` → `H2(spaceSalt, 0)`) against the
   * same root, so the reader knows `key` is THE key of this path at this root.
   */
  spaceSalt: v.exactOptional(FieldDecimal),
  saltProof: v.exactOptional(v.unknown()),
});
export type ProofResponse = v.InferOutput<typeof ProofResponseSchema>;

/** `value` checked against `schema`: the parsed value, or a message naming the first bad field. */
export function parseWire<S extends v.GenericSchema>(schema: S, value: unknown, what: string): Result<v.InferOutput<S>, string> {
  const parsed = v.safeParse(schema, value);
  if (parsed.success) return ok(parsed.output);
  const issue = parsed.issues[0];
  const path = issue.path?.map((p) => (typeof p.key === "number" ? `[${p.key}]` : `.${String(p.key)}`)).join("") ?? "";
  return err(`${what}${path === "" ? "" : ` ${path.replace(/^\./, "")}`} ${issue.kind === "schema" && issue.received === "undefined" ? "is missing" : issue.message}`);
}

/** A wire object that fails its schema where the program, not a peer, produced it (a prover's output). */
export class WireError extends TinyCloudError<"WIRE_MALFORMED"> {
  override readonly name = "WireError" as const;
}

/** `value` checked against `schema`, or a WireError naming the first bad field. */
export function expectWire<S extends v.GenericSchema>(schema: S, value: unknown, what: string): v.InferOutput<S> {
  const parsed = parseWire(schema, value, what);
  if (!parsed.ok) throw new WireError("WIRE_MALFORMED", parsed.error);
  return parsed.value;
}
