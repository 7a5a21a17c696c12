/**
 * The circuit artifact pipeline behind `tinycloud setup`.
 *
 * For every entry of circuits/circuits.json:
 *   1. compile with circom2 (--O2 --r1cs --wasm), cached by a content hash of the circuit sources,
 *      their includes, the generated main component, the compiler version and the flags;
 *   2. pick a ptau: the user's (--ptau; checked for power and phase-2 preparation) or the INSECURE
 *      dev ptau (prover/ptau/dev-ptau.ts) at the smallest sufficient power, cached by power;
 *   3. Groth16 setup (snarkjs zKey.newZKey) plus phase 2, cached per ptau and phase-2 mode:
 *      "csprng" (default): one secret contribution with OS CSPRNG entropy (phase2.ts), so δ is unknown;
 *      "insecure-deterministic": one public beacon derived from the circuit hash and the ptau, which
 *      makes the keys reproducible (the committed dev keys) and FORGEABLE (δ follows from public data);
 *      "ceremony": never built here, only keys a ceremony installed (ceremony.ts finalize --publish);
 *   4. export verification_key.json, the Solidity verifier and the contribution transcript;
 *   5. publish contracts/generated/<Name>Verifier.sol, circuits/keys/<name>.vkey.json,
 *      circuits/keys/<name>.provenance.json (format 2, see key-security.ts) and
 *      circuits/keys/<name>.transcript.json (files are rewritten only when their content changes).
 *
 * Cache layout (under <root>/.cache, git-ignored):
 *   circuits/<name>-<hash16>/            <name>.circom (generated main), <name>.r1cs, <name>_js/,
 *                                        compile.json (marker, written last)
 *   circuits/<name>-<hash16>/keys-<ptauId>-<phase2>/  <name>.zkey, verification_key.json, verifier.sol,
 *                                        transcript.json, keys.json (marker)
 *   ptau/dev-<power>.ptau (+ .json)      dev ptau files
 * Every directory is built under a temporary name and renamed when complete, so an interrupted run
 * leaves no half-built entry behind.
 */
import { createHash } from "node:crypto";
import { spawn } from "node:child_process";
import { createReadStream, existsSync, readFileSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { basename, dirname, isAbsolute, join, parse, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import * as binFileUtils from "@iden3/binfileutils";
import { TinyCloudError } from "../../core/errors.js";
import type { SnarkjsLogger } from "snarkjs";
import { devPtauBeacon, generateDevPtau } from "../ptau/dev-ptau.js";
import { readBinFile } from "./file-handles.js";
import { PROVENANCE_FORMAT, provenanceSecurity, type KeyTranscript, type Phase2Provenance, type ProvenanceV2, type PtauProvenance } from "./key-security.js";
import { applyBeacon, contributeSecret, readZkeyContributions, transcriptOf, type Phase2Mode } from "./phase2.js";
import { createReporter, formatSeconds, type Reporter, type SetupPhaseName } from "./progress.js";

export type SetupErrorCode = "SETUP_FAILED" | "SETUP_NO_CEREMONY_KEYS" | "SETUP_KEYS_MISSING" | "SETUP_MIXED_PHASE2";

/** An expected failure (bad manifest or circuit, unusable ptau, compiler error): report the message, no stack. */
export class SetupError extends TinyCloudError<SetupErrorCode> {
  override readonly name = "SetupError" as const;
  /** Message first: most setup failures are plain SETUP_FAILED. */
  constructor(message: string, code: SetupErrorCode = "SETUP_FAILED") {
    super(code, message);
  }
}

/** What runSetup does for phase 2: make keys ("csprng", "insecure-deterministic") or use a ceremony's installed keys. */
export type SetupPhase2 = Phase2Mode | "ceremony";

// ---------------------------------------------------------------------------------------------
// Manifest

export interface CircuitEntry {
  /** Identifier: keys and the verifier contract are named after it ([A-Za-z][A-Za-z0-9_-]*). */
  name: string;
  /** The .circom file holding `template` (no main component), relative to the repository root. */
  file: string;
  template: string;
  /** Arguments of the main component. */
  params: Array<number | string>;
  /** Public input signals (outputs are always public). */
  public: string[];
  /** Set on circuits that only exercise the pipeline. */
  test?: boolean;
}

export interface CircuitManifest {
  circuits: CircuitEntry[];
}

const NAME_RE = /^[A-Za-z][A-Za-z0-9_-]*$/;
const IDENT_RE = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export async function loadManifest(file: string): Promise<CircuitManifest> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new SetupError(`cannot read circuit manifest ${file}: ${(error as Error).message}`);
  }
  const circuits = (raw as { circuits?: unknown }).circuits;
  if (!Array.isArray(circuits)) throw new SetupError(`${file}: "circuits" must be an array`);
  const seen = new Set<string>();
  const entries = circuits.map((c: unknown, i): CircuitEntry => {
    const where = `${file}: circuits[${i}]`;
    const e = c as Record<string, unknown>;
    if (typeof e["name"] !== "string" || !NAME_RE.test(e["name"])) throw new SetupError(`${where}: "name" must match ${NAME_RE}`);
    if (seen.has(e["name"])) throw new SetupError(`${where}: duplicate name "${e["name"]}"`);
    seen.add(e["name"]);
    if (typeof e["file"] !== "string" || !e["file"].endsWith(".circom")) throw new SetupError(`${where}: "file" must be a .circom path`);
    if (typeof e["template"] !== "string" || !IDENT_RE.test(e["template"])) throw new SetupError(`${where}: "template" must be an identifier`);
    const params = e["params"] ?? [];
    if (!Array.isArray(params) || !params.every((p) => (typeof p === "number" && Number.isSafeInteger(p)) || (typeof p === "string" && /^-?\d+$/.test(p)))) {
      throw new SetupError(`${where}: "params" must be an array of integers (numbers or decimal strings)`);
    }
    const pub = e["public"] ?? [];
    if (!Array.isArray(pub) || !pub.every((s) => typeof s === "string" && IDENT_RE.test(s))) throw new SetupError(`${where}: "public" must be an array of signal names`);
    const entry: CircuitEntry = { name: e["name"], file: e["file"], template: e["template"], params: params as Array<number | string>, public: pub as string[] };
    if (e["test"] === true) entry.test = true;
    return entry;
  });
  return { circuits: entries };
}

// ---------------------------------------------------------------------------------------------
// Options and results

export interface SetupOptions {
  /** Repository root (default: the root of this checkout). */
  root?: string;
  /** Default <root>/circuits/circuits.json. */
  manifestFile?: string;
  /** Build only these circuits (default: all). */
  circuits?: string[];
  /** A prepared ptau file from a public ceremony. Without it the INSECURE dev ptau is used. */
  ptau?: string;
  /** Rebuild the selected circuits even when cached (dev ptau files stay cached). */
  force?: boolean;
  /** Default <root>/.cache. */
  cacheDir?: string;
  /** Default <root>/contracts/generated. */
  contractsDir?: string;
  /** Default <root>/circuits/keys. */
  keysDir?: string;
  /** Worker threads for dev ptau generation. */
  threads?: number;
  /**
   * Phase 2 (default "csprng": a secret contribution, new random keys on every cache miss).
   * "insecure-deterministic" gives reproducible but FORGEABLE keys (committed dev keys, test fixtures);
   * "ceremony" uses keys installed by `tinycloud ceremony finalize --publish` and never builds.
   */
  phase2?: SetupPhase2;
  /**
   * Only use cached keys, never build (SETUP_KEYS_MISSING otherwise): for processes that prove with the
   * published keys (node, prover workers), where a rebuild in a random phase-2 mode would silently rotate them.
   */
  reuseOnly?: boolean;
  reporter?: Reporter;
}

export interface PtauInfo {
  kind: "dev" | "file";
  /** Stable identity used in cache paths: dev-<beacon> or file-<sha256(header, contributions)>. */
  id: string;
  insecure: boolean;
  /** Set for files (and for dev ptau once one was needed in this run). */
  file?: string;
  power?: number;
  beaconHashHex?: string;
  /** Files: sha256 (hex) of the whole file, for the provenance. */
  sha256?: string;
}

export interface CircuitBuild {
  name: string;
  /** Full content hash (hex) and the 16-character prefix used in paths and headers. */
  hash: string;
  shortHash: string;
  dir: string;
  r1cs: string;
  wasm: string;
  zkey: string;
  verificationKey: string;
  constraints: number;
  /** Public signals (outputs + public inputs). */
  nPublic: number;
  /** The ptau power the circuit needs (its Groth16 domain is 2^power). */
  power: number;
  ptau: PtauInfo;
  cached: { compile: boolean; keys: boolean };
  published: { verifier: string; verificationKey: string; provenance: string; transcript: string; changed: string[] };
  seconds: number;
}

interface Context {
  root: string;
  cacheDir: string;
  contractsDir: string;
  keysDir: string;
  reporter: Reporter;
  force: boolean;
  threads?: number;
  ptau: PtauInfo;
  phase2: SetupPhase2;
}

export const COMPILE_FLAGS: readonly string[] = ["--O2", "--r1cs", "--wasm"];
const HASH_VERSION = 1;
const GENERATED_BY = "prover/setup (npx tinycloud setup)";
export const CEREMONY_GENERATED_BY = "prover/setup/ceremony.ts (tinycloud ceremony finalize)";
const DEV_ZKEY_BEACON_ITERATIONS_EXP = 10;

const requireHere = createRequire(import.meta.url);

/** The repository root of this checkout (prover/setup/ is two levels down). */
export function defaultRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
}

/** Build (or find in the cache) every selected circuit, then publish its verifier and keys. */
export async function runSetup(options: SetupOptions = {}): Promise<CircuitBuild[]> {
  const root = resolve(options.root ?? defaultRoot());
  const reporter = options.reporter ?? createReporter();
  const manifestFile = resolve(root, options.manifestFile ?? join("circuits", "circuits.json"));
  const manifest = await loadManifest(manifestFile);
  let entries = manifest.circuits;
  if (options.circuits && options.circuits.length > 0) {
    const wanted = new Set(options.circuits);
    const unknown = [...wanted].filter((n) => !entries.some((e) => e.name === n));
    if (unknown.length > 0) throw new SetupError(`unknown circuit(s) ${unknown.join(", ")}; ${relative(root, manifestFile)} has ${entries.map((e) => e.name).join(", ") || "none"}`);
    entries = entries.filter((e) => wanted.has(e.name));
  }
  const ctx: Context = {
    root,
    cacheDir: resolve(root, options.cacheDir ?? ".cache"),
    contractsDir: resolve(root, options.contractsDir ?? join("contracts", "generated")),
    keysDir: resolve(root, options.keysDir ?? join("circuits", "keys")),
    reporter,
    force: options.force === true,
    ptau: options.ptau ? await userPtau(resolve(options.ptau)) : devPtauInfo(),
    phase2: options.phase2 ?? "csprng",
    ...(options.threads === undefined ? {} : { threads: options.threads }),
  };
  const hadSnarkjsWorkers = sharedSnarkjsCurve() !== undefined;
  try {
    // Compile everything first, so that one dev ptau (at the largest power needed) serves all.
    const prepared: Prepared[] = [];
    for (const entry of entries) prepared.push(await prepareCircuit(entry, ctx));
    const needKeys = prepared.filter((p) => !p.keysCached);
    if (ctx.phase2 === "ceremony" && needKeys.length > 0) {
      throw new SetupError(
        `no ceremony keys installed for ${needKeys.map((p) => p.entry.name).join(", ")} (with ${ctx.ptau.kind === "dev" ? "the dev ptau" : `ptau ${ctx.ptau.file}`}) for the current circuit sources: ` +
          "run `tinycloud ceremony finalize DIR --publish` in this checkout (or set up with --insecure-deterministic / the default CSPRNG phase 2)",
        "SETUP_NO_CEREMONY_KEYS",
      );
    }
    if (options.reuseOnly === true && needKeys.length > 0) {
      throw new SetupError(
        `no cached ${ctx.phase2} keys for ${needKeys.map((p) => p.entry.name).join(", ")}: building them now would make NEW random keys that the published ` +
          "(and deployed) verifiers reject. Check that --ptau is the one the keys were made with; otherwise run `tinycloud setup` (then redeploy the verifiers) " +
          "or restore the .cache directory the published keys were made in.",
        "SETUP_KEYS_MISSING",
      );
    }
    if (ctx.ptau.kind === "file") {
      for (const p of needKeys) checkPtauPower(p.entry, p.info, ctx.ptau);
    } else if (needKeys.length > 0) {
      await ensureDevPtau(Math.max(...needKeys.map((p) => p.info.power)), ctx);
    }
    const builds: CircuitBuild[] = [];
    for (const p of prepared) builds.push(await finishCircuit(p, ctx));
    return builds;
  } finally {
    // snarkjs' setup functions start a shared multi-threaded engine that keeps the process alive;
    // stop it when this run started it (a caller's own engine is left alone).
    if (!hadSnarkjsWorkers) await releaseSnarkjsWorkers();
  }
}

// ---------------------------------------------------------------------------------------------
// One circuit

interface Prepared {
  entry: CircuitEntry;
  source: CircuitSource;
  dir: string;
  r1cs: string;
  wasm: string;
  info: CompileInfo;
  compileCached: boolean;
  keysDir: string;
  keysCached: boolean;
  seconds: number;
}

/** Hash the sources, compile unless cached, and find out whether the keys for ctx.ptau are cached. */
async function prepareCircuit(entry: CircuitEntry, ctx: Context): Promise<Prepared> {
  const started = performance.now();
  const source = await circuitSource(entry, ctx.root);
  const { dir, keysDir, compileCached, keysCached } = await cacheState(entry, source, ctx);
  if (!compileCached) await buildDir(dir, (tmp) => compileCircuit(entry, source, tmp, ctx));
  const info = (await readJson(join(dir, "compile.json"))) as CompileInfo;
  return {
    entry,
    source,
    dir,
    r1cs: join(dir, `${entry.name}.r1cs`),
    wasm: join(dir, `${entry.name}_js`, `${entry.name}.wasm`),
    info,
    compileCached,
    keysDir,
    keysCached,
    seconds: (performance.now() - started) / 1000,
  };
}

/** Where a circuit's compile output and keys live in the cache, and whether they are there. */
async function cacheState(
  entry: CircuitEntry,
  source: CircuitSource,
  ctx: Pick<Context, "cacheDir" | "force" | "ptau" | "phase2">,
): Promise<{ dir: string; keysDir: string; compileCached: boolean; keysCached: boolean }> {
  const dir = join(ctx.cacheDir, "circuits", `${entry.name}-${source.hash.slice(0, 16)}`);
  const compileCached = !ctx.force && (await readJson(join(dir, "compile.json"))) !== undefined;
  const keysDir = join(dir, keysDirName(ctx.ptau.id, ctx.phase2));
  const keysCached = !ctx.force && compileCached && (await readJson(join(keysDir, "keys.json"))) !== undefined;
  return { dir, keysDir, compileCached, keysCached };
}

/** One step `runSetup` will run (it skips what the cache holds), with the circuit's size. */
export interface PlannedSetupStep {
  readonly phase: SetupPhaseName;
  readonly circuit?: string;
  /** Constraints: from the cached compile, else from the committed provenance (an estimate when the sources changed since). */
  readonly constraints?: number;
  readonly power: number;
}

/**
 * What `runSetup` with these options would build, without building anything: the compile, dev-ptau,
 * Groth16-setup and phase-2 steps that the cache does not already hold, in the order runSetup runs
 * them. Sizes come from the cache or the committed provenance, so a progress model can weigh them.
 */
export async function setupPlan(options: Pick<SetupOptions, "root" | "manifestFile" | "circuits" | "ptau" | "cacheDir" | "keysDir" | "phase2" | "force"> = {}): Promise<PlannedSetupStep[]> {
  const root = resolve(options.root ?? defaultRoot());
  const manifest = await loadManifest(resolve(root, options.manifestFile ?? join("circuits", "circuits.json")));
  const wanted = options.circuits && options.circuits.length > 0 ? new Set(options.circuits) : undefined;
  const ctx = {
    cacheDir: resolve(root, options.cacheDir ?? ".cache"),
    force: options.force === true,
    ptau: options.ptau ? await userPtau(resolve(options.ptau)) : devPtauInfo(),
    phase2: options.phase2 ?? "csprng",
  };
  const keysDir = resolve(root, options.keysDir ?? join("circuits", "keys"));
  const compiles: PlannedSetupStep[] = [];
  const keys: PlannedSetupStep[] = [];
  for (const entry of manifest.circuits.filter((e) => wanted === undefined || wanted.has(e.name))) {
    const state = await cacheState(entry, await circuitSource(entry, root), ctx);
    const compiled = (await readJson(join(state.dir, "compile.json"))) as CompileInfo | undefined;
    const committed = (await readJson(join(keysDir, `${entry.name}.provenance.json`))) as { constraints?: number; domainPower?: number } | undefined;
    const constraints = compiled?.constraints ?? committed?.constraints;
    const power = compiled?.power ?? committed?.domainPower ?? 16;
    const size = { circuit: entry.name, power, ...(constraints !== undefined ? { constraints } : {}) };
    if (!state.compileCached) compiles.push({ phase: "compile", ...size });
    if (!state.keysCached && ctx.phase2 !== "ceremony") keys.push({ phase: "groth16-setup", ...size }, { phase: "phase2", ...size });
  }
  const ptau: PlannedSetupStep[] = [];
  if (ctx.ptau.kind === "dev" && keys.length > 0) {
    const power = Math.max(...keys.map((k) => k.power));
    if ((await cachedDevPtau(power, ctx.cacheDir)) === undefined) ptau.push({ phase: "ptau", power });
  }
  return [...compiles, ...ptau, ...keys];
}

/** Make the keys unless cached, then publish the verifier, verification key and provenance. */
async function finishCircuit(p: Prepared, ctx: Context): Promise<CircuitBuild> {
  const started = performance.now();
  const { entry, source, info, keysDir } = p;
  if (!p.keysCached) await buildDir(keysDir, (tmp) => makeKeys(entry, source.hash, info, p.r1cs, tmp, ctx));
  const keysInfo = (await readJson(join(keysDir, "keys.json"))) as KeysInfo;
  const published = await publish(entry, source, info, keysInfo, keysDir, ctx);
  const seconds = p.seconds + (performance.now() - started) / 1000;
  const state = p.compileCached && p.keysCached ? "cached" : p.compileCached ? "compile cached, keys built" : "built";
  const wrote = published.changed.length > 0 ? `; wrote ${published.changed.map((f) => relative(ctx.root, f)).join(", ")}` : "";
  ctx.reporter.line(
    `${entry.name}: ${state} in ${formatSeconds(seconds)} — ${info.constraints} constraints, ${info.nPublic} public, needs ptau power >= ${info.power}${keysInfo.ptau.kind === "dev" ? " (INSECURE dev ptau)" : ""}, phase 2 ${keysInfo.phase2.kind}${wrote}`,
  );
  return {
    name: entry.name,
    hash: source.hash,
    shortHash: source.hash.slice(0, 16),
    dir: p.dir,
    r1cs: p.r1cs,
    wasm: p.wasm,
    zkey: join(keysDir, `${entry.name}.zkey`),
    verificationKey: join(keysDir, "verification_key.json"),
    constraints: info.constraints,
    nPublic: info.nPublic,
    power: info.power,
    ptau: keysInfo.ptau,
    cached: { compile: p.compileCached, keys: p.keysCached },
    published,
    seconds,
  };
}

/**
 * The cache directory of one circuit's keys: the ptau and the phase-2 mode are both in the name, so
 * reproducible (forgeable) dev keys, CSPRNG keys and ceremony keys never replace each other.
 */
export function keysDirName(ptauId: string, phase2: SetupPhase2): string {
  return `keys-${ptauId}-${phase2}`;
}

/** What the ceremony needs from the pipeline: a compiled circuit (cached like every other). */
export interface CompiledCircuit {
  entry: CircuitEntry;
  source: CircuitSource;
  /** The cache directory (<cache>/circuits/<name>-<hash16>). */
  dir: string;
  r1cs: string;
  wasm: string;
  constraints: number;
  nPublic: number;
  power: number;
  compiler: string;
  flags: readonly string[];
}

/** Compile one manifest circuit (or take it from the cache). */
export async function compileCircuitEntry(name: string, options: { root?: string; manifestFile?: string; cacheDir?: string; reporter?: Reporter; force?: boolean } = {}): Promise<CompiledCircuit> {
  const root = resolve(options.root ?? defaultRoot());
  const manifestFile = resolve(root, options.manifestFile ?? join("circuits", "circuits.json"));
  const manifest = await loadManifest(manifestFile);
  const entry = manifest.circuits.find((e) => e.name === name);
  if (!entry) throw new SetupError(`unknown circuit ${name}; ${relative(root, manifestFile)} has ${manifest.circuits.map((e) => e.name).join(", ") || "none"}`);
  const ctx: Context = {
    root,
    cacheDir: resolve(root, options.cacheDir ?? ".cache"),
    contractsDir: resolve(root, join("contracts", "generated")),
    keysDir: resolve(root, join("circuits", "keys")),
    reporter: options.reporter ?? createReporter(),
    force: options.force === true,
    ptau: devPtauInfo(),
    phase2: "ceremony",
  };
  const p = await prepareCircuit(entry, ctx);
  return {
    entry,
    source: p.source,
    dir: p.dir,
    r1cs: p.r1cs,
    wasm: p.wasm,
    constraints: p.info.constraints,
    nPublic: p.info.nPublic,
    power: p.info.power,
    compiler: p.info.compiler,
    flags: p.info.flags,
  };
}

// ---------------------------------------------------------------------------------------------
// Sources and the content hash

export interface CircuitSource {
  /** sha256 (hex) over the generated main, every source file, the compiler version and the flags. */
  hash: string;
  /** Text of the generated main component file. */
  main: string;
  /** Absolute path of the entry's circuit file. */
  file: string;
  /** Library directories passed to circom with -l. */
  libraries: string[];
  /** Every source file (entry file and transitive includes), with its path relative to the root. */
  files: Array<{ path: string; sha256: string }>;
  compiler: string;
}

/** Read the entry's sources and includes and compute its content hash. */
export async function circuitSource(entry: CircuitEntry, root: string): Promise<CircuitSource> {
  const file = resolve(root, entry.file);
  const rel = relative(root, file);
  if (rel.startsWith("..") || isAbsolute(rel)) throw new SetupError(`circuit ${entry.name}: ${entry.file} must be inside the repository root ${root}`);
  if (!existsSync(file)) throw new SetupError(`circuit ${entry.name}: ${entry.file} does not exist`);
  // The generated main includes the circuit by its root-relative path, found through `-l root`.
  const libraries = [root, circomlibParent()];
  const main = mainSource(entry, rel.split(sep).join("/"));
  const files = new Map<string, string>(); // absolute path -> sha256
  const visit = async (path: string, includedFrom: string | null) => {
    if (files.has(path)) return;
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch {
      throw new SetupError(`circuit ${entry.name}: cannot read ${path}${includedFrom ? ` (included from ${includedFrom})` : ""}`);
    }
    files.set(path, sha256(text));
    for (const include of includes(text)) {
      const target = resolveInclude(include, dirname(path), libraries);
      if (!target)
        throw new SetupError(
          `circuit ${entry.name}: include "${include}" in ${relative(root, path)} not found (searched its directory and ${libraries.map((l) => relative(root, l) || ".").join(", ")})`,
        );
      await visit(target, path);
    }
  };
  await visit(file, null);
  const compiler = `circom2@${circom2Version()}`;
  const sorted = [...files.entries()].map(([path, digest]) => ({ path: portablePath(root, path), sha256: digest })).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const material = JSON.stringify({ v: HASH_VERSION, main, files: sorted, compiler, flags: COMPILE_FLAGS });
  return { hash: sha256(material), main, file, libraries, files: sorted, compiler };
}

/**
 * The generated main component. It includes the circuit by its root-relative path (root is a -l
 * library), which never names a file in the main's own directory and does not depend on where the
 * checkout lives.
 */
function mainSource(entry: CircuitEntry, includePath: string): string {
  const pub = entry.public.length > 0 ? ` {public [${entry.public.join(", ")}]}` : "";
  return [
    "pragma circom 2.0.0;",
    `// Generated by ${GENERATED_BY} from circuits/circuits.json entry "${entry.name}". Do not edit.`,
    `include "${includePath}";`,
    "",
    `component main${pub} = ${entry.template}(${entry.params.map(String).join(", ")});`,
    "",
  ].join("\n");
}

function includes(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/[^\n]*/g, "");
  return [...code.matchAll(/\binclude\s+"([^"]+)"\s*;/g)].map((m) => m[1]!);
}

/** circom's order: the including file's directory, then each -l library directory. */
function resolveInclude(include: string, fromDir: string, libraries: string[]): string | undefined {
  if (isAbsolute(include)) return existsSync(include) ? include : undefined;
  for (const base of [fromDir, ...libraries]) {
    const candidate = resolve(base, include);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Root-relative with forward slashes, so the hash does not depend on where the checkout lives. */
export function portablePath(root: string, path: string): string {
  const rel = relative(root, path);
  return (rel.startsWith("..") || isAbsolute(rel) ? path : rel).split(sep).join("/");
}

function circomlibParent(): string {
  // .../node_modules/circomlib/package.json -> .../node_modules
  return dirname(dirname(requireHere.resolve("circomlib/package.json")));
}

let circom2VersionCache: string | undefined;
function circom2Version(): string {
  circom2VersionCache ??= (requireHere("circom2/package.json") as { version: string }).version;
  return circom2VersionCache;
}

// ---------------------------------------------------------------------------------------------
// 1. Compile

interface CompileInfo {
  hash: string;
  compiler: string;
  flags: readonly string[];
  constraints: number;
  nPubOut: number;
  nPubIn: number;
  nPrvIn: number;
  nWires: number;
  nPublic: number;
  /** Smallest ptau power that serves this circuit (snarkjs: log2(constraints + public) + 1). */
  power: number;
  files: Array<{ path: string; sha256: string }>;
  seconds: number;
}

async function compileCircuit(entry: CircuitEntry, source: CircuitSource, outDir: string, ctx: Context): Promise<void> {
  const step = ctx.reporter.start(`${entry.name}: compile (circom ${COMPILE_FLAGS.join(" ")})`, { phase: "compile", circuit: entry.name });
  const mainFile = join(outDir, `${entry.name}.circom`);
  await writeFile(mainFile, source.main);
  const args = [requireHere.resolve("circom2/cli.js"), mainFile, ...COMPILE_FLAGS];
  for (const lib of source.libraries) args.push("-l", lib);
  args.push("-o", outDir);
  // circom2 is WASI: it sees the file system through preopened directories relative to its working
  // directory and cannot follow "../" out of them, so run it from the file-system root (the CLI turns
  // our absolute paths into paths relative to that).
  const { code, output } = await run(process.execPath, args, parse(ctx.root).root);
  if (code !== 0) throw new SetupError(`circuit ${entry.name}: circom failed (exit ${code}):\n${output.trim()}`);
  const r1cs = await readR1csHeader(join(outDir, `${entry.name}.r1cs`));
  const seconds = step.end(`${r1cs.nConstraints} constraints`);
  const nPublic = r1cs.nPubOut + r1cs.nPubIn;
  const info: CompileInfo = {
    hash: source.hash,
    compiler: source.compiler,
    flags: COMPILE_FLAGS,
    constraints: r1cs.nConstraints,
    nPubOut: r1cs.nPubOut,
    nPubIn: r1cs.nPubIn,
    nPrvIn: r1cs.nPrvIn,
    nWires: r1cs.nWires,
    nPublic,
    power: requiredPtauPower(r1cs.nConstraints, nPublic),
    files: source.files,
    seconds,
  };
  await writeFile(join(outDir, "compile.json"), `${JSON.stringify(info, null, 2)}\n`);
}

/** The ptau power snarkjs' Groth16 setup needs: domain 2^power > constraints + public signals. */
export function requiredPtauPower(constraints: number, nPublic: number): number {
  return Math.floor(Math.log2(constraints + nPublic)) + 1;
}

export interface R1csHeader {
  nWires: number;
  nPubOut: number;
  nPubIn: number;
  nPrvIn: number;
  nConstraints: number;
}

export async function readR1csHeader(file: string): Promise<R1csHeader> {
  const { fd, sections } = await readBinFile(file, "r1cs", 1);
  try {
    const header = sections[1]?.[0];
    if (!header) throw new SetupError(`${file}: no r1cs header`);
    fd.pos = header.p;
    const n8 = await fd.readULE32();
    fd.pos += n8; // prime
    const nWires = await fd.readULE32();
    const nPubOut = await fd.readULE32();
    const nPubIn = await fd.readULE32();
    const nPrvIn = await fd.readULE32();
    await fd.readULE64(); // labels
    const nConstraints = await fd.readULE32();
    return { nWires, nPubOut, nPubIn, nPrvIn, nConstraints };
  } finally {
    await fd.close();
  }
}

function run(command: string, args: string[], cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ code: code ?? 1, output }));
  });
}

// ---------------------------------------------------------------------------------------------
// 2. Ptau

const BN128_Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;

export function devPtauInfo(): PtauInfo {
  const { beaconHashHex } = devPtauBeacon();
  return { kind: "dev", id: `dev-${beaconHashHex.slice(0, 16)}`, insecure: true, beaconHashHex };
}

export interface PtauHeader {
  power: number;
  ceremonyPower: number;
  /** Has the Lagrange sections (12-15) that `snarkjs powersoftau prepare phase2` adds. */
  prepared: boolean;
  /** sha256 over the header and contributions sections (hex). */
  id: string;
}

export async function readPtauHeader(file: string): Promise<PtauHeader> {
  const { fd, sections } = await readBinFile(file, "ptau", 1);
  try {
    const header = sections[1]?.[0];
    if (!header) throw new SetupError(`${file}: no ptau header`);
    fd.pos = header.p;
    const n8 = await fd.readULE32();
    const qBytes = await fd.read(n8);
    let q = 0n;
    for (let i = n8 - 1; i >= 0; i--) q = (q << 8n) | BigInt(qBytes[i]!);
    if (q !== BN128_Q) throw new SetupError(`${file}: not a bn128 (alt_bn128 / BN254) ptau`);
    const power = await fd.readULE32();
    const ceremonyPower = await fd.readULE32();
    const hasher = createHash("sha256");
    hasher.update(await binFileUtils.readSection(fd, sections, 1));
    if (sections[7]?.[0]) hasher.update(await binFileUtils.readSection(fd, sections, 7));
    return { power, ceremonyPower, prepared: sections[12] !== undefined, id: hasher.digest("hex") };
  } finally {
    await fd.close();
  }
}

export async function userPtau(file: string): Promise<PtauInfo> {
  if (!existsSync(file)) throw new SetupError(`--ptau ${file}: no such file`);
  let header: PtauHeader;
  try {
    header = await readPtauHeader(file);
  } catch (error) {
    throw new SetupError(`--ptau ${file}: not a usable ptau file: ${(error as Error).message}`);
  }
  if (!header.prepared) {
    throw new SetupError(
      `--ptau ${file}: this ptau is not prepared for phase 2 (it has no Lagrange sections 12-15). ` +
        "Groth16 setup needs a prepared file: use a *final* ceremony file (the Hermez powersOfTau28_hez_final_NN.ptau files are prepared), " +
        "or run `npx snarkjs powersoftau prepare phase2 <in.ptau> <out.ptau>` on it first (slow at large powers).",
    );
  }
  return { kind: "file", id: `file-${header.id.slice(0, 16)}`, insecure: false, file, power: header.power };
}

/** The provenance form of a ptau: nothing that depends on which cached dev file served (its power). */
export function ptauProvenance(ptau: PtauInfo): PtauProvenance {
  if (ptau.kind === "dev") return { kind: "dev", devBeaconHashHex: ptau.beaconHashHex ?? "", insecure: true };
  return { kind: "file", name: basename(ptau.file ?? ""), sha256: ptau.sha256 ?? "", insecure: false };
}

export function checkPtauPower(entry: CircuitEntry, info: { power: number; constraints: number; nPublic: number }, ptau: PtauInfo): void {
  const need = info.power;
  const have = ptau.power ?? 0;
  if (have < need) {
    throw new SetupError(
      `circuit ${entry.name} needs a ptau of power >= ${need}: ${info.constraints} constraints + ${info.nPublic} public signals ` +
        `must fit a domain of 2^${need} = ${2 ** need} (snarkjs: constraints + public < 2^power), but ${ptau.file} has power ${have} ` +
        `(at most ${2 ** have - 1} constraints + public). Use a larger ceremony file, e.g. powersOfTau28_hez_final_${String(need).padStart(2, "0")}.ptau or above.`,
    );
  }
}

/** A ptau file of power >= the circuit's for ctx.ptau: the user's (checked) or a dev one. */
export async function ptauFor(
  entry: CircuitEntry,
  info: { power: number; constraints: number; nPublic: number },
  ctx: { ptau: PtauInfo; cacheDir: string; reporter: Reporter; threads?: number },
): Promise<{ file: string; power: number }> {
  if (ctx.ptau.kind === "file") {
    checkPtauPower(entry, info, ctx.ptau);
    return { file: ctx.ptau.file!, power: ctx.ptau.power! };
  }
  return ensureDevPtau(info.power, ctx);
}

/**
 * The smallest cached dev ptau of power >= `power` (files whose beacon matches the current seed),
 * or a new one at exactly `power`, stored as <cache>/ptau/dev-<power>.ptau with a .json sidecar.
 */
export async function ensureDevPtau(power: number, ctx: { cacheDir: string; reporter: Reporter; threads?: number }): Promise<{ file: string; power: number }> {
  const cached = await cachedDevPtau(power, ctx.cacheDir);
  if (cached !== undefined) return cached;
  const dir = join(ctx.cacheDir, "ptau");
  await mkdir(dir, { recursive: true });
  const file = join(dir, `dev-${power}.ptau`);
  const step = ctx.reporter.start(`dev ptau 2^${power} (INSECURE)`, { phase: "ptau", power });
  const result = await generateDevPtau(file, {
    power,
    onProgress: (done, total, phase) => step.update(done, total, phase),
    ...(ctx.threads === undefined ? {} : { threads: ctx.threads }),
  });
  step.end(file);
  await writeFile(
    join(dir, `dev-${power}.json`),
    `${JSON.stringify({ power, beaconHashHex: result.beaconHashHex, numIterationsExp: result.numIterationsExp, responseHashHex: result.responseHashHex, seconds: result.seconds, insecure: true }, null, 2)}\n`,
  );
  return { file, power };
}

/** The smallest cached dev ptau of power >= `power` whose beacon matches the current seed. */
async function cachedDevPtau(power: number, cacheDir: string): Promise<{ file: string; power: number } | undefined> {
  const dir = join(cacheDir, "ptau");
  const { beaconHashHex } = devPtauBeacon();
  const candidates: number[] = [];
  if (existsSync(dir)) {
    for (const name of await readdir(dir)) {
      const m = /^dev-(\d+)\.ptau$/.exec(name);
      if (!m) continue;
      const p = Number(m[1]);
      const side = (await readJson(join(dir, `dev-${p}.json`))) as { beaconHashHex?: string } | undefined;
      if (p >= power && side?.beaconHashHex === beaconHashHex) candidates.push(p);
    }
  }
  if (candidates.length === 0) return undefined;
  const p = Math.min(...candidates);
  return { file: join(dir, `dev-${p}.ptau`), power: p };
}

// ---------------------------------------------------------------------------------------------
// 3-4. Keys

/** keys.json in a cache keys directory (also written by the ceremony when it installs its keys). */
export interface KeysInfo {
  hash: string;
  ptau: PtauInfo;
  ptauPower: number;
  phase2: Phase2Provenance;
  snarkjs: string;
  seconds: number;
}

async function makeKeys(entry: CircuitEntry, hash: string, info: CompileInfo, r1cs: string, outDir: string, ctx: Context): Promise<void> {
  const ptau = await ptauFor(entry, info, ctx);
  const snarkjs = await import("snarkjs");
  const started = performance.now();
  const size = { circuit: entry.name, constraints: info.constraints, power: info.power };
  const step = ctx.reporter.start(`${entry.name}: Groth16 setup`, { phase: "groth16-setup", ...size });
  const zkey0 = join(outDir, `${entry.name}_0000.zkey`);
  const zkey = join(outDir, `${entry.name}.zkey`);
  const log = collectingLogger((message) => step.note(message));
  const created = await snarkjs.zKey.newZKey(r1cs, ptau.file, zkey0, log.logger);
  if (created === -1 || log.errors.length > 0) throw new SetupError(`circuit ${entry.name}: groth16 setup failed: ${log.errors.join("; ") || "unknown error"}`);
  step.end();

  let phase2: Phase2Provenance;
  if (ctx.phase2 === "insecure-deterministic") {
    // Reproducible on purpose (the committed dev keys): the beacon, and so δ, follows from public data.
    const contribution = ctx.reporter.start(`${entry.name}: INSECURE deterministic phase 2 (public beacon)`, { phase: "phase2", ...size });
    const beaconHashHex = sha256(`tinycloud dev zkey beacon v1\0${hash}\0${ctx.ptau.id}`);
    const name = `tinycloud dev beacon ${entry.name}`;
    const contributionHash = await applyBeacon(zkey0, zkey, name, beaconHashHex, DEV_ZKEY_BEACON_ITERATIONS_EXP, (message) => contribution.note(message));
    contribution.end();
    phase2 = {
      kind: "insecure-deterministic",
      contributions: [{ name, hash: contributionHash, type: "beacon" }],
      beacon: { hashHex: beaconHashHex, numIterationsExp: DEV_ZKEY_BEACON_ITERATIONS_EXP },
    };
  } else if (ctx.phase2 === "csprng") {
    const contribution = ctx.reporter.start(`${entry.name}: phase-2 contribution (CSPRNG entropy)`, { phase: "phase2", ...size });
    const name = "tinycloud setup (CSPRNG)";
    const contributionHash = await contributeSecret(zkey0, zkey, name, (message) => contribution.note(message));
    contribution.end();
    phase2 = { kind: "csprng", contributions: [{ name, hash: contributionHash, type: "secret" }] };
  } else {
    throw new SetupError(`circuit ${entry.name}: ceremony keys are made by \`tinycloud ceremony\`, not by setup`, "SETUP_NO_CEREMONY_KEYS");
  }
  await rm(zkey0, { force: true });

  const transcript = transcriptOf(entry.name, await readZkeyContributions(zkey));
  await writeFile(join(outDir, "transcript.json"), `${JSON.stringify(transcript, null, 2)}\n`);
  await exportKeyFiles(zkey, outDir);
  const keys: KeysInfo = {
    hash,
    // The whole-file sha256 goes into the provenance; hashed once here, not on every (cached) run.
    ptau: { ...ctx.ptau, power: ptau.power, ...(ctx.ptau.kind === "file" ? { sha256: await sha256File(ptau.file) } : { file: relative(ctx.root, ptau.file) }) },
    ptauPower: ptau.power,
    phase2,
    snarkjs: snarkjsVersion(),
    seconds: (performance.now() - started) / 1000,
  };
  await writeFile(join(outDir, "keys.json"), `${JSON.stringify(keys, null, 2)}\n`);
}

/** verification_key.json and verifier.sol (snarkjs' Groth16 template) beside a finished zkey. */
export async function exportKeyFiles(zkey: string, outDir: string): Promise<void> {
  const snarkjs = await import("snarkjs");
  const vkey = await snarkjs.zKey.exportVerificationKey(zkey);
  await writeFile(join(outDir, "verification_key.json"), `${JSON.stringify(vkey, null, 1)}\n`);
  const template = await readFile(join(snarkjsDir(), "templates", "verifier_groth16.sol.ejs"), "utf8");
  const solidity = await snarkjs.zKey.exportSolidityVerifier(zkey, { groth16: template });
  await writeFile(join(outDir, "verifier.sol"), solidity);
}

function collectingLogger(onMessage: (message: string) => void): { logger: SnarkjsLogger; errors: string[] } {
  const errors: string[] = [];
  return {
    errors,
    logger: {
      debug: (m) => onMessage(m),
      info: (m) => onMessage(m),
      warn: (m) => onMessage(m),
      error: (m) => errors.push(m),
    },
  };
}

function snarkjsDir(): string {
  return dirname(fileURLToPath(import.meta.resolve("snarkjs")));
}

export function snarkjsVersion(): string {
  return (JSON.parse(readFileSync(join(snarkjsDir(), "package.json"), "utf8")) as { version: string }).version;
}

/** Terminate the worker threads snarkjs' shared bn128 engine started (they keep the process alive). */
export async function releaseSnarkjsWorkers(): Promise<void> {
  await sharedSnarkjsCurve()?.terminate();
}

function sharedSnarkjsCurve(): { terminate(): Promise<void> } | undefined {
  return (globalThis as { curve_bn128?: { terminate(): Promise<void> } | null }).curve_bn128 ?? undefined;
}

// ---------------------------------------------------------------------------------------------
// 5. Publish

/**
 * The committed form of a snarkjs-exported verifier: a one-line provenance header (circuit file and the
 * first hex digits of its content hash) and `contract Groth16Verifier` renamed after the circuit.
 */
export function publishedVerifierSource(exported: string, contract: string, circuitFile: string, shortHash: string): string {
  if (!/\bcontract Groth16Verifier\b/.test(exported)) throw new Error("unexpected snarkjs verifier template: no `contract Groth16Verifier`");
  const header = `// Generated by ${GENERATED_BY} from ${circuitFile} ${shortHash}. Do not edit.\n`;
  return header + exported.replace(/\bcontract Groth16Verifier\b/, `contract ${contract}`);
}

export function contractName(name: string): string {
  return `${name
    .split(/[-_]/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join("")}Verifier`;
}

/** What compiling a circuit established, as its provenance and a ceremony's state record it. */
export interface CompiledCircuitFacts {
  /** Root-relative circuit file. */
  circuitFile: string;
  /** The pipeline's content hash of the sources. */
  hash: string;
  compiler: string;
  flags: readonly string[];
  constraints: number;
  nPublic: number;
  domainPower: number;
}

export interface ProvenanceInput extends CompiledCircuitFacts {
  /** Default: `tinycloud setup`. */
  generatedBy?: string;
  entry: CircuitEntry;
  ptau: PtauProvenance;
  phase2: Phase2Provenance;
  snarkjs: string;
  verifierContract: { file: string; name: string };
  verificationKey: string;
  transcript: string;
}

/**
 * Provenance format 2. Deterministic: it records only facts about the key (no timestamps, no cache
 * paths, no ptau power, which depends on the cached dev file that served), so regenerating unchanged keys
 * rewrites nothing. `insecure` / `insecureReasons` are what keySecurity() derives from ptau and phase2.
 */
export function provenanceV2(input: ProvenanceInput): ProvenanceV2 {
  const security = provenanceSecurity(input.ptau, input.phase2);
  const { entry } = input;
  return {
    format: PROVENANCE_FORMAT,
    generatedBy: input.generatedBy ?? GENERATED_BY,
    note: "Do not edit: regenerate with `npx tinycloud setup` (or `tinycloud ceremony finalize`). Check the keys with keySecurity() (prover/setup/key-security.ts).",
    circuit: { name: entry.name, file: input.circuitFile, template: entry.template, params: entry.params, public: entry.public },
    hash: input.hash,
    compiler: input.compiler,
    flags: input.flags,
    constraints: input.constraints,
    nPublic: input.nPublic,
    domainPower: input.domainPower,
    insecure: security.insecure,
    insecureReasons: security.reasons,
    ptau: input.ptau,
    phase2: input.phase2,
    transcript: input.transcript,
    snarkjs: input.snarkjs,
    verifierContract: input.verifierContract,
    verificationKey: input.verificationKey,
  };
}

async function publish(entry: CircuitEntry, source: CircuitSource, info: CompileInfo, keys: KeysInfo, keysDir: string, ctx: Context): Promise<CircuitBuild["published"]> {
  const contract = contractName(entry.name);
  const circuitPath = portablePath(ctx.root, source.file);
  const shortHash = source.hash.slice(0, 16);
  const solidity = publishedVerifierSource(await readFile(join(keysDir, "verifier.sol"), "utf8"), contract, circuitPath, shortHash);
  const vkey = await readFile(join(keysDir, "verification_key.json"), "utf8");
  const transcript = JSON.parse(await readFile(join(keysDir, "transcript.json"), "utf8")) as KeyTranscript;
  const files = {
    verifier: join(ctx.contractsDir, `${contract}.sol`),
    verificationKey: join(ctx.keysDir, `${entry.name}.vkey.json`),
    provenance: join(ctx.keysDir, `${entry.name}.provenance.json`),
    transcript: join(ctx.keysDir, `${entry.name}.transcript.json`),
  };
  const provenance = provenanceV2({
    // Ceremony keys installed in the cache are republished exactly as the ceremony wrote them.
    ...(keys.phase2.kind === "ceremony" ? { generatedBy: CEREMONY_GENERATED_BY } : {}),
    entry,
    circuitFile: circuitPath,
    hash: source.hash,
    compiler: info.compiler,
    flags: info.flags,
    constraints: info.constraints,
    nPublic: info.nPublic,
    domainPower: info.power,
    ptau: ptauProvenance(keys.ptau),
    phase2: keys.phase2,
    snarkjs: keys.snarkjs,
    verifierContract: { file: portablePath(ctx.root, files.verifier), name: contract },
    verificationKey: portablePath(ctx.root, files.verificationKey),
    transcript: portablePath(ctx.root, files.transcript),
  });
  const changed: string[] = [];
  for (const [file, text] of [
    [files.verifier, solidity],
    [files.verificationKey, vkey],
    [files.provenance, `${JSON.stringify(provenance, null, 2)}\n`],
    [files.transcript, `${JSON.stringify(transcript, null, 2)}\n`],
  ] as const) {
    if (await writeIfChanged(file, text)) changed.push(file);
  }
  return { ...files, changed };
}

/**
 * The phase-2 mode of the keys published for these circuits (circuits/keys/<name>.provenance.json), for
 * processes that prove with the checkout's keys (node, prover workers): they must use the same keys the
 * published verifiers accept, not make new ones. No provenance, or a format-1 one: insecure-deterministic.
 */
export async function publishedPhase2(names: readonly string[], options: { root?: string; keysDir?: string } = {}): Promise<SetupPhase2> {
  const root = resolve(options.root ?? defaultRoot());
  const keysDir = resolve(root, options.keysDir ?? join("circuits", "keys"));
  const modes = new Set<SetupPhase2>();
  for (const name of names) {
    const p = (await readJson(join(keysDir, `${name}.provenance.json`))) as { format?: unknown; phase2?: { kind?: unknown } } | undefined;
    const kind = p?.format === PROVENANCE_FORMAT ? p.phase2?.kind : undefined;
    modes.add(kind === "csprng" || kind === "ceremony" ? kind : "insecure-deterministic");
  }
  if (modes.size > 1) throw new SetupError(`the published keys of ${names.join(", ")} mix phase-2 modes (${[...modes].join(", ")}); set them up the same way`, "SETUP_MIXED_PHASE2");
  return [...modes][0] ?? "insecure-deterministic";
}

// ---------------------------------------------------------------------------------------------
// Helpers

function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** sha256 (hex) of a file, streamed (ceremony ptau files reach gigabytes). */
export async function sha256File(file: string): Promise<string> {
  const hasher = createHash("sha256");
  for await (const chunk of createReadStream(file)) hasher.update(chunk as Buffer);
  return hasher.digest("hex");
}

export async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, "utf8"));
  } catch {
    return undefined;
  }
}

/** Write `text` atomically unless the file already holds exactly it; true when it wrote. */
export async function writeIfChanged(file: string, text: string): Promise<boolean> {
  try {
    if ((await readFile(file, "utf8")) === text) return false;
  } catch {
    // missing: write it
  }
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, text);
  await rename(tmp, file);
  return true;
}

/** Build `dir` in a temporary sibling and move it into place when `fill` succeeds. */
export async function buildDir(dir: string, fill: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = `${dir}.partial-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  try {
    await fill(tmp);
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
