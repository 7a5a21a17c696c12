/**
 * State trees at the batch boundaries a reader cares about. The sequencer owns the latest tree; a light
 * client checks values against the root the chain stores, which lags it (proving + anchoring take
 * seconds), so this tracks the latest anchored batch, advanced as the anchorer confirms batches, and has
 * the tree worker keep (pin) a view of it. Views are O(1) snapshots in the worker for recent batches; an
 * older batch is rebuilt there by replaying the stored batch records. Nothing here hashes: roots come
 * from the batch records, proofs from the worker.
 */
import type { RollupStore } from "./rollup-store.js";
import type { Sequencer } from "./sequencer.js";
import type { ProveResult } from "./tree-protocol.js";

export class StateViews {
  private anchored = 0;
  private anchoredRootValue: bigint;
  private advancing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly rollup: RollupStore,
    private readonly sequencer: Sequencer,
  ) {
    this.anchoredRootValue = sequencer.genesisRoot;
  }

  static async open(rollup: RollupStore, sequencer: Sequencer): Promise<StateViews> {
    const views = new StateViews(rollup, sequencer);
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
    return this.anchoredRootValue;
  }

  /** The anchorer confirmed batch `n` (and so every batch before it). */
  advanceTo(n: number): Promise<void> {
    const run = this.advancing.then(async () => {
      if (n <= this.anchored) return;
      const record = await this.rollup.batch(n);
      if (record === undefined) throw new Error(`rollup batch ${n} is missing from the store`);
      // Pinning only saves a replay for anchored proofs later: a failure here must not stop the view advancing.
      await this.sequencer.pin(n).catch((error: unknown) => console.error(`state views: keeping a view of batch ${n} failed:`, error));
      this.anchored = n;
      this.anchoredRootValue = BigInt(record.newRoot);
    });
    // One failed advance must not poison the next ones (nor every proof that waits for them).
    this.advancing = run.catch((error: unknown) => console.error(`state views: advancing to batch ${n} failed:`, error));
    return run;
  }

  /** A proof for `key` against the root after batch `n` (0 = genesis). Throws RangeError for a batch that does not exist. */
  async proveAt(n: number, key: bigint): Promise<ProveResult> {
    const latest = this.sequencer.latestBatch;
    if (!Number.isSafeInteger(n) || n < 0 || n > latest) throw new RangeError(`no batch ${n} (latest is ${latest})`);
    await this.advancing;
    return this.sequencer.proveAt(n, key);
  }
}
