/**
 * `tinycloud ceremony start|contribute|verify|finalize`: a multi-party Groth16 phase-2 ceremony
 * (prover/setup/ceremony.ts). The ceremony directory is passed from contributor to contributor; each
 * `contribute` adds a secret (OS CSPRNG) contribution and prints its hash, which the contributor keeps
 * to find it later in the published transcript. Failures (tampered keys, wrong files) print the error
 * code and exit non-zero (main.ts).
 */
import type { Command } from "commander";

/**
 * The reporter of a ceremony command: its steps (snarkjs zkey new, contribute, verify) print nothing for
 * minutes, so a line every 30 s says how long so far and about how long is left (cli/setup-progress.ts),
 * sized from the ceremony's state (ceremony.json) where there is one.
 */
async function reporterFor(dir: string | undefined, circuit?: string): Promise<import("../prover/setup/progress.js").Reporter> {
  const { createReporter } = await import("../prover/setup/progress.js");
  const { stepHeartbeat } = await import("./setup-progress.js");
  let size: { constraints: number; power: number } | undefined;
  if (dir !== undefined) {
    const { loadState } = await import("../prover/setup/ceremony.js");
    const state = await loadState(dir).catch(() => undefined);
    if (state !== undefined) size = { constraints: state.constraints, power: state.domainPower };
  } else if (circuit !== undefined) {
    // Before the ceremony exists: the size the setup plan knows (cached compile or committed provenance).
    const { setupPlan } = await import("../prover/setup/artifacts.js");
    const step = (await setupPlan({ circuits: [circuit], force: true }).catch(() => [])).find((s) => s.phase === "groth16-setup");
    if (step?.constraints !== undefined) size = { constraints: step.constraints, power: step.power };
  }
  return stepHeartbeat(createReporter(), () => size);
}

/** snarkjs' shared worker threads keep the process alive: stop them when a command is done. */
async function run(action: () => Promise<void>): Promise<void> {
  const { SetupError } = await import("../prover/setup/artifacts.js");
  try {
    await action();
  } catch (error) {
    // Pipeline failures (unknown circuit, unusable ptau, compiler error) are expected: no stack trace.
    if (!(error instanceof SetupError)) throw error;
    console.error(`error ${error.code}: ${error.message}`);
    process.exitCode = 2;
  } finally {
    const { releaseSnarkjsWorkers } = await import("../prover/setup/artifacts.js");
    await releaseSnarkjsWorkers();
  }
}

async function int(value: string, flag: string): Promise<number> {
  const { KeyError } = await import("../prover/setup/phase2.js");
  if (!/^\d+$/.test(value)) throw new KeyError("KEY_BEACON_INVALID", `${flag}: not a non-negative integer: ${value}`);
  return Number(value);
}

export function registerCeremonyCommand(program: Command): void {
  const ceremony = program.command("ceremony").description("multi-party Groth16 phase-2 ceremony: keys that are sound if any one contributor discarded their secret");

  ceremony
    .command("start <circuit>")
    .description("compile a circuits/circuits.json circuit and write the initial key and ceremony.json into --out")
    .option("--ptau <file>", "prepared powers-of-tau file from a public ceremony (default: the INSECURE dev ptau, for rehearsals)")
    .requiredOption("--out <dir>", "ceremony directory (new or empty)")
    .action((circuit: string, o: { ptau?: string; out: string }) =>
      run(async () => {
        const { startCeremony } = await import("../prover/setup/ceremony.js");
        const state = await startCeremony(circuit, o.out, { reporter: await reporterFor(undefined, circuit), ...(o.ptau === undefined ? {} : { ptau: o.ptau }) });
        console.log(`ceremony for ${state.circuit.name} started in ${o.out}: ${state.constraints} constraints, ptau ${state.ptau.info.kind === "dev" ? "INSECURE dev" : state.ptau.info.file}`);
        console.log(`circuit hash: ${state.circuitHash}`);
        console.log(`next: tinycloud ceremony contribute ${o.out} --name "<your name>"  (on any machine; pass the directory on)`);
      }),
    );

  ceremony
    .command("contribute <dir>")
    .description("add a secret contribution (entropy from the OS CSPRNG, never stored) and print its hash")
    .requiredOption("--name <name>", "your name or handle, recorded in the key and the transcript")
    .option("--verify", "verify the chain so far before contributing (needs the ceremony's ptau)")
    .option("--ptau <file>", "with --verify: the ceremony's ptau, when it is not at the path recorded in ceremony.json")
    .action((dir: string, o: { name: string; verify?: boolean; ptau?: string }) =>
      run(async () => {
        const { contributeCeremony } = await import("../prover/setup/ceremony.js");
        const c = await contributeCeremony(dir, o.name, { reporter: await reporterFor(dir), verify: o.verify === true, ...(o.ptau === undefined ? {} : { ptau: o.ptau }) });
        console.log(`contribution #${c.index} (${c.name}) written to ${c.zkey}`);
        console.log(`contribution hash (keep it; it must appear in the final transcript):\n${c.hash}`);
      }),
    );

  ceremony
    .command("verify <dir>")
    .description("verify the whole contribution chain against the r1cs and the ptau (snarkjs zkey verify)")
    .option("--ptau <file>", "the ceremony's ptau, when it is not at the path recorded in ceremony.json")
    .action((dir: string, o: { ptau?: string }) =>
      run(async () => {
        const { verifyCeremony } = await import("../prover/setup/ceremony.js");
        const v = await verifyCeremony(dir, { reporter: await reporterFor(dir), ...(o.ptau === undefined ? {} : { ptau: o.ptau }) });
        console.log(`${v.zkey}: OK (circuit hash ${v.circuitHash})`);
        for (const [i, c] of v.contributions.entries()) {
          console.log(
            `  #${i + 1} ${c.type === "beacon" ? "beacon" : "secret"}  ${c.name}\n      ${c.hash}${c.beacon ? `\n      beacon ${c.beacon.hashHex}, 2^${c.beacon.numIterationsExp} iterations` : ""}`,
          );
        }
      }),
    );

  ceremony
    .command("finalize <dir>")
    .description("verify, apply an optional public beacon, and export the verification key, Solidity verifier, provenance and transcript")
    .option("--beacon <hex>", "public random value announced in advance (e.g. a future block hash); applied after the secret contributions")
    .option("--iterations <n>", "beacon: 2^n SHA-256 iterations (10..63, default 10)")
    .option("--ptau <file>", "the ceremony's ptau, when it is not at the path recorded in ceremony.json")
    .option("--publish", "also install the keys in this checkout (circuits/keys, contracts/generated, .cache) and regenerate the contract artifacts")
    .action((dir: string, o: { beacon?: string; iterations?: string; ptau?: string; publish?: boolean }) =>
      run(async () => {
        const { finalizeCeremony } = await import("../prover/setup/ceremony.js");
        const r = await finalizeCeremony(dir, {
          reporter: await reporterFor(dir),
          ...(o.beacon === undefined ? {} : { beacon: o.beacon }),
          ...(o.iterations === undefined ? {} : { iterations: await int(o.iterations, "--iterations") }),
          ...(o.ptau === undefined ? {} : { ptau: o.ptau }),
          publish: o.publish === true,
        });
        const f = r.state.finalized!;
        console.log(`finalized ${r.state.circuit.name}: ${r.verification.contributions.length} contribution(s) verified`);
        console.log(`  zkey ${f.zkey}\n  vkey ${f.files.verificationKey}\n  verifier ${f.files.verifier}\n  provenance ${f.files.provenance}\n  transcript ${f.files.transcript}`);
        if (r.published.length > 0) console.log(`published: ${r.published.join(", ")}`);
        if (r.security.insecure) console.error(`warning: these keys are INSECURE:\n${r.security.reasons.map((s) => `  - ${s}`).join("\n")}`);
      }),
    );
}
