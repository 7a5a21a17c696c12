/**
 * Wiring of proofs into a running node. The node listens at once; the keys are built (or found in the
 * cache) in the background by a child process (key-build.ts), with progress and an estimate in
 * `status()` (the `keys` block of /rollup/status) and on the console. Meanwhile the sequencer cuts
 * batches as usual and they wait here, in order; once the keys are built and pass `checkKeys` (the
 * node's deployment pins them, the key policy allows them), the prover pool starts (embedded worker
 * threads, or BullMQ when a Redis URL is configured) and proves every waiting batch (and those a
 * previous run left unproven), then each new one. A failed build or a failed check is reported in
 * `status()` and on the console: the node keeps serving, batches stay cut (durable) and nothing is
 * proven with keys that did not pass. /metrics and, in Redis mode, the queue dashboard at
 * /admin/queues are mounted before the node listens.
 */
import type { FastifyInstance } from "fastify";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import type { UpdateWitness } from "../../core/state/state-tree.js";
import { groth16BackendSpec } from "../../prover/backends/groth16.js";
import { EmbeddedProverPool } from "../../prover/pool/embedded.js";
import { createProverMetrics, mountMetrics } from "../../prover/pool/metrics.js";
import type { ProverPool } from "../../prover/pool/types.js";
import { loadManifest, publishedPhase2, type CircuitBuild, type SetupPhase2 } from "../../prover/setup/artifacts.js";
import { BatchProver, type EpochCircuit } from "./batch-prover.js";
import type { BatchFailures } from "./batch-failures.js";
import { formatSeconds } from "../../prover/setup/progress.js";
import { startKeyBuild, type KeyBuild, type KeyBuilder } from "./key-build.js";
import type { RollupStore } from "./rollup-store.js";
import type { Sequencer } from "./sequencer.js";
import type { BatchRecord } from "./types.js";
import type { ProvingBacklog } from "./backlog.js";

/** Circuit → verification key (parsed) and the provenance file's content: what the key checks read. */
export type ProvingKeys = Readonly<Record<string, { readonly vkey: object; readonly provenance: unknown }>>;

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
  /** The setup cache (default <root>/.cache). */
  readonly cacheDir?: string;
  readonly quiet?: boolean;
  /** Where batches that fail to prove are reported (the sequencer's). */
  readonly failures?: BatchFailures;
  /**
   * Runs on the built keys before anything is proven with them; throwing (an error with a `code`)
   * refuses them: the node reports it and does not prove.
   */
  readonly checkKeys?: (keys: ProvingKeys) => void;
  /** Starts the key build (default: a child process running runSetup). */
  readonly buildKeys?: KeyBuilder;
  /** The un-proven backlog: told of every batch cut and proven here, its gauges on /metrics. */
  readonly backlog?: ProvingBacklog;
}

export type KeysState = "building" | "ready" | "failed";

/** The `keys` block of /rollup/status. Percent and ETA are an estimate (prover/setup/estimate.ts). */
export interface KeysStatus {
  readonly state: KeysState;
  readonly circuits: readonly string[];
  readonly circuit?: string;
  readonly phase?: string;
  readonly step?: number;
  readonly steps?: number;
  readonly percent?: number;
  readonly etaSeconds?: number;
  /** Always true: percent and etaSeconds come from a model calibrated as the build runs. */
  readonly estimate: true;
  /** Since the node started; once ready or failed, until then. */
  readonly elapsedSeconds: number;
  /** Batches cut while the keys were not ready, waiting to be proven. */
  readonly waitingBatches: number;
  readonly error?: { readonly code: string; readonly message: string };
}

export interface Proving {
  /** Key build and proving state, for /rollup/status. */
  status(): KeysStatus;
  /** Resolves once the keys passed their checks and the pool runs; rejects with the build's or the check's error. */
  readonly ready: Promise<void>;
  /** Resolves when the build's first estimate is known (or the build ended). */
  readonly planned: Promise<void>;
  /** Called with each batch's record once its proof is stored (the anchorer submits it). */
  onProven(listener: (record: BatchRecord) => void): void;
  close(): Promise<void>;
}

/**
 * Set up proving for the node without waiting for the keys: call before the node listens (it mounts
 * routes). Manifest errors (no circuit for the depth) still throw here.
 */
export async function startProving(app: FastifyInstance, rollup: RollupStore, sequencer: Sequencer, options: ProvingOptions): Promise<Proving> {
  const manifest = await loadManifest(new URL("../../circuits/circuits.json", import.meta.url).pathname);
  const entries = manifest.circuits.filter((c) => c.template === "EpochTransition" && Number(c.params[1]) === options.depth && (options.circuits === undefined || options.circuits.includes(c.name)));
  if (entries.length === 0) throw new Error(`circuits/circuits.json has no EpochTransition circuit for state-tree depth ${options.depth}`);
  const names = entries.map((e) => e.name);
  const circuits: EpochCircuit[] = entries.map((e) => ({ name: e.name, B: Number(e.params[0]), depth: options.depth }));
  const phase2 = options.phase2 ?? (await publishedPhase2(names));
  // The committed keys are what the build publishes unless the circuits changed: check them now, so a
  // node pointed at the wrong deployment (or an insecure key off the dev chain) refuses to start.
  const committed = await committedKeys(names);
  if (Object.keys(committed).length > 0) options.checkKeys?.(committed);
  const log = (line: string) => {
    if (options.quiet !== true) console.log(line);
  };
  const metrics = createProverMetrics();
  mountMetrics(app, metrics, "/metrics");
  // Redis mode: the queue exists before the keys (the workers have their own); its board mounts now.
  // bullmq and the board are loaded only in this mode (they cost the node's start-up ~0.5 s of CPU).
  let bullmq: ProverPool | undefined;
  if (options.redisUrl !== undefined && options.redisUrl !== "") {
    const [{ BullMqProverPool }, { mountQueueDashboard }] = await Promise.all([import("../../prover/pool/bullmq.js"), import("../../prover/pool/dashboard.js")]);
    const pool = new BullMqProverPool({ connection: options.redisUrl, metrics });
    void mountQueueDashboard(app, [pool.queue], { readOnly: true });
    bullmq = pool;
  }

  const startedAt = performance.now();
  let state: KeysState = "building";
  /** When the state left "building" (elapsedSeconds stops there). */
  let settledAt: number | undefined;
  let failure: { code: string; message: string } | undefined;
  let pool: ProverPool | undefined = bullmq;
  let prover: BatchProver | undefined;
  let closed = false;
  const waiting: { record: BatchRecord; witnesses: readonly UpdateWitness[] }[] = [];
  const provenListeners: ((record: BatchRecord) => void)[] = [];
  const { backlog } = options;
  if (backlog !== undefined) {
    backlog.registerMetrics(metrics.registry);
    // Registered before the prover exists: it attaches every listener here when the keys are ready.
    provenListeners.push((record) => backlog.batchProven(record.number, record.updates.length));
  }
  const prove = (p: BatchProver, record: BatchRecord, witnesses: readonly UpdateWitness[]) => {
    metrics.setBatchLag(sequencer.latestBatch - record.number + 1);
    void p.prove(record, witnesses).then(() => metrics.setBatchLag(Math.max(0, sequencer.latestBatch - record.number)));
  };
  // Batches left unproven by a previous run arrive first, then each new one; until the keys are
  // ready they wait here (their records are durable: a restart delivers them again).
  sequencer.onBatch((record, witnesses) => {
    backlog?.batchCut(record.number, record.updates.length);
    if (prover !== undefined) prove(prover, record, witnesses);
    else waiting.push({ record, witnesses });
  });

  const build: KeyBuild = (options.buildKeys ?? startKeyBuild)(
    {
      circuits: names,
      // Prove with the keys the published verifiers accept (those `tinycloud setup` or a ceremony made);
      // only reproducible dev keys may be rebuilt here, random ones must come from the cache.
      phase2,
      reuseOnly: phase2 !== "insecure-deterministic",
      ...(options.ptau !== undefined ? { ptau: options.ptau } : {}),
      ...(options.cacheDir !== undefined ? { cacheDir: options.cacheDir } : {}),
    },
    log,
  );

  const ready = (async () => {
    const builds = await build.done;
    const keys = await readKeys(builds);
    options.checkKeys?.(keys);
    if (closed) throw new Error("closed");
    const table = Object.fromEntries(builds.map((b) => [b.name, { wasm: b.wasm, zkey: b.zkey, vkey: b.verificationKey }]));
    pool ??= new EmbeddedProverPool({ backend: groth16BackendSpec({ circuits: table }), metrics });
    const p = new BatchProver(pool, rollup, circuits, options.depth, options.context, {
      ...(options.failures !== undefined ? { failures: options.failures } : {}),
      ...(options.quiet !== true ? { log } : {}),
    });
    for (const listener of provenListeners) p.onProven(listener);
    prover = p;
    state = "ready";
    settledAt = performance.now();
    const backlog = waiting.splice(0);
    log(`keys: ready (${names.join(", ")}) after ${formatSeconds((performance.now() - startedAt) / 1000)}${backlog.length > 0 ? `; proving the ${backlog.length} batch(es) cut meanwhile` : ""}`);
    for (const { record, witnesses } of backlog) prove(p, record, witnesses);
  })();
  ready.catch((error: unknown) => {
    if (closed) return;
    state = "failed";
    settledAt = performance.now();
    const e = error as { code?: unknown; message?: unknown };
    failure = { code: typeof e.code === "string" ? e.code : "KEYS_FAILED", message: typeof e.message === "string" ? e.message : String(error) };
    // Loud, and not a crash: the node keeps serving and keeps every batch cut (durable) for a later start.
    console.error(`keys: FAILED — ${failure.code}: ${failure.message}\nkeys: the node keeps serving and cutting batches, but proves nothing until this is fixed and the node restarted.`);
  });

  return {
    status: () => {
      const p = state === "building" ? build.progress() : undefined;
      return {
        state,
        circuits: names,
        ...(p?.circuit !== undefined ? { circuit: p.circuit } : {}),
        ...(p?.phase !== undefined ? { phase: p.phase } : {}),
        ...(p !== undefined ? { step: p.step, steps: p.steps, percent: Math.round(p.percent * 10) / 10 } : state === "ready" ? { percent: 100 } : {}),
        ...(p?.etaSeconds !== undefined ? { etaSeconds: Math.round(p.etaSeconds) } : {}),
        estimate: true,
        elapsedSeconds: Math.round(((settledAt ?? performance.now()) - startedAt) / 100) / 10,
        waitingBatches: waiting.length,
        ...(failure !== undefined ? { error: failure } : {}),
      };
    },
    ready,
    planned: build.planned,
    onProven: (listener) => {
      provenListeners.push(listener);
      prover?.onProven(listener);
    },
    close: async () => {
      closed = true;
      await build.close();
      // Not one after the other: the prover's in-flight proofs end only when the pool fails their jobs
      // (a shutdown must not wait for proofs; those batches are proven after a restart).
      await Promise.all([prover?.close(), pool?.close()]);
    },
  };
}

/** The built keys: the cache's verification keys and the provenance runSetup published. */
function readKeys(builds: readonly CircuitBuild[]): Promise<ProvingKeys> {
  return readKeyFiles(builds.map((b) => ({ name: b.name, vkey: b.verificationKey, provenance: b.published.provenance })));
}

/** The keys committed in circuits/keys (those with a verification key there). */
function committedKeys(names: readonly string[]): Promise<ProvingKeys> {
  const file = (name: string, kind: string) => new URL(`../../circuits/keys/${name}.${kind}.json`, import.meta.url).pathname;
  return readKeyFiles(names.filter((n) => existsSync(file(n, "vkey"))).map((name) => ({ name, vkey: file(name, "vkey"), provenance: file(name, "provenance") })));
}

async function readKeyFiles(files: readonly { name: string; vkey: string; provenance: string }[]): Promise<ProvingKeys> {
  const keys: Record<string, { vkey: object; provenance: unknown }> = {};
  for (const f of files) {
    const provenance = existsSync(f.provenance) ? (JSON.parse(await readFile(f.provenance, "utf8")) as unknown) : undefined;
    keys[f.name] = { vkey: JSON.parse(await readFile(f.vkey, "utf8")) as object, provenance };
  }
  return keys;
}
