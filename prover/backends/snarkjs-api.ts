/**
 * Typed view of the parts of snarkjs 0.7.6 and circom_runtime 0.1.28 the prover uses. Neither ships
 * TypeScript declarations; the modules are imported through a non-literal specifier so the compiler
 * does not look for them, and the shapes below are checked against the 0.7.6 sources:
 * `groth16.prove(zkey, wtns)` and `wtns.calculate` accept a file name, a `Uint8Array` or
 * `{ type: "mem", data }` (fastfile `readExisting`), and `groth16.verify(vk, publicSignals, proof)`.
 */

export interface Groth16Proof {
  readonly pi_a: string[];
  readonly pi_b: string[][];
  readonly pi_c: string[];
  readonly protocol: string;
  readonly curve: string;
}

/** An in-memory "file" as fastfile understands it; `wtns.calculate` fills `data` when given `{ type: "mem" }`. */
export interface MemFile {
  type: "mem";
  data?: Uint8Array;
}

export type FileArg = string | Uint8Array | MemFile;

export interface SnarkjsApi {
  readonly groth16: {
    prove(zkey: FileArg, witness: FileArg, logger?: unknown, options?: { singleThread?: boolean }): Promise<{ proof: Groth16Proof; publicSignals: string[] }>;
    fullProve(input: unknown, wasm: FileArg, zkey: FileArg, logger?: unknown): Promise<{ proof: Groth16Proof; publicSignals: string[] }>;
    verify(vkey: unknown, publicSignals: readonly string[], proof: Groth16Proof, logger?: unknown): Promise<boolean>;
  };
  readonly wtns: {
    calculate(input: unknown, wasm: FileArg, wtns: FileArg, options?: unknown): Promise<void>;
  };
  readonly powersOfTau: {
    newAccumulator(curve: unknown, power: number, fileName: string, logger?: unknown): Promise<unknown>;
    contribute(oldPtau: string, newPtau: string, name: string, entropy: string, logger?: unknown): Promise<unknown>;
    preparePhase2(oldPtau: string, newPtau: string, logger?: unknown): Promise<unknown>;
  };
  readonly zKey: {
    newZKey(r1cs: string, ptau: string, zkey: string, logger?: unknown): Promise<unknown>;
    exportVerificationKey(zkey: FileArg, logger?: unknown): Promise<Record<string, unknown>>;
  };
  readonly curves: {
    getCurveFromName(name: string, options?: { singleThread?: boolean }): Promise<{ terminate(): Promise<void> }>;
  };
}

export interface WitnessCalculator {
  calculateWTNSBin(input: Record<string, unknown>, sanityCheck?: boolean): Promise<Uint8Array>;
  circom_version(): number;
}

interface CircomRuntime {
  WitnessCalculatorBuilder(code: Uint8Array, options?: Record<string, unknown>): Promise<WitnessCalculator>;
}

const SNARKJS: string = "snarkjs";
const CIRCOM_RUNTIME: string = "circom_runtime";

let snarkjsPromise: Promise<SnarkjsApi> | undefined;
let runtimePromise: Promise<CircomRuntime> | undefined;

export function loadSnarkjs(): Promise<SnarkjsApi> {
  snarkjsPromise ??= import(SNARKJS) as Promise<SnarkjsApi>;
  return snarkjsPromise;
}

/** Compile a circom witness-generator wasm once; the returned calculator is reused for every input. */
export async function buildWitnessCalculator(wasm: Uint8Array): Promise<WitnessCalculator> {
  runtimePromise ??= import(CIRCOM_RUNTIME) as Promise<CircomRuntime>;
  return (await runtimePromise).WitnessCalculatorBuilder(wasm);
}

/**
 * snarkjs keeps one multi-threaded bn128 curve per process/thread (`globalThis.curve_bn128`, built by
 * ffjavascript) whose worker threads keep the event loop alive; terminate it when the prover stops.
 */
export async function terminateCurves(): Promise<void> {
  const g = globalThis as { curve_bn128?: { terminate(): Promise<void> } | null };
  const curve = g.curve_bn128;
  if (curve) {
    g.curve_bn128 = null;
    await curve.terminate();
  }
}
