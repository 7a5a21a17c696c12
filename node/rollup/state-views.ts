/**
 * State trees at the batch boundaries a reader cares about. The sequencer owns the latest tree; a light
 * client checks values against the root the chain stores, which lags it (proving + anchoring take
 * seconds), so this keeps a view of the tree at the latest anchored batch, advanced as the anchorer
 * confirms batches. Views are O(1) snapshots the sequencer keeps for recent batches; an older batch is
 * rebuilt by replaying the stored batch records.
 */
import { StateTree, type StateTreeView } from "../core/state-tree.js";
import type { RollupStore } from "./rollup-store.js";
import type { Sequencer } from "./sequencer.js";

export class StateViews {
  private anchoredTree: StateTreeView;
  private anchored = 0;
  private advancing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly rollup: RollupStore,
    private readonly sequencer: Sequencer,
    private readonly depth: number,
  ) {
    this.anchoredTree = new StateTree(depth);
  }

  static async open(rollup: RollupStore, sequencer: Sequencer, depth: number): Promise<StateViews> {
    const views = new StateViews(rollup, sequencer, depth);
    // Batches anchor strictly in order: the highest anchored record is the anchored batch.
    let anchored = 0;
    for (let n = sequencer.latestBatch; n >= 1; n--) {
      if ((await rollup.batch(n))?.status === "anchored") {
        anchored = n;
        break;
      }
    }
    await views.advanceTo(anchored);
    return views;
  }

  get anchoredBatch(): number {
    return this.anchored;
  }

  get anchoredRoot(): bigint {
    return this.anchoredTree.root;
  }

  /** The anchorer confirmed batch `n` (and so every batch before it). */
  advanceTo(n: number): Promise<void> {
    this.advancing = this.advancing.then(async () => {
      if (n <= this.anchored) return;
      this.anchoredTree = this.sequencer.viewAt(n) ?? (await this.rebuild(n));
      this.anchored = n;
    });
    return this.advancing;
  }

  /** The tree after batch `n` (0 = genesis). Throws RangeError for a batch that does not exist. */
  async treeAt(n: number): Promise<StateTreeView> {
    const latest = this.sequencer.latestBatch;
    if (!Number.isSafeInteger(n) || n < 0 || n > latest) throw new RangeError(`no batch ${n} (latest is ${latest})`);
    if (n === latest) return this.sequencer.snapshot();
    await this.advancing;
    if (n === this.anchored) return this.anchoredTree;
    return this.sequencer.viewAt(n) ?? (await this.rebuild(n));
  }

  /** The tree after batch `n`, replayed from genesis (batches older than the sequencer's recent views). */
  private async rebuild(n: number): Promise<StateTreeView> {
    const tree = new StateTree(this.depth);
    await this.replay(tree, 1, n);
    return tree;
  }

  private async replay(tree: StateTree, from: number, to: number): Promise<void> {
    for (let b = from; b <= to; b++) {
      const record = await this.rollup.batch(b);
      if (record === undefined) throw new Error(`rollup batch ${b} is missing from the store`);
      for (const update of record.updates) tree.set(BigInt(update.key), BigInt(update.value));
      if (tree.root.toString() !== record.newRoot) throw new Error(`rollup batch ${b}: replay gives ${tree.root}, the record says ${record.newRoot}`);
    }
  }
}
