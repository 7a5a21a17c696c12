/**
 * Batches that failed to cut or prove, for `/rollup/status`. A failure is isolated to its batch: the
 * sequencer and the prover retry it a bounded number of times with exponential backoff and then record
 * it here and move on; nothing is retried forever. Kept in memory: a restart retries unproven batches
 * (bounded again) and reports afresh.
 */

export type FailedStage = "cut" | "prove";

export interface FailedBatch {
  /** The batch number (for a cut: the number the batch was being cut as). */
  readonly number: number;
  readonly stage: FailedStage;
  /** The last error's code (typed errors) and message. */
  readonly code?: string;
  readonly error: string;
  readonly attempts: number;
  /** True while more attempts are scheduled; false once given up. */
  readonly retrying: boolean;
  /** Cut failures: the pending updates (by seq) held back from the batch. */
  readonly seqs?: readonly number[];
  readonly at: number;
}

/** Retry policy: `attempts` tries in all, waiting baseDelayMs · 4^(k-1) after the k-th failure. */
export interface RetryPolicy {
  readonly attempts: number;
  readonly baseDelayMs: number;
}

export function backoffMs(policy: RetryPolicy, failures: number): number {
  return policy.baseDelayMs * 4 ** Math.max(0, failures - 1);
}

/** The most entries kept (oldest dropped first), so a long-failing node cannot grow this without bound. */
const MAX_FAILED = 100;

export class BatchFailures {
  private readonly entries = new Map<string, FailedBatch>();

  record(entry: Omit<FailedBatch, "at">): void {
    // Updates held back from a cut keep their own entry: the batch number they were cut as is reused
    // by the next batch, which must not clear it.
    const id = entry.seqs === undefined ? `${entry.stage}:${entry.number}` : `${entry.stage}:${entry.number}:held:${entry.seqs.join(",")}`;
    this.entries.delete(id);
    this.entries.set(id, { ...entry, at: Date.now() });
    for (const old of this.entries.keys()) {
      if (this.entries.size <= MAX_FAILED) break;
      this.entries.delete(old);
    }
  }

  /** The batch got through after all (a later attempt): drop its retry entry (held-back updates stay reported). */
  clear(stage: FailedStage, number: number): void {
    this.entries.delete(`${stage}:${number}`);
  }

  list(): FailedBatch[] {
    return [...this.entries.values()].sort((a, b) => a.number - b.number || a.stage.localeCompare(b.stage));
  }
}

/** Text and code of an error for a report. */
export function describeError(error: unknown): { code?: string; error: string } {
  const code = typeof error === "object" && error !== null && typeof (error as { code?: unknown }).code === "string" ? (error as { code: string }).code : undefined;
  const message = error instanceof Error ? error.message : String(error);
  return code !== undefined ? { code, error: message } : { error: message };
}
