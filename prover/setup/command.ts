/** `tinycloud setup`: build circuit keys, verifiers and verification keys (prover/setup/artifacts.ts). */
import type { Command } from "commander";
import type { CircuitBuild } from "./artifacts.js";

const RULE = "!".repeat(78);

export const DEV_PTAU_WARNING = [
  RULE,
  "!! WARNING: no --ptau given: using a GENERATED powers-of-tau file.",
  "!! It is INSECURE and for DEVELOPMENT ONLY: its secret tau is derived from a",
  "!! fixed, public seed, so anyone can forge proofs that the keys made from it",
  "!! (and the Solidity verifiers in contracts/generated/) accept.",
  "!! Production keys need the ptau of a public ceremony, e.g. the Hermez",
  "!! powersOfTau28_hez_final_NN.ptau (download it yourself, NN >= the ptau power",
  "!! printed for each circuit), passed with --ptau FILE.",
  RULE,
].join("\n");

export const PHASE2_NOTE =
  "note: the circuit-specific (phase 2) contribution is a deterministic dev beacon, so these keys are\n" +
  "      for development and testing; production keys also need a phase-2 ceremony (snarkjs zkey contribute).";

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(",").map((s) => s.trim()).filter(Boolean)];
}

export function registerSetupCommand(program: Command): void {
  program
    .command("setup")
    .description("compile the circuits in circuits/circuits.json and make their Groth16 keys, verification keys and Solidity verifiers (cached under .cache/), then compile the contracts (contracts/generated/artifacts.json, verifiers.json)")
    .option("--ptau <file>", "prepared powers-of-tau file from a public ceremony (default: generate an INSECURE dev ptau)")
    .option("--circuit <name>", "build only this circuit (repeatable, or comma-separated)", collect)
    .option("--force", "rebuild even when the cache is up to date")
    .action(async (options: { ptau?: string; circuit?: string[]; force?: boolean }) => {
      const started = performance.now();
      if (!options.ptau) console.error(`${DEV_PTAU_WARNING}\n`);
      // Loaded on use: the ZK libraries cost ~0.2 s to import, which other commands should not pay.
      const { runSetup, SetupError } = await import("./artifacts.js");
      const { createReporter, formatSeconds } = await import("./progress.js");
      const { generateContractArtifacts } = await import("./contracts.js");
      let builds: CircuitBuild[];
      try {
        const reporter = createReporter();
        builds = await runSetup({
          ...(options.ptau ? { ptau: options.ptau } : {}),
          circuits: options.circuit ?? [],
          force: options.force === true,
          reporter,
        });
        // The verifiers may have changed: recompile the contracts and refresh the verifier ids
        // (contracts/generated/artifacts.json, verifiers.json, contracts/abi.ts).
        await generateContractArtifacts({ write: true, reporter });
      } catch (error) {
        if (!(error instanceof SetupError)) throw error;
        console.error(`error: ${error.message}`);
        process.exitCode = 2;
        return;
      }
      const cached = builds.filter((b) => b.cached.compile && b.cached.keys).length;
      console.log(`setup: ${builds.length} circuit(s), ${cached} from cache, in ${formatSeconds((performance.now() - started) / 1000)}`);
      for (const b of builds) {
        console.log(`  ${b.name}  ${b.shortHash}  ${b.constraints} constraints  ptau power >= ${b.power}  ${b.ptau.kind === "dev" ? "INSECURE dev ptau" : `ptau ${b.ptau.file}`}`);
        console.log(`    wasm ${b.wasm}\n    zkey ${b.zkey}\n    verifier ${b.published.verifier}\n    vkey ${b.published.verificationKey}`);
      }
      console.error(PHASE2_NOTE);
      if (!options.ptau) console.error("warning: keys above come from the INSECURE dev ptau (see the warning at the top).");
    });
}
