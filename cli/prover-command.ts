/**
 * `tinycloud prover --redis URL --concurrency N`: the command-line wiring of a prover worker process
 * (prover/pool/worker-main.ts `startProverWorker`): options, the circuits' artifacts (built by the setup
 * pipeline when none are given), the backend, and clean exits on bad input.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve as resolvePath } from "node:path";
import { pathToFileURL } from "node:url";
import type { Command } from "commander";
import { builtinBackendName, builtinBackendSpec, errorMessage, type BackendSpec } from "../prover/backends/backend.js";
import type { CircuitArtifacts, Groth16FactoryOptions } from "../prover/backends/groth16.js";
import { startProverWorker } from "../prover/pool/worker-main.js";
import { DEFAULT_QUEUE_NAME } from "../prover/pool/types.js";

interface ProverCommandOptions {
  redis?: string;
  queue: string;
  prefix?: string;
  concurrency: string;
  backend: string;
  circuits?: string;
  artifacts?: string;
  setupCircuits: string;
  backendOptions?: string;
  backendModule?: string;
  stalledInterval: string;
  lockDuration: string;
  maxStalledCount: string;
  jobTimeout: string;
  quiet?: boolean;
}

/** Adds `tinycloud prover` to the CLI. */
export function registerProverCommand(program: Command): void {
  program
    .command("prover")
    .description("run a prover worker: take proof jobs from Redis (BullMQ) and prove them")
    .option("--redis <url>", "Redis URL (default: $REDIS_URL)")
    .option("--queue <name>", "queue name (must match the node's)", DEFAULT_QUEUE_NAME)
    .option("--prefix <prefix>", "Redis key prefix (must match the node's)")
    .option("-c, --concurrency <n>", "jobs proven at once, one worker thread each", "1")
    .option("--backend <name>", "proof system: groth16 (risc0 and sp1 fail with PROVER_BACKEND_NOT_WIRED)", "groth16")
    .option("--circuits <file>", "groth16: JSON table {circuit: {wasm, zkey, vkey}}; relative paths are relative to the file")
    .option("--artifacts <dir>", "groth16: artifact directory <dir>/<circuit>/{<circuit>.zkey, <circuit>.vkey.json, <circuit>_js/<circuit>.wasm}")
    .option(
      "--setup-circuits <names>",
      "groth16 without --circuits/--artifacts: use these circuits of circuits/circuits.json, built by `tinycloud setup` (built now if missing)",
      "epoch_transition_1,epoch_transition_4",
    )
    .option("--backend-options <json>", "JSON options for the backend (groth16: Groth16FactoryOptions)")
    .option("--backend-module <path>", "custom backend module exporting createBackend(options) (overrides --backend)")
    .option("--stalled-interval <ms>", "milliseconds between checks for jobs of dead workers", "30000")
    .option("--lock-duration <ms>", "job lock lifetime in milliseconds (renewed while proving)", "30000")
    .option("--max-stalled-count <n>", "times a job may be recovered from dead workers before it fails", "2")
    .option("--job-timeout <seconds>", "kill a proof after this many seconds (0 = no limit)", "0")
    .option("-q, --quiet", "log only errors")
    .action(async (o: ProverCommandOptions) => {
      const redis = o.redis ?? process.env.REDIS_URL;
      if (!redis) fail("--redis <url> (or REDIS_URL) is required");
      if (o.backend === "groth16" && o.backendModule === undefined && o.circuits === undefined && o.artifacts === undefined) {
        // Same checkout as the node: prove with the keys `tinycloud setup` built (building them if needed).
        const { publishedPhase2, runSetup } = await import("../prover/setup/artifacts.js");
        const { createReporter } = await import("../prover/setup/progress.js");
        const names = o.setupCircuits.split(",").filter(Boolean);
        // The keys the checkout's published verifiers accept, like the node (node/rollup/proving.ts).
        const phase2 = await publishedPhase2(names);
        const builds = await runSetup({ circuits: names, phase2, reuseOnly: phase2 !== "insecure-deterministic", reporter: createReporter({ silent: o.quiet === true }) });
        setupTable = Object.fromEntries(builds.map((b) => [b.name, { wasm: b.wasm, zkey: b.zkey, vkey: b.verificationKey }]));
      }
      const backend = backendFromOptions(o);
      const jobTimeout = int(o.jobTimeout, "--job-timeout", 0);
      const log = o.quiet ? () => undefined : (line: string) => console.log(`[prover ${process.pid}] ${line}`);
      const handle = await startProverWorker({
        redis,
        queueName: o.queue,
        ...(o.prefix === undefined ? {} : { prefix: o.prefix }),
        concurrency: int(o.concurrency, "--concurrency", 1),
        backend,
        stalledIntervalMs: int(o.stalledInterval, "--stalled-interval", 1),
        lockDurationMs: int(o.lockDuration, "--lock-duration", 1),
        maxStalledCount: int(o.maxStalledCount, "--max-stalled-count", 0),
        ...(jobTimeout > 0 ? { jobTimeoutMs: jobTimeout * 1000 } : {}),
        log,
      });
      console.log(`prover worker ready (pid ${process.pid}, queue ${o.queue}, concurrency ${o.concurrency}, backend ${o.backendModule ?? o.backend})`);
      const stop = (signal: string) => {
        console.log(`${signal}: finishing active jobs, then stopping`);
        void handle.close().then(() => process.exit(0));
      };
      process.once("SIGINT", () => stop("SIGINT"));
      process.once("SIGTERM", () => stop("SIGTERM"));
    });
}

function backendFromOptions(o: ProverCommandOptions): BackendSpec {
  let extra: Record<string, unknown> = {};
  if (o.backendOptions !== undefined) {
    try {
      extra = JSON.parse(o.backendOptions) as Record<string, unknown>;
    } catch (error) {
      fail(`--backend-options is not JSON: ${errorMessage(error)}`);
    }
  }
  if (o.backendModule !== undefined) return { module: pathToFileURL(resolvePath(o.backendModule)).href, exportName: "createBackend", options: { ...circuitOptions(o), ...extra } };
  const name = builtinBackendName(o.backend);
  const g = { ...circuitOptions(o), ...extra } as Groth16FactoryOptions;
  if (!g.circuits && !g.artifactsDir) fail("groth16 needs --circuits <file> or --artifacts <dir>");
  return builtinBackendSpec(name, g);
}

/** Artifacts of the circuits built by the setup pipeline (set when no --circuits/--artifacts is given). */
let setupTable: Record<string, CircuitArtifacts> | undefined;

function circuitOptions(o: ProverCommandOptions): Partial<Groth16FactoryOptions> {
  const out: { circuits?: Record<string, CircuitArtifacts>; baseDir?: string; artifactsDir?: string } = {};
  if (setupTable !== undefined) out.circuits = setupTable;
  if (o.circuits !== undefined) {
    const file = resolvePath(o.circuits);
    try {
      out.circuits = JSON.parse(readFileSync(file, "utf8")) as Record<string, CircuitArtifacts>;
    } catch (error) {
      fail(`cannot read --circuits ${file}: ${errorMessage(error)}`);
    }
    out.baseDir = dirname(file);
  }
  if (o.artifacts !== undefined) out.artifactsDir = resolvePath(o.artifacts);
  return out;
}

function int(text: string, flag: string, min: number): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min) fail(`${flag} must be an integer >= ${min}, got "${text}"`);
  return n;
}

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}
