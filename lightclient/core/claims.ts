/**
 * Parsers for what the node says (all untrusted): the batch record (`GET /rollup/batches/:n`) and the
 * state proof response (`GET /rollup/proof`). They never throw; a failure names the field.
 * Also the decoding of the circuit's public `header` signal.
 */
import { FIELD_MODULUS, stateProofFromJson, type StateProof } from "../../core/state/state-tree.js";
import type { Fetched, Groth16ProofJson } from "./types.js";

export type Parsed<T> = Fetched<T>;

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(error: string): Parsed<T> => ({ ok: false, error });

const DECIMAL = /^(0|[1-9][0-9]{0,79})$/;

/** A canonical decimal string below the BN254 scalar field modulus, or undefined. */
export function fieldFromDecimal(x: unknown): bigint | undefined {
  if (typeof x !== "string" || !DECIMAL.test(x)) return undefined;
  const v = BigInt(x);
  return v < FIELD_MODULUS ? v : undefined;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function isSafeNat(x: unknown): x is number {
  return typeof x === "number" && Number.isSafeInteger(x) && x >= 0;
}

/** The part of a node's BatchRecord the light client needs. */
export interface BatchClaim {
  readonly number: number;
  readonly newRoot: bigint;
  readonly status: string;
  readonly circuit: string | undefined;
  /** Present once proven. */
  readonly proof: Groth16ProofJson | undefined;
  readonly publicSignals: readonly string[] | undefined;
  readonly anchorTx: string | undefined;
}

export function parseBatchClaim(json: unknown): Parsed<BatchClaim> {
  if (!isRecord(json)) return bad("the batch record is not a JSON object");
  const number = json["number"];
  if (!isSafeNat(number)) return bad("the batch record has no integer `number`");
  const newRoot = fieldFromDecimal(json["newRoot"]);
  if (newRoot === undefined) return bad("the batch record's `newRoot` is not a decimal field element");
  const status = typeof json["status"] === "string" ? json["status"] : "unknown";
  const circuit = json["circuit"];
  if (circuit !== undefined && (typeof circuit !== "string" || !/^[a-z0-9_]{1,64}$/.test(circuit))) return bad("the batch record's `circuit` is not a circuit name");
  let proof: Groth16ProofJson | undefined;
  if (json["proof"] !== undefined && json["proof"] !== null) {
    const p = json["proof"];
    const strings = (x: unknown, n: number): boolean => Array.isArray(x) && x.length >= n && x.every((s) => typeof s === "string" && DECIMAL.test(s));
    if (
      !isRecord(p) ||
      !strings(p["pi_a"], 2) ||
      !strings(p["pi_c"], 2) ||
      !Array.isArray(p["pi_b"]) ||
      (p["pi_b"] as unknown[]).length < 2 ||
      !(p["pi_b"] as unknown[]).every((c) => strings(c, 2))
    ) {
      return bad("the batch record's `proof` is not a snarkjs Groth16 proof");
    }
    proof = { pi_a: p["pi_a"] as string[], pi_b: p["pi_b"] as string[][], pi_c: p["pi_c"] as string[], protocol: String(p["protocol"] ?? "groth16"), curve: String(p["curve"] ?? "bn128") };
  }
  let publicSignals: string[] | undefined;
  if (json["publicSignals"] !== undefined && json["publicSignals"] !== null) {
    const s = json["publicSignals"];
    if (!Array.isArray(s) || !s.every((x) => fieldFromDecimal(x) !== undefined)) return bad("the batch record's `publicSignals` are not decimal field elements");
    publicSignals = s as string[];
  }
  const anchorTx = typeof json["anchorTx"] === "string" ? json["anchorTx"] : undefined;
  return ok({ number, newRoot, status, circuit: circuit as string | undefined, proof, publicSignals, anchorTx });
}

/** The KV entry a leaf commits to, as the node describes it. */
export interface EntryClaim {
  readonly version: number;
  readonly deleted: boolean;
  readonly contentHash: bigint;
  readonly etag: string | undefined;
  readonly size: number | undefined;
}

/** The part of a `/rollup/proof` response the light client needs. */
export interface ProofClaim {
  readonly batch: number | undefined;
  readonly root: bigint;
  readonly proof: StateProof;
  /** Raw entry (parsed by the value step, so a bad entry fails "value", not "path"). */
  readonly entry: unknown;
}

export function parseProofClaim(json: unknown): Parsed<ProofClaim> {
  if (!isRecord(json)) return bad("the state proof response is not a JSON object");
  const root = fieldFromDecimal(json["root"]);
  if (root === undefined) return bad("the state proof response's `root` is not a decimal field element");
  let proof: StateProof;
  try {
    proof = stateProofFromJson(json["proof"]);
  } catch (error) {
    return bad(`the state proof does not parse: ${error instanceof Error ? error.message : String(error)}`);
  }
  const batch = isSafeNat(json["batch"]) ? json["batch"] : undefined;
  return ok({ batch, root, proof, entry: json["entry"] });
}

export function parseEntryClaim(json: unknown): Parsed<EntryClaim> {
  if (!isRecord(json)) return bad("the node sent no entry for the leaf");
  const version = json["version"];
  if (!isSafeNat(version) || version < 1) return bad("the entry's `version` is not a positive integer");
  if (typeof json["deleted"] !== "boolean") return bad("the entry's `deleted` is not a boolean");
  const contentHash = fieldFromDecimal(json["contentHash"]);
  if (contentHash === undefined) return bad("the entry's `contentHash` is not a decimal field element");
  const etag = typeof json["etag"] === "string" ? json["etag"] : undefined;
  const size = isSafeNat(json["size"]) ? json["size"] : undefined;
  return ok({ version, deleted: json["deleted"], contentHash, etag, size });
}

/** The public `header` signal: batchNumber · 2^192 + chainId · 2^160 + anchor (prover/circuit-inputs.ts). */
export interface DecodedHeader {
  readonly batch: bigint;
  readonly chainId: bigint;
  /** 0x + 40 lowercase hex digits */
  readonly anchor: string;
}

export function decodeHeader(header: bigint): DecodedHeader {
  const anchor = header & ((1n << 160n) - 1n);
  return {
    batch: header >> 192n,
    chainId: (header >> 160n) & ((1n << 32n) - 1n),
    anchor: `0x${anchor.toString(16).padStart(40, "0")}`,
  };
}
