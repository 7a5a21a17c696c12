/**
 * `npm run generate`: regenerate everything derived from the circuits and the contracts.
 *   1. `tinycloud setup` for the circuits whose keys are committed (circuits/keys/<name>.vkey.json), or
 *      for the circuits named on the command line; cached under .cache/, so this is quick when nothing
 *      changed. It (re)exports the verification keys and contracts/generated/*Verifier.sol.
 *   2. prover/setup/contracts.ts: compile the contracts and write contracts/generated/artifacts.json,
 *      contracts/generated/verifiers.json and contracts/abi.ts.
 * Usage: node --import tsx scripts/generate.ts [--contracts-only] [circuit ...]
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { defaultRoot, loadManifest, runSetup, SetupError } from "../prover/setup/artifacts.js";
import { generateContractArtifacts } from "../prover/setup/contracts.js";
import { createReporter } from "../prover/setup/progress.js";

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const contractsOnly = args.includes("--contracts-only");
  const named = args.filter((a) => !a.startsWith("--"));
  const root = defaultRoot();
  const reporter = createReporter();
  if (!contractsOnly) {
    const manifest = await loadManifest(join(root, "circuits", "circuits.json"));
    const circuits = named.length > 0 ? named : manifest.circuits.map((c) => c.name).filter((n) => existsSync(join(root, "circuits", "keys", `${n}.vkey.json`)));
    reporter.line(`setup: ${circuits.join(", ")} (INSECURE dev ptau, INSECURE deterministic phase 2)`);
    // The committed dev keys must stay reproducible (and are labelled insecure in their provenance).
    await runSetup({ root, circuits, reporter, phase2: "insecure-deterministic" });
  }
  await generateContractArtifacts({ write: true, root, reporter });
}

main().catch((error: unknown) => {
  if (error instanceof SetupError) {
    console.error(`error: ${error.message}`);
    process.exitCode = 2;
    return;
  }
  throw error;
});
