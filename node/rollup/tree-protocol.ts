/**
 * The message protocol between the node and its state-tree worker (`tree-worker.ts`).
 *
 * Why a worker: every tree write costs tens of Poseidon hashes in JS (~0.3–0.5 ms each), which on the
 * HTTP thread cut KV throughput to a third. The worker owns the one live `StateTree` and the snapshots
 * proofs are served from; the node keeps only numbers (latest batch, root, size) and the key set it
 * needs to refuse a write the tree could not take, so no request ever waits for a hash.
 *
 * Every request carries an `id`; the worker answers each with exactly one `TreeReply` of the same id,
 * in order (it handles one message at a time). Field elements cross as bigints (structured clone keeps
 * them). Anything malformed is answered with a TREE_BAD_MESSAGE error and leaves the worker's state as
 * it was.
 */
import { TinyCloudError } from "../../core/errors.js";
import { StateError, type StateErrorCode, type StateProof, type UpdateWitness } from "../../core/state/state-tree.js";

/** One durable batch, replayed into a tree: its updates (key, leaf value) and the roots it must give. */
export interface ApplyBatch {
  readonly number: number;
  readonly oldRoot: bigint;
  readonly newRoot: bigint;
  readonly updates: readonly { readonly key: bigint; readonly value: bigint }[];
  /** Return this batch's circuit steps (a batch not yet proven needs them for its proof). */
  readonly witnesses: boolean;
}

/** A pending state update as the cut needs it: the leaf value is computed in the worker. */
export interface CutUpdate {
  readonly key: bigint;
  readonly contentHash: bigint;
  readonly version: number;
  readonly deleted: boolean;
  /** A private entry's leaf salt (core/state/privacy.ts): its leaf is H4(contentHash, version, deleted, salt). */
  readonly salt?: bigint;
  /** Set for a private space's salt leaf: its value is H2(spaceSalt, 0), whatever the other fields say. */
  readonly spaceSaltLeaf?: bigint;
  /** The signed invocation's CID (text). */
  readonly event: string;
}

/** What a leaf value is computed from (the `leafValues` request). */
export interface LeafItem {
  readonly contentHash: bigint;
  readonly version: number;
  readonly deleted: boolean;
  readonly salt?: bigint;
}

/**
 * "live" is the sequencer's tree (it advances batch by batch, keeping views of recent batches);
 * "scratch" is a throw-away tree replayed from stored batches to serve a view older than those.
 */
export type TreeName = "live" | "scratch";

export type TreeRequest =
  | { readonly id: number; readonly kind: "apply"; readonly tree: TreeName; readonly reset: boolean; readonly batches: readonly ApplyBatch[] }
  | { readonly id: number; readonly kind: "cut"; readonly number: number; readonly context: bigint; readonly updates: readonly CutUpdate[] }
  | { readonly id: number; readonly kind: "settle"; readonly number: number; readonly durable: boolean }
  | { readonly id: number; readonly kind: "prove"; readonly batch: number; readonly key: bigint; readonly from: TreeName }
  | { readonly id: number; readonly kind: "pin"; readonly batch: number; readonly from: TreeName }
  /** Start "scratch" from the closest kept view at or below `batch` (a checkpoint): the node replays the batches after it. */
  | { readonly id: number; readonly kind: "rebase"; readonly batch: number }
  | { readonly id: number; readonly kind: "leafValues"; readonly items: readonly LeafItem[] }
  | { readonly id: number; readonly kind: "info" };

/** Where a tree stands after a request. */
export interface TreeHead {
  /** The last batch applied (0 = genesis). */
  readonly batch: number;
  readonly root: bigint;
  /** Leaves, the list head included. */
  readonly size: number;
}

export interface ApplyResult extends TreeHead {
  /** Steps of the batches that asked for them, by batch number. */
  readonly witnesses: readonly { readonly number: number; readonly steps: readonly UpdateWitness[] }[];
}

export interface CutResult extends TreeHead {
  readonly oldRoot: bigint;
  /** Each update's leaf value, in update order. */
  readonly values: readonly bigint[];
  readonly witnesses: readonly UpdateWitness[];
  readonly eventCids: readonly string[];
  readonly eventsHash: bigint;
  readonly header: bigint;
  readonly commitment: bigint;
}

export interface ProveResult {
  readonly root: bigint;
  readonly proof: StateProof;
}

/** The result type of each request kind. */
export interface TreeResults {
  readonly apply: ApplyResult;
  readonly cut: CutResult;
  readonly settle: TreeHead;
  readonly prove: ProveResult;
  readonly pin: TreeHead;
  readonly rebase: TreeHead;
  readonly leafValues: readonly bigint[];
  readonly info: { readonly depth: number; readonly poseidon: string; readonly live: TreeHead };
}

/** An error as it crosses the thread boundary (`TinyCloudError.toJSON()` plus the class name). */
export interface WireError {
  readonly name: string;
  readonly code: string;
  readonly message: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

export type TreeReply =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  /** `id` is null when the message had no usable id. */
  | { readonly id: number | null; readonly ok: false; readonly error: WireError };

export type TreeWorkerErrorCode =
  /** The message is not a well-formed request (shape, types, ranges). The worker's state is unchanged. */
  | "TREE_BAD_MESSAGE"
  /** The request is well formed but out of order (a cut while another is unsettled, a settle of another batch). */
  | "TREE_OUT_OF_ORDER"
  /** The tree has no view of that batch (older than the recent window and not pinned): replay it into "scratch". */
  | "TREE_VIEW_MISSING"
  /** A replayed batch does not give the root its record states: the stored history is inconsistent. */
  | "TREE_ROOT_MISMATCH"
  /** The worker thread exited or crashed; every request in flight fails with this and a new worker must be replayed. */
  | "TREE_WORKER_DIED"
  /** The worker was closed. */
  | "TREE_WORKER_CLOSED";

export class TreeWorkerError extends TinyCloudError<TreeWorkerErrorCode> {
  override readonly name = "TreeWorkerError" as const;
}

const STATE_CODES: readonly StateErrorCode[] = ["STATE_TREE_FULL", "STATE_RESERVED_KEY", "STATE_BAD_PROOF", "STATE_MISSING_KEY", "STATE_OUT_OF_FIELD"];

/** Serialize an error for the wire: typed errors keep name, code and details; anything else is a bug report. */
export function toWireError(error: unknown): WireError {
  if (error instanceof TinyCloudError) {
    return { name: error.name, code: error.code, message: error.message, ...(error.details !== undefined ? { details: error.details } : {}) };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { name: error instanceof Error ? error.name : "Error", code: "TREE_INTERNAL", message };
}

/**
 * Rebuild a wire error on the node's side: the tree's own refusals come back as `StateError` (same code,
 * so callers branch on it exactly as with an in-process tree), protocol errors as `TreeWorkerError`, and
 * anything else (a bug in the worker) as a plain Error.
 */
export function fromWireError(wire: WireError): Error {
  const options = wire.details !== undefined ? { details: wire.details } : {};
  if (wire.name === "StateError" && (STATE_CODES as readonly string[]).includes(wire.code)) return new StateError(wire.code as StateErrorCode, wire.message, options);
  if (wire.name === "TreeWorkerError") return new TreeWorkerError(wire.code as TreeWorkerErrorCode, wire.message, options);
  const error = new Error(`state-tree worker: ${wire.message}`);
  error.name = wire.name;
  return error;
}
