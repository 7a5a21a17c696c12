/**
 * Admission control for the proving backlog (issue 12, "proving backlog"). Writes are accepted at
 * about 40/s while proving takes about 4 updates per 30 s on a small machine, so without a bound the
 * un-proven backlog (and the time until a write is proven and anchored) grows without limit.
 *
 * The backlog is every acknowledged state update not yet proven: the sequencer's pending updates (not
 * yet in a batch) plus the updates of batches cut but not proven. Past `limit` of them, writes are
 * refused with 429 BACKLOG_FULL and a `Retry-After` of the estimated time for proving to bring the
 * backlog back under the limit. Reads are never refused. The estimate comes from the recently measured
 * proving rate (updates proven over the last `RATE_WINDOW_MS`); before two batches are proven in that
 * window it is unknown, and Retry-After is `UNKNOWN_RETRY_SECONDS`.
 *
 * Only a proving node has a backlog: with `--no-prove`, batches are never proven by design.
 */
import { Gauge, type Registry } from "prom-client";
import { HttpError } from "../server/http-error.js";

/** How far back proven batches count towards the measured rate. */
const RATE_WINDOW_MS = 10 * 60 * 1000;
/** Retry-After while no proving rate has been measured yet. */
const UNKNOWN_RETRY_SECONDS = 30;
/** Retry-After never asks for more than this (a client should look again within the hour). */
const MAX_RETRY_SECONDS = 3600;

/** The `backlog` block of /rollup/status. */
export interface BacklogStatus {
  /** Un-proven updates: pending plus those in un-proven batches. */
  readonly updates: number;
  /** Updates not yet in a batch. */
  readonly pendingUpdates: number;
  /** Batches cut but not proven. */
  readonly unprovenBatches: number;
  /** Past this many un-proven updates writes get 429. */
  readonly limit: number;
  readonly admitting: boolean;
  /** Updates proven per second over the recent window; null until measured. */
  readonly provingRate: number | null;
  /** Estimated seconds until every un-proven update is proven at that rate; null when unknown. */
  readonly drainSeconds: number | null;
  /** Always true: the rate and the drain time are estimates. */
  readonly estimate: true;
}

export class ProvingBacklog {
  /** Batch number → its update count, for batches cut and not yet proven. */
  private readonly unproven = new Map<number, number>();
  private unprovenUpdates = 0;
  /** Proven batches in the rate window: when, and how many updates. */
  private readonly proven: { readonly at: number; readonly updates: number }[] = [];

  constructor(
    /** The sequencer's count of committed updates not yet in a batch. */
    private readonly pending: () => number,
    readonly limit: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** A batch was cut (or found un-proven at start-up). */
  batchCut(number: number, updates: number): void {
    if (this.unproven.has(number)) return;
    this.unproven.set(number, updates);
    this.unprovenUpdates += updates;
  }

  /** A batch's proof is stored. */
  batchProven(number: number, updates: number): void {
    const counted = this.unproven.get(number);
    if (counted !== undefined) {
      this.unproven.delete(number);
      this.unprovenUpdates -= counted;
    }
    this.proven.push({ at: this.now(), updates });
    this.trim();
  }

  /** Updates proven per second, from the proven batches in the window (the first one's updates only mark its start). */
  private rate(): number | undefined {
    this.trim();
    const [first] = this.proven;
    if (first === undefined || this.proven.length < 2) return undefined;
    const seconds = (this.now() - first.at) / 1000;
    const updates = this.proven.slice(1).reduce((sum, p) => sum + p.updates, 0);
    return seconds > 0 && updates > 0 ? updates / seconds : undefined;
  }

  private trim(): void {
    const from = this.now() - RATE_WINDOW_MS;
    while (this.proven.length > 2 && (this.proven[0] as { at: number }).at < from) this.proven.shift();
  }

  status(): BacklogStatus {
    const pendingUpdates = this.pending();
    const updates = pendingUpdates + this.unprovenUpdates;
    const rate = this.rate();
    return {
      updates,
      pendingUpdates,
      unprovenBatches: this.unproven.size,
      limit: this.limit,
      admitting: updates < this.limit,
      provingRate: rate === undefined ? null : Math.round(rate * 1000) / 1000,
      drainSeconds: rate === undefined ? null : Math.ceil(updates / rate),
      estimate: true,
    };
  }

  /** Refuse a write while the backlog is at or past the limit: 429 BACKLOG_FULL with Retry-After. */
  admit(): void {
    const pendingUpdates = this.pending();
    const updates = pendingUpdates + this.unprovenUpdates;
    if (updates < this.limit) return;
    const rate = this.rate();
    // Time for proving to bring the backlog back under the limit (the write then fits).
    const retry = rate === undefined ? UNKNOWN_RETRY_SECONDS : Math.min(MAX_RETRY_SECONDS, Math.max(1, Math.ceil((updates - this.limit + 1) / rate)));
    const drain = rate === undefined ? "the proving rate is not measured yet" : `at ${rate.toFixed(2)} updates/s, all of it in about ${Math.ceil(updates / rate)} s`;
    throw new HttpError("BACKLOG_FULL", `${updates} state updates are waiting to be proven (limit ${this.limit}; ${drain}); writes resume as proving catches up — retry after ${retry} s`, {
      headers: { "retry-after": String(retry) },
    });
  }

  /** Gauges on the node's /metrics registry, read at scrape time. */
  registerMetrics(registry: Registry): void {
    const status = () => this.status();
    const gauge = (name: string, help: string, read: (s: BacklogStatus) => number | null) =>
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          this.set(read(status()) ?? -1);
        },
      });
    gauge("tinycloud_backlog_updates", "State updates acknowledged but not yet proven (pending plus in un-proven batches)", (s) => s.updates);
    gauge("tinycloud_backlog_pending_updates", "State updates not yet in a batch", (s) => s.pendingUpdates);
    gauge("tinycloud_backlog_batches", "Batches cut but not yet proven", (s) => s.unprovenBatches);
    gauge("tinycloud_backlog_limit", "Un-proven updates past which writes get 429", (s) => s.limit);
    gauge("tinycloud_backlog_drain_seconds", "Estimated seconds to prove the backlog at the recent proving rate (-1: not measured yet)", (s) => s.drainSeconds);
  }
}
