/**
 * RISC Zero backend: drives the RISC Zero toolchain through child processes. Two ways to run it:
 *
 * 1. `r0vm` directly (default). r0vm's CLI (risc0/risc0 `risc0/r0vm/src/lib.rs`) executes and proves
 *    an ELF: `r0vm --elf <guest> --initial-input <file> --receipt <out> --receipt-kind <kind>`; the
 *    initial input becomes the guest's stdin, so the guest reads the job input as JSON bytes
 *    (`env::stdin().read_to_end`). The receipt is written bincode-encoded; we return it base64 with
 *    the image ID from `r0vm --id --elf <guest>` (computed once per guest). The journal is inside the
 *    bincode receipt, which this adapter does not decode: use a host binary if the node needs it.
 * 2. A host binary (recommended; built once with `cargo build --release` from a
 *    `cargo risczero new` project) that follows this contract:
 *      `<host> [hostArgs...] --circuit <name> --input <in.json> --output <out.json> --receipt-kind <kind>`
 *    and writes `{ "imageId": "0x..", "journal": "0x..", "seal": "0x..", "receipt"?: "<base64>",
 *    "publicSignals"?: ["..."] }` to `<out.json>`. `seal` is what `IRiscZeroVerifier.verify(seal,
 *    imageId, sha256(journal))` takes on-chain (groth16 receipt kind).
 *
 * `devMode` sets `RISC0_DEV_MODE=1` (fake receipts; CI without a real prover). RISC Zero cannot be
 * installed on machines without internet access (rzup downloads it), so a missing binary is reported
 * as PROVER_BACKEND_UNAVAILABLE with install instructions.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProverError, errorMessage, jsonWithBigInts, type ProgressFn, type ProofJob, type ProofResult, type ProverBackend } from "./backend.js";
import { runCli } from "./cli-runner.js";

export type Risc0ReceiptKind = "composite" | "succinct" | "groth16";

export interface Risc0Options {
  /** r0vm executable (name on PATH or path); default `$RISC0_R0VM` or "r0vm". */
  readonly r0vm?: string;
  /** Host binary following the contract above; when set, r0vm is not called directly. */
  readonly host?: string;
  readonly hostArgs?: readonly string[];
  /** Guest ELF per circuit name (r0vm mode; host mode passes the name through). */
  readonly guests?: Readonly<Record<string, string>>;
  /** Default "succinct" (constant size); "groth16" for on-chain verification. */
  readonly receiptKind?: Risc0ReceiptKind;
  /** `RISC0_DEV_MODE=1`: fake receipts, for development only. */
  readonly devMode?: boolean;
  /** Per-job wall-clock limit; default 1 hour. */
  readonly timeoutMs?: number;
  readonly killGraceMs?: number;
  /** Extra environment for the child (e.g. `RUST_LOG`). */
  readonly env?: Readonly<Record<string, string>>;
  /** Parent of per-job temp dirs; default OS tmpdir. */
  readonly workDir?: string;
}

export const RISC0_INSTALL_HINT =
  "Install the RISC Zero toolchain (needs internet): `curl -L https://risczero.com/install | bash && rzup install`, " +
  "then put r0vm on PATH or set RISC0_R0VM=/path/to/r0vm (or pass a host binary built with `cargo build --release`).";

export interface Risc0Proof {
  readonly format: "risc0-receipt";
  readonly receiptKind: Risc0ReceiptKind;
  readonly imageId: string;
  /** bincode `Receipt`, base64 (r0vm mode; host mode if the host wrote it). */
  readonly receipt?: string;
  readonly journal?: string;
  readonly seal?: string;
  readonly devMode: boolean;
}

export class Risc0Backend implements ProverBackend {
  readonly name = "risc0" as const;
  readonly #o: Risc0Options;
  readonly #imageIds = new Map<string, Promise<string>>();

  constructor(options: Risc0Options) {
    this.#o = options;
  }

  get r0vm(): string {
    return this.#o.r0vm ?? process.env.RISC0_R0VM ?? "r0vm";
  }

  /** The argument vector for one job (exposed for tests and logs). */
  commandFor(job: ProofJob, files: { input: string; output: string }): { command: string; args: string[] } {
    const kind = this.#o.receiptKind ?? "succinct";
    if (this.#o.host !== undefined) {
      return {
        command: this.#o.host,
        args: [...(this.#o.hostArgs ?? []), "--circuit", job.circuit, "--input", files.input, "--output", files.output, "--receipt-kind", kind],
      };
    }
    return { command: this.r0vm, args: ["--elf", this.#guest(job.circuit), "--initial-input", files.input, "--receipt", files.output, "--receipt-kind", kind] };
  }

  async prove(job: ProofJob, progress: ProgressFn): Promise<ProofResult> {
    progress(0, "prepare");
    const dir = await mkdtemp(join(this.#o.workDir ?? tmpdir(), `risc0-batch-${job.batch}-`));
    try {
      const files = { input: join(dir, "input.json"), output: join(dir, this.#o.host !== undefined ? "output.json" : "receipt.bin") };
      await writeFile(files.input, jsonWithBigInts(job.input));
      const { command, args } = this.commandFor(job, files);
      progress(0.05, "prove");
      const run = await runCli({
        command,
        args,
        env: this.#env(),
        timeoutMs: this.#o.timeoutMs ?? 3_600_000,
        killGraceMs: this.#o.killGraceMs ?? 2000,
        label: this.#o.host !== undefined ? `RISC Zero host ${command}` : "r0vm",
        installHint: RISC0_INSTALL_HINT,
      });
      progress(0.95, "parse");
      const kind = this.#o.receiptKind ?? "succinct";
      const devMode = this.#o.devMode === true;
      let proof: Risc0Proof;
      let publicSignals: string[];
      if (this.#o.host !== undefined) {
        const out = parseHostOutput(await readOutput(files.output, "RISC Zero host"), files.output);
        proof = {
          format: "risc0-receipt",
          receiptKind: kind,
          imageId: out.imageId,
          journal: out.journal,
          ...(out.seal !== undefined ? { seal: out.seal } : {}),
          ...(out.receipt !== undefined ? { receipt: out.receipt } : {}),
          devMode,
        };
        publicSignals = out.publicSignals ?? [out.imageId, out.journal];
      } else {
        const receipt = await readOutput(files.output, "r0vm");
        if (receipt.length === 0) throw new ProverError("PROVER_OUTPUT_INVALID", `r0vm wrote an empty receipt to ${files.output}`);
        const imageId = await this.imageId(job.circuit);
        proof = { format: "risc0-receipt", receiptKind: kind, imageId, receipt: receipt.toString("base64"), devMode };
        publicSignals = [imageId];
      }
      progress(1, "done");
      return { backend: "risc0", circuit: job.circuit, proof, publicSignals, proveSeconds: run.seconds, witnessSeconds: 0 };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** `r0vm --id --elf <guest>`: the guest's image ID (its verification key), hex. */
  imageId(circuit: string): Promise<string> {
    let id = this.#imageIds.get(circuit);
    if (!id) {
      id = runCli({
        command: this.r0vm,
        args: ["--id", "--elf", this.#guest(circuit)],
        env: this.#env(),
        timeoutMs: 60_000,
        label: "r0vm --id",
        installHint: RISC0_INSTALL_HINT,
      }).then((out) => {
        const hex = out.stdout.trim().split(/\s+/).pop() ?? "";
        if (!/^(0x)?[0-9a-fA-F]{64}$/.test(hex)) throw new ProverError("PROVER_OUTPUT_INVALID", `r0vm --id printed no 32-byte hex image ID: ${JSON.stringify(out.stdout.slice(0, 200))}`);
        return hex.startsWith("0x") ? hex : `0x${hex}`;
      });
      this.#imageIds.set(circuit, id);
      id.catch(() => this.#imageIds.delete(circuit));
    }
    return id;
  }

  #guest(circuit: string): string {
    const guests = this.#o.guests ?? {};
    if (!Object.hasOwn(guests, circuit)) throw new ProverError("PROVER_CIRCUIT_UNKNOWN", `no RISC Zero guest ELF configured for "${circuit}"`, { details: { circuit } });
    return guests[circuit] as string;
  }

  #env(): Record<string, string> {
    return { ...(this.#o.devMode ? { RISC0_DEV_MODE: "1" } : {}), ...this.#o.env };
  }
}

async function readOutput(path: string, label: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new ProverError("PROVER_OUTPUT_INVALID", `${label} exited 0 but wrote no output at ${path}: ${errorMessage(error)}`, { cause: error });
  }
}

interface HostOutput {
  imageId: string;
  journal: string;
  seal?: string;
  receipt?: string;
  publicSignals?: string[];
}

const HEX = /^0x[0-9a-fA-F]*$/;

/** Parses and checks a host's `output.json` (exported for tests). */
export function parseHostOutput(bytes: Uint8Array, path = "output"): HostOutput {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new ProverError("PROVER_OUTPUT_INVALID", `RISC Zero host output ${path} is not JSON: ${errorMessage(error)}`, { cause: error });
  }
  const o = value as Record<string, unknown>;
  const bad = (why: string) => new ProverError("PROVER_OUTPUT_INVALID", `RISC Zero host output ${path}: ${why}`);
  if (typeof o !== "object" || o === null) throw bad("not an object");
  const imageId = hex32(o.imageId);
  if (!imageId) throw bad("imageId must be 32 bytes of 0x-hex");
  if (typeof o.journal !== "string" || !HEX.test(o.journal)) throw bad("journal must be 0x-hex");
  if (o.seal !== undefined && (typeof o.seal !== "string" || !HEX.test(o.seal))) throw bad("seal must be 0x-hex");
  if (o.receipt !== undefined && typeof o.receipt !== "string") throw bad("receipt must be a base64 string");
  if (o.publicSignals !== undefined && !(Array.isArray(o.publicSignals) && o.publicSignals.every((s) => typeof s === "string"))) throw bad("publicSignals must be strings");
  return {
    imageId,
    journal: o.journal.toLowerCase(),
    ...(typeof o.seal === "string" ? { seal: o.seal.toLowerCase() } : {}),
    ...(typeof o.receipt === "string" ? { receipt: o.receipt } : {}),
    ...(Array.isArray(o.publicSignals) ? { publicSignals: o.publicSignals as string[] } : {}),
  };
}

function hex32(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const v = value.startsWith("0x") ? value : `0x${value}`;
  return /^0x[0-9a-fA-F]{64}$/.test(v) ? v.toLowerCase() : undefined;
}

export function createBackend(options: unknown = {}): Risc0Backend {
  return new Risc0Backend((options ?? {}) as Risc0Options);
}
