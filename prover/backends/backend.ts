/**
 * The prover backend interface (today one proof system: snarkjs Groth16) and the typed errors
 * backends fail with.
 *
 * A backend turns one `ProofJob` (a batch number, a circuit/program name and its input) into one
 * `ProofResult`. Pools (`prover/pool/`) never look inside proofs: they move jobs and results between
 * the node and the processes that hold the loaded backends. Because a backend has to be built inside
 * a worker thread or another process, pools do not receive backend objects but a `BackendSpec`: the
 * URL of a module and the name of a factory it exports, plus JSON options for that factory.
 */
import { pathToFileURL } from "node:url";
import { TinyCloudError, type ErrorDetails, type TinyCloudErrorOptions } from "../../core/errors.js";

export type BackendName = "groth16";

/**
 * Backend names that earlier versions accepted but that cannot prove a batch as wired: their public
 * signals never matched the batch prover's check, no guest program existed, and no contract implements
 * `IBatchVerifier` for them. Selecting one fails with PROVER_BACKEND_NOT_WIRED instead of "unknown".
 */
const NOT_WIRED_BACKENDS: ReadonlySet<string> = new Set(["risc0", "sp1"]);

/** `name` as a built-in backend, or a typed error: PROVER_BACKEND_NOT_WIRED (zkVMs) or PROVER_BACKEND_UNAVAILABLE. */
export function builtinBackendName(name: string): BackendName {
  if (name === "groth16") return name;
  if (NOT_WIRED_BACKENDS.has(name)) {
    throw new ProverError("PROVER_BACKEND_NOT_WIRED", `the ${name} backend is not wired: zkVM proofs (RISC Zero, SP1) return with the verifiable-compute issue; use --backend groth16`, {
      details: { backend: name },
    });
  }
  throw new ProverError("PROVER_BACKEND_UNAVAILABLE", `unknown backend "${name}": the built-in backend is groth16 (or pass --backend-module)`, { details: { backend: name } });
}

export interface ProofJob {
  /** Batch number; pools use it as the job's identity (`batch-<n>`), so it must be a safe non-negative integer. */
  readonly batch: number;
  /** Circuit that proves this batch. */
  readonly circuit: string;
  /** Circuit input (signal name → value) or guest input; must survive JSON. */
  readonly input: Record<string, unknown>;
}

export interface ProofResult {
  readonly backend: BackendName;
  readonly circuit: string;
  /** The proof in the backend's own JSON form (for Groth16: the snarkjs proof object). */
  readonly proof: unknown;
  /** Public signals as decimal strings. */
  readonly publicSignals: string[];
  /** Wall-clock seconds spent proving (excluding witness generation). */
  readonly proveSeconds: number;
  /** Wall-clock seconds spent computing the witness. */
  readonly witnessSeconds: number;
}

/** `fraction` in [0, 1]; `phase` names the step ("load", "witness", "prove", "verify", ...). */
export type ProgressFn = (fraction: number, phase: string) => void;

export interface ProverBackend {
  readonly name: BackendName;
  prove(job: ProofJob, progress: ProgressFn): Promise<ProofResult>;
  /** Load what `circuit` needs ahead of the first job (optional; `prove` loads lazily otherwise). */
  warm?(circuit: string): Promise<void>;
  /** Release threads, child processes and memory. */
  close?(): Promise<void>;
}

/** Builds a backend from JSON options; exported by the module a `BackendSpec` names. */
export type BackendFactory = (options: unknown) => ProverBackend | Promise<ProverBackend>;

/** A serializable recipe for a backend: `import(module)[exportName](options)`. */
export interface BackendSpec {
  /** Module URL (`file://...`) or absolute path. */
  readonly module: string;
  /** Factory export; default `createBackend`. */
  readonly exportName?: string;
  /** JSON-serializable options given to the factory. */
  readonly options?: unknown;
}

export async function loadBackend(spec: BackendSpec): Promise<ProverBackend> {
  const url = spec.module.startsWith("file:") || spec.module.includes("://") ? spec.module : pathToFileURL(spec.module).href;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (error) {
    throw new ProverError("PROVER_BACKEND_UNAVAILABLE", `cannot load backend module ${spec.module}: ${errorMessage(error)}`, { cause: error });
  }
  const exportName = spec.exportName ?? "createBackend";
  const factory = mod[exportName];
  if (typeof factory !== "function") {
    throw new ProverError("PROVER_BACKEND_UNAVAILABLE", `backend module ${spec.module} has no factory export "${exportName}"`);
  }
  return await (factory as BackendFactory)(spec.options);
}

/**
 * Spec of a built-in backend (`prover/backends/<name>`). Options: `Groth16FactoryOptions`.
 */
export function builtinBackendSpec(name: BackendName, options: unknown): BackendSpec {
  return { module: siblingModule(import.meta.url, name), exportName: "createBackend", options };
}

/** The URL of a sibling module of `base`, keeping `base`'s extension (`.ts` under tsx, `.js` when compiled). */
export function siblingModule(base: string, name: string): string {
  const ext = base.endsWith(".ts") ? ".ts" : ".js";
  return new URL(`./${name}${ext}`, base).href;
}

/**
 * execArgv for a worker thread whose entry is `entry` (a siblingModule URL). Running from TypeScript
 * sources (tsx), the worker needs tsx too: `node --import tsx` passes it on through the inherited
 * execArgv, but tsx registered programmatically (`bin/tinycloud.js` does `register()`) is not
 * inherited, and Node's own type stripping does not map `./x.js` imports to `x.ts`. So add
 * `--import <tsx loader>` unless it is already there; undefined means "inherit as is".
 */
export function workerExecArgv(entry: string): string[] | undefined {
  if (!entry.endsWith(".ts")) return undefined;
  const args = process.execArgv;
  const hasTsx = args.some((a, i) => /(^|[/=])tsx(\/|$)|tsx\/dist\/(loader|esm)/.test(a) && (a.startsWith("--import") || args[i - 1] === "--import"));
  if (hasTsx) return undefined;
  try {
    return [...args, "--import", import.meta.resolve("tsx")];
  } catch {
    return undefined;
  }
}

export type ProverErrorCode =
  /** No artifacts / guest program for the job's circuit name, or an artifact file is missing. */
  | "PROVER_CIRCUIT_UNKNOWN"
  /** The circuit rejected the input (assertion failed, unknown or missing signal). */
  | "PROVER_WITNESS_FAILED"
  /** The backend's toolchain or binary is not installed / not loadable, or no backend has that name. */
  | "PROVER_BACKEND_UNAVAILABLE"
  /** The backend was named (risc0, sp1) but cannot prove batches as wired; see `builtinBackendName`. */
  | "PROVER_BACKEND_NOT_WIRED"
  /** The backend ran but failed (non-zero exit, crashed worker thread). Retryable. */
  | "PROVER_BACKEND_FAILED"
  /** The backend's output could not be parsed. */
  | "PROVER_OUTPUT_INVALID"
  /** The job ran longer than its time limit and was killed. Retryable. */
  | "PROVER_TIMEOUT"
  /** The job itself is malformed (batch not a safe integer, input not an object). */
  | "PROVER_BAD_JOB"
  /** The same batch number was submitted again with a different circuit or input. */
  | "PROVER_JOB_CONFLICT"
  /** The pool was closed before the job finished. */
  | "PROVER_POOL_CLOSED"
  /** A remote worker failed with an error this process cannot classify. */
  | "PROVER_JOB_FAILED";

export class ProverError extends TinyCloudError<ProverErrorCode> {
  override readonly name = "ProverError" as const;

  constructor(code: ProverErrorCode, message: string, options: TinyCloudErrorOptions = {}) {
    super(code, message, options);
  }

  /** Whether running the same job again may succeed (pools retry these; the others fail for good). */
  get retryable(): boolean {
    return RETRYABLE.has(this.code);
  }
}

const RETRYABLE: ReadonlySet<ProverErrorCode> = new Set(["PROVER_BACKEND_FAILED", "PROVER_TIMEOUT", "PROVER_JOB_FAILED"]);
const CODES: ReadonlySet<string> = new Set<ProverErrorCode>([
  "PROVER_CIRCUIT_UNKNOWN",
  "PROVER_WITNESS_FAILED",
  "PROVER_BACKEND_UNAVAILABLE",
  "PROVER_BACKEND_NOT_WIRED",
  "PROVER_BACKEND_FAILED",
  "PROVER_OUTPUT_INVALID",
  "PROVER_TIMEOUT",
  "PROVER_BAD_JOB",
  "PROVER_JOB_CONFLICT",
  "PROVER_POOL_CLOSED",
  "PROVER_JOB_FAILED",
]);

/** Plain-object form of an error for `postMessage` / queues. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly details?: ErrorDetails;
  readonly stack?: string;
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof TinyCloudError) {
    return { ...error.toJSON(), ...(error.stack ? { stack: error.stack } : {}) };
  }
  if (error instanceof Error) return { name: error.name, message: error.message, ...(error.stack ? { stack: error.stack } : {}) };
  return { name: "Error", message: String(error) };
}

/** Rebuilds a `ProverError` (when the code is one of ours) or a plain `Error` (a bug elsewhere). */
export function deserializeError(value: SerializedError): Error {
  if (value.code !== undefined && CODES.has(value.code)) {
    return new ProverError(value.code as ProverErrorCode, value.message, value.details ? { details: value.details } : {});
  }
  const error = new Error(value.message);
  error.name = value.name;
  if (value.stack) error.stack = value.stack;
  return error;
}

/**
 * Queue failure reasons are plain strings. Errors cross them as `[CODE] message` so the submitting
 * side gets the same typed error back (`decodeFailureReason`).
 */
export function encodeFailureReason(error: unknown): string {
  if (error instanceof ProverError) return `[${error.code}] ${error.message}`;
  return errorMessage(error);
}

export function decodeFailureReason(reason: string | undefined): ProverError {
  const text = reason ?? "unknown failure";
  const match = /^\[(PROVER_[A-Z_]+)\] ([\s\S]*)$/.exec(text);
  if (match && CODES.has(match[1] as string)) return new ProverError(match[1] as ProverErrorCode, match[2] as string);
  return new ProverError("PROVER_JOB_FAILED", text);
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Checks the shape of a job before it enters a pool. */
export function assertProofJob(job: unknown): asserts job is ProofJob {
  const j = job as Partial<ProofJob> | null;
  if (typeof j !== "object" || j === null) throw new ProverError("PROVER_BAD_JOB", "a proof job must be an object");
  if (typeof j.batch !== "number" || !Number.isSafeInteger(j.batch) || j.batch < 0) {
    throw new ProverError("PROVER_BAD_JOB", `batch must be a non-negative safe integer, got ${String(j.batch)}`);
  }
  if (typeof j.circuit !== "string" || j.circuit.length === 0) throw new ProverError("PROVER_BAD_JOB", "circuit must be a non-empty string");
  if (typeof j.input !== "object" || j.input === null || Array.isArray(j.input)) {
    throw new ProverError("PROVER_BAD_JOB", "input must be an object of signal name → value");
  }
}

/** JSON with bigints as decimal strings (circuit inputs are often bigints). */
export function jsonWithBigInts(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

/** Deep copy that turns bigints into decimal strings, so the job survives structured clone and JSON alike. */
export function normalizeJob(job: ProofJob): ProofJob {
  return { batch: job.batch, circuit: job.circuit, input: JSON.parse(jsonWithBigInts(job.input)) as Record<string, unknown> };
}
