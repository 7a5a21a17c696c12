/**
 * Storage quotas (issue 12 §3): a per-space and a per-node bound on the bytes that writes store — the
 * value, the signed invocation event and the op block of every KV put and delete (history is kept, so a
 * space's usage only grows), and the signed bytes of every delegation stored into a hosted space.
 *
 * - A write that would take its space past `spaceQuotaBytes` is refused with 413 SPACE_QUOTA_EXCEEDED
 *   (the message says what remains); one that would take the node past `nodeQuotaBytes` with 507
 *   NODE_QUOTA_EXCEEDED. Nothing is stored for a refused write; reads are never refused.
 * - Usage per space is durable (bucket `spaceUsage`, written in the same atomic batch as the write it
 *   counts); the node's usage is their sum, rebuilt at start-up. Writes to one space are serialized by
 *   the space's lock, so the persisted per-space figure is exact; `reserve` checks and counts
 *   synchronously, so concurrent writes to different spaces cannot overrun the node bound together.
 */
import { HttpError } from "./http-error.js";
import type { Batch, NodeStore } from "../store/store.js";

export interface QuotaLimits {
  readonly spaceQuotaBytes: number;
  readonly nodeQuotaBytes: number;
}

export class StorageQuota {
  private readonly usage = new Map<string, number>();
  private nodeUsage = 0;

  private constructor(
    private readonly store: NodeStore,
    private readonly limits: QuotaLimits,
  ) {}

  static async load(store: NodeStore, limits: QuotaLimits): Promise<StorageQuota> {
    const quota = new StorageQuota(store, limits);
    for await (const { spaceId, bytes } of store.spaceUsages()) {
      quota.usage.set(spaceId, bytes);
      quota.nodeUsage += bytes;
    }
    return quota;
  }

  /** Bytes a space stores, as counted (for tests and operators). */
  spaceUsage(spaceId: string): number {
    return this.usage.get(spaceId) ?? 0;
  }

  /** Count `bytes` against the space and the node, or say why they do not fit (nothing is counted then). */
  reserve(spaceId: string, bytes: number): HttpError | undefined {
    const used = this.spaceUsage(spaceId);
    if (used + bytes > this.limits.spaceQuotaBytes) {
      return new HttpError(
        "SPACE_QUOTA_EXCEEDED",
        `this write needs ${bytes} bytes (value, invocation and op) and space ${spaceId} has ${Math.max(0, this.limits.spaceQuotaBytes - used)} of its ${this.limits.spaceQuotaBytes}-byte quota left`,
      );
    }
    if (this.nodeUsage + bytes > this.limits.nodeQuotaBytes) {
      return new HttpError(
        "NODE_QUOTA_EXCEEDED",
        `this node's storage quota is exhausted: the write needs ${bytes} bytes and ${Math.max(0, this.limits.nodeQuotaBytes - this.nodeUsage)} of ${this.limits.nodeQuotaBytes} remain; reads still work`,
      );
    }
    this.usage.set(spaceId, used + bytes);
    this.nodeUsage += bytes;
    return undefined;
  }

  /** Give back a reservation whose write was not stored. */
  release(spaceId: string, bytes: number): void {
    this.usage.set(spaceId, Math.max(0, this.spaceUsage(spaceId) - bytes));
    this.nodeUsage = Math.max(0, this.nodeUsage - bytes);
  }

  /** Persist the space's usage (reservations included) with the write that made it. */
  stage(batch: Batch, spaceId: string): void {
    this.store.putSpaceUsage(batch, spaceId, this.spaceUsage(spaceId));
  }
}
