/** Records of the verifiable-state rollup: state updates and the batches that prove them. */

/** One change of the state tree, caused by one committed KV write. Field elements as decimal strings. */
export interface StateUpdate {
  /** Order of acceptance across all spaces (monotonic, never reused). */
  readonly seq: number;
  readonly spaceId: string;
  readonly service: string;
  readonly path: string;
  /** stateKey(spaceId, service, path). */
  readonly key: string;
  readonly contentHash: string;
  readonly version: number;
  readonly deleted: boolean;
  /** leafValue(contentHash, version, deleted). */
  readonly value: string;
  /** The signed invocation that caused it, and the epoch that holds it. */
  readonly event: string;
  readonly epoch: string;
}

/**
 * A state update as staged with its KV write. The leaf value (a Poseidon hash) is computed when the
 * batch is cut, in the state-tree worker, so the write's request never hashes; records staged by older
 * nodes still carry it (and it is recomputed, which gives the same value).
 */
export type PendingUpdate = Omit<StateUpdate, "value"> & { readonly value?: string };

/** An update the state tree refused when its batch was cut: held back from every batch, kept for the operator. */
export interface HeldUpdate {
  readonly update: PendingUpdate;
  readonly code: string;
  readonly error: string;
  /** The batch number it was being cut as. */
  readonly batch: number;
  readonly at: number;
}

export type BatchStatus = "cut" | "proving" | "proven" | "anchored";

export interface BatchRecord {
  readonly number: number;
  readonly oldRoot: string;
  readonly newRoot: string;
  readonly updates: readonly StateUpdate[];
  /** CIDs of the signed events, in update order (deduplicated). */
  readonly eventCids: readonly string[];
  /** Field element binding the event CIDs (see `eventsHash`). */
  readonly eventsHash: string;
  /** The circuit's public header: batchNumber · 2^192 + context (binds batch number, chain id, anchor contract). */
  readonly header: string;
  /** The circuit's public commitment: Poseidon(header, updatesHash, eventsHash). */
  readonly commitment: string;
  readonly status: BatchStatus;
  readonly cutAt: number;
  readonly provenAt?: number;
  readonly anchoredAt?: number;
  /** Groth16 proof and public signals (snarkjs JSON), once proven. */
  readonly proof?: unknown;
  readonly publicSignals?: readonly string[];
  /** The anchoring transaction (set when sent, before it is mined) and the block that holds it. */
  readonly anchorTx?: string;
  readonly anchorBlock?: number;
  /** Which circuit (batch size) proves it. */
  readonly circuit?: string;
}
