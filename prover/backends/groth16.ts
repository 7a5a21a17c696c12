/**
 * Groth16 backend on snarkjs 0.7.6.
 *
 * Per circuit, the witness-generator wasm is compiled once (circom_runtime `WitnessCalculatorBuilder`,
 * the same builder `snarkjs.wtns.calculate` uses) and the zkey is read once into memory; every job then
 * runs witness → `groth16.prove(zkeyBytes, wtnsBytes)` → `groth16.verify(vkey, ...)` without touching
 * the disk. Witness and prove are timed separately. A proof that does not verify is a bug (wrong zkey
 * for the wasm, corrupted artifact), so it throws a plain `Error`, never a typed error.
 */
import { readFile, stat } from "node:fs/promises";
import { isAbsolute, join, resolve as resolvePath } from "node:path";
import { ProverError, errorMessage, siblingModule, type BackendSpec, type ProgressFn, type ProofJob, type ProofResult, type ProverBackend } from "./backend.js";
import { buildWitnessCalculator, loadSnarkjs, terminateCurves, type WitnessCalculator } from "./snarkjs-api.js";

export interface CircuitArtifacts {
  /** circom `--wasm` output (`<name>_js/<name>.wasm`). */
  readonly wasm: string;
  /** Groth16 proving key. */
  readonly zkey: string;
  /** Verification key JSON (`snarkjs zkey export verificationkey`). */
  readonly vkey: string;
}

/** Where a circuit's artifacts are; `undefined` = unknown circuit. */
export type ArtifactResolver = (circuit: string) => CircuitArtifacts | undefined;

export interface Groth16BackendOptions {
  /** Verify every proof before returning it (default true; ~20–40 ms). */
  readonly verify?: boolean;
}

interface LoadedCircuit {
  readonly calculator: WitnessCalculator;
  readonly zkey: Uint8Array;
  readonly vkey: unknown;
}

export class Groth16Backend implements ProverBackend {
  readonly name = "groth16" as const;
  readonly #resolve: ArtifactResolver;
  readonly #verify: boolean;
  readonly #loaded = new Map<string, Promise<LoadedCircuit>>();

  constructor(resolve: ArtifactResolver, options: Groth16BackendOptions = {}) {
    this.#resolve = resolve;
    this.#verify = options.verify ?? true;
  }

  /** Load the circuit's wasm/zkey/vkey and start snarkjs' bn128 thread pool (the first proof otherwise pays ~0.4 s for it). */
  async warm(circuit: string): Promise<void> {
    await this.#load(circuit);
    await (await loadSnarkjs()).curves.getCurveFromName("bn128");
  }

  async prove(job: ProofJob, progress: ProgressFn): Promise<ProofResult> {
    progress(0, "load");
    const circuit = await this.#load(job.circuit);
    const snarkjs = await loadSnarkjs();

    progress(0.05, "witness");
    const w0 = performance.now();
    let wtns: Uint8Array;
    try {
      wtns = await circuit.calculator.calculateWTNSBin(job.input, false);
    } catch (error) {
      throw new ProverError("PROVER_WITNESS_FAILED", `witness for circuit "${job.circuit}" (batch ${job.batch}) failed: ${firstLine(error)}`, {
        cause: error,
        details: { circuit: job.circuit, batch: job.batch },
      });
    }
    const witnessSeconds = (performance.now() - w0) / 1000;

    progress(0.2, "prove");
    const p0 = performance.now();
    const { proof, publicSignals } = await snarkjs.groth16.prove(circuit.zkey, wtns);
    const proveSeconds = (performance.now() - p0) / 1000;

    if (this.#verify) {
      progress(0.9, "verify");
      const ok = await snarkjs.groth16.verify(circuit.vkey, publicSignals, proof);
      if (!ok) {
        throw new Error(`BUG: Groth16 proof for batch ${job.batch} (circuit "${job.circuit}") does not verify against its vkey — zkey/wasm/vkey mismatch?`);
      }
    }
    progress(1, "done");
    return { backend: "groth16", circuit: job.circuit, proof, publicSignals, proveSeconds, witnessSeconds };
  }

  async close(): Promise<void> {
    this.#loaded.clear();
    await terminateCurves();
  }

  #load(name: string): Promise<LoadedCircuit> {
    let loading = this.#loaded.get(name);
    if (!loading) {
      loading = this.#read(name);
      this.#loaded.set(name, loading);
      loading.catch(() => this.#loaded.delete(name));
    }
    return loading;
  }

  async #read(name: string): Promise<LoadedCircuit> {
    const artifacts = this.#resolve(name);
    if (!artifacts) throw new ProverError("PROVER_CIRCUIT_UNKNOWN", `no Groth16 artifacts for circuit "${name}"`, { details: { circuit: name } });
    const [wasm, zkey, vkeyText] = await Promise.all([readArtifact(name, "wasm", artifacts.wasm), readArtifact(name, "zkey", artifacts.zkey), readArtifact(name, "vkey", artifacts.vkey)]);
    let vkey: unknown;
    try {
      vkey = JSON.parse(new TextDecoder().decode(vkeyText));
    } catch (error) {
      throw new ProverError("PROVER_CIRCUIT_UNKNOWN", `verification key ${artifacts.vkey} is not JSON: ${errorMessage(error)}`, { cause: error });
    }
    const calculator = await buildWitnessCalculator(wasm);
    return { calculator, zkey, vkey };
  }
}

async function readArtifact(circuit: string, kind: string, path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    throw new ProverError("PROVER_CIRCUIT_UNKNOWN", `${kind} for circuit "${circuit}" not readable at ${path}: ${errorMessage(error)}`, {
      cause: error,
      details: { circuit, kind, path },
    });
  }
}

function firstLine(error: unknown): string {
  return (
    errorMessage(error)
      .split("\n")
      .filter((l) => l.trim() !== "")[0] ?? "unknown error"
  );
}

/** A fixed table `circuit → artifacts`; relative paths are resolved against `baseDir` (default cwd). */
export function tableResolver(table: Readonly<Record<string, CircuitArtifacts>>, baseDir = process.cwd()): ArtifactResolver {
  const abs = (p: string) => (isAbsolute(p) ? p : resolvePath(baseDir, p));
  return (circuit) => {
    if (!Object.hasOwn(table, circuit)) return undefined;
    const a = table[circuit] as CircuitArtifacts;
    return { wasm: abs(a.wasm), zkey: abs(a.zkey), vkey: abs(a.vkey) };
  };
}

/**
 * Conventional directory layout: `<dir>/<circuit>/<circuit>.zkey`, `<dir>/<circuit>/<circuit>.vkey.json`
 * and the circom output `<dir>/<circuit>/<circuit>_js/<circuit>.wasm`. Circuit names are restricted to
 * `[A-Za-z0-9_.-]` so a job cannot point outside `dir`.
 */
export function directoryResolver(dir: string): ArtifactResolver {
  return (circuit) => {
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(circuit)) return undefined;
    const base = join(dir, circuit);
    return { wasm: join(base, `${circuit}_js`, `${circuit}.wasm`), zkey: join(base, `${circuit}.zkey`), vkey: join(base, `${circuit}.vkey.json`) };
  };
}

/** JSON options for `createBackend` (what crosses into worker threads and `tinycloud prover`). */
export interface Groth16FactoryOptions extends Groth16BackendOptions {
  /** Explicit table `circuit → artifact paths`. Checked first. */
  readonly circuits?: Readonly<Record<string, CircuitArtifacts>>;
  /** Base for relative paths in `circuits` (default cwd). */
  readonly baseDir?: string;
  /** Directory in the `directoryResolver` layout; used for circuits not in `circuits`. */
  readonly artifactsDir?: string;
  /** Load these circuits when the backend starts (default: every circuit in `circuits`). */
  readonly preload?: readonly string[];
}

export async function createBackend(options: unknown = {}): Promise<Groth16Backend> {
  const o = (options ?? {}) as Groth16FactoryOptions;
  const table = o.circuits ? tableResolver(o.circuits, o.baseDir) : undefined;
  const dir = o.artifactsDir ? directoryResolver(o.artifactsDir) : undefined;
  if (!table && !dir) throw new ProverError("PROVER_BACKEND_UNAVAILABLE", "Groth16 backend needs `circuits` (a table of artifacts) or `artifactsDir`");
  const backend = new Groth16Backend((c) => table?.(c) ?? dir?.(c), o.verify === undefined ? {} : { verify: o.verify });
  for (const circuit of o.preload ?? Object.keys(o.circuits ?? {})) await backend.warm(circuit);
  return backend;
}

/** The spec pools use to build this backend in their workers. */
export function groth16BackendSpec(options: Groth16FactoryOptions): BackendSpec {
  return { module: siblingModule(import.meta.url, "groth16"), exportName: "createBackend", options };
}

/** Checks that every artifact of a table exists (for startup diagnostics). */
export async function checkArtifacts(artifacts: CircuitArtifacts): Promise<string[]> {
  const missing: string[] = [];
  for (const path of [artifacts.wasm, artifacts.zkey, artifacts.vkey]) {
    try {
      await stat(path);
    } catch {
      missing.push(path);
    }
  }
  return missing;
}
