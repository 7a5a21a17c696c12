/**
 * Durable rollup state on the node's level database: pending state updates (staged in the same atomic
 * batch as the KV write that caused them, so an acknowledged write always reaches a batch) and batch
 * records. Cutting a batch writes the record and removes the pending updates it consumed in one batch,
 * so a restart neither loses nor duplicates an update.
 */
import * as dagCbor from "@ipld/dag-cbor";
import { isPublicSpaceId } from "../../core/state/privacy.js";
import { Bucket } from "../store/buckets.js";
import { decodeNumber, encodeKey, prefixRange } from "../store/keys.js";
import { Batch, type NodeStore } from "../store/store.js";
import type { BatchRecord, HeldUpdate, PendingUpdate, StateUpdate } from "./types.js";

interface RollupMeta {
  readonly latestBatch: number;
}

/** A state key's latest write, as the entries index finds it (newest first). */
export interface LatestEntry {
  readonly batch: number;
  readonly update: StateUpdate;
  readonly record: BatchRecord;
}

export class RollupStore {
  /** The highest proven (or anchored) batch, kept as statuses change (see `prepare`). */
  private proven = 0;
  /** Keys in the entries index (each key once), counted at start-up and kept by `cut`. */
  private indexedKeys = 0;
  /** Batch records read since start: tests assert that serving a request does not read the history. */
  batchReads = 0;

  constructor(readonly store: NodeStore) {}

  /**
   * Bring the derived indexes up to the stored batches, once at start-up, so requests never scan the
   * history: the entries index (maintained by `cut` from then on; a data directory from before it is
   * indexed here once) and the highest proven batch (maintained by `updateBatch`).
   */
  async prepare(): Promise<void> {
    const latest = await this.latestBatch();
    const indexedBytes = await this.store.db.get(encodeKey(Bucket.rollupMeta, "entries"));
    const indexed = indexedBytes === undefined ? 0 : (dagCbor.decode(indexedBytes) as number);
    for (let n = indexed + 1; n <= latest; n++) {
      const record = await this.batch(n);
      if (record === undefined) throw new Error(`rollup batch ${n} is missing from the store`);
      const batch = new Batch();
      await this.indexEntries(batch, record);
      await this.store.write(batch);
    }
    this.indexedKeys = 0;
    for await (const _ of this.store.db.keys(prefixRange(Bucket.rollupKeyPlace))) this.indexedKeys++;
    // Statuses only move forward (cut → proving → proven → anchored; a demoted anchored batch is proven).
    this.proven = 0;
    for (let n = latest; n >= 1 && this.proven === 0; n--) {
      const status = (await this.batch(n))?.status;
      if (status === "proven" || status === "anchored") this.proven = n;
    }
  }

  /** The highest batch whose status is proven or anchored (0: none). */
  get provenBatch(): number {
    return this.proven;
  }

  /** The latest write of each state key, newest first: O(1) per entry, whatever the history's length. */
  async *latestEntries(): AsyncIterable<LatestEntry> {
    let cached: BatchRecord | undefined;
    // At most one entry per key: without the limit, the iterator's read-ahead would walk past the last key
    // through every deletion of a moved entry that LevelDB has not compacted yet.
    for await (const [key, value] of this.store.db.iterator({ ...prefixRange(Bucket.rollupLatest), reverse: true, limit: this.indexedKeys })) {
      const number = decodeNumber(key.subarray(1, 9));
      const index = decodeNumber(key.subarray(10, 18));
      if (cached?.number !== number) cached = await this.batch(number);
      const update = cached?.updates[index];
      if (cached === undefined || update === undefined || update.key !== (dagCbor.decode(value) as string)) throw new Error(`the rollup entries index disagrees with batch ${number}`);
      yield { batch: number, update, record: cached };
    }
  }

  /**
   * Move each updated key's entry to this batch (in the batch's own atomic write). Only public spaces' kv
   * entries are indexed: the index feeds /rollup/entries, which never lists a private key, and a node of
   * mostly private data must not make that route skip past them.
   */
  private async indexEntries(batch: Batch, record: BatchRecord): Promise<number> {
    const places = new Map<string, readonly [number, number]>();
    let added = 0;
    for (const [i, u] of record.updates.entries()) {
      if (u.service !== "kv" || !isPublicSpaceId(u.spaceId)) continue;
      const before = places.get(u.key) ?? (await this.keyPlace(u.key));
      if (before !== undefined) batch.del(Bucket.rollupLatest, [before[0], before[1]]);
      else added++;
      places.set(u.key, [record.number, i]);
      batch.put(Bucket.rollupLatest, [record.number, i], u.key);
      batch.put(Bucket.rollupKeyPlace, [u.key], [record.number, i]);
    }
    batch.put(Bucket.rollupMeta, ["entries"], record.number);
    return added;
  }

  private async keyPlace(key: string): Promise<readonly [number, number] | undefined> {
    const bytes = await this.store.db.get(encodeKey(Bucket.rollupKeyPlace, key));
    return bytes === undefined ? undefined : (dagCbor.decode(bytes) as [number, number]);
  }

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
    this.batchReads++;
    const bytes = await this.store.db.get(encodeKey(Bucket.rollupBatches, number));
    return bytes === undefined ? undefined : (dagCbor.decode(bytes) as BatchRecord);
  }

  /** Atomically: store the new batch, drop the pending updates it consumed, advance the batch counter. */
  async cut(record: BatchRecord): Promise<void> {
    const batch = new Batch();
    batch.put(Bucket.rollupBatches, [record.number], stripUndefined(record));
    for (const update of record.updates) batch.del(Bucket.rollupPending, [update.seq]);
    batch.put(Bucket.rollupMeta, ["meta"], { latestBatch: record.number } satisfies RollupMeta);
    const added = await this.indexEntries(batch, record);
    await this.store.write(batch);
    this.indexedKeys += added;
    this.noteStatus(record);
  }

  async updateBatch(record: BatchRecord): Promise<void> {
    const batch = new Batch();
    batch.put(Bucket.rollupBatches, [record.number], stripUndefined(record));
    await this.store.write(batch);
    this.noteStatus(record);
  }

  private noteStatus(record: BatchRecord): void {
    if ((record.status === "proven" || record.status === "anchored") && record.number > this.proven) this.proven = record.number;
  }
}

/** DAG-CBOR has no `undefined`: drop absent optional fields. */
function stripUndefined<T extends object>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
