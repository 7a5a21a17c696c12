/**
 * The state-tree worker thread: owns the sequencer's live `StateTree` (the oracle in
 * `node/core/state-tree.ts`, unchanged, so roots are the oracle's by construction), cuts batches
 * (leaf values, tree writes, circuit steps, events hash, commitment), keeps O(1) views of recent batches
 * and answers state proofs from them. Protocol: `tree-protocol.ts`.
 *
 * The thread lowers its own scheduling priority (Linux: `setpriority` on a thread id affects that
 * thread only): on a busy machine the HTTP thread wins the CPU and batches lag instead, which is the
 * trade the node wants (writes are durable and acknowledged before they are batched).
 */
import { createRequire } from "node:module";
import { getPriority, setPriority } from "node:os";
import { isMainThread, parentPort, workerData } from "node:worker_threads";
import { parseCid } from "../../core/cid.js";
import { FIELD_MODULUS, leafValue, StateError, StateTree, poseidonBackendName, usePoseidonBackend, type PoseidonBackend, type StateTreeView, type UpdateWitness } from "../../core/state/state-tree.js";
import { TinyCloudError } from "../../core/errors.js";
import { batchHeader } from "../../core/rollup/header.js";
import { epochCommitment } from "../../core/rollup/commitment.js";
import { eventsHashOf } from "../../core/rollup/events-hash.js";
import { spaceSaltLeafValue } from "../../core/state/privacy.js";
import { toWireError, TreeWorkerError, type ApplyBatch, type ApplyResult, type CutResult, type CutUpdate, type ProveResult, type TreeHead, type TreeName, type TreeReply } from "./tree-protocol.js";

/** How many recent batches keep an O(1) view for proofs (older ones are replayed into "scratch"). */
export const RECENT_VIEWS = 256;

/**
 * A view of the live tree is kept every CHECKPOINT_EVERY batches (a checkpoint), so a proof at an old
 * batch forks the nearest checkpoint at or below it and replays fewer than CHECKPOINT_EVERY batches,
 * instead of the whole history. A checkpoint costs the nodes its window of batches replaced (path
 * copying shares the rest), so their number is bounded: past MAX_CHECKPOINTS every other one is dropped
 * and the spacing doubles (replays stay within the spacing; memory stays within MAX_CHECKPOINTS views).
 */
export const CHECKPOINT_EVERY = 32;
export const MAX_CHECKPOINTS = 1024;

/** Views of past batches built on request (LRU): a client that asks for one old batch usually asks again. */
export const PAST_VIEWS = 16;

export interface TreeWorkerData {
  readonly depth: number;
  /** Hash with circomlibjs's wasm Poseidon when it is installed and agrees with poseidon-lite (default true). */
  readonly fastPoseidon?: boolean;
  /** Niceness added to the thread's, relative to the node's (0 = as the node; capped at 19). */
  readonly nice: number;
}

/** Marker so that importing this module elsewhere (tests, the node) never starts a message loop. */
export const TREE_WORKER_MARK = "tinycloud-state-tree-worker";

function bad(message: string): TreeWorkerError {
  return new TreeWorkerError("TREE_BAD_MESSAGE", message);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function count(value: unknown, what: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) throw bad(`${what} must be a non-negative integer`);
  return value as number;
}

function big(value: unknown, what: string): bigint {
  if (typeof value !== "bigint") throw bad(`${what} must be a bigint`);
  return value;
}

function bool(value: unknown, what: string): boolean {
  if (typeof value !== "boolean") throw bad(`${what} must be a boolean`);
  return value;
}

function list(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw bad(`${what} must be an array`);
  return value;
}

function treeName(value: unknown): TreeName {
  if (value !== "live" && value !== "scratch") throw bad('tree must be "live" or "scratch"');
  return value;
}

function applyBatch(value: unknown, i: number): ApplyBatch {
  if (!isRecord(value)) throw bad(`batches[${i}] must be an object`);
  return {
    number: count(value["number"], `batches[${i}].number`),
    oldRoot: big(value["oldRoot"], `batches[${i}].oldRoot`),
    newRoot: big(value["newRoot"], `batches[${i}].newRoot`),
    witnesses: bool(value["witnesses"], `batches[${i}].witnesses`),
    updates: list(value["updates"], `batches[${i}].updates`).map((u, j) => {
      if (!isRecord(u)) throw bad(`batches[${i}].updates[${j}] must be an object`);
      return { key: big(u["key"], `batches[${i}].updates[${j}].key`), value: big(u["value"], `batches[${i}].updates[${j}].value`) };
    }),
  };
}

function cutUpdate(value: unknown, i: number): CutUpdate {
  if (!isRecord(value)) throw bad(`updates[${i}] must be an object`);
  if (typeof value["event"] !== "string") throw bad(`updates[${i}].event must be a CID string`);
  return {
    key: big(value["key"], `updates[${i}].key`),
    contentHash: big(value["contentHash"], `updates[${i}].contentHash`),
    version: count(value["version"], `updates[${i}].version`),
    deleted: bool(value["deleted"], `updates[${i}].deleted`),
    ...optionalBig(value, "salt", `updates[${i}].salt`),
    ...optionalBig(value, "spaceSaltLeaf", `updates[${i}].spaceSaltLeaf`),
    event: value["event"],
  };
}

function optionalBig<K extends string>(record: Record<string, unknown>, name: K, what: string): Partial<Record<K, bigint>> {
  const value = record[name];
  return value === undefined ? {} : ({ [name]: big(value, what) } as Partial<Record<K, bigint>>);
}

/** The leaf value of a cut update: a salt leaf, a private (salted, hiding) entry, or a public entry. */
function cutLeafValue(u: CutUpdate): bigint {
  if (u.spaceSaltLeaf !== undefined) return spaceSaltLeafValue(u.spaceSaltLeaf);
  return leafValue(u.contentHash, u.version, u.deleted, u.salt);
}

/** A tree with the number of the last batch applied to it. */
interface Tracked {
  tree: StateTree;
  batch: number;
}

/** The worker's state and request handling, free of any thread plumbing (so it can be unit-tested too). */
export class TreeHost {
  private live: Tracked;
  private scratch: Tracked | undefined;
  /** Views after recent batches of the live tree (insertion order = batch order). */
  private readonly recent = new Map<number, StateTreeView>();
  /** One extra view the node keeps (the anchored batch), whatever its age. */
  private pinned: { batch: number; view: StateTreeView } | undefined;
  /** Views of the live tree every `spacing` batches (batch 0 included), whatever their age. */
  private readonly checkpoints = new Map<number, StateTreeView>();
  private spacing = CHECKPOINT_EVERY;
  /** Views of old batches replayed for proofs (least recently used first). */
  private readonly past = new Map<number, StateTreeView>();
  /** A cut answered but not yet settled: the tree runs ahead of the store until the node says "durable". */
  private tentative: { number: number; before: ReturnType<StateTree["checkpoint"]> } | undefined;

  constructor(private readonly depth: number) {
    this.live = { tree: new StateTree(depth), batch: 0 };
    this.recent.set(0, this.live.tree.snapshot());
    this.checkpoints.set(0, this.live.tree.snapshot());
  }

  /** Handle one message; never throws: every failure is an error reply, and the state is as before it. */
  handle(message: unknown): TreeReply {
    const id = isRecord(message) && Number.isSafeInteger(message["id"]) ? (message["id"] as number) : null;
    try {
      if (!isRecord(message)) throw bad("a request must be an object");
      if (id === null) throw bad("a request needs an integer id");
      return { id, ok: true, result: this.dispatch(message) };
    } catch (error) {
      return { id, ok: false, error: toWireError(error) };
    }
  }

  private dispatch(m: Record<string, unknown>): unknown {
    switch (m["kind"]) {
      case "apply":
        return this.apply(treeName(m["tree"]), bool(m["reset"], "reset"), list(m["batches"], "batches").map(applyBatch));
      case "cut":
        return this.cut(count(m["number"], "number"), big(m["context"], "context"), list(m["updates"], "updates").map(cutUpdate));
      case "settle":
        return this.settle(count(m["number"], "number"), bool(m["durable"], "durable"));
      case "prove":
        return this.prove(count(m["batch"], "batch"), big(m["key"], "key"), treeName(m["from"]));
      case "pin":
        return this.pin(count(m["batch"], "batch"), treeName(m["from"]));
      case "rebase":
        return this.rebase(count(m["batch"], "batch"));
      case "leafValues":
        return list(m["items"], "items").map((item, i) => {
          if (!isRecord(item)) throw bad(`items[${i}] must be an object`);
          const salt = optionalBig(item, "salt", `items[${i}].salt`).salt;
          return leafValue(big(item["contentHash"], `items[${i}].contentHash`), count(item["version"], `items[${i}].version`), bool(item["deleted"], `items[${i}].deleted`), salt);
        });
      case "info":
        return { depth: this.depth, poseidon: poseidonBackendName(), live: this.head(this.live) };
      default:
        throw bad(`unknown request kind ${JSON.stringify(String(m["kind"]))}`);
    }
  }

  private head(t: Tracked): TreeHead {
    return { batch: t.batch, root: t.tree.root, size: t.tree.size };
  }

  /** Replay stored batches in order, checking each root; all or nothing. */
  private apply(name: TreeName, reset: boolean, batches: readonly ApplyBatch[]): ApplyResult {
    if (name === "live" && this.tentative !== undefined) throw new TreeWorkerError("TREE_OUT_OF_ORDER", `batch ${this.tentative.number} is cut but not settled`);
    const target: Tracked = reset ? { tree: new StateTree(this.depth), batch: 0 } : name === "live" ? this.live : (this.scratch ?? { tree: new StateTree(this.depth), batch: 0 });
    const startBatch = target.batch;
    const before = target.tree.checkpoint();
    const views: [number, StateTreeView][] = [];
    const witnesses: { number: number; steps: UpdateWitness[] }[] = [];
    try {
      for (const b of batches) {
        if (b.number !== target.batch + 1) throw new TreeWorkerError("TREE_OUT_OF_ORDER", `batch ${b.number} does not follow batch ${target.batch}`);
        if (target.tree.root !== b.oldRoot)
          throw new TreeWorkerError("TREE_ROOT_MISMATCH", `batch ${b.number}: old root ${b.oldRoot} does not follow from batch ${target.batch}`, { details: { batch: b.number } });
        const steps = b.updates.flatMap((u) => target.tree.set(u.key, u.value));
        if (target.tree.root !== b.newRoot)
          throw new TreeWorkerError("TREE_ROOT_MISMATCH", `batch ${b.number}: replaying its updates gives ${target.tree.root}, not ${b.newRoot}`, { details: { batch: b.number } });
        target.batch = b.number;
        if (name === "live") views.push([b.number, target.tree.snapshot()]);
        if (b.witnesses) witnesses.push({ number: b.number, steps });
      }
    } catch (error) {
      target.tree.rollback(before);
      target.batch = startBatch;
      throw error;
    }
    if (name === "live") {
      if (reset) {
        this.live = target;
        this.recent.clear();
        this.pinned = undefined;
        this.checkpoints.clear();
        this.past.clear();
        this.spacing = CHECKPOINT_EVERY;
        this.recent.set(0, new StateTree(this.depth).snapshot());
        this.checkpoints.set(0, new StateTree(this.depth).snapshot());
      }
      for (const [n, view] of views) this.remember(n, view);
    } else {
      this.scratch = target;
      if (target.batch !== startBatch) this.keepPast(target.batch, target.tree.snapshot());
    }
    return { ...this.head(target), witnesses };
  }

  private cut(number: number, context: bigint, updates: readonly CutUpdate[]): CutResult {
    if (this.tentative !== undefined) throw new TreeWorkerError("TREE_OUT_OF_ORDER", `batch ${this.tentative.number} is cut but not settled`);
    if (number !== this.live.batch + 1) throw new TreeWorkerError("TREE_OUT_OF_ORDER", `batch ${number} does not follow batch ${this.live.batch}`);
    if (updates.length === 0) throw bad("a batch needs at least one update");
    const tree = this.live.tree;
    const before = tree.checkpoint();
    const oldRoot = tree.root;
    try {
      const values: bigint[] = [];
      const witnesses: UpdateWitness[] = [];
      const events = new Map<string, ReturnType<typeof parseCid>>();
      updates.forEach((u, index) => {
        // Whatever refuses one update is reported with its index, so the node can hold back exactly
        // that update and batch the others (it never blocks the queue).
        try {
          const value = cutLeafValue(u);
          if (!events.has(u.event)) events.set(u.event, parseCid(u.event));
          witnesses.push(...tree.set(u.key, value));
          values.push(value);
        } catch (error) {
          throw attributed(error, index);
        }
      });
      const eventsHash = eventsHashOf([...events.values()]);
      const commitment = epochCommitment({ context, batchNumber: number, updates: witnesses.map((w) => ({ key: w.key, newValue: w.newValue, op: w.op })), eventsHash });
      this.tentative = { number, before };
      return { batch: number, oldRoot, root: tree.root, size: tree.size, values, witnesses, eventCids: [...events.keys()], eventsHash, header: batchHeader(number, context), commitment };
    } catch (error) {
      tree.rollback(before);
      throw error;
    }
  }

  /** The node wrote the cut batch durably (keep it) or could not (forget it: the tree must not run ahead of the store). */
  private settle(number: number, durable: boolean): TreeHead {
    const t = this.tentative;
    if (t === undefined || t.number !== number) throw new TreeWorkerError("TREE_OUT_OF_ORDER", `batch ${number} is not the unsettled cut`);
    this.tentative = undefined;
    if (durable) {
      this.live.batch = number;
      this.remember(number, this.live.tree.snapshot());
    } else this.live.tree.rollback(t.before);
    return this.head(this.live);
  }

  private view(batch: number, from: TreeName): StateTreeView {
    if (from === "scratch") {
      if (this.scratch === undefined || this.scratch.batch !== batch) throw new TreeWorkerError("TREE_VIEW_MISSING", `the scratch tree is not at batch ${batch}`);
      return this.scratch.tree;
    }
    const view = this.recent.get(batch) ?? this.checkpoints.get(batch) ?? (this.pinned?.batch === batch ? this.pinned.view : undefined) ?? this.touchPast(batch);
    if (view === undefined || batch > this.live.batch)
      throw new TreeWorkerError("TREE_VIEW_MISSING", `no view of batch ${batch} (the last ${RECENT_VIEWS} batches, checkpoints and the pinned one are kept)`);
    return view;
  }

  /**
   * Point the scratch tree at the closest batch at or below `batch` that a view (or the scratch tree
   * itself) already holds, so that replaying up to `batch` costs at most the checkpoint spacing.
   * Returns where the scratch tree now stands: the node replays the batches after it.
   */
  private rebase(batch: number): TreeHead {
    if (batch > this.live.batch) throw new TreeWorkerError("TREE_VIEW_MISSING", `batch ${batch} is past the live tree (batch ${this.live.batch})`);
    let best = -1;
    let bestView: StateTreeView | undefined;
    const consider = (n: number, view: StateTreeView) => {
      if (n <= batch && n > best) {
        best = n;
        bestView = view;
      }
    };
    // The checkpoint below `batch` exists by construction (0 is always one); the others may be closer.
    const floor = batch - (batch % this.spacing);
    for (let n = floor; n >= 0 && bestView === undefined; n -= this.spacing) {
      const view = this.checkpoints.get(n);
      if (view !== undefined) consider(n, view);
    }
    for (const [n, view] of this.recent) consider(n, view);
    for (const [n, view] of this.past) consider(n, view);
    if (this.pinned !== undefined) consider(this.pinned.batch, this.pinned.view);
    // The scratch tree is already there (or on the way): keep it rather than copying a view's key index.
    if (this.scratch !== undefined && this.scratch.batch <= batch && this.scratch.batch >= best) return this.head(this.scratch);
    this.scratch = { tree: (bestView as StateTreeView).fork(), batch: best };
    return this.head(this.scratch);
  }

  private touchPast(batch: number): StateTreeView | undefined {
    const view = this.past.get(batch);
    if (view !== undefined) {
      this.past.delete(batch);
      this.past.set(batch, view);
    }
    return view;
  }

  private keepPast(batch: number, view: StateTreeView): void {
    this.past.delete(batch);
    this.past.set(batch, view);
    for (const old of this.past.keys()) {
      if (this.past.size <= PAST_VIEWS) break;
      this.past.delete(old);
    }
  }

  private prove(batch: number, key: bigint, from: TreeName): ProveResult {
    const view = this.view(batch, from);
    return { root: view.root, proof: view.prove(key) };
  }

  /** Keep a view of `batch` beyond the recent window (the node pins the anchored batch). */
  private pin(batch: number, from: TreeName): TreeHead {
    const view = this.view(batch, from);
    this.pinned = { batch, view };
    if (from === "scratch") this.scratch = undefined;
    return { batch, root: view.root, size: view.size };
  }

  private remember(n: number, view: StateTreeView): void {
    this.recent.set(n, view);
    if (n % this.spacing === 0) {
      this.checkpoints.set(n, view);
      if (this.checkpoints.size > MAX_CHECKPOINTS) {
        // Thin out: keep every other checkpoint (0 stays), so the spacing doubles and memory stays bounded.
        this.spacing *= 2;
        for (const k of [...this.checkpoints.keys()]) if (k % this.spacing !== 0) this.checkpoints.delete(k);
      }
    }
    // Bounded: a view keeps alive the nodes its batch replaced (about steps × depth nodes each).
    for (const old of this.recent.keys()) {
      if (this.recent.size <= RECENT_VIEWS) break;
      this.recent.delete(old);
    }
  }
}

/** Tag an error with the index of the update that caused it (typed errors keep their code). */
function attributed(error: unknown, index: number): Error {
  if (error instanceof StateError) return new StateError(error.code, error.message, { details: { ...error.details, index } });
  if (error instanceof TinyCloudError) return new TreeWorkerError("TREE_BAD_MESSAGE", `update ${index}: ${error.message}`, { details: { index, code: error.code } });
  return new TreeWorkerError("TREE_BAD_MESSAGE", `update ${index}: ${error instanceof Error ? error.message : String(error)}`, { details: { index } });
}

if (!isMainThread && parentPort !== null && isRecord(workerData) && workerData["mark"] === TREE_WORKER_MARK) {
  const data = workerData as unknown as TreeWorkerData & { mark: string };
  if (data.nice > 0) {
    try {
      // Relative to the node's own niceness (a node started under `nice` would otherwise tie with it).
      setPriority(0, Math.min(19, getPriority(0) + data.nice));
    } catch {
      // Not permitted (some containers): run at the node's priority.
    }
  }
  const port = parentPort;
  // Messages wait in the port until the listener is attached, so none is lost while the backend loads.
  if (data.fastPoseidon !== false) await useFastPoseidon();
  const host = new TreeHost(data.depth);
  port.on("message", (message: unknown) => port.postMessage(host.handle(message)));
}

/**
 * Poseidon in JS (poseidon-lite) is most of the tree's cost; circomlibjs's wasm build of the same
 * function is ~4x faster. It is a dependency, yet its absence is tolerated (poseidon-lite stays), and
 * it is used only after it agrees with poseidon-lite on fixed and pseudo-random vectors.
 */
async function useFastPoseidon(): Promise<void> {
  try {
    await loadWebWorkerAsHost();
    // Only the Poseidon module: the package root also loads ethers, blake-hash and the rest of
    // circomlib, which have no business in this thread. (Its exports map hides the file: use its URL.)
    const circomlib = (await import(new URL("./src/poseidon_wasm.js", import.meta.resolve("circomlibjs")).href)) as { buildPoseidon(): Promise<WasmPoseidon> };
    const wasm = await circomlib.buildPoseidon();
    const hash = (inputs: bigint[]): bigint => wasm.F.toObject(wasm(inputs));
    const candidate: PoseidonBackend = { name: "circomlibjs-wasm", poseidon2: hash, poseidon3: hash, poseidon4: hash };
    if (!usePoseidonBackend(candidate, poseidonVectors())) console.error("state-tree worker: circomlibjs's Poseidon disagrees with poseidon-lite; using poseidon-lite");
  } catch {
    // Not installed or not loadable: poseidon-lite it is.
  }
}

/**
 * circomlibjs loads ffjavascript, which loads the `web-worker` package; that package decides when first
 * loaded whether it is inside one of its own workers by reading `worker_threads.isMainThread`, and in
 * this thread would take the worker side and hijack `parentPort`. Load it while `isMainThread` reads
 * true (the prover's thread-worker does the same). The wasm Poseidon itself runs single-threaded.
 */
async function loadWebWorkerAsHost(): Promise<void> {
  const threads = createRequire(import.meta.url)("node:worker_threads") as { isMainThread: boolean };
  const was = threads.isMainThread;
  threads.isMainThread = true;
  try {
    const specifier = "web-worker";
    await import(specifier);
  } finally {
    threads.isMainThread = was;
  }
}

interface WasmPoseidon {
  (inputs: bigint[]): Uint8Array;
  readonly F: { toObject(element: Uint8Array): bigint };
}

/** Edge values and a deterministic spread of field elements for arities 2, 3 and 4. */
function poseidonVectors(): bigint[][] {
  const edge = [0n, 1n, 2n, FIELD_MODULUS - 1n, (1n << 248n) - 1n];
  const out: bigint[][] = [];
  let x = 0x9e3779b97f4a7c15n;
  const next = () => {
    x = (x * 6364136223846793005n + 1442695040888963407n) % FIELD_MODULUS;
    return x;
  };
  for (const arity of [2, 3, 4]) {
    out.push(Array.from({ length: arity }, (_, i) => edge[i % edge.length] as bigint));
    out.push(Array.from({ length: arity }, () => FIELD_MODULUS - 1n));
    for (let k = 0; k < 8; k++) out.push(Array.from({ length: arity }, next));
  }
  return out;
}
