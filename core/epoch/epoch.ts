/**
 * Signed epochs and last-writer-wins (LWW) merge.
 *
 * Every state-changing event of a space (delegation, revocation, an invocation's KV put/delete)
 * goes into an epoch. The epoch is hash-linked to the space's current heads and signed by the node
 * key. Epochs form a DAG: a single node appends one child of all heads, so the DAG is a chain, and
 * replicas that write concurrently fork it. A later epoch that lists both heads as parents merges them.
 *
 * Wire format (DAG-CBOR; CIDs are CIDv1 with a blake3 multihash, see cid.ts):
 *
 *   SignedEpoch = { v: 1, space, seq, parents: [CID(0x71)], events: [EventEntry], time, signer, signature }
 *   EventEntry  = CID(0x55)                            a delegation or revocation (raw bytes as received)
 *               | [CID(0x55) invocation, CID(0x71) op, …]  an invocation with its KV ops
 *   op          = { op: "put", key, value: CID(0x55), metadata } | { op: "del", key }
 *
 * - `seq` = 1 + max(seq of the parents); the genesis epoch (no parents) has seq 1.
 * - `parents` are sorted by CID bytes and unique, so one set of heads has exactly one encoding.
 * - The signature is Ed25519 by `signer` (a did:key) over the DAG-CBOR of the body plus `signer`
 *   (everything except `signature`), so the signer is bound into what it signs.
 * - The block is the DAG-CBOR of the whole SignedEpoch; the epoch CID is CIDv1(dag-cbor, blake3(block)).
 *
 * Differences from the reference node (see the protocol notes, §1.2 and §4): the reference hashes an
 * unsigned `{parents, events}`, derives seq from its own counters, and puts a dag-cbor CID in the op's
 * `value`; here the epoch carries space, seq, time and a node signature, and the value is the raw
 * (0x55) blake3 CID of the content, the same CID the KV service uses for the blob.
 *
 * Everything here is pure (no I/O) and runs in the browser light client as well as in the node.
 */
import * as dagCbor from "@ipld/dag-cbor";
import { CID } from "multiformats/cid";
import { BLAKE3_CODE, DAG_CBOR_CODE, RAW_CODE, dagCborBlake3Cid, encodeDagCborBlock } from "../cid.js";
import { resolveDidKey } from "../did.js";
import { bytesToHex, compareBytes, equalBytes, isPlainObject } from "../encoding.js";
import { TinyCloudError } from "../errors.js";
import { nobleEd25519Verify, type Ed25519Signer, type Ed25519Verify } from "../keys.js";

// ---------------------------------------------------------------------------------------------
// Errors

export type EpochErrorCode =
  /** Bytes or values that are not a well-formed epoch or op (shape, types, codecs, non-canonical CBOR). */
  | "EPOCH_MALFORMED"
  /** The signature does not verify against the signer's key. */
  | "EPOCH_BAD_SIGNATURE"
  /** The signer is not a resolvable Ed25519 did:key. */
  | "EPOCH_BAD_SIGNER"
  /** seq is not 1 + max(parent seq). */
  | "EPOCH_BAD_SEQ"
  /** A parent named by the epoch was not supplied. */
  | "EPOCH_MISSING_PARENT"
  /** A parent belongs to another space. */
  | "EPOCH_SPACE_MISMATCH"
  /** The bytes do not hash to the CID they were fetched under. */
  | "EPOCH_CID_MISMATCH"
  /** The ops supplied for an epoch do not match the op CIDs its events list. */
  | "EPOCH_OPS_MISMATCH"
  /** The supplied epochs do not form a DAG (only possible with forged CIDs or inconsistent input). */
  | "EPOCH_CYCLE";

export class EpochError extends TinyCloudError<EpochErrorCode> {
  override readonly name = "EpochError" as const;
}

// ---------------------------------------------------------------------------------------------
// Types

export const EPOCH_VERSION = 1;

export interface KvPutOp {
  op: "put";
  key: string;
  /** Raw (0x55) blake3 CID of the content. */
  value: CID;
  metadata: Record<string, string>;
}

export interface KvDeleteOp {
  op: "del";
  key: string;
}

export type KvOp = KvPutOp | KvDeleteOp;

/** A delegation/revocation is one raw CID; an invocation with KV ops is `[invocation raw CID, op dag-cbor CID, …]`. */
export type EventEntry = CID | CID[];

export interface EpochBody {
  v: 1;
  /** Space id (`tinycloud:pkh:…:name`). */
  space: string;
  seq: number;
  /** Dag-cbor epoch CIDs, sorted by CID bytes, unique. */
  parents: CID[];
  events: EventEntry[];
  /** Milliseconds since the epoch; informational only (never used for ordering). */
  time: number;
}

export type SignedEpoch = EpochBody & {
  /** The node's `did:key` (Ed25519). */
  signer: string;
  /** 64-byte Ed25519 signature over `epochSigningInput`. */
  signature: Uint8Array;
};

/** An epoch together with its CID. */
export interface SignedEpochInfo {
  cid: CID;
  epoch: SignedEpoch;
}

/** The minimum known about a parent: its CID and seq. */
export interface EpochRef {
  cid: CID;
  seq: number;
}

export type ParentInput = EpochRef | SignedEpochInfo;

/**
 * The version of a KV write: the seq of its epoch, the epoch CID, and its position in the epoch's
 * flattened op list (see `epochOpCids`).
 */
export interface WriteVersion {
  seq: number;
  epoch: CID;
  position: number;
}

/** The current state of one key: the winning op (a delete is a tombstone) and its version. */
export interface KvState {
  op: KvOp;
  version: WriteVersion;
}

/** An epoch with its CID and the decoded ops of `epochOpCids(epoch)`, in that order. */
export interface EpochWithOps {
  cid: CID;
  epoch: SignedEpoch;
  ops: readonly KvOp[];
}

// ---------------------------------------------------------------------------------------------
// Ops

/** Encode a KV op as a DAG-CBOR block (validated first). */
export function encodeOp(op: KvOp): { bytes: Uint8Array; cid: CID } {
  return encodeDagCborBlock(canonicalOp(validateOp(op)));
}

/** Decode and validate an op block; `expectedCid`, when given, must be the block's CID. */
export function decodeOp(bytes: Uint8Array, expectedCid?: CID): { op: KvOp; cid: CID } {
  const cid = dagCborBlake3Cid(bytes);
  if (expectedCid !== undefined && !equalBytes(cid.bytes, expectedCid.bytes)) {
    throw new EpochError("EPOCH_CID_MISMATCH", `op block hashes to ${cid.toString()}, expected ${expectedCid.toString()}`);
  }
  const value = decodeCanonical(bytes, "op");
  return { op: validateOp(value), cid };
}

function canonicalOp(op: KvOp): KvOp {
  // Rebuild so stray properties (or `undefined`-valued ones, which dag-cbor rejects) never reach the encoder.
  return op.op === "put" ? { op: "put", key: op.key, value: op.value, metadata: { ...op.metadata } } : { op: "del", key: op.key };
}

function validateOp(value: unknown): KvOp {
  if (!isPlainObject(value)) throw malformed("op must be a map");
  const kind = value["op"];
  if (kind === "put") {
    exactKeys(value, ["op", "key", "value", "metadata"], "put op");
    const key = validateKey(value["key"]);
    const cid = asBlake3Cid(value["value"], RAW_CODE, "put op value");
    const metadata = value["metadata"];
    if (!isPlainObject(metadata)) throw malformed("put op metadata must be a map of strings");
    for (const [name, entry] of Object.entries(metadata)) {
      if (typeof entry !== "string") throw malformed(`put op metadata "${clip(name)}" must be a string`);
    }
    return { op: "put", key, value: cid, metadata: metadata as Record<string, string> };
  }
  if (kind === "del") {
    exactKeys(value, ["op", "key"], "del op");
    return { op: "del", key: validateKey(value["key"]) };
  }
  throw malformed(`op kind must be "put" or "del", got ${clip(String(kind))}`);
}

function validateKey(key: unknown): string {
  if (typeof key !== "string" || key.length === 0) throw malformed("op key must be a non-empty string");
  return key;
}

/** The op CIDs of an epoch in position order: the tails of its invocation entries, flattened. */
export function epochOpCids(epoch: Pick<EpochBody, "events">): CID[] {
  const out: CID[] = [];
  for (const entry of epoch.events) {
    if (Array.isArray(entry)) for (let i = 1; i < entry.length; i++) out.push(entry[i] as CID);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Creating, encoding, decoding and verifying epochs

export interface CreateEpochInput {
  space: string;
  /** The current heads (empty for the genesis epoch). Any order; they are sorted here. */
  parents: readonly ParentInput[];
  events: readonly EventEntry[];
  /** Milliseconds; informational. */
  time: number;
}

/** Build, sign and encode a new epoch. */
export function createEpoch(input: CreateEpochInput, signer: Ed25519Signer): { epoch: SignedEpoch; bytes: Uint8Array; cid: CID } {
  const refs = input.parents.map((p) => parentRef(p, input.space));
  const parents = sortCids(refs.map((r) => r.cid));
  for (let i = 1; i < parents.length; i++) {
    if (compareBytes((parents[i - 1] as CID).bytes, (parents[i] as CID).bytes) === 0) {
      throw malformed(`duplicate parent ${(parents[i] as CID).toString()}`);
    }
  }
  const body: EpochBody = {
    v: EPOCH_VERSION,
    space: input.space,
    seq: nextSeq(refs),
    parents,
    events: input.events.map((e) => (Array.isArray(e) ? [...e] : e)),
    time: input.time,
  };
  validateBody(body);
  const signature = signer.sign(epochSigningInput(body, signer.did));
  const epoch: SignedEpoch = { ...body, signer: signer.did, signature };
  const { bytes, cid } = encodeEpoch(epoch);
  return { epoch, bytes, cid };
}

/** The bytes the node key signs: DAG-CBOR of the body plus `signer` (everything but `signature`). */
export function epochSigningInput(body: EpochBody, signer: string): Uint8Array {
  const { v, space, seq, parents, events, time } = body;
  return dagCbor.encode({ v, space, seq, parents, events, time, signer });
}

/** Encode a signed epoch to its block bytes and CID. */
export function encodeEpoch(epoch: SignedEpoch): { bytes: Uint8Array; cid: CID } {
  const { v, space, seq, parents, events, time, signer, signature } = epoch;
  return encodeDagCborBlock({ v, space, seq, parents, events, time, signer, signature });
}

/**
 * Decode and validate an epoch block. The bytes must be canonical DAG-CBOR (they re-encode to
 * themselves), so one epoch has exactly one CID. `expectedCid`, when given, must match.
 * The signature is NOT checked here; call `verifyEpoch`.
 */
export function decodeEpoch(bytes: Uint8Array, expectedCid?: CID): { epoch: SignedEpoch; cid: CID } {
  if (!(bytes instanceof Uint8Array)) throw malformed("epoch bytes must be a Uint8Array");
  const cid = dagCborBlake3Cid(bytes);
  if (expectedCid !== undefined && !equalBytes(cid.bytes, expectedCid.bytes)) {
    throw new EpochError("EPOCH_CID_MISMATCH", `epoch block hashes to ${cid.toString()}, expected ${expectedCid.toString()}`);
  }
  const value = decodeCanonical(bytes, "epoch");
  if (!isPlainObject(value)) throw malformed("epoch must be a map");
  exactKeys(value, ["v", "space", "seq", "parents", "events", "time", "signer", "signature"], "epoch");
  const signer = value["signer"];
  if (typeof signer !== "string" || !signer.startsWith("did:key:")) throw malformed("epoch signer must be a did:key string");
  const signature = value["signature"];
  if (!(signature instanceof Uint8Array) || signature.length !== 64) throw malformed("epoch signature must be 64 bytes");
  const parents = value["parents"];
  const events = value["events"];
  if (!Array.isArray(parents)) throw malformed("epoch parents must be a list");
  if (!Array.isArray(events)) throw malformed("epoch events must be a list");
  const body = {
    v: value["v"],
    space: value["space"],
    seq: value["seq"],
    parents: parents.map((p: unknown) => asBlake3Cid(p, DAG_CBOR_CODE, "epoch parent")),
    events: events.map((e: unknown) => asEventEntry(e)),
    time: value["time"],
  };
  validateBody(body);
  return { epoch: { ...body, signer, signature }, cid };
}

/**
 * Check the epoch's signature against its signer's did:key. Throws EPOCH_BAD_SIGNER when the signer
 * is not an Ed25519 did:key and EPOCH_BAD_SIGNATURE when the signature does not verify. Whether the
 * signer is a node trusted for the space is the caller's decision.
 */
export function verifyEpoch(epoch: SignedEpoch, verify: Ed25519Verify = nobleEd25519Verify): void {
  let publicKey: Uint8Array;
  try {
    const key = resolveDidKey(epoch.signer);
    if (key.keyType !== "ed25519") throw new Error(`signer key type is ${key.keyType}, not ed25519`);
    publicKey = key.publicKey;
  } catch (cause) {
    throw new EpochError("EPOCH_BAD_SIGNER", `epoch signer is not an Ed25519 did:key: ${clip(String(epoch.signer))}`, { cause });
  }
  if (!(epoch.signature instanceof Uint8Array) || epoch.signature.length !== 64) {
    throw new EpochError("EPOCH_BAD_SIGNATURE", "epoch signature must be 64 bytes");
  }
  let input: Uint8Array;
  try {
    input = epochSigningInput(epoch, epoch.signer);
  } catch (cause) {
    throw malformed("epoch body cannot be encoded", cause);
  }
  if (!verify(epoch.signature, input, publicKey)) {
    throw new EpochError("EPOCH_BAD_SIGNATURE", `epoch signature does not verify for ${epoch.signer}`);
  }
}

/**
 * Check an epoch against its parents: `epoch.parents` sorted and unique, every parent supplied
 * (matched by CID; extra entries in `parents` are ignored), seq = 1 + max(parent seq) (1 for
 * genesis), and, where the parent epochs themselves are supplied, the same space.
 */
export function checkEpochLinks(epoch: Pick<EpochBody, "space" | "seq" | "parents">, parents: readonly ParentInput[]): void {
  for (let i = 1; i < epoch.parents.length; i++) {
    if (compareBytes((epoch.parents[i - 1] as CID).bytes, (epoch.parents[i] as CID).bytes) >= 0) {
      throw malformed("epoch parents must be sorted by CID bytes and unique");
    }
  }
  const known = new Map<string, ParentInput>();
  for (const p of parents) known.set(cidKey(p.cid), p);
  const refs: EpochRef[] = [];
  for (const cid of epoch.parents) {
    const p = known.get(cidKey(cid));
    if (p === undefined) throw new EpochError("EPOCH_MISSING_PARENT", `parent ${cid.toString()} was not supplied`);
    refs.push(parentRef(p, epoch.space));
  }
  const expected = nextSeq(refs);
  if (epoch.seq !== expected) {
    throw new EpochError("EPOCH_BAD_SEQ", `epoch seq is ${epoch.seq}, expected ${expected} (1 + max parent seq)`);
  }
}

function parentRef(p: ParentInput, space: string): EpochRef {
  if ("epoch" in p) {
    if (p.epoch.space !== space) {
      throw new EpochError("EPOCH_SPACE_MISMATCH", `parent ${p.cid.toString()} belongs to ${clip(p.epoch.space)}, not ${clip(space)}`);
    }
    return { cid: p.cid, seq: p.epoch.seq };
  }
  return { cid: p.cid, seq: p.seq };
}

function nextSeq(parents: readonly EpochRef[]): number {
  let max = 0;
  for (const p of parents) {
    if (!Number.isSafeInteger(p.seq) || p.seq < 1) throw new EpochError("EPOCH_BAD_SEQ", `parent seq must be a positive integer, got ${String(p.seq)}`);
    if (p.seq > max) max = p.seq;
  }
  return max + 1;
}

function validateBody(body: { v: unknown; space: unknown; seq: unknown; parents: unknown[]; events: unknown[]; time: unknown }): asserts body is EpochBody {
  if (body.v !== EPOCH_VERSION) throw malformed(`unsupported epoch version ${clip(String(body.v))}`);
  if (typeof body.space !== "string" || body.space.length === 0) throw malformed("epoch space must be a non-empty string");
  if (typeof body.seq !== "number" || !Number.isSafeInteger(body.seq) || body.seq < 1) throw malformed("epoch seq must be a positive integer");
  if (typeof body.time !== "number" || !Number.isSafeInteger(body.time) || body.time < 0) throw malformed("epoch time must be a non-negative integer (ms)");
  const parents = body.parents.map((p) => asBlake3Cid(p, DAG_CBOR_CODE, "epoch parent"));
  for (let i = 1; i < parents.length; i++) {
    if (compareBytes((parents[i - 1] as CID).bytes, (parents[i] as CID).bytes) >= 0) {
      throw malformed("epoch parents must be sorted by CID bytes and unique");
    }
  }
  if (parents.length === 0 && body.seq !== 1) throw new EpochError("EPOCH_BAD_SEQ", "a genesis epoch (no parents) must have seq 1");
  if (parents.length > 0 && body.seq < 2) throw new EpochError("EPOCH_BAD_SEQ", "an epoch with parents must have seq > 1");
  for (const e of body.events) asEventEntry(e);
}

function asEventEntry(value: unknown): EventEntry {
  if (Array.isArray(value)) {
    if (value.length < 2) throw malformed("an invocation event entry needs the invocation CID and at least one op CID");
    return value.map((c: unknown, i) => asBlake3Cid(c, i === 0 ? RAW_CODE : DAG_CBOR_CODE, i === 0 ? "invocation event" : "op"));
  }
  return asBlake3Cid(value, RAW_CODE, "event");
}

function asBlake3Cid(value: unknown, codec: number, what: string): CID {
  const cid = CID.asCID(value);
  if (cid === null) throw malformed(`${what} must be a CID`);
  if (cid.version !== 1 || cid.code !== codec || cid.multihash.code !== BLAKE3_CODE || cid.multihash.size !== 32) {
    throw malformed(`${what} must be a CIDv1 with codec 0x${codec.toString(16)} and a blake3-256 multihash, got ${cid.toString()}`);
  }
  return cid;
}

function decodeCanonical(bytes: Uint8Array, what: string): unknown {
  let value: unknown;
  try {
    value = dagCbor.decode(bytes);
  } catch (cause) {
    throw malformed(`${what} is not valid DAG-CBOR`, cause);
  }
  let again: Uint8Array;
  try {
    again = dagCbor.encode(value);
  } catch (cause) {
    throw malformed(`${what} cannot be re-encoded`, cause);
  }
  if (!equalBytes(again, bytes)) throw malformed(`${what} is not canonical DAG-CBOR`);
  return value;
}

function exactKeys(value: Record<string, unknown>, keys: readonly string[], what: string): void {
  const present = Object.keys(value);
  for (const k of present) if (!keys.includes(k)) throw malformed(`${what} has an unknown field "${clip(k)}"`);
  for (const k of keys) if (!(k in value)) throw malformed(`${what} is missing "${k}"`);
}

// ---------------------------------------------------------------------------------------------
// LWW

/**
 * Order two write versions: negative if `a` loses to `b`, positive if `a` wins, 0 for the same write.
 *
 * Product rule: the higher seq wins; on equal seq the LOWER epoch CID bytes win; within one epoch
 * the later position wins.
 *
 * This deliberately departs from two other sources: the reference node's single-node `current_kv`
 * projection (`incoming_is_newer`) compares `(seq, epoch hash, epoch_seq)` lexicographically, so
 * there the HIGHER raw hash wins, and whitepaper D.3 also says "higher CID wins". We follow the
 * product spec. All epoch CIDs share the same CIDv1/dag-cbor/blake3 prefix, so comparing `cid.bytes`
 * orders exactly as comparing the digests would.
 */
export function compareWriteVersions(a: WriteVersion, b: WriteVersion): number {
  if (a.seq !== b.seq) return a.seq < b.seq ? -1 : 1;
  const byCid = compareBytes(a.epoch.bytes, b.epoch.bytes);
  if (byCid !== 0) return byCid < 0 ? 1 : -1; // lower CID bytes win
  if (a.position !== b.position) return a.position < b.position ? -1 : 1;
  return 0;
}

/** The winning version of two (the first on a tie, which is the same write). */
export function lwwWinner<V extends WriteVersion>(a: V, b: V): V {
  return compareWriteVersions(a, b) >= 0 ? a : b;
}

/** Fold one epoch's ops into a KV state map in place (order-independent: the result never depends on call order). */
export function applyEpochToKvState(state: Map<string, KvState>, entry: EpochWithOps, options: MergeOptions = {}): void {
  const opCids = epochOpCids(entry.epoch);
  if (opCids.length !== entry.ops.length) {
    throw new EpochError("EPOCH_OPS_MISMATCH", `epoch ${entry.cid.toString()} lists ${opCids.length} ops, got ${entry.ops.length}`);
  }
  entry.ops.forEach((op, position) => {
    if (options.verifyOps !== false) {
      const expected = opCids[position] as CID;
      const { cid } = encodeOp(op);
      if (!equalBytes(cid.bytes, expected.bytes)) {
        throw new EpochError("EPOCH_OPS_MISMATCH", `op ${position} of epoch ${entry.cid.toString()} hashes to ${cid.toString()}, expected ${expected.toString()}`);
      }
    }
    const version: WriteVersion = { seq: entry.epoch.seq, epoch: entry.cid, position };
    const current = state.get(op.key);
    if (current === undefined || compareWriteVersions(version, current.version) > 0) state.set(op.key, { op, version });
  });
}

export interface MergeOptions {
  /** Re-encode each op and check it against the op CID the epoch lists (default true). */
  verifyOps?: boolean;
}

/**
 * The winning op per key over a whole set of epochs (a DAG, or any part of one). Deletes are
 * tombstones that win like writes. The result does not depend on the input order.
 */
export function mergeKvState(epochs: Iterable<EpochWithOps>, options: MergeOptions = {}): Map<string, KvState> {
  const state = new Map<string, KvState>();
  for (const entry of epochs) applyEpochToKvState(state, entry, options);
  return state;
}

// ---------------------------------------------------------------------------------------------
// DAG helpers

export interface DagNode {
  cid: CID;
  epoch: Pick<EpochBody, "seq" | "parents">;
}

/** Order used for ties everywhere: seq ascending, then CID bytes ascending. */
export function compareEpochOrder(a: DagNode, b: DagNode): number {
  if (a.epoch.seq !== b.epoch.seq) return a.epoch.seq < b.epoch.seq ? -1 : 1;
  return compareBytes(a.cid.bytes, b.cid.bytes);
}

/**
 * A deterministic total order of the epochs, consistent with the DAG: every parent in the set comes
 * before its children; among epochs whose parents are all placed, the smallest (seq, CID bytes)
 * comes first. Duplicates (same CID) are kept once. Parents outside the set are ignored.
 * Throws EPOCH_CYCLE if the input is not a DAG.
 */
export function linearize<T extends DagNode>(epochs: Iterable<T>): T[] {
  const nodes = uniqueByCid(epochs);
  const waiting = new Map<string, number>(); // key -> number of in-set parents not yet placed
  const children = new Map<string, string[]>();
  for (const [key, node] of nodes) {
    let count = 0;
    for (const parent of new Set(node.epoch.parents.map(cidKey))) {
      if (!nodes.has(parent)) continue;
      count++;
      const list = children.get(parent);
      if (list === undefined) children.set(parent, [key]);
      else list.push(key);
    }
    waiting.set(key, count);
  }
  const ready = new MinHeap<T>(compareEpochOrder);
  for (const [key, node] of nodes) if (waiting.get(key) === 0) ready.push(node);
  const out: T[] = [];
  for (let node = ready.pop(); node !== undefined; node = ready.pop()) {
    out.push(node);
    for (const child of children.get(cidKey(node.cid)) ?? []) {
      const left = (waiting.get(child) as number) - 1;
      waiting.set(child, left);
      if (left === 0) ready.push(nodes.get(child) as T);
    }
  }
  if (out.length !== nodes.size) throw new EpochError("EPOCH_CYCLE", "epochs do not form a DAG");
  return out;
}

/** The epochs that no other epoch in the set names as a parent, sorted by CID bytes (ready to be parents). */
export function heads<T extends DagNode>(epochs: Iterable<T>): T[] {
  const nodes = uniqueByCid(epochs);
  const referenced = new Set<string>();
  for (const node of nodes.values()) for (const p of node.epoch.parents) referenced.add(cidKey(p));
  const out: T[] = [];
  for (const [key, node] of nodes) if (!referenced.has(key)) out.push(node);
  return out.sort((a, b) => compareBytes(a.cid.bytes, b.cid.bytes));
}

function uniqueByCid<T extends DagNode>(epochs: Iterable<T>): Map<string, T> {
  const nodes = new Map<string, T>();
  for (const node of epochs) {
    const key = cidKey(node.cid);
    if (!nodes.has(key)) nodes.set(key, node);
  }
  return nodes;
}

/** A small binary min-heap (the ready set of `linearize`). */
class MinHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly compare: (a: T, b: T) => number) {}

  push(item: T): void {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.compare(items[i] as T, items[parent] as T) >= 0) break;
      [items[i], items[parent]] = [items[parent] as T, items[i] as T];
      i = parent;
    }
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < items.length && this.compare(items[l] as T, items[m] as T) < 0) m = l;
        if (r < items.length && this.compare(items[r] as T, items[m] as T) < 0) m = r;
        if (m === i) break;
        [items[i], items[m]] = [items[m] as T, items[i] as T];
        i = m;
      }
    }
    return top;
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

function sortCids(cids: readonly CID[]): CID[] {
  return [...cids].sort((a, b) => compareBytes(a.bytes, b.bytes));
}

function cidKey(cid: CID): string {
  return bytesToHex(cid.bytes);
}

function malformed(message: string, cause?: unknown): EpochError {
  return new EpochError("EPOCH_MALFORMED", message, cause === undefined ? {} : { cause });
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
