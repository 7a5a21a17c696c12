/**
 * Spaces and their signed epoch DAGs. Every state-changing event of a space (a delegation, a
 * revocation, a KV put or delete) is appended as a new epoch whose parents are the space's current
 * heads, signed by the node identity key, in the same atomic batch as the state it changes.
 * Work on one space is serialized (`withSpace`), so heads and preconditions are never raced.
 */
import type { CID } from "../../core/cid.js";
import { createEpoch, type EventEntry } from "../../core/epoch/epoch.js";
import type { Ed25519Signer } from "../../core/keys.js";
import type { Batch, NodeStore, SpaceRecord } from "../store/store.js";

export class Ledger {
  private readonly tails = new Map<string, Promise<unknown>>();

  constructor(
    private readonly store: NodeStore,
    private readonly signer: Ed25519Signer,
  ) {}

  /** Run `fn` with exclusive access to one space (FIFO per space, concurrent across spaces). */
  async withSpace<T>(spaceId: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(spaceId) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(spaceId, tail);
    try {
      return await run;
    } finally {
      if (this.tails.get(spaceId) === tail) this.tails.delete(spaceId);
    }
  }

  /**
   * Append one epoch holding `events` to `space` inside `batch`; returns the epoch CID and seq and the
   * updated space record (already staged). `eventCids` are the top-level events the space now holds.
   */
  appendEpoch(batch: Batch, space: SpaceRecord, events: readonly EventEntry[], eventCids: readonly CID[], time = Date.now()): { cid: CID; seq: number; space: SpaceRecord } {
    const parents = space.heads.map((cid) => ({ cid, seq: space.seq }));
    const { cid, bytes, epoch } = createEpoch({ space: space.id, parents, events, time }, this.signer);
    this.store.putEpoch(batch, space.id, cid, epoch.seq, bytes);
    for (const event of eventCids) this.store.markSpaceEvent(batch, space.id, event, cid);
    const updated: SpaceRecord = { ...space, heads: [cid], seq: epoch.seq };
    this.store.putSpace(batch, updated);
    return { cid, seq: epoch.seq, space: updated };
  }

  /** The genesis epoch of a new space: the host delegation. */
  genesis(batch: Batch, space: Omit<SpaceRecord, "heads" | "seq">, hostEvent: CID, time = Date.now()): { cid: CID; space: SpaceRecord } {
    const { cid, space: created } = this.appendEpoch(batch, { ...space, heads: [], seq: 0 }, [hostEvent], [hostEvent], time);
    return { cid, space: created };
  }
}
