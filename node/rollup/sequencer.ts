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
 *
 * The tree itself lives in a worker thread (`tree-worker.ts`): hashing a batch takes milliseconds of
 * Poseidon per update, which on this thread would stall every request. Here stay only the durable
 * bookkeeping and what the request path needs without hashing: the latest root and the set of keys,
 * so `admit` can refuse a write the tree could not take before the write is acknowledged.
 *
 * Failures are isolated (see README, "Rollup: failures"): an update the tree refuses at cut time is
 * moved out of the queue into the held bucket and reported, and the others are batched; any other cut
 * failure (the store, the worker) is retried with backoff a bounded number of times, then reported,
 * and the next committed write starts a new bounded round. Acknowledged writes are never dropped: they
 * stay in the KV store, and their updates stay pending (or held, and reported) until batched.
 */
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { isPublicSpaceId, SALT_BYTES, saltFromBytes, SPACE_SALT_PATH, SPACE_SALT_SERVICE, spaceSaltKey } from "../../core/state/privacy.js";
import { parseCid } from "../../core/cid.js";
import { contentHashFromDigestHex, emptyStateRoot, STATE_TREE_DEPTH, StateError, stateKey, type UpdateWitness } from "../../core/state/state-tree.js";
import { TinyCloudError } from "../../core/errors.js";
import { describeContext } from "../../core/rollup/header.js";
import { decodeBatch } from "../../core/rollup/wire.js";
import type { Batch, KvVersion } from "../store/store.js";
import { backoffMs, BatchFailures, describeError, type RetryPolicy } from "./batch-failures.js";
import type { RollupStore } from "./rollup-store.js";
import { TreeClient } from "./tree-client.js";
import { TreeWorkerError, type ApplyBatch, type CutUpdate, type LeafItem, type ProveResult, type TreeHead } from "./tree-protocol.js";
import type { BatchRecord, PendingUpdate, StateUpdate } from "./types.js";

export interface SequencerOptions {
  /** Cut when this many updates are pending (the largest circuit's batch size). */
  readonly maxUpdates: number;
  /** Cut at most this long after the first pending update. */
  readonly maxDelayMs: number;
  /** Binds batches to one deployment: `epochContext(chainId, contract)`; 0 until anchoring is configured. */
  readonly context: bigint;
  readonly depth?: number;
  /** Retries of a cut that failed for a reason other than a refused update (default 5 tries from 100 ms). */
  readonly cutRetry?: RetryPolicy;
  /** Niceness of the tree worker thread (default `DEFAULT_TREE_NICE`). */
  readonly treeNice?: number;
  /**
   * While the node is busy serving requests, wait up to this long before each cut (default 1000 ms;
   * 0: never wait). See `whenQuiet`.
   */
  readonly deferWhileBusyMs?: number;
  /** The console: one line per batch cut, with its size and time (absent: silent, e.g. a quiet node). */
  readonly log?: (line: string) => void;
}

export interface CommittedWrite {
  readonly spaceId: string;
  readonly path: string;
  /** stateKey(spaceId, "kv", path), as `admit` returned it. */
  readonly key: bigint;
  /** The stored version; its ETag (blake3 of the content) gives the leaf's content hash. */
  readonly version: KvVersion;
}

/** What the KV writer needs: admission before acknowledging, staging in the write's own batch. */
export interface StateStager {
  admit(spaceId: string, path: string): bigint;
  stage(batch: Batch, writes: readonly CommittedWrite[]): void;
}

export type BatchListener = (record: BatchRecord, witnesses: readonly UpdateWitness[]) => void;

export const DEFAULT_CUT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 100 };

export const DEFAULT_DEFER_WHILE_BUSY_MS = 1000;

/** Event-loop utilization above which the node counts as busy serving requests (idle is ~0.01, load ~0.5). */
const BUSY_UTILIZATION = 0.25;

/** How often a deferred cut looks again. */
const QUIET_POLL_MS = 25;

/** Batches replayed per message into the worker (bounds the size of one structured clone). */
const REPLAY_CHUNK = 64;

export class Sequencer implements StateStager {
  private nextSeq = 0;
  private pendingCount = 0;
  private timer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private cutFailures = 0;
  private cutting: Promise<void> = Promise.resolve();
  /** The cut waiting behind the running one, if any (see `cut`). */
  private queued: { force: boolean; done: Promise<void> } | undefined;
  private scratchLock: Promise<unknown> = Promise.resolve();
  private respawning: Promise<void> | undefined;
  private readonly listeners: BatchListener[] = [];
  /** Event-loop utilization at the last look (see `whenQuiet`). */
  private elu = performance.eventLoopUtilization();
  private closed = false;
  private replayed = 0;
  /** Batches cut but not yet proven when the node last stopped, with their witnesses (rebuilt on open). */
  private unproven: { record: BatchRecord; witnesses: readonly UpdateWitness[] }[] = [];
  /**
   * Every key the tree holds or will hold once the staged updates are batched. Admission counts a new
   * key against the capacity here, with no hashing and no round trip to the worker. Conservative: a key
   * whose write then failed to commit stays counted (it can only refuse early, never over-admit).
   */
  private readonly keys = new Set<bigint>();
  /** Keys the tree can hold: every position but the list head's. */
  private readonly keyCapacity: number;
  private readonly depth: number;
  private tree: TreeClient;
  /** The latest durable batch: its number, root and size (the worker's live tree matches it when settled). */
  private head: TreeHead;
  /** Failed cuts and proofs, for /rollup/status. */
  readonly failures = new BatchFailures();
  /** The root before any batch (the anchor's genesis root). */
  readonly genesisRoot: bigint;
  /** Private spaces' salts (core/state/privacy.ts): drawn at a space's first admitted write. */
  private readonly salts = new Map<string, bigint>();
  /** Spaces whose salt leaf is durably staged (or batched): every later write skips it. */
  private readonly saltsStaged = new Set<string>();

  private constructor(
    private readonly rollup: RollupStore,
    private readonly options: SequencerOptions,
  ) {
    this.depth = options.depth ?? STATE_TREE_DEPTH;
    this.keyCapacity = 4 ** this.depth - 1;
    // Start-up only: ~depth hashes (memoized), never on a request.
    this.genesisRoot = emptyStateRoot(this.depth);
    this.head = { batch: 0, root: this.genesisRoot, size: 1 };
    this.tree = undefined as unknown as TreeClient; // set by loadTree before open() returns
  }

  static async open(rollup: RollupStore, options: SequencerOptions): Promise<Sequencer> {
    const latest = await rollup.latestBatch();
    const format = await rollup.treeFormat();
    if (latest > 0 && format !== STATE_TREE_FORMAT) throw new TreeFormatError(format);
    if (format === undefined) await rollup.bindTreeFormat(STATE_TREE_FORMAT);
    const bound = await rollup.boundContext();
    if (bound === undefined || latest === 0) await rollup.bindContext(options.context);
    else if (bound !== options.context) throw new ContextMismatchError(bound, options.context);
    await rollup.prepare();
    const sequencer = new Sequencer(rollup, options);
    sequencer.unproven = await sequencer.loadTree(latest, true);
    try {
      for await (const key of rollup.stagedKeys()) sequencer.keys.add(BigInt(key));
      for await (const { spaceId, salt } of rollup.spaceSalts()) {
        sequencer.salts.set(spaceId, salt);
        sequencer.saltsStaged.add(spaceId);
      }
      sequencer.nextSeq = await rollup.nextSeq();
      sequencer.pendingCount = (await rollup.pending(Number.MAX_SAFE_INTEGER)).length;
    } catch (error) {
      await sequencer.tree.close(); // no worker outlives a sequencer that failed to open
      throw error;
    }
    if (sequencer.pendingCount > 0) sequencer.schedule();
    return sequencer;
  }

  /**
   * Start a tree worker and replay batches 1..latest into it (each checked against its stored roots).
   * Returns the batches not yet proven, with their witnesses, when asked.
   */
  private async loadTree(latest: number, collectUnproven: boolean): Promise<{ record: BatchRecord; witnesses: readonly UpdateWitness[] }[]> {
    const tree = new TreeClient(this.depth, this.options.treeNice !== undefined ? { nice: this.options.treeNice } : {});
    const unproven: { record: BatchRecord; witnesses: readonly UpdateWitness[] }[] = [];
    try {
      const waiting = new Map<number, BatchRecord>();
      let chunk: ApplyBatch[] = [];
      let head: TreeHead = { batch: 0, root: this.genesisRoot, size: 1 };
      const flush = async () => {
        const result = await tree.request({ kind: "apply", tree: "live", reset: false, batches: chunk });
        chunk = [];
        head = { batch: result.batch, root: result.root, size: result.size };
        for (const { number, steps } of result.witnesses) unproven.push({ record: waiting.get(number) as BatchRecord, witnesses: steps });
        waiting.clear();
      };
      for (let n = 1; n <= latest; n++) {
        const record = await this.rollup.batch(n);
        if (record === undefined) throw new Error(`rollup batch ${n} is missing from the store`);
        for (const u of record.updates) this.keys.add(BigInt(u.key));
        const wanted = collectUnproven && (record.status === "cut" || record.status === "proving");
        if (wanted) waiting.set(n, record);
        chunk.push(applyBatchOf(record, wanted));
        if (chunk.length >= REPLAY_CHUNK) await flush();
      }
      if (chunk.length > 0) await flush();
      this.tree = tree;
      this.head = head;
      return unproven;
    } catch (error) {
      await tree.close();
      throw error;
    }
  }

  /** The worker, started again (and replayed from the store) if it died. */
  private async liveTree(): Promise<TreeClient> {
    if (this.tree.alive) return this.tree;
    if (this.closed) throw new TreeWorkerError("TREE_WORKER_CLOSED", "the sequencer is closed");
    this.respawning ??= (async () => {
      console.error("sequencer: the state-tree worker died; replaying the stored batches into a new one");
      await this.loadTree(this.head.batch, false);
    })().finally(() => {
      this.respawning = undefined;
    });
    await this.respawning;
    return this.tree;
  }

  /** The state root after the latest batch (kept here: reading it never hashes). */
  get root(): bigint {
    return this.head.root;
  }

  get latestBatch(): number {
    return this.head.batch;
  }

  /** Committed updates not yet in a batch. */
  get pendingUpdates(): number {
    return this.pendingCount;
  }

  /** Keys the tree holds or will hold (staged ones included). */
  get keyCount(): number {
    return this.keys.size;
  }

  /**
   * Reserve the state-tree place of a write to (spaceId, path) before it is acknowledged, or refuse it:
   * StateError STATE_TREE_FULL (a new key and no position left; updates of stored keys still fit),
   * STATE_RESERVED_KEY, or TypeError for a path the key encoding cannot take. Synchronous and cheap
   * (one blake3, one Set lookup): concurrent groups of different spaces cannot over-admit.
   */
  admit(spaceId: string, path: string): bigint {
    const salt = this.spaceSalt(spaceId);
    const key = stateKey(spaceId, "kv", path, salt);
    // A private space's first write also inserts its salt leaf: count that key too.
    const saltKey = salt !== undefined && !this.saltsStaged.has(spaceId) ? spaceSaltKey(spaceId) : undefined;
    const fresh = [key, saltKey].filter((k): k is bigint => k !== undefined && !this.keys.has(k));
    if (fresh.length > 0) {
      if (this.keys.size + fresh.length > this.keyCapacity) {
        throw new StateError("STATE_TREE_FULL", `the state tree is full (${this.keyCapacity} keys): new keys are refused, existing keys can still be written`, {
          details: { capacity: this.keyCapacity },
        });
      }
      for (const k of fresh) this.keys.add(k);
    }
    return key;
  }

  /**
   * The salt of a private space (drawn on first use, kept in memory until its salt leaf is staged with a
   * write), or undefined for a public space. Never served by the sequencer itself: routes check authority.
   */
  spaceSalt(spaceId: string): bigint | undefined {
    if (isPublicSpaceId(spaceId)) return undefined;
    let salt = this.salts.get(spaceId);
    if (salt === undefined) {
      salt = saltFromBytes(randomBytes(SALT_BYTES));
      this.salts.set(spaceId, salt);
    }
    return salt;
  }

  /** The salt of a private space whose salt leaf is staged or batched (undefined otherwise). */
  committedSpaceSalt(spaceId: string): bigint | undefined {
    return this.saltsStaged.has(spaceId) ? this.salts.get(spaceId) : undefined;
  }

  /**
   * Proof for `key` against the root after batch `n` (0 = genesis), made in the worker: from a recent
   * or pinned view, else from a scratch tree replayed from the stored batches.
   */
  async proveAt(n: number, key: bigint): Promise<ProveResult> {
    const tree = await this.liveTree();
    try {
      return await tree.request({ kind: "prove", batch: n, key, from: "live" });
    } catch (error) {
      if (!(error instanceof TreeWorkerError && error.code === "TREE_VIEW_MISSING")) throw error;
    }
    return this.withScratch(n, (t) => t.request({ kind: "prove", batch: n, key, from: "scratch" }));
  }

  /** Keep a view of batch `n` in the worker beyond the recent window (the anchored batch). */
  async pin(n: number): Promise<void> {
    const tree = await this.liveTree();
    try {
      await tree.request({ kind: "pin", batch: n, from: "live" });
      return;
    } catch (error) {
      if (!(error instanceof TreeWorkerError && error.code === "TREE_VIEW_MISSING")) throw error;
    }
    await this.withScratch(n, (t) => t.request({ kind: "pin", batch: n, from: "scratch" }));
  }

  /** Leaf values `H3(contentHash, version, deleted)` (H4 with a private entry's salt), hashed in the worker. */
  async leafValues(items: readonly LeafItem[]): Promise<readonly bigint[]> {
    return (await this.liveTree()).request({ kind: "leafValues", items });
  }

  /**
   * Bring the worker's scratch tree to batch `n` and run `fn` on it; one scratch user at a time. The
   * worker starts it from its closest kept view at or below `n` (a checkpoint, at most the checkpoint
   * spacing below), so this replays a bounded number of stored batches, not the whole history.
   */
  private withScratch<T>(n: number, fn: (tree: TreeClient) => Promise<T>): Promise<T> {
    const run = this.scratchLock.then(async () => {
      const tree = await this.liveTree();
      const base = await tree.request({ kind: "rebase", batch: n });
      for (let from = base.batch + 1; from <= n; from += REPLAY_CHUNK) {
        const batches: ApplyBatch[] = [];
        for (let b = from; b <= Math.min(n, from + REPLAY_CHUNK - 1); b++) {
          const record = await this.rollup.batch(b);
          if (record === undefined) throw new Error(`rollup batch ${b} is missing from the store`);
          batches.push(applyBatchOf(record, false));
        }
        await tree.request({ kind: "apply", tree: "scratch", reset: false, batches });
        this.replayed += batches.length;
      }
      return fn(tree);
    });
    this.scratchLock = run.catch(() => undefined);
    return run;
  }

  /** Stored batches replayed to serve views of old batches since start (tests assert it stays bounded). */
  get replayedBatches(): number {
    return this.replayed;
  }

  /** Listen for new batches; batches left unproven by a previous run are delivered first. */
  onBatch(listener: BatchListener): void {
    this.listeners.push(listener);
    for (const { record, witnesses } of this.unproven) listener(record, witnesses);
  }

  /** Stage the state updates of committed writes in the writes' own atomic batch. No hashing: the cut does it. */
  stage(batch: Batch, writes: readonly CommittedWrite[]): void {
    const newSalts = new Set<string>();
    for (const write of writes) {
      const spaceSalt = this.salts.get(write.spaceId);
      if (spaceSalt !== undefined && !this.saltsStaged.has(write.spaceId) && !newSalts.has(write.spaceId)) {
        // The space's salt leaf goes in just before its first write, justified by that write's event.
        newSalts.add(write.spaceId);
        this.rollup.putSpaceSalt(batch, write.spaceId, spaceSalt);
        this.rollup.stagePending(batch, {
          seq: this.nextSeq++,
          spaceId: write.spaceId,
          service: SPACE_SALT_SERVICE,
          path: SPACE_SALT_PATH,
          key: spaceSaltKey(write.spaceId).toString(),
          contentHash: "0",
          version: 1,
          deleted: false,
          spaceSalt: spaceSalt.toString(),
          event: write.version.invocation.toString(),
          epoch: write.version.epoch.toString(),
        });
      }
      // The version's ETag is the content's blake3: the leaf reuses it instead of hashing the bytes again.
      const contentHash = write.version.deleted ? 0n : contentHashFromDigestHex(write.version.etag);
      const update: PendingUpdate = {
        seq: this.nextSeq++,
        spaceId: write.spaceId,
        service: "kv",
        path: write.path,
        key: write.key.toString(),
        contentHash: contentHash.toString(),
        version: write.version.version,
        deleted: write.version.deleted,
        event: write.version.invocation.toString(),
        epoch: write.version.epoch.toString(),
        ...(write.version.salt !== undefined && spaceSalt !== undefined ? { salt: write.version.salt, spaceSalt: spaceSalt.toString() } : {}),
      };
      this.rollup.stagePending(batch, update);
    }
    batch.onCommit(() => {
      for (const spaceId of newSalts) this.saltsStaged.add(spaceId);
      this.committed(writes.length + newSalts.size);
    });
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
    // Coalesce: one cut runs and at most one waits behind it (a running cut loops while full batches
    // are pending). Without this, every write committed while the tree lags would queue its own cut.
    if (this.queued !== undefined) {
      this.queued.force ||= force;
      return this.queued.done;
    }
    const queued = { force, done: Promise.resolve() };
    queued.done = this.cutting
      .then(() => {
        this.queued = undefined;
        return this.cutPending(queued.force);
      })
      .catch((error: unknown) => console.error("sequencer: cutting a batch failed:", error));
    this.queued = queued;
    this.cutting = queued.done;
    return queued.done;
  }

  private async cutPending(force: boolean): Promise<void> {
    while (!this.closed) {
      // Backing off after a failed cut: the retry timer resumes cutting.
      if (this.retryTimer !== undefined) return;
      // Before reading the queue: what arrives while this waits joins the batch.
      await this.whenQuiet();
      if (this.closed) return;
      const updates = await this.rollup.pending(this.options.maxUpdates);
      if (updates.length === 0) return;
      if (updates.length < this.options.maxUpdates && !force) {
        this.schedule();
        return;
      }
      const number = this.head.batch + 1;
      try {
        await this.cutOne(number, updates);
      } catch (error) {
        const index = refusedIndex(error);
        if (index !== undefined && updates[index] !== undefined) {
          // The tree refuses this one update (deterministically: retrying cannot help). Hold it back,
          // report it, and batch the others.
          await this.holdBack(number, updates[index], error);
          continue;
        }
        this.retryLater(number, updates, error);
        return;
      }
      // A forced cut takes what is pending now; later arrivals wait for a full batch or their own delay.
      force = false;
    }
  }

  /**
   * Wait while the node is busy serving requests (event-loop utilization since the last look above
   * BUSY_UTILIZATION), for at most `deferWhileBusyMs`. A cut costs the tree worker milliseconds of CPU
   * per update; on a machine with few cores that CPU comes out of the requests' share even at a low
   * thread priority, so under load batches wait (they stay durable and pending) and drain at full speed
   * once requests let up. The bound keeps at least one batch per interval flowing under sustained load.
   */
  private async whenQuiet(): Promise<void> {
    const limit = this.options.deferWhileBusyMs ?? DEFAULT_DEFER_WHILE_BUSY_MS;
    const deadline = Date.now() + limit;
    for (;;) {
      const now = performance.eventLoopUtilization();
      const busy = performance.eventLoopUtilization(now, this.elu).utilization > BUSY_UTILIZATION;
      this.elu = now;
      if (!busy || limit <= 0 || this.closed || Date.now() >= deadline) return;
      // Not unref'd: close() awaits this cut, and an unref'd timer would let the process's event loop
      // empty out under it (the wait is bounded by deferWhileBusyMs anyway).
      await new Promise((resolve) => setTimeout(resolve, QUIET_POLL_MS));
    }
  }

  private async cutOne(number: number, updates: readonly PendingUpdate[]): Promise<void> {
    const started = performance.now();
    const tree = await this.liveTree();
    const result = await tree.request({ kind: "cut", number, context: this.options.context, updates: updates.map(cutUpdateOf) });
    const record: BatchRecord = {
      number,
      oldRoot: result.oldRoot.toString(),
      newRoot: result.root.toString(),
      updates: updates.map((u, i): StateUpdate => ({ ...u, value: (result.values[i] as bigint).toString() })),
      eventCids: result.eventCids,
      eventsHash: result.eventsHash.toString(),
      header: result.header.toString(),
      commitment: result.commitment.toString(),
      status: "cut",
      cutAt: Date.now(),
    };
    try {
      await this.rollup.cut(record);
    } catch (error) {
      // Not durable: the tree must not run ahead of the store. (A dead worker is replayed from the store anyway.)
      await tree.request({ kind: "settle", number, durable: false }).catch(() => undefined);
      throw error;
    }
    // Not awaited: the worker takes messages in order, so the next cut or proof request already finds
    // this batch settled, and the cut loop saves a round trip through a busy event loop.
    void tree.request({ kind: "settle", number, durable: true }).catch(() => undefined);
    this.head = { batch: number, root: result.root, size: result.size };
    this.pendingCount = Math.max(0, this.pendingCount - updates.length);
    this.cutFailures = 0;
    this.failures.clear("cut", number);
    this.options.log?.(`batch ${number} cut: ${updates.length} update${updates.length === 1 ? "" : "s"} (${Math.round(performance.now() - started)} ms)`);
    for (const listener of this.listeners) listener(record, result.witnesses);
  }

  private async holdBack(number: number, update: PendingUpdate, error: unknown): Promise<void> {
    const { code, error: message } = describeError(error);
    console.error(`sequencer: the state tree refused update ${update.seq} (${update.spaceId}/kv/${update.path}) in batch ${number}; held back: ${message}`);
    await this.rollup.hold({ update, code: code ?? "UNKNOWN", error: message, batch: number, at: Date.now() });
    this.pendingCount = Math.max(0, this.pendingCount - 1);
    this.failures.record({ number, stage: "cut", ...describeError(error), attempts: 1, retrying: false, seqs: [update.seq] });
  }

  private retryLater(number: number, updates: readonly PendingUpdate[], error: unknown): void {
    const policy = this.options.cutRetry ?? DEFAULT_CUT_RETRY;
    this.cutFailures++;
    const retrying = this.cutFailures < policy.attempts;
    this.failures.record({ number, stage: "cut", ...describeError(error), attempts: this.cutFailures, retrying });
    console.error(`sequencer: cutting batch ${number} (${updates.length} updates) failed (attempt ${this.cutFailures} of ${policy.attempts}):`, describeError(error).error);
    if (!retrying || this.closed) {
      // Given up for now: the updates stay pending (durable), and the next committed write starts a
      // new bounded round. Nothing spins.
      this.cutFailures = 0;
      return;
    }
    this.retryTimer = setTimeout(
      () => {
        this.retryTimer = undefined;
        void this.cut(true);
      },
      backoffMs(policy, this.cutFailures),
    );
    this.retryTimer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    await this.cutting;
    await this.scratchLock;
    await this.tree.close();
  }
}

function applyBatchOf(record: BatchRecord, witnesses: boolean): ApplyBatch {
  const { number, oldRoot, newRoot, updates } = decodeBatch(record);
  return { number, oldRoot, newRoot, updates: updates.map((u) => ({ key: u.key, value: u.value })), witnesses };
}

function cutUpdateOf(u: PendingUpdate, index: number): CutUpdate {
  try {
    parseCid(u.event); // fail here, attributed to this update, rather than as an anonymous worker error
    const leaf = u.service === SPACE_SALT_SERVICE ? { spaceSaltLeaf: BigInt(u.spaceSalt ?? "") } : u.salt !== undefined ? { salt: BigInt(u.salt) } : {};
    return { key: BigInt(u.key), contentHash: BigInt(u.contentHash), version: u.version, deleted: u.deleted, ...leaf, event: u.event };
  } catch (error) {
    throw new TreeWorkerError("TREE_BAD_MESSAGE", `pending update ${u.seq} is malformed: ${error instanceof Error ? error.message : String(error)}`, { details: { index } });
  }
}

/** The index of the update a cut error is about, when the tree (or its input) refused that one update. */
function refusedIndex(error: unknown): number | undefined {
  if (!(error instanceof TinyCloudError)) return undefined;
  if (!(error instanceof StateError) && !(error instanceof TreeWorkerError && error.code === "TREE_BAD_MESSAGE")) return undefined;
  const index = error.details?.["index"];
  return typeof index === "number" && Number.isSafeInteger(index) ? index : undefined;
}

/** The state tree the batches are cut with; stored with the first batch so an old data directory is recognised. */
export const STATE_TREE_FORMAT = "indexed-quaternary-poseidon-v1";

/**
 * The data directory holds batches of an earlier state tree (the compressed sparse Merkle tree, before
 * the indexed tree): their roots cannot be replayed, and the tree cannot be migrated in place because
 * every anchored root would change. The indexed tree starts from a new genesis.
 */
export class TreeFormatError extends TinyCloudError<"ROLLUP_TREE_FORMAT"> {
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
export class ContextMismatchError extends TinyCloudError<"ROLLUP_CONTEXT_MISMATCH"> {
  override readonly name = "ContextMismatchError" as const;
  constructor(
    readonly bound: bigint,
    readonly configured: bigint,
  ) {
    super(
      "ROLLUP_CONTEXT_MISMATCH",
      `this data directory's batches are bound to ${describeContext(bound)}, but the node is configured for ${describeContext(configured)}; ` +
        "start it against the original chain and contract, or use a fresh --data directory",
    );
  }
}
