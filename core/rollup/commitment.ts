/**
 * The public `commitment` signal of EpochTransition: what a batch proof says happened.
 *
 *     commitment  = Poseidon(3)(header, updatesHash, eventsHash)
 *     updatesHash = h_m,  h_0 = 0,  h_j = Poseidon(3)(h_{j-1}, key_j, newValue_j)
 *
 * over the m KV writes of the batch in order: an update step or the "new" step of an insert. "low" and
 * no-op (padding) steps are skipped, so the commitment does not depend on the circuit size B nor on
 * where padding sits. `eventsHash` binds the signed events (events-hash.ts); the contract emits the
 * commitment, an auditor recomputes it from the published batch record.
 */
import { poseidon3 } from "poseidon-lite/poseidon3";
import { type Field, toField } from "../state/field.js";
import { batchHeader } from "./header.js";

/** One KV write as the commitment sees it. Steps with `op` "low" or "noop" are skipped. */
export interface CommittedUpdate {
  readonly key: bigint;
  readonly newValue: bigint;
  readonly op?: "update" | "low" | "new" | "noop";
}

export interface EpochCommitmentParams {
  readonly context: bigint;
  readonly batchNumber: bigint | number;
  readonly updates: readonly CommittedUpdate[];
  readonly eventsHash: bigint;
}

/** `h_m`: the hash chain over the KV writes' (key, newValue), in order (low and noop steps skipped). */
export function updatesHash(updates: readonly CommittedUpdate[]): Field {
  let h = 0n;
  updates.forEach((u, j) => {
    if (u.op === "noop" || u.op === "low") return;
    h = poseidon3([h, toField(u.key, `updates[${j}].key`), toField(u.newValue, `updates[${j}].newValue`)]);
  });
  return toField(h);
}

/** The public `commitment` signal: Poseidon(3)(header, updatesHash, eventsHash). */
export function epochCommitment(p: EpochCommitmentParams): Field {
  return toField(poseidon3([batchHeader(p.batchNumber, p.context), updatesHash(p.updates), toField(p.eventsHash, "eventsHash")]));
}
