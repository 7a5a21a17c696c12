/**
 * SP1 backend: runs an SP1 host ("script") binary as a child process.
 *
 * SP1 has no generic "prove this ELF with this input" CLI: `cargo prove` builds guest programs
 * (`cargo prove build`, `cargo prove new`, `cargo prove vkey`) and proving happens in a host program
 * linked against `sp1-sdk` (`ProverClient::from_env()`, `client.setup(ELF)`,
 * `client.prove(&pk, &stdin).groth16()|.plonk()|.compressed()|.run()`), as in succinctlabs'
 * sp1-project-template `script/`. Build that script once (`cd script && cargo build --release`) with
 * this contract and give its path:
 *
 *   `<host> [hostArgs...] --prove --circuit <name> --input <in.json> --output <out.json> --system <core|compressed|groth16|plonk>`
 *
 * writing `{ "vkey": "0x<32 bytes>", "publicValues": "0x..", "proof": "0x.." }` (the template's
 * `SP1ProofFixture` field names: `vk.bytes32()`, `proof.public_values`, `proof.bytes()`) to `<out.json>`.
 * On-chain: `ISP1Verifier.verifyProof(vkey, publicValues, proof)`.
 *
 * `prover` sets `SP1_PROVER` (`mock` for development: no real proof; `cpu`, `cuda`, `network`). The SP1
 * toolchain cannot be installed without internet access (sp1up downloads it), so a missing binary is
 * reported as PROVER_BACKEND_UNAVAILABLE with install instructions.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProverError, errorMessage, jsonWithBigInts, type ProgressFn, type ProofJob, type ProofResult, type ProverBackend } from "./backend.js";
import { runCli } from "./cli-runner.js";

export type Sp1ProofSystem = "core" | "compressed" | "groth16" | "plonk";

export interface Sp1Options {
  /** Host script binary; default `$SP1_HOST_BIN`. */
  readonly host?: string;
  readonly hostArgs?: readonly string[];
  /** Default "groth16" (~260-byte proof, ~270k gas to verify). */
  readonly proofSystem?: Sp1ProofSystem;
  /** `SP1_PROVER`; default: inherited from the environment (SP1's own default is "cpu"). */
  readonly prover?: "mock" | "cpu" | "cuda" | "network";
  /** Per-job wall-clock limit; default 1 hour. */
  readonly timeoutMs?: number;
  readonly killGraceMs?: number;
  readonly env?: Readonly<Record<string, string>>;
  readonly workDir?: string;
  /** Circuit names this host accepts (default: any; the host rejects unknown ones itself). */
  readonly circuits?: readonly string[];
}

export const SP1_INSTALL_HINT =
  "Install the SP1 toolchain (needs internet): `curl -L https://sp1up.succinct.xyz | bash && sp1up`, build the host script " +
  "(`cd script && cargo build --release`) and pass its path as `host` or SP1_HOST_BIN=/path/to/script.";

export interface Sp1Proof {
  readonly format: "sp1-proof";
  readonly system: Sp1ProofSystem;
  /** Program verification key hash, `vk.bytes32()`. */
  readonly vkey: string;
  readonly publicValues: string;
  /** `proof.bytes()`: what `ISP1Verifier.verifyProof` takes. */
  readonly proof: string;
  readonly mock: boolean;
}

export class Sp1Backend implements ProverBackend {
  readonly name = "sp1" as const;
  readonly #o: Sp1Options;

  constructor(options: Sp1Options) {
    this.#o = options;
  }

  get host(): string {
    const host = this.#o.host ?? process.env.SP1_HOST_BIN;
    if (host === undefined || host === "") {
      throw new ProverError("PROVER_BACKEND_UNAVAILABLE", `SP1 backend: no host binary configured (option \`host\` or SP1_HOST_BIN). ${SP1_INSTALL_HINT}`);
    }
    return host;
  }

  commandFor(job: ProofJob, files: { input: string; output: string }): { command: string; args: string[] } {
    return {
      command: this.host,
      args: [...(this.#o.hostArgs ?? []), "--prove", "--circuit", job.circuit, "--input", files.input, "--output", files.output, "--system", this.#o.proofSystem ?? "groth16"],
    };
  }

  async prove(job: ProofJob, progress: ProgressFn): Promise<ProofResult> {
    if (this.#o.circuits && !this.#o.circuits.includes(job.circuit)) {
      throw new ProverError("PROVER_CIRCUIT_UNKNOWN", `SP1 host does not prove "${job.circuit}" (configured: ${this.#o.circuits.join(", ")})`, { details: { circuit: job.circuit } });
    }
    progress(0, "prepare");
    const dir = await mkdtemp(join(this.#o.workDir ?? tmpdir(), `sp1-batch-${job.batch}-`));
    try {
      const files = { input: join(dir, "input.json"), output: join(dir, "output.json") };
      await writeFile(files.input, jsonWithBigInts(job.input));
      const { command, args } = this.commandFor(job, files);
      progress(0.05, "prove");
      const run = await runCli({
        command,
        args,
        env: { ...(this.#o.prover ? { SP1_PROVER: this.#o.prover } : {}), ...this.#o.env },
        timeoutMs: this.#o.timeoutMs ?? 3_600_000,
        killGraceMs: this.#o.killGraceMs ?? 2000,
        label: `SP1 host ${command}`,
        installHint: SP1_INSTALL_HINT,
      });
      progress(0.95, "parse");
      let bytes: Buffer;
      try {
        bytes = await readFile(files.output);
      } catch (error) {
        throw new ProverError("PROVER_OUTPUT_INVALID", `SP1 host exited 0 but wrote no output at ${files.output}: ${errorMessage(error)}`, { cause: error });
      }
      const out = parseSp1Output(bytes, files.output);
      const mock = (this.#o.prover ?? process.env.SP1_PROVER) === "mock";
      const proof: Sp1Proof = { format: "sp1-proof", system: this.#o.proofSystem ?? "groth16", ...out, mock };
      progress(1, "done");
      return { backend: "sp1", circuit: job.circuit, proof, publicSignals: [out.vkey, out.publicValues], proveSeconds: run.seconds, witnessSeconds: 0 };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

/** Parses and checks a host's `output.json` (exported for tests). */
export function parseSp1Output(bytes: Uint8Array, path = "output"): { vkey: string; publicValues: string; proof: string } {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new ProverError("PROVER_OUTPUT_INVALID", `SP1 host output ${path} is not JSON: ${errorMessage(error)}`, { cause: error });
  }
  const o = value as Record<string, unknown>;
  const bad = (why: string) => new ProverError("PROVER_OUTPUT_INVALID", `SP1 host output ${path}: ${why}`);
  if (typeof o !== "object" || o === null) throw bad("not an object");
  // Accept the fixture's camelCase and the Rust snake_case spelling.
  const publicValues = o.publicValues ?? o.public_values;
  if (typeof o.vkey !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(o.vkey)) throw bad("vkey must be 32 bytes of 0x-hex");
  if (typeof publicValues !== "string" || !/^0x([0-9a-fA-F]{2})*$/.test(publicValues)) throw bad("publicValues must be 0x-hex bytes");
  if (typeof o.proof !== "string" || !/^0x([0-9a-fA-F]{2})*$/.test(o.proof)) throw bad("proof must be 0x-hex bytes");
  return { vkey: o.vkey.toLowerCase(), publicValues: publicValues.toLowerCase(), proof: o.proof.toLowerCase() };
}

export function createBackend(options: unknown = {}): Sp1Backend {
  return new Sp1Backend((options ?? {}) as Sp1Options);
}
