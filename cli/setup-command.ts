/** `tinycloud setup`: build circuit keys, verifiers and verification keys (prover/setup/artifacts.ts). */
import type { Command } from "commander";
import type { CircuitBuild } from "../prover/setup/artifacts.js";
import { resolve } from "node:path";
import { DEFAULT_CONFIG } from "../node/server/config.js";
import { collect } from "./options.js";

const RULE = "!".repeat(78);

/** Builds modelled above this many seconds get a warning before they start. */
const LONG_BUILD_SECONDS = 300;

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
  "note: phase 2 (circuit-specific) is one contribution with entropy from the OS CSPRNG, discarded after use:\n" +
  "      only this machine ever held it. For keys nobody has to trust one machine, run a multi-party\n" +
  "      ceremony (tinycloud ceremony start|contribute|verify|finalize).";

export const INSECURE_PHASE2_WARNING = [
  RULE,
  "!! WARNING: --insecure-deterministic: phase 2 is a PUBLIC beacon derived from the",
  "!! circuit hash. Its delta is recomputable from circuits/keys/*.provenance.json, so",
  "!! ANYONE CAN FORGE PROOFS for these keys. For reproducible dev/test keys only.",
  RULE,
].join("\n");

export function registerSetupCommand(program: Command): void {
  program
    .command("setup")
    .description(
      "compile the circuits in circuits/circuits.json and make their Groth16 keys, verification keys and Solidity verifiers (cached under .cache/), then compile the contracts (contracts/generated/artifacts.json, verifiers.json)",
    )
    .option("--ptau <file>", "prepared powers-of-tau file from a public ceremony (default: generate an INSECURE dev ptau)")
    .option("--circuit <name>", "build this circuit (repeatable, or comma-separated); default: the circuits the node proves with", collect)
    .option("--all", "build every circuit of circuits/circuits.json (the large ones take hours on a small machine)")
    .option("--force", "rebuild even when the cache is up to date")
    .option("--insecure-deterministic", "phase 2 from a public beacon: reproducible keys (the committed dev keys) that ANYONE CAN FORGE proofs for")
    .action(async (options: { ptau?: string; circuit?: string[]; all?: boolean; force?: boolean; insecureDeterministic?: boolean }) => {
      const started = performance.now();
      if (options.all === true && options.circuit !== undefined) {
        console.error("error: --all and --circuit go separately");
        process.exitCode = 2;
        return;
      }
      // Plain `setup` builds what `tinycloud node` proves with, not every circuit of the manifest (B = 16 and
      // 32 and their 2^19 dev ptau take hours on a 2-core machine): more only when asked.
      const circuits = options.all === true ? [] : (options.circuit ?? [...(DEFAULT_CONFIG.circuits ?? [])]);
      const phase2 = options.insecureDeterministic === true ? "insecure-deterministic" : "csprng";
      if (!options.ptau) console.error(`${DEV_PTAU_WARNING}\n`);
      if (phase2 === "insecure-deterministic") console.error(`${INSECURE_PHASE2_WARNING}\n`);
      // Loaded on use: the ZK libraries cost ~0.2 s to import, which other commands should not pay.
      const { runSetup, SetupError } = await import("../prover/setup/artifacts.js");
      const { createReporter, formatSeconds } = await import("../prover/setup/progress.js");
      const { generateContractArtifacts } = await import("../prover/setup/contracts.js");
      const { defaultRoot, setupPlan } = await import("../prover/setup/artifacts.js");
      const { modelSeconds } = await import("../prover/setup/estimate.js");
      const { removePartials } = await import("../prover/setup/partials.js");
      // Interrupted (Ctrl-C, kill): remove this run's half-written files, so no debris is left in the cache.
      const cacheDir = resolve(defaultRoot(), ".cache");
      const interrupt = (signal: NodeJS.Signals) => {
        console.error(`\nsetup: ${signal}: removing this run's partial files; finished steps stay cached`);
        void removePartials(cacheDir).finally(() => process.exit(130));
      };
      process.once("SIGINT", interrupt);
      process.once("SIGTERM", interrupt);
      let builds: CircuitBuild[];
      try {
        const plan = await setupPlan({ ...(options.ptau ? { ptau: options.ptau } : {}), circuits, force: options.force === true, phase2 });
        const modelled = plan.reduce((sum, step) => sum + modelSeconds(step), 0);
        if (plan.length === 0) console.error("setup: everything is cached; checking and publishing only");
        else {
          console.error(`setup: ${plan.length} step(s) to build, about ${formatSeconds(modelled)} on an idle 2-core machine (longer under load)`);
          if (modelled > LONG_BUILD_SECONDS) console.error("setup: this is a long build; Ctrl-C stops it cleanly (finished steps stay cached)");
        }
        // A line every 30 s with the percentage and time left: circom and snarkjs' setup say nothing for minutes.
        const { planProgress } = await import("./setup-progress.js");
        const progress = planProgress(createReporter(), plan, "setup");
        const reporter = progress.reporter;
        try {
          builds = await runSetup({
            ...(options.ptau ? { ptau: options.ptau } : {}),
            circuits,
            force: options.force === true,
            phase2,
            reporter,
          });
        } finally {
          progress.stop();
        }
        // The verifiers may have changed: recompile the contracts and refresh the verifier ids
        // (contracts/generated/artifacts.json, verifiers.json, contracts/abi.ts).
        await generateContractArtifacts({ write: true, reporter });
      } catch (error) {
        if (!(error instanceof SetupError)) throw error;
        console.error(`error ${error.code}: ${error.message}`);
        process.exitCode = 2;
        return;
      }
      const cached = builds.filter((b) => b.cached.compile && b.cached.keys).length;
      console.log(`setup: ${builds.length} circuit(s), ${cached} from cache, in ${formatSeconds((performance.now() - started) / 1000)}`);
      for (const b of builds) {
        console.log(
          `  ${b.name}  ${b.shortHash}  ${b.constraints} constraints  ptau power >= ${b.power}  ${b.ptau.kind === "dev" ? "INSECURE dev ptau" : `ptau ${b.ptau.file}`}  phase 2 ${phase2 === "csprng" ? "CSPRNG" : "INSECURE deterministic"}`,
        );
        console.log(`    wasm ${b.wasm}\n    zkey ${b.zkey}\n    verifier ${b.published.verifier}\n    vkey ${b.published.verificationKey}\n    transcript ${b.published.transcript}`);
      }
      if (phase2 === "csprng") console.error(PHASE2_NOTE);
      else console.error("warning: phase 2 is INSECURE (deterministic public beacon, see the warning at the top).");
      if (!options.ptau) console.error("warning: keys above come from the INSECURE dev ptau (see the warning at the top).");
    });
}
