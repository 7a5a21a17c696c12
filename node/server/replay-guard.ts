/**
 * Each invocation is usable once. The durable record (bucket `replay`) survives restarts; this
 * in-memory set closes the race between two copies of one token arriving at the same time, before
 * either is written. Entries leave memory once their token has expired (it can no longer verify).
 */
import { bytesToHex } from "../core/encoding.js";

export class ReplayGuard {
  private readonly seen = new Map<string, number>();
  private lastPrune = 0;

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
    for (const [key, expiration] of this.seen) if (expiration < now) this.seen.delete(key);
  }
}
