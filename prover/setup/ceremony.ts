/**
 * A multi-party Groth16 phase-2 ceremony for operators (`tinycloud ceremony start|contribute|verify|finalize`).
 *
 * The key's δ is the product of every contributor's secret: the keys are sound as long as ONE contributor
 * destroyed their secret, so nobody has to trust any single machine (unlike `tinycloud setup`, whose one
 * CSPRNG contribution is only as trustworthy as the machine that ran it).
 *
 * The ceremony lives in one directory that contributors pass around (copy it, contribute, send it back):
 *   ceremony.json            state: circuit, ptau identity, every contribution's name and hash
 *   <name>.r1cs, <name>.wasm the compiled circuit (the same pipeline and cache as `tinycloud setup`)
 *   <name>_0000.zkey         the initial key (snarkjs zkey new), δ = 1
 *   <name>_NNNN.zkey         the key after contribution NNNN (each contributor adds one)
 * and after `finalize`: <name>.zkey (the final key, with the optional public beacon), <name>.vkey.json,
 * <Name>Verifier.sol, <name>.provenance.json (format 2, phase2 kind "ceremony") and <name>.transcript.json.
 *
 * Every step checks the state against the files (a zkey whose recorded contributions differ from
 * ceremony.json is refused), `verify` runs snarkjs' full chain verification from the r1cs and the ptau,
 * and `finalize` verifies before it exports anything. No entropy is ever written: contributeSecret draws it
 * from the OS CSPRNG and hands it to snarkjs only.
 */
import { copyFile, mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import {
  CEREMONY_GENERATED_BY,
  checkPtauPower,
  circuitSource,
  compileCircuitEntry,
  contractName,
  defaultRoot,
  devPtauInfo,
  ensureDevPtau,
  exportKeyFiles,
  keysDirName,
  portablePath,
  provenanceV2,
  ptauProvenance,
  publishedVerifierSource,
  readJson,
  sha256File,
  snarkjsVersion,
  userPtau,
  writeIfChanged,
  type CircuitEntry,
  type CompiledCircuitFacts,
  type KeysInfo,
  type PtauInfo,
} from "./artifacts.js";
import { keySecurity, type KeySecurity, type Phase2Provenance, type ProvenanceV2 } from "./key-security.js";
import { applyBeacon, checkBeacon, contributeSecret, KeyError, readZkeyContributions, transcriptOf, verifyZkey, type ZkeyContribution } from "./phase2.js";
import { createReporter, type Reporter } from "./progress.js";

export const CEREMONY_FILE = "ceremony.json";
const STATE_FORMAT = 1;
const DEFAULT_BEACON_ITERATIONS_EXP = 10;

export interface CeremonyContribution {
  /** 1-based. */
  index: number;
  name: string;
  /** snarkjs contribution hash (hex): what the contributor was shown and can look for in the transcript. */
  hash: string;
  /** The key after this contribution, relative to the ceremony directory. */
  zkey: string;
}

export interface CeremonyState extends CompiledCircuitFacts {
  format: 1;
  circuit: CircuitEntry;
  /** snarkjs' circuit hash of the initial key (hex). */
  circuitHash: string;
  ptau: { info: PtauInfo; sha256?: string };
  r1cs: { file: string; sha256: string };
  wasm: string;
  initialZkey: string;
  contributions: CeremonyContribution[];
  finalized?: {
    zkey: string;
    beacon?: { hashHex: string; numIterationsExp: number; contributionHash: string };
    files: { verificationKey: string; verifier: string; provenance: string; transcript: string };
  };
}

export interface CeremonyOptions {
  /** Repository root (the compile pipeline, dev ptau cache, --publish targets). */
  root?: string;
  cacheDir?: string;
  reporter?: Reporter;
}

function context(options: CeremonyOptions): { root: string; cacheDir: string; reporter: Reporter } {
  const root = resolve(options.root ?? defaultRoot());
  return { root, cacheDir: resolve(root, options.cacheDir ?? ".cache"), reporter: options.reporter ?? createReporter() };
}

// ---------------------------------------------------------------------------------------------
// start

/** Compile the circuit, make the initial key and the ceremony directory. */
export async function startCeremony(circuit: string, out: string, options: CeremonyOptions & { ptau?: string } = {}): Promise<CeremonyState> {
  const ctx = context(options);
  const dir = resolve(out);
  if ((await readJson(join(dir, CEREMONY_FILE))) !== undefined) throw new KeyError("CEREMONY_BAD_DIR", `${dir} already holds a ceremony (${CEREMONY_FILE}); pick an empty directory`);
  const compiled = await compileCircuitEntry(circuit, { root: ctx.root, cacheDir: ctx.cacheDir, reporter: ctx.reporter });
  let ptauInfo: PtauInfo;
  let ptauFile: string;
  if (options.ptau !== undefined) {
    ptauInfo = await userPtau(resolve(options.ptau));
    checkPtauPower(compiled.entry, compiled, ptauInfo);
    ptauFile = ptauInfo.file!;
    ptauInfo.sha256 = await sha256File(ptauFile);
  } else {
    // Useful to rehearse a ceremony; the provenance will say the ptau is insecure.
    ctx.reporter.line("warning: no --ptau: using the INSECURE dev ptau (its tau is public); production ceremonies need a public phase-1 ptau");
    ptauInfo = devPtauInfo();
    ptauFile = (await ensureDevPtau(compiled.power, ctx)).file;
  }
  await mkdir(dir, { recursive: true });
  const name = compiled.entry.name;
  const r1cs = `${name}.r1cs`;
  const wasm = `${name}.wasm`;
  await copyFile(compiled.r1cs, join(dir, r1cs));
  await copyFile(compiled.wasm, join(dir, wasm));
  const initialZkey = zkeyName(name, 0);
  const step = ctx.reporter.start(`${name}: initial key (snarkjs zkey new)`);
  const snarkjs = await import("snarkjs");
  const errors: string[] = [];
  const created = await snarkjs.zKey.newZKey(join(dir, r1cs), ptauFile, join(dir, initialZkey), {
    debug: (m) => step.note(m),
    info: (m) => step.note(m),
    warn: (m) => step.note(m),
    error: (m) => errors.push(m),
  });
  if (created === -1 || errors.length > 0) throw new KeyError("CEREMONY_BAD_PTAU", `${name}: snarkjs zkey new failed: ${errors.join("; ") || "unknown error"}`);
  step.end(initialZkey);
  const initial = await readZkeyContributions(join(dir, initialZkey));
  const state: CeremonyState = {
    format: STATE_FORMAT,
    circuit: compiled.entry,
    circuitFile: portablePath(ctx.root, compiled.source.file),
    hash: compiled.source.hash,
    compiler: compiled.compiler,
    flags: compiled.flags,
    constraints: compiled.constraints,
    nPublic: compiled.nPublic,
    domainPower: compiled.power,
    circuitHash: initial.circuitHash,
    ptau: { info: { ...ptauInfo, file: ptauFile }, ...(ptauInfo.sha256 === undefined ? {} : { sha256: ptauInfo.sha256 }) },
    r1cs: { file: r1cs, sha256: await sha256File(join(dir, r1cs)) },
    wasm,
    initialZkey,
    contributions: [],
  };
  await saveState(dir, state);
  return state;
}

// ---------------------------------------------------------------------------------------------
// contribute

/** Add one secret contribution (CSPRNG entropy) on top of the latest key. */
export async function contributeCeremony(out: string, contributor: string, options: CeremonyOptions & { verify?: boolean; ptau?: string } = {}): Promise<CeremonyContribution> {
  const reporter = options.reporter ?? createReporter();
  const dir = resolve(out);
  const state = await loadState(dir);
  if (state.finalized) throw new KeyError("CEREMONY_FINALIZED", `${dir}: the ceremony is finalized; contributions are closed`);
  if (contributor.trim() === "") throw new KeyError("CEREMONY_BAD_NAME", "a contribution needs a --name (it is recorded in the key and the transcript)");
  if (new TextEncoder().encode(contributor).byteLength > 64) throw new KeyError("CEREMONY_BAD_NAME", "--name: at most 64 bytes (snarkjs stores no more)");
  const latest = latestZkey(state);
  await checkZkeyMatchesState(dir, latest, state, state.contributions.length);
  if (options.verify) {
    // Contributing on top of a broken chain wastes the contribution: check it first when asked to.
    await verifyAgainstState(dir, latest, state, await ceremonyPtau(state, context(options), options.ptau), reporter);
  }
  const index = state.contributions.length + 1;
  const zkey = zkeyName(state.circuit.name, index);
  const tmp = join(dir, `${zkey}.partial-${process.pid}`);
  const step = reporter.start(`${state.circuit.name}: contribution #${index} (${contributor}, CSPRNG entropy)`);
  let hash: string;
  try {
    hash = await contributeSecret(join(dir, latest), tmp, contributor, (m) => step.note(m));
    await rename(tmp, join(dir, zkey));
  } finally {
    await rm(tmp, { force: true });
  }
  step.end(zkey);
  const contribution: CeremonyContribution = { index, name: contributor, hash, zkey };
  state.contributions.push(contribution);
  await saveState(dir, state);
  return contribution;
}

// ---------------------------------------------------------------------------------------------
// verify

export interface CeremonyVerification {
  circuitHash: string;
  /** Verified contributions, oldest first (secret ones, then the beacon after finalize). */
  contributions: ZkeyContribution[];
  zkey: string;
}

/**
 * Full chain verification (snarkjs zkey verify from the r1cs and the ptau) of the latest key (the final
 * key once finalized), cross-checked with ceremony.json. Throws KeyError on any mismatch.
 */
export async function verifyCeremony(out: string, options: CeremonyOptions & { ptau?: string } = {}): Promise<CeremonyVerification> {
  const ctx = context(options);
  const dir = resolve(out);
  const state = await loadState(dir);
  const zkey = state.finalized?.zkey ?? latestZkey(state);
  return verifyAgainstState(dir, zkey, state, await ceremonyPtau(state, ctx, options.ptau), ctx.reporter);
}

async function verifyAgainstState(dir: string, zkey: string, state: CeremonyState, ptau: string, reporter: Reporter): Promise<CeremonyVerification> {
  const r1cs = join(dir, state.r1cs.file);
  if ((await sha256File(r1cs)) !== state.r1cs.sha256) throw new KeyError("CEREMONY_STATE_MISMATCH", `${r1cs}: differs from the r1cs the ceremony started with`);
  const step = reporter.start(`${state.circuit.name}: verify ${zkey} (snarkjs zkey verify, whole chain)`);
  const verified = await verifyZkey(r1cs, ptau, join(dir, zkey), (m) => step.note(m));
  step.end();
  if (verified.circuitHash !== state.circuitHash) throw new KeyError("CEREMONY_STATE_MISMATCH", `${zkey}: circuit hash differs from ceremony.json`);
  const secret = verified.contributions.slice(0, state.contributions.length);
  const mismatch = state.contributions.findIndex((c, i) => secret[i]?.hash !== c.hash || secret[i]?.name !== c.name || secret[i]?.type !== "secret");
  if (secret.length !== state.contributions.length || mismatch !== -1) {
    throw new KeyError("CEREMONY_STATE_MISMATCH", `${zkey}: its contributions differ from ceremony.json${mismatch === -1 ? "" : ` at #${mismatch + 1}`}`);
  }
  // After the recorded secret contributions, only the final key may have one more: the recorded beacon.
  const extra = verified.contributions.slice(state.contributions.length);
  const beacon = zkey === state.finalized?.zkey ? state.finalized.beacon : undefined;
  const expectedExtra = beacon ? [beacon.contributionHash] : [];
  if (extra.map((c) => c.hash).join() !== expectedExtra.join()) {
    throw new KeyError("CEREMONY_STATE_MISMATCH", `${zkey}: has ${extra.length} contribution(s) after the recorded ones, ceremony.json expects ${expectedExtra.length}`);
  }
  return { circuitHash: verified.circuitHash, contributions: verified.contributions, zkey };
}

/** The ptau to verify with: --ptau (checked against the recorded sha256), or the dev ptau from the cache. */
async function ceremonyPtau(state: CeremonyState, ctx: { root: string; cacheDir: string; reporter: Reporter }, override?: string): Promise<string> {
  if (state.ptau.info.kind === "dev") {
    if (override !== undefined) throw new KeyError("CEREMONY_BAD_PTAU", "this ceremony uses the dev ptau; --ptau does not apply");
    return (await ensureDevPtau(state.domainPower, ctx)).file;
  }
  const file = resolve(override ?? state.ptau.info.file ?? "");
  try {
    await stat(file);
  } catch {
    throw new KeyError("CEREMONY_BAD_PTAU", `ptau ${file} not found: pass the ceremony's ptau with --ptau FILE`);
  }
  if ((await sha256File(file)) !== state.ptau.sha256) throw new KeyError("CEREMONY_BAD_PTAU", `${file}: not the ptau this ceremony started with (sha256 differs from ceremony.json)`);
  return file;
}

// ---------------------------------------------------------------------------------------------
// finalize

export interface FinalizeResult {
  state: CeremonyState;
  provenance: ProvenanceV2;
  security: KeySecurity;
  verification: CeremonyVerification;
  /** Files written into the checkout with `publish`. */
  published: string[];
}

/**
 * Close the ceremony: at least one secret contribution, then optionally a public beacon (e.g. a future
 * block hash announced in advance, so no contributor could have chosen their entropy against it); verify
 * the whole chain; export the verification key, the Solidity verifier, provenance and transcript. With
 * `publish`, also install them in the checkout (circuits/keys, contracts/generated, the setup cache so
 * `runSetup({ phase2: "ceremony" })` and the node prove with these keys) and regenerate the contract artifacts.
 */
export async function finalizeCeremony(out: string, options: CeremonyOptions & { ptau?: string; beacon?: string; iterations?: number; publish?: boolean } = {}): Promise<FinalizeResult> {
  const ctx = context(options);
  const dir = resolve(out);
  const state = await loadState(dir);
  if (state.finalized) throw new KeyError("CEREMONY_FINALIZED", `${dir}: already finalized (${state.finalized.zkey})`);
  if (state.contributions.length === 0) {
    throw new KeyError(
      "CEREMONY_NO_CONTRIBUTIONS",
      `${dir}: no contributions yet: a key needs at least one secret contribution (\`tinycloud ceremony contribute ${out} --name NAME\`) before it is finalized; a public beacon alone is forgeable`,
    );
  }
  const iterations = options.iterations ?? DEFAULT_BEACON_ITERATIONS_EXP;
  if (options.beacon !== undefined) checkBeacon(options.beacon, iterations);
  else if (options.iterations !== undefined) throw new KeyError("KEY_BEACON_INVALID", "--iterations needs --beacon");
  const ptau = await ceremonyPtau(state, ctx, options.ptau);
  const name = state.circuit.name;
  const latest = latestZkey(state);
  await checkZkeyMatchesState(dir, latest, state, state.contributions.length);
  // Verify the chain before the (cheap, deterministic) beacon, so that nothing is built on a bad key.
  const before = await verifyAgainstState(dir, latest, state, ptau, ctx.reporter);
  if (!before.contributions.some((c) => c.type === "secret")) throw new KeyError("KEY_BEACON_WITHOUT_SECRET", `${dir}: no secret contribution in the chain`);

  const finalZkey = `${name}.zkey`;
  const tmp = join(dir, `${finalZkey}.partial-${process.pid}`);
  let beacon: NonNullable<CeremonyState["finalized"]>["beacon"];
  try {
    if (options.beacon !== undefined) {
      const step = ctx.reporter.start(`${name}: public beacon (2^${iterations} SHA-256 iterations)`);
      const contributionHash = await applyBeacon(join(dir, latest), tmp, `beacon ${options.beacon.slice(0, 16)}`, options.beacon.toLowerCase(), iterations, (m) => step.note(m));
      step.end();
      beacon = { hashHex: options.beacon.toLowerCase(), numIterationsExp: iterations, contributionHash };
    } else {
      await copyFile(join(dir, latest), tmp);
    }
    await rename(tmp, join(dir, finalZkey));
  } finally {
    await rm(tmp, { force: true });
  }
  const contributions = await readZkeyContributions(join(dir, finalZkey));

  const step = ctx.reporter.start(`${name}: export verification key and verifier`);
  const exportDir = join(dir, `.export-${process.pid}`);
  await mkdir(exportDir, { recursive: true });
  const contract = contractName(name);
  let vkey: string;
  let solidity: string;
  try {
    await exportKeyFiles(join(dir, finalZkey), exportDir);
    vkey = await readFile(join(exportDir, "verification_key.json"), "utf8");
    solidity = publishedVerifierSource(await readFile(join(exportDir, "verifier.sol"), "utf8"), contract, state.circuitFile, state.hash.slice(0, 16));
  } finally {
    await rm(exportDir, { recursive: true, force: true });
  }
  step.end();

  const phase2: Phase2Provenance = {
    kind: "ceremony",
    contributions: contributions.contributions.map(({ name: n, hash, type }) => ({ name: n, hash, type })),
    ...(beacon ? { beacon: { hashHex: beacon.hashHex, numIterationsExp: beacon.numIterationsExp } } : {}),
  };
  const files = {
    verificationKey: `${name}.vkey.json`,
    verifier: `${contract}.sol`,
    provenance: `${name}.provenance.json`,
    transcript: `${name}.transcript.json`,
  };
  const provenance = provenanceV2({
    generatedBy: CEREMONY_GENERATED_BY,
    entry: state.circuit,
    circuitFile: state.circuitFile,
    hash: state.hash,
    compiler: state.compiler,
    flags: state.flags,
    constraints: state.constraints,
    nPublic: state.nPublic,
    domainPower: state.domainPower,
    ptau: ptauProvenance({ ...state.ptau.info, ...(state.ptau.sha256 === undefined ? {} : { sha256: state.ptau.sha256 }) }),
    phase2,
    snarkjs: snarkjsVersion(),
    verifierContract: { file: `contracts/generated/${contract}.sol`, name: contract },
    verificationKey: `circuits/keys/${files.verificationKey}`,
    transcript: `circuits/keys/${files.transcript}`,
  });
  const transcript = `${JSON.stringify(transcriptOf(name, contributions), null, 2)}\n`;
  const provenanceText = `${JSON.stringify(provenance, null, 2)}\n`;
  await writeFile(join(dir, files.verificationKey), vkey);
  await writeFile(join(dir, files.verifier), solidity);
  await writeFile(join(dir, files.provenance), provenanceText);
  await writeFile(join(dir, files.transcript), transcript);
  state.finalized = { zkey: finalZkey, ...(beacon ? { beacon } : {}), files };
  await saveState(dir, state);

  // The final key's chain (with the beacon) must verify as a whole too.
  const verification = await verifyAgainstState(dir, finalZkey, state, ptau, ctx.reporter);
  const published = options.publish === true ? await publishCeremony(dir, state, { vkey, solidity, provenance: provenanceText, transcript }, ctx) : [];
  return { state, provenance, security: keySecurity(provenance), verification, published };
}

async function publishCeremony(
  dir: string,
  state: CeremonyState,
  texts: { vkey: string; solidity: string; provenance: string; transcript: string },
  ctx: { root: string; cacheDir: string; reporter: Reporter },
): Promise<string[]> {
  const name = state.circuit.name;
  const current = await circuitSource(state.circuit, ctx.root);
  if (current.hash !== state.hash) {
    throw new KeyError(
      "CEREMONY_STATE_MISMATCH",
      `${name}: the checkout's circuit sources (hash ${current.hash.slice(0, 16)}) differ from the ceremony's (${state.hash.slice(0, 16)}); publish from the checkout the ceremony started in`,
    );
  }
  const contract = contractName(name);
  const changed: string[] = [];
  for (const [file, text] of [
    [join(ctx.root, "contracts", "generated", `${contract}.sol`), texts.solidity],
    [join(ctx.root, "circuits", "keys", `${name}.vkey.json`), texts.vkey],
    [join(ctx.root, "circuits", "keys", `${name}.provenance.json`), texts.provenance],
    [join(ctx.root, "circuits", "keys", `${name}.transcript.json`), texts.transcript],
  ] as const) {
    if (await writeIfChanged(file, text)) changed.push(file);
  }
  // Install the keys where runSetup({ phase2: "ceremony" }) finds them (same layout as built keys).
  const keysDir = join(ctx.cacheDir, "circuits", `${name}-${state.hash.slice(0, 16)}`, keysDirName(state.ptau.info.id, "ceremony"));
  await rm(keysDir, { recursive: true, force: true });
  await mkdir(keysDir, { recursive: true });
  await copyFile(join(dir, `${name}.zkey`), join(keysDir, `${name}.zkey`));
  await exportKeyFiles(join(dir, `${name}.zkey`), keysDir);
  await writeFile(join(keysDir, "transcript.json"), texts.transcript);
  const provenance = JSON.parse(texts.provenance) as ProvenanceV2;
  const keys: KeysInfo = { hash: state.hash, ptau: state.ptau.info, ptauPower: state.domainPower, phase2: provenance.phase2, snarkjs: snarkjsVersion(), seconds: 0 };
  await writeFile(join(keysDir, "keys.json"), `${JSON.stringify(keys, null, 2)}\n`);
  const { generateContractArtifacts } = await import("./contracts.js");
  const generated = await generateContractArtifacts({ write: true, root: ctx.root, reporter: ctx.reporter });
  return [...changed, ...generated.changed];
}

// ---------------------------------------------------------------------------------------------
// State

function zkeyName(circuit: string, index: number): string {
  return `${circuit}_${String(index).padStart(4, "0")}.zkey`;
}

function latestZkey(state: CeremonyState): string {
  return state.contributions.at(-1)?.zkey ?? state.initialZkey;
}

/** The zkey's recorded contributions must be exactly ceremony.json's first `count` (cheap: no verification). */
async function checkZkeyMatchesState(dir: string, zkey: string, state: CeremonyState, count: number): Promise<void> {
  const recorded = await readZkeyContributions(join(dir, zkey));
  const expected = state.contributions.slice(0, count);
  if (recorded.circuitHash !== state.circuitHash) throw new KeyError("CEREMONY_STATE_MISMATCH", `${zkey}: a key for another circuit (circuit hash differs from ceremony.json)`);
  if (recorded.contributions.length !== expected.length || recorded.contributions.some((c, i) => c.hash !== expected[i]!.hash)) {
    throw new KeyError("CEREMONY_STATE_MISMATCH", `${zkey}: its ${recorded.contributions.length} recorded contribution(s) differ from the ${expected.length} in ceremony.json`);
  }
}

export async function loadState(dir: string): Promise<CeremonyState> {
  const raw = await readJson(join(dir, CEREMONY_FILE));
  if (raw === undefined) throw new KeyError("CEREMONY_BAD_DIR", `${dir}: no readable ${CEREMONY_FILE} (start one with \`tinycloud ceremony start <circuit> --out ${basename(dir)}\`)`);
  const state = raw as CeremonyState;
  if (state.format !== STATE_FORMAT || !Array.isArray(state.contributions) || typeof state.circuit?.name !== "string") {
    throw new KeyError("CEREMONY_BAD_DIR", `${dir}/${CEREMONY_FILE}: not a ceremony state of format ${STATE_FORMAT}`);
  }
  return state;
}

async function saveState(dir: string, state: CeremonyState): Promise<void> {
  const tmp = join(dir, `${CEREMONY_FILE}.tmp-${process.pid}`);
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`);
  await rename(tmp, join(dir, CEREMONY_FILE));
}
