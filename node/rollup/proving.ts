/**
 * Wiring of proofs into a running node: build (or load from cache) the epoch-transition circuits for the
 * node's state-tree depth with the setup pipeline, start the prover pool (embedded worker threads, or
 * BullMQ when a Redis URL is configured), prove every batch the sequencer cuts (and those a previous
 * run left unproven), and expose /metrics and, in Redis mode, the queue dashboard at /admin/queues.
 */
import type { FastifyInstance } from "fastify";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { groth16BackendSpec } from "../../prover/backends/groth16.js";
import { BullMqProverPool, createProverMetrics, createProverPool, mountMetrics, mountQueueDashboard } from "../../prover/pool/index.js";
import type { ProverPool } from "../../prover/pool/types.js";
import { loadManifest, publishedPhase2, runSetup, type SetupPhase2 } from "../../prover/setup/artifacts.js";
import { createReporter } from "../../prover/setup/progress.js";
import { BatchProver, type EpochCircuit } from "./batch-prover.js";
import type { RollupStore } from "./rollup-store.js";
import type { Sequencer } from "./sequencer.js";
import type { BatchFailures } from "./batch-failures.js";

export interface ProvingOptions {
  readonly depth: number;
  readonly context: bigint;
  /** BullMQ mode when set. */
  readonly redisUrl?: string;
  /** Restrict to these manifest circuits (default: every EpochTransition of the depth). */
  readonly circuits?: readonly string[];
  /** A ceremony ptau for production keys (default: the INSECURE dev ptau). */
  readonly ptau?: string;
  /** Phase 2 of the keys to prove with (default: the mode of the published keys in circuits/keys). */
  readonly phase2?: SetupPhase2;
  readonly quiet?: boolean;
  /** Where batches that fail to prove are reported (the sequencer's). */
  readonly failures?: BatchFailures;
}

export interface Proving {
  readonly pool: ProverPool;
  readonly prover: BatchProver;
  /** The keys it proves with: circuit → verification key (parsed) and the provenance file's content. */
  readonly keys: Readonly<Record<string, { readonly vkey: object; readonly provenance: unknown }>>;
  close(): Promise<void>;
}

export async function startProving(app: FastifyInstance, rollup: RollupStore, sequencer: Sequencer, options: ProvingOptions): Promise<Proving> {
  const manifest = await loadManifest(new URL("../../circuits/circuits.json", import.meta.url).pathname);
  const entries = manifest.circuits.filter(
    (c) => c.template === "EpochTransition" && Number(c.params[1]) === options.depth && (options.circuits === undefined || options.circuits.includes(c.name)),
  );
  if (entries.length === 0) throw new Error(`circuits/circuits.json has no EpochTransition circuit for state-tree depth ${options.depth}`);
  const names = entries.map((e) => e.name);
  const phase2 = options.phase2 ?? (await publishedPhase2(names));
  const builds = await runSetup({
    circuits: names,
    // Prove with the keys the published verifiers accept (those `tinycloud setup` or a ceremony made);
    // only reproducible dev keys may be rebuilt here, random ones must come from the cache.
    phase2,
    reuseOnly: phase2 !== "insecure-deterministic",
    ...(options.ptau !== undefined ? { ptau: options.ptau } : {}),
    reporter: createReporter({ silent: options.quiet === true }),
  });
  const circuits: EpochCircuit[] = entries.map((e) => ({ name: e.name, B: Number(e.params[0]), depth: options.depth }));
  const keys: Record<string, { vkey: object; provenance: unknown }> = {};
  for (const b of builds) {
    const provenance = existsSync(b.published.provenance) ? (JSON.parse(await readFile(b.published.provenance, "utf8")) as unknown) : undefined;
    keys[b.name] = { vkey: JSON.parse(await readFile(b.verificationKey, "utf8")) as object, provenance };
  }
  const table = Object.fromEntries(builds.map((b) => [b.name, { wasm: b.wasm, zkey: b.zkey, vkey: b.verificationKey }]));
  const metrics = createProverMetrics();
  const pool = createProverPool({ ...(options.redisUrl !== undefined ? { redisUrl: options.redisUrl } : {}), backend: groth16BackendSpec({ circuits: table }), metrics });
  const prover = new BatchProver(pool, rollup, circuits, options.depth, options.context, options.failures !== undefined ? { failures: options.failures } : {});
  mountMetrics(app, metrics, "/metrics");
  if (pool instanceof BullMqProverPool) mountQueueDashboard(app, [pool.queue], { readOnly: true });
  sequencer.onBatch((record, witnesses) => {
    metrics.setBatchLag(sequencer.latestBatch - record.number + 1);
    void prover.prove(record, witnesses).then(() => metrics.setBatchLag(Math.max(0, sequencer.latestBatch - record.number)));
  });
  return {
    pool,
    prover,
    keys,
    close: async () => {
      await prover.close();
      await pool.close();
    },
  };
}
