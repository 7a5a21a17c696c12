/**
 * Each invocation is usable once. The guard is authoritative in memory: at start-up it loads every
 * durable replay record whose token has not expired (bucket `replay`), and from then on every token
 * is claimed here synchronously, so two copies arriving together cannot both pass. Records reach the
 * store with the write they authorize (KV writes) or through `ReplayRecorder` (reads), and a request
 * is answered only after its record is durable, so a restart never forgets an answered token.
 * Memory stays bounded: invocations live at most `invocationMaxLifetimeSeconds`, and expired entries
 * are dropped once they are older than the clock-skew tolerance (past `exp + skew` a token fails its
 * time check anyway; before that it is still accepted, so it must still be remembered).
 */
import { bytesToHex } from "../../core/encoding.js";
import { Batch, type NodeStore } from "../store/store.js";

export class ReplayGuard {
  private readonly seen = new Map<string, number>();
  private lastPrune = 0;

  private constructor(private readonly clockSkewSeconds: number) {}

  static async load(store: NodeStore, now: number, clockSkewSeconds = 0): Promise<ReplayGuard> {
    const guard = new ReplayGuard(clockSkewSeconds);
    for await (const { hash, expiration } of store.replayRecords()) {
      if (expiration + clockSkewSeconds >= now) guard.seen.set(bytesToHex(hash), expiration);
    }
    return guard;
  }

  /** Claim a token hash; false if it was already claimed. */
  claim(hash: Uint8Array, expiration: number, now: number): boolean {
    if (now - this.lastPrune > 30) this.prune(now);
    const key = bytesToHex(hash);
    if (this.seen.has(key)) return false;
    this.seen.set(key, expiration);
    return true;
  }

  private prune(now: number): void {
    this.lastPrune = now;
    for (const [key, expiration] of this.seen) if (expiration + this.clockSkewSeconds < now) this.seen.delete(key);
  }
}

/** Group commit of replay records for reads: all reads answered in one tick share one batch write. */
export class ReplayRecorder {
  private pending: { hash: Uint8Array; expiration: number; done: () => void; fail: (e: unknown) => void }[] = [];
  private scheduled = false;

  constructor(private readonly store: NodeStore) {}

  record(hash: Uint8Array, expiration: number): Promise<void> {
    return new Promise((done, fail) => {
      this.pending.push({ hash, expiration, done, fail });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    const group = this.pending;
    this.pending = [];
    this.scheduled = false;
    const batch = new Batch();
    for (const p of group) this.store.putReplay(batch, p.hash, p.expiration);
    try {
      await this.store.write(batch);
      for (const p of group) p.done();
    } catch (error) {
      for (const p of group) p.fail(error);
    }
  }
}
