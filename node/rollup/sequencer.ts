/**
 * The sequencer: turns committed KV writes of every space into batches of state-tree updates.
 *
 * A write's state update is staged durably with the write itself (pending bucket). A batch is cut when
 * `maxUpdates` are pending or `maxDelayMs` has passed since the first pending update, whichever comes
 * first: the updates are applied to the state tree in acceptance order, producing one circuit witness
 * each, and the batch record (old root, new root, ordered updates, event CIDs, commitment, status
 * "cut") replaces the pending entries in one atomic write. On start-up the tree is rebuilt from the
 * batch records (and checked against their roots), then pending updates are batched as usual: a
 * restart neither loses nor duplicates an update.
 */
import { blake3 } from "@noble/hashes/blake3.js";
import type { CID } from "../core/cid.js";
import { parseCid } from "../core/cid.js";
import { contentHashFromDigestHex, leafValue, StateTree, stateKey, type StateTreeView, type UpdateWitness } from "../core/state-tree.js";
import { batchHeader, epochCommitment } from "../../prover/circuit-inputs.js";
import { TinyCloudError } from "../core/errors.js";
import type { Batch, KvVersion } from "../store/store.js";
import { concat } from "../store/keys.js";
import type { RollupStore } from "./rollup-store.js";
import type { BatchRecord, StateUpdate } from "./types.js";

export interface SequencerOptions {
  /** Cut when this many updates are pending (the largest circuit's batch size). */
  readonly maxUpdates: number;
  /** Cut at most this long after the first pending update. */
  readonly maxDelayMs: number;
  /** Binds batches to one deployment: `epochContext(chainId, contract)`; 0 until anchoring is configured. */
  readonly context: bigint;
  readonly depth?: number;
}

export interface CommittedWrite {
  readonly spaceId: string;
  readonly path: string;
  /** The stored version; its ETag (blake3 of the content) gives the leaf's content hash. */
  readonly version: KvVersion;
}

export type BatchListener = (record: BatchRecord, witnesses: readonly UpdateWitness[]) => void;

/** How many recent batches keep an O(1) tree snapshot for proofs (older ones are replayed). */
const RECENT_VIEWS = 256;

export class Sequencer {
  private nextSeq = 0;
  private pendingCount = 0;
  private timer: NodeJS.Timeout | undefined;
  private cutting: Promise<void> = Promise.resolve();
  private readonly listeners: BatchListener[] = [];
  private closed = false;
  /** Batches cut but not yet proven when the node last stopped, with their witnesses (rebuilt on open). */
  private unproven: { record: BatchRecord; witnesses: UpdateWitness[] }[] = [];
  /** Snapshots after the most recent batches (insertion order = batch order). */
  private readonly recent = new Map<number, StateTreeView>();

  private constructor(
    private readonly rollup: RollupStore,
    private readonly options: SequencerOptions,
    private tree: StateTree,
    private latest: number,
  ) {}

  static async open(rollup: RollupStore, options: SequencerOptions): Promise<Sequencer> {
    const tree = new StateTree(options.depth);
    const latest = await rollup.latestBatch();
    const format = await rollup.treeFormat();
    if (latest > 0 && format !== STATE_TREE_FORMAT) throw new TreeFormatError(format);
    if (format === undefined) await rollup.bindTreeFormat(STATE_TREE_FORMAT);
    const bound = await rollup.boundContext();
    if (bound === undefined || latest === 0) await rollup.bindContext(options.context);
    else if (bound !== options.context) throw new ContextMismatchError(bound, options.context);
    const unproven: { record: BatchRecord; witnesses: UpdateWitness[] }[] = [];
    const views = new Map<number, StateTreeView>(latest < RECENT_VIEWS ? [[0, tree.snapshot()]] : []);
    for (let n = 1; n <= latest; n++) {
      const record = await rollup.batch(n);
      if (record === undefined) throw new Error(`rollup batch ${n} is missing from the store`);
      if (tree.root.toString() !== record.oldRoot) throw new Error(`rollup batch ${n}: old root ${record.oldRoot} does not follow from batch ${n - 1}`);
      const witnesses = record.updates.flatMap((update) => tree.set(BigInt(update.key), BigInt(update.value)));
      if (n > latest - RECENT_VIEWS) views.set(n, tree.snapshot());
      if (tree.root.toString() !== record.newRoot) throw new Error(`rollup batch ${n}: replaying its updates gives ${tree.root}, not ${record.newRoot}`);
      if (record.status === "cut" || record.status === "proving") unproven.push({ record, witnesses });
    }
    const sequencer = new Sequencer(rollup, options, tree, latest);
    sequencer.unproven = unproven;
    for (const [n, view] of views) sequencer.remember(n, view);
    sequencer.nextSeq = await rollup.nextSeq();
    sequencer.pendingCount = (await rollup.pending(Number.MAX_SAFE_INTEGER)).length;
    if (sequencer.pendingCount > 0) sequencer.schedule();
    return sequencer;
  }

  get root(): bigint {
    return this.snapshot().root;
  }

  get latestBatch(): number {
    return this.latest;
  }

  /** Committed updates not yet in a batch. */
  get pendingUpdates(): number {
    return this.pendingCount;
  }

  /** A read-only view of the current state tree (for proofs of values): O(1), nodes are shared. */
  snapshot(): StateTreeView {
    // The view recorded when the latest batch became durable, never the live tree, which runs ahead
    // while a cut is being written.
    return this.recent.get(this.latest) ?? this.tree.snapshot();
  }

  /** The tree after batch `n`, while it is among the last RECENT_VIEWS batches (else undefined: replay). */
  viewAt(n: number): StateTreeView | undefined {
    return this.recent.get(n);
  }

  private remember(n: number, view: StateTreeView): void {
    this.recent.set(n, view);
    // Bounded: a view keeps the nodes its batch replaced alive (about steps × depth nodes each).
    for (const old of this.recent.keys()) {
      if (this.recent.size <= RECENT_VIEWS) break;
      this.recent.delete(old);
    }
  }

  /** Listen for new batches; batches left unproven by a previous run are delivered first. */
  onBatch(listener: BatchListener): void {
    this.listeners.push(listener);
    for (const { record, witnesses } of this.unproven) listener(record, witnesses);
  }

  /** Stage the state updates of committed writes in the writes' own atomic batch. */
  stage(batch: Batch, writes: readonly CommittedWrite[]): void {
    for (const write of writes) {
      // The version's ETag is the content's blake3: the leaf reuses it instead of hashing the bytes again.
      const contentHash = write.version.deleted ? 0n : contentHashFromDigestHex(write.version.etag);
      const value = leafValue(contentHash, write.version.version, write.version.deleted);
      const update: StateUpdate = {
        seq: this.nextSeq++,
        spaceId: write.spaceId,
        service: "kv",
        path: write.path,
        key: stateKey(write.spaceId, "kv", write.path).toString(),
        contentHash: contentHash.toString(),
        version: write.version.version,
        deleted: write.version.deleted,
        value: value.toString(),
        event: write.version.invocation.toString(),
        epoch: write.version.epoch.toString(),
      };
      this.rollup.stagePending(batch, update);
    }
    batch.onCommit(() => this.committed(writes.length));
  }

  private committed(count: number): void {
    this.pendingCount += count;
    if (this.pendingCount >= this.options.maxUpdates) void this.cut(false);
    else this.schedule();
  }

  private schedule(): void {
    if (this.timer !== undefined || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.cut(true);
    }, this.options.maxDelayMs);
    this.timer.unref();
  }

  /**
   * Cut full batches while `maxUpdates` are pending; with `force` (the delay expired, or an operator
   * asks) also cut the partial batch that remains. Serialized: one cut at a time.
   */
  cut(force = true): Promise<void> {
    this.cutting = this.cutting.then(() => this.cutPending(force)).catch((error: unknown) => console.error("sequencer: cutting a batch failed:", error));
    return this.cutting;
  }

  private async cutPending(force: boolean): Promise<void> {
    while (!this.closed) {
      const updates = await this.rollup.pending(this.options.maxUpdates);
      if (updates.length === 0) return;
      if (updates.length < this.options.maxUpdates && !force) {
        this.schedule();
        return;
      }
      const tree = this.tree;
      const before = tree.checkpoint();
      const oldRoot = tree.root;
      let witnesses: UpdateWitness[];
      let record: BatchRecord;
      try {
        witnesses = updates.flatMap((u) => tree.set(BigInt(u.key), BigInt(u.value)));
        const number = this.latest + 1;
        const eventCids = [...new Set(updates.map((u) => u.event))];
        const eventsHash = eventsHashOf(eventCids.map((c) => parseCid(c)));
        const header = batchHeader(number, this.options.context);
        const commitment = epochCommitment({
          context: this.options.context,
          batchNumber: number,
          updates: witnesses.map((w) => ({ key: w.key, newValue: w.newValue, op: w.op })),
          eventsHash,
        });
        record = {
          number,
          oldRoot: oldRoot.toString(),
          newRoot: tree.root.toString(),
          updates,
          eventCids,
          eventsHash: eventsHash.toString(),
          header: header.toString(),
          commitment: commitment.toString(),
          status: "cut",
          cutAt: Date.now(),
        };
        await this.rollup.cut(record);
      } catch (error) {
        tree.rollback(before); // not durable: the tree must not run ahead of the store
        throw error;
      }
      const number = record.number;
      this.latest = number;
      this.remember(number, tree.snapshot());
      this.pendingCount = Math.max(0, this.pendingCount - updates.length);
      for (const listener of this.listeners) listener(record, witnesses);
      // A forced cut takes what is pending now; later arrivals wait for a full batch or their own delay.
      force = false;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.cutting;
  }
}

/** The state tree the batches are cut with; stored with the first batch so an old data directory is recognised. */
export const STATE_TREE_FORMAT = "indexed-quaternary-poseidon-v1";

/**
 * The data directory holds batches of an earlier state tree (the compressed sparse Merkle tree, before
 * the indexed tree): their roots cannot be replayed, and the tree cannot be migrated in place because
 * every anchored root would change. The indexed tree starts from a new genesis.
 */
export class TreeFormatError extends TinyCloudError {
  override readonly name = "TreeFormatError" as const;
  constructor(readonly found: string | undefined) {
    super(
      "ROLLUP_TREE_FORMAT",
      `this data directory's rollup batches were cut with ${found === undefined ? "the previous state tree (compressed sparse Merkle tree)" : `state tree "${found}"`}, ` +
        `and this node uses "${STATE_TREE_FORMAT}". Existing data directories cannot be migrated in place: ` +
        "the indexed tree is a new genesis (new roots, new anchor deployment). Start with a fresh --data directory " +
        "(move the old one aside; its KV data can be re-written through the API) and deploy a new anchor.",
    );
  }
}

/**
 * The data directory's batches commit to another deployment (chain id + anchor contract) than the one
 * configured: their proofs can never verify there. Use the original chain, or a fresh data directory.
 */
export class ContextMismatchError extends TinyCloudError {
  override readonly name = "ContextMismatchError" as const;
  constructor(readonly bound: bigint, readonly configured: bigint) {
    super(
      "ROLLUP_CONTEXT_MISMATCH",
      `this data directory's batches are bound to ${describeContext(bound)}, but the node is configured for ${describeContext(configured)}; ` +
        "start it against the original chain and contract, or use a fresh --data directory",
    );
  }
}

function describeContext(context: bigint): string {
  if (context === 0n) return "no chain (anchoring off)";
  return `chain ${context >> 160n}, anchor 0x${(context & ((1n << 160n) - 1n)).toString(16).padStart(40, "0")}`;
}

/** blake3 over the concatenated CID bytes, first 31 bytes as a field element. */
export function eventsHashOf(cids: readonly CID[]): bigint {
  const digest = blake3(concat(cids.map((c) => c.bytes)));
  let x = 0n;
  for (const byte of digest.subarray(0, 31)) x = (x << 8n) | BigInt(byte);
  return x;
}
