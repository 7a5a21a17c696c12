/**
 * The one job interface both pool modes implement: the node submits `ProofJob`s and gets
 * `ProofResult`s back, with progress events on the way, without knowing whether the provers run in
 * worker threads of its own process (`EmbeddedProverPool`) or in `tinycloud prover` processes behind
 * Redis (`BullMqProverPool`).
 */
import { ProverError, assertProofJob, type ProofJob, type ProofResult } from "../backends/backend.js";

export type { ProofJob, ProofResult } from "../backends/backend.js";

export interface ProgressEvent {
  readonly batch: number;
  /** 0..1 */
  readonly fraction: number;
  readonly phase: string;
}

export type ProgressListener = (event: ProgressEvent) => void;

/** Why a pool refuses a submitted job (it is closed, or the job is malformed); undefined when it takes it. */
export function submitRefusal(closed: boolean, job: ProofJob): Error | undefined {
  if (closed) return new ProverError("PROVER_POOL_CLOSED", "prover pool is closed");
  try {
    assertProofJob(job);
  } catch (error) {
    return error as Error;
  }
  return undefined;
}

/** A submitted proof as a pool holds it: its promise, how to settle it, and the progress listeners of everyone waiting on it. */
export interface PendingProof {
  readonly promise: Promise<ProofResult>;
  readonly resolve: (result: ProofResult) => void;
  readonly reject: (error: Error) => void;
  readonly listeners: Set<ProgressListener>;
}

/** A fresh PendingProof, listened to by `onProgress` where the submitter gave one. */
export function pendingProof(onProgress?: ProgressListener): PendingProof {
  const { promise, resolve, reject } = Promise.withResolvers<ProofResult>();
  const listeners = new Set<ProgressListener>();
  if (onProgress) listeners.add(onProgress);
  return { promise, resolve, reject, listeners };
}

export interface SubmitOptions {
  /** Progress of this batch only (also delivered to `onProgress` listeners). */
  readonly onProgress?: ProgressListener;
}

export interface ProverPool {
  readonly mode: "embedded" | "bullmq";
  /**
   * Prove a batch. Idempotent by batch number: while a batch is queued, running or (kept as) done,
   * submitting it again returns the same result without proving again. Submitting the same batch with
   * a different circuit or input fails with PROVER_JOB_CONFLICT (embedded mode; in BullMQ mode the
   * first submission's data wins, as the queue keeps one job per `batch-<n>`). A batch whose proof
   * failed for good can be submitted again to retry it.
   */
  submit(job: ProofJob, options?: SubmitOptions): Promise<ProofResult>;
  /** The result of a finished batch, if this pool (or the queue) still has it. */
  result(batch: number): Promise<ProofResult | undefined>;
  /** Subscribe to progress of every batch; returns the unsubscribe function. */
  onProgress(listener: ProgressListener): () => void;
  /** Jobs queued or running. */
  depth(): Promise<number>;
  close(): Promise<void>;
}

/** Queue job id of a batch (BullMQ mode); also the idempotence key. */
export function batchJobId(batch: number): string {
  return `batch-${batch}`;
}

export const DEFAULT_QUEUE_NAME = "tinycloud-proofs";
