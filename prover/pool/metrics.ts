/**
 * Prometheus metrics of the prover pipeline, in a registry of their own (so tests and several nodes in
 * one process do not collide in prom-client's global registry):
 *
 * - `tinycloud_prove_seconds{backend,circuit}` histogram: proving time per batch (witness excluded);
 * - `tinycloud_witness_seconds{backend,circuit}` histogram: witness time per batch;
 * - `tinycloud_proofs_total{backend,circuit,outcome}` counter: finished batches (outcome = proven|failed);
 * - `tinycloud_proof_queue_depth` gauge: jobs queued or running, read from the pool at scrape time;
 * - `tinycloud_batch_lag` gauge: batches cut but not yet proven/anchored, set by the node (`setBatchLag`).
 */
import type { FastifyInstance } from "fastify";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { ProofResult } from "../backends/backend.js";

export interface ProverMetrics {
  readonly registry: Registry;
  readonly proveSeconds: Histogram<"backend" | "circuit">;
  readonly witnessSeconds: Histogram<"backend" | "circuit">;
  readonly proofsTotal: Counter<"backend" | "circuit" | "outcome">;
  readonly queueDepth: Gauge;
  readonly batchLag: Gauge;
  /** Record a finished proof (pools call this). */
  observe(result: ProofResult): void;
  /** Record a batch that failed for good. */
  observeFailure(circuit: string, backend?: string): void;
  /** Read the queue depth from `source` at every scrape (replaces a previous source). */
  trackQueueDepth(source: () => Promise<number> | number): void;
  /** Set by the node: how many batches are behind (cut but not proven). */
  setBatchLag(batches: number): void;
  /** Prometheus text exposition. */
  text(): Promise<string>;
  readonly contentType: string;
}

/** Buckets from 50 ms (tiny test circuits) to 30 min (production epochs on CPU). */
const SECONDS_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

export function createProverMetrics(registry: Registry = new Registry()): ProverMetrics {
  let depthSource: (() => Promise<number> | number) | undefined;
  /** A per-batch duration in seconds, by backend and circuit. */
  const secondsHistogram = (name: string, help: string) => new Histogram({ name, help, labelNames: ["backend", "circuit"] as const, buckets: SECONDS_BUCKETS, registers: [registry] });
  const proveSeconds = secondsHistogram("tinycloud_prove_seconds", "Seconds spent proving one batch (witness generation excluded)");
  const witnessSeconds = secondsHistogram("tinycloud_witness_seconds", "Seconds spent computing the witness of one batch");
  const proofsTotal = new Counter({
    name: "tinycloud_proofs_total",
    help: "Batches whose proof finished, by outcome",
    labelNames: ["backend", "circuit", "outcome"] as const,
    registers: [registry],
  });
  const queueDepth = new Gauge({
    name: "tinycloud_proof_queue_depth",
    help: "Proof jobs queued or running",
    registers: [registry],
    async collect() {
      if (depthSource) this.set(await depthSource());
    },
  });
  const batchLag = new Gauge({
    name: "tinycloud_batch_lag",
    help: "Batches cut but not yet proven (set by the node)",
    registers: [registry],
  });
  return {
    registry,
    proveSeconds,
    witnessSeconds,
    proofsTotal,
    queueDepth,
    batchLag,
    observe(result) {
      const labels = { backend: result.backend, circuit: result.circuit };
      proveSeconds.observe(labels, result.proveSeconds);
      witnessSeconds.observe(labels, result.witnessSeconds);
      proofsTotal.inc({ ...labels, outcome: "proven" });
    },
    observeFailure(circuit, backend = "unknown") {
      proofsTotal.inc({ backend, circuit, outcome: "failed" });
    },
    trackQueueDepth(source) {
      depthSource = source;
    },
    setBatchLag(batches) {
      batchLag.set(batches);
    },
    text: () => registry.metrics(),
    contentType: registry.contentType,
  };
}

/** `GET <path>` (default `/metrics`) serving the registry in Prometheus text format. */
export function mountMetrics(app: FastifyInstance, metrics: ProverMetrics, path = "/metrics"): void {
  app.get(path, async (_request, reply) => {
    reply.header("content-type", metrics.contentType);
    return await metrics.text();
  });
}
