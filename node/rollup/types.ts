/**
 * The node's own rollup records. The wire objects (StateUpdate, BatchRecord) are defined once, with their
 * schemas, in core/rollup/wire.ts.
 */
import type { StateUpdate } from "../../core/rollup/wire.js";

export type { BatchRecord, StateUpdate } from "../../core/rollup/wire.js";

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
