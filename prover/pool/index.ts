/**
 * Prover pool entry point for the node: `createProverPool` picks the mode — BullMQ when a Redis URL is
 * given (`--redis` / `REDIS_URL`), worker threads in this process otherwise.
 */
import type { BackendSpec } from "../backends/backend.js";
import { BullMqProverPool, type BullMqPoolOptions } from "./bullmq.js";
import { EmbeddedProverPool, type EmbeddedPoolOptions } from "./embedded.js";
import type { ProverMetrics } from "./metrics.js";
import type { ProverPool } from "./types.js";

export { BullMqProverPool, redisConnection, type BullMqPoolOptions, type ProofQueue } from "./bullmq.js";
export { EmbeddedProverPool, type EmbeddedPoolOptions } from "./embedded.js";
export { createProverMetrics, mountMetrics, type ProverMetrics } from "./metrics.js";
export { mountQueueDashboard, type DashboardOptions } from "./dashboard.js";
export { startProverWorker, type ProverWorkerHandle, type ProverWorkerOptions } from "./worker-main.js";
export { DEFAULT_QUEUE_NAME, batchJobId, type ProgressEvent, type ProgressListener, type ProverPool, type SubmitOptions } from "./types.js";

export interface CreateProverPoolOptions {
  /** Redis URL: BullMQ mode (provers are `tinycloud prover` processes). Absent: embedded mode. */
  readonly redisUrl?: string;
  /** Embedded mode: the backend the worker threads build. Ignored in BullMQ mode (workers choose theirs). */
  readonly backend?: BackendSpec;
  /** Embedded mode: worker threads (default 1). */
  readonly size?: number;
  readonly metrics?: ProverMetrics;
  readonly embedded?: Omit<EmbeddedPoolOptions, "backend" | "size" | "metrics">;
  readonly bullmq?: Omit<BullMqPoolOptions, "connection" | "metrics">;
}

export function createProverPool(options: CreateProverPoolOptions): ProverPool {
  const metrics = options.metrics === undefined ? {} : { metrics: options.metrics };
  if (options.redisUrl !== undefined && options.redisUrl !== "") {
    return new BullMqProverPool({ ...options.bullmq, connection: options.redisUrl, ...metrics });
  }
  if (!options.backend) throw new Error("createProverPool: embedded mode needs a backend spec (e.g. groth16BackendSpec({ artifactsDir }))");
  return new EmbeddedProverPool({ ...options.embedded, backend: options.backend, ...(options.size === undefined ? {} : { size: options.size }), ...metrics });
}
