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
import { StorageFullError } from "../store/disk-space.js";
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

/**
 * Replay records of reads answered while the disk was full, at most this many (about 100 bytes each);
 * past it, reads are refused with 507 too (fail closed).
 */
export const MAX_UNDURABLE_REPLAY_RECORDS = 100_000;

/**
 * Group commit of replay records for reads: all reads answered in one tick share one batch write.
 *
 * Disk full: the record of a read cannot be written, and a read must still be served. The guard stays
 * correct while the process runs: it is authoritative in memory (`ReplayGuard.claim` already refused
 * any second use before the read got here), so the record is kept in memory (bounded) and written as
 * soon as writes succeed again. What is lost is only the restart case: a node restarted while still
 * degraded forgets these tokens, so a read token could be used once more within its remaining lifetime
 * (at most `invocationMaxLifetimeSeconds`) — to read what that same token already authorized, subject
 * to revocation and expiry as always. Writes never take this path: their records go into the write's
 * own batch, which is refused as a whole with 507.
 */
export class ReplayRecorder {
  private pending: { hash: Uint8Array; expiration: number; done: () => void; fail: (e: unknown) => void }[] = [];
  private scheduled = false;
  /** Records of reads answered while the disk was full, by token hash (written on recovery). */
  private readonly undurable = new Map<string, { hash: Uint8Array; expiration: number }>();

  constructor(private readonly store: NodeStore) {
    store.onRecovered(() => void this.persistUndurable());
  }

  /** Records kept only in memory (the disk was full when they were made). */
  get undurableCount(): number {
    return this.undurable.size;
  }

  private async persistUndurable(): Promise<void> {
    const now = Date.now() / 1000;
    const records = [...this.undurable.values()].filter((r) => r.expiration >= now);
    if (records.length === 0) {
      this.undurable.clear();
      return;
    }
    const batch = new Batch();
    for (const r of records) this.store.putReplay(batch, r.hash, r.expiration);
    try {
      await this.store.write(batch);
      for (const r of records) this.undurable.delete(bytesToHex(r.hash));
    } catch {
      // Still full (the store marks it again and calls back on the next recovery).
    }
  }

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
      if (error instanceof StorageFullError && this.keepUndurable(group)) {
        for (const p of group) p.done();
        return;
      }
      for (const p of group) p.fail(error);
    }
  }

  private keepUndurable(group: readonly { hash: Uint8Array; expiration: number }[]): boolean {
    if (this.undurable.size + group.length > MAX_UNDURABLE_REPLAY_RECORDS) {
      const now = Date.now() / 1000;
      for (const [key, r] of this.undurable) if (r.expiration < now) this.undurable.delete(key);
      if (this.undurable.size + group.length > MAX_UNDURABLE_REPLAY_RECORDS) return false;
    }
    for (const { hash, expiration } of group) this.undurable.set(bytesToHex(hash), { hash, expiration });
    return true;
  }
}
