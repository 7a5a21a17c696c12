/**
 * Durable rollup state on the node's level database: pending state updates (staged in the same atomic
 * batch as the KV write that caused them, so an acknowledged write always reaches a batch) and batch
 * records. Cutting a batch writes the record and removes the pending updates it consumed in one batch,
 * so a restart neither loses nor duplicates an update.
 */
import * as dagCbor from "@ipld/dag-cbor";
import { Bucket } from "../store/buckets.js";
import { decodeNumber, encodeKey, prefixRange } from "../store/keys.js";
import { Batch, type NodeStore } from "../store/store.js";
import type { BatchRecord, HeldUpdate, PendingUpdate } from "./types.js";

interface RollupMeta {
  readonly latestBatch: number;
}

export class RollupStore {
  constructor(readonly store: NodeStore) {}

  stagePending(batch: Batch, update: PendingUpdate): void {
    batch.put(Bucket.rollupPending, [update.seq], update);
  }

  async pending(limit: number): Promise<PendingUpdate[]> {
    const out: PendingUpdate[] = [];
    for await (const [, value] of this.store.db.iterator({ ...prefixRange(Bucket.rollupPending), limit })) out.push(dagCbor.decode(value) as PendingUpdate);
    return out;
  }

  /** Every staged update's key (decimal), pending or held: what the tree will hold once they are batched. */
  async *stagedKeys(): AsyncIterable<string> {
    for await (const [, value] of this.store.db.iterator({ ...prefixRange(Bucket.rollupPending) })) yield (dagCbor.decode(value) as PendingUpdate).key;
  }

  /** Atomically move a pending update the tree refused out of the queue, keeping it (and why) for the operator. */
  async hold(held: HeldUpdate): Promise<void> {
    const batch = new Batch();
    batch.del(Bucket.rollupPending, [held.update.seq]);
    batch.put(Bucket.rollupHeld, [held.update.seq], stripUndefined(held));
    await this.store.write(batch);
  }

  async held(limit: number): Promise<HeldUpdate[]> {
    const out: HeldUpdate[] = [];
    for await (const [, value] of this.store.db.iterator({ ...prefixRange(Bucket.rollupHeld), limit })) out.push(dagCbor.decode(value) as HeldUpdate);
    return out;
  }

  /** The next pending seq: one past the highest pending or already batched update. */
  async nextSeq(): Promise<number> {
    let next = 0;
    for await (const [key] of this.store.db.iterator({ ...prefixRange(Bucket.rollupPending), reverse: true, limit: 1 })) next = decodeNumber(key.subarray(1)) + 1;
    for await (const [key] of this.store.db.iterator({ ...prefixRange(Bucket.rollupHeld), reverse: true, limit: 1 })) next = Math.max(next, decodeNumber(key.subarray(1)) + 1);
    const latest = await this.latestBatch();
    if (latest > 0) {
      const record = await this.batch(latest);
      const last = record?.updates[record.updates.length - 1];
      if (last !== undefined) next = Math.max(next, last.seq + 1);
    }
    return next;
  }

  /**
   * A private space's salt (core/state/privacy.ts), written in the same atomic batch as the update that
   * commits it to the tree: a salt is stored if and only if its salt leaf is staged or batched.
   */
  putSpaceSalt(batch: Batch, spaceId: string, salt: bigint): void {
    batch.put(Bucket.rollupMeta, ["salt", spaceId], salt.toString());
  }

  /** Every stored space salt (one per private space with a kv write; loaded once at start-up). */
  async *spaceSalts(): AsyncIterable<{ spaceId: string; salt: bigint }> {
    const prefix = encodeKey(Bucket.rollupMeta, "salt").length + 1;
    for await (const [key, value] of this.store.db.iterator({ ...prefixRange(Bucket.rollupMeta, "salt") })) {
      yield { spaceId: new TextDecoder().decode(key.subarray(prefix)), salt: BigInt(dagCbor.decode(value) as string) };
    }
  }

  async latestBatch(): Promise<number> {
    const bytes = await this.store.db.get(encodeKey(Bucket.rollupMeta, "meta"));
    return bytes === undefined ? 0 : (dagCbor.decode(bytes) as RollupMeta).latestBatch;
  }

  /**
   * The deployment context the batches are bound to (`epochContext(chainId, anchor)`; 0 = none), fixed by
   * the first batch: proofs commit to it, so batches cut for one deployment can never anchor on another.
   */
  async boundContext(): Promise<bigint | undefined> {
    const bytes = await this.store.db.get(encodeKey(Bucket.rollupMeta, "context"));
    return bytes === undefined ? undefined : BigInt(dagCbor.decode(bytes) as string);
  }

  async bindContext(context: bigint): Promise<void> {
    const batch = new Batch();
    batch.put(Bucket.rollupMeta, ["context"], context.toString());
    await this.store.write(batch);
  }

  /** The state-tree format the batches were cut with (absent in data directories older than the indexed tree). */
  async treeFormat(): Promise<string | undefined> {
    const bytes = await this.store.db.get(encodeKey(Bucket.rollupMeta, "tree"));
    return bytes === undefined ? undefined : (dagCbor.decode(bytes) as string);
  }

  async bindTreeFormat(format: string): Promise<void> {
    const batch = new Batch();
    batch.put(Bucket.rollupMeta, ["tree"], format);
    await this.store.write(batch);
  }

  async batch(number: number): Promise<BatchRecord | undefined> {
    const bytes = await this.store.db.get(encodeKey(Bucket.rollupBatches, number));
    return bytes === undefined ? undefined : (dagCbor.decode(bytes) as BatchRecord);
  }

  /** Atomically: store the new batch, drop the pending updates it consumed, advance the batch counter. */
  async cut(record: BatchRecord): Promise<void> {
    const batch = new Batch();
    batch.put(Bucket.rollupBatches, [record.number], stripUndefined(record));
    for (const update of record.updates) batch.del(Bucket.rollupPending, [update.seq]);
    batch.put(Bucket.rollupMeta, ["meta"], { latestBatch: record.number } satisfies RollupMeta);
    await this.store.write(batch);
  }

  async updateBatch(record: BatchRecord): Promise<void> {
    const batch = new Batch();
    batch.put(Bucket.rollupBatches, [record.number], stripUndefined(record));
    await this.store.write(batch);
  }
}

/** DAG-CBOR has no `undefined`: drop absent optional fields. */
function stripUndefined<T extends object>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
