/**
 * The light-client page (served by the node at GET /lightclient, bundled by lightclient/build.ts).
 *
 * Trust: the anchor contract and RPC come from /lightclient/config.json (the serving node's chain) unless
 * ?anchor= / ?rpc= override them, and the page shows which it uses. The node (?node=, default this page's
 * origin) is only a data source: every answer is re-checked by the core (lightclient/core) against the
 * chain and the verification keys compiled into this script (?vkeys=<url of {circuit: vkey}> swaps them;
 * the "vkey" step still demands that the contract uses them).
 *
 * Other parameters: ?uri= (verify at load), ?batch=N (check an older anchored batch).
 *
 * A write newer than the anchored root (lightclient/progress.ts) is shown as pending — "written, in batch N,
 * proving (est. …)" — never as a verified absence, and the page polls the chain until it anchors the write,
 * then verifies again (progress-view.ts). A private entry is verified with the reader's key and, if picked,
 * the value file, hashed here (private-entry.ts). An anchor address that is not a TinyCloudAnchor is named
 * as such (transports/anchor-check.ts, the CLI's check).
 * For tests and benchmarks the page exposes `window.tinycloudLightClient` and marks every step with
 * data-step / data-state (idle | running | pass | fail | skipped) / data-code.
 */
import { curves, groth16 } from "snarkjs";
import { createClient, http, getAddress, type Client } from "viem";
import { getChainId } from "viem/actions";
import {
  BUILTIN_VKEYS,
  chainReaderOf,
  collectEvidence,
  insecurePins,
  keyWarnings,
  entryAddress,
  fetchNodeSource,
  pinVkeys,
  reportOf,
  snarkjsGroth16,
  verifierIdOf,
  verifyEvidence,
  viemChainSource,
  type ChainReader,
  type ChainSource,
  type PinnedVkeys,
  type StepResult,
  type VerifyReport,
} from "../index.js";
import { describeProgress, writeProgress, type WriteProgress } from "../progress.js";
import { inspectAnchor, type AnchorInspection } from "../transports/anchor-check.js";
import { $, el, messageOf, shortHex } from "./dom.js";
import { drawChart, drawTable, loadHistory, utcTime, type AnchoredPoint } from "./history.js";
import { offerPrivateInputs, readPrivateInputs, type PrivateInputs } from "./private-entry.js";
import { hideProgress, isPending, showPending, showStopped, showVerified } from "./progress-view.js";

declare module "snarkjs" {
  /** snarkjs' curve loader (src/curves.js), exported by its browser build too. */
  export const curves: { getCurveFromName(name: string, options?: { singleThread?: boolean }): Promise<unknown> };
}

// ---------------------------------------------------------------------------------------------------
// Settings: what is trusted, where each piece came from

type Origin = "config" | "url" | "page" | "none";

interface Settings {
  anchor: string | undefined;
  anchorOrigin: Origin;
  rpc: string | undefined;
  rpcOrigin: Origin;
  /** chainId the serving node reports (informational: the RPC's own chain id is what counts). */
  configChainId: number | undefined;
  node: string;
  nodeOrigin: Origin;
  batch: number | undefined;
  vkeysUrl: string | undefined;
}

interface ServedConfig {
  rpcUrl?: string | null;
  anchor?: string | null;
  chainId?: number | null;
}

const params = new URLSearchParams(location.search);
const param = (name: string): string | undefined => {
  const value = params.get(name)?.trim();
  return value === undefined || value === "" ? undefined : value;
};

async function loadSettings(): Promise<{ settings: Settings; configError: string | undefined }> {
  let config: ServedConfig = {};
  let configError: string | undefined;
  try {
    const response = await fetch(new URL("/lightclient/config.json", location.href), { cache: "no-store" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    config = (await response.json()) as ServedConfig;
  } catch (error) {
    configError = `could not load /lightclient/config.json (${error instanceof Error ? error.message : String(error)}); set ?anchor= and ?rpc=`;
  }
  const anchorParam = param("anchor");
  const rpcParam = param("rpc");
  const nodeParam = param("node");
  const batchParam = param("batch");
  const batch = batchParam !== undefined && /^[0-9]{1,15}$/.test(batchParam) ? Number(batchParam) : undefined;
  const settings: Settings = {
    anchor: anchorParam ?? config.anchor ?? undefined,
    anchorOrigin: anchorParam !== undefined ? "url" : config.anchor ? "config" : "none",
    rpc: rpcParam ?? config.rpcUrl ?? undefined,
    rpcOrigin: rpcParam !== undefined ? "url" : config.rpcUrl ? "config" : "none",
    configChainId: config.chainId ?? undefined,
    node: (nodeParam ?? location.origin).replace(/\/+$/, ""),
    nodeOrigin: nodeParam !== undefined ? "url" : "page",
    batch,
    vkeysUrl: param("vkeys"),
  };
  if (settings.anchor === undefined && configError === undefined) configError = "the node serving this page anchors to no chain: set ?anchor= and ?rpc=";
  else if (settings.rpc === undefined && configError === undefined) configError = "no RPC URL for the chain: set ?rpc=";
  return { settings, configError };
}

const ORIGIN_TEXT: Record<Origin, string> = {
  config: "from the node's /lightclient/config.json",
  url: "overridden in the page URL",
  page: "this page's origin",
  none: "not set",
};

function showOrigin(selector: string, origin: Origin): void {
  const span = $(selector);
  span.textContent = `(${ORIGIN_TEXT[origin]})`;
  span.classList.toggle("override", origin === "url");
}

// ---------------------------------------------------------------------------------------------------
// Chain client: viem's tree-shakable client + actions (no createPublicClient, no chain table)

function chainClient(rpc: string): Client {
  return createClient({ transport: http(rpc, { timeout: 15_000, retryCount: 1 }) });
}

// ---------------------------------------------------------------------------------------------------
// Verification

const STEP_STATE = { passed: "pass", failed: "fail", skipped: "skipped" } as const;

function resetSteps(state: "idle" | "running"): void {
  for (const li of Array.from(document.querySelectorAll<HTMLElement>("#steps li[data-step]"))) {
    li.dataset["state"] = state;
    delete li.dataset["code"];
    li.querySelector(".code")!.textContent = "";
    li.querySelector(".reason")!.textContent = "";
    li.removeAttribute("title");
  }
}

function showStep(step: StepResult): void {
  const li = $(`#steps li[data-step="${step.step}"]`);
  li.dataset["state"] = STEP_STATE[step.status];
  li.dataset["code"] = step.code;
  li.querySelector(".code")!.textContent = step.status === "skipped" ? "skipped" : step.code;
  li.querySelector(".reason")!.textContent = step.reason;
  if (step.data !== undefined) li.title = JSON.stringify(step.data, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 1);
}

type Verdict = "idle" | "running" | "pass" | "fail" | "error" | "pending";

function setVerdict(verdict: Verdict, text: string): void {
  const p = $("#verdict");
  p.dataset["verdict"] = verdict;
  p.textContent = text;
}

function showValue(report: VerifyReport, bytes: Uint8Array | undefined, valueStep: StepResult | undefined, fileName: string | undefined): void {
  const box = $("#value");
  const facts = $("#value-facts");
  const pre = $("#value-text");
  facts.replaceChildren();
  const verified = valueStep?.ok === true;
  const fact = (name: string, value: string) => facts.append(el("dt", {}, name), el("dd", {}, value));
  if (report.entry?.kind === "absent" || (verified && valueStep?.code === "VALUE_ABSENT")) {
    fact("Status", `no value at anchored batch ${report.batch} (non-inclusion proven)`);
    pre.textContent = "";
    box.dataset["verified"] = String(verified);
    box.hidden = false;
    return;
  }
  if (report.entry?.kind === "deleted") {
    fact("Status", `deleted in version ${report.entry.version}`);
    pre.textContent = "";
    box.dataset["verified"] = "true";
    box.hidden = false;
    return;
  }
  if (bytes === undefined) {
    box.hidden = true;
    return;
  }
  fact("Status", verified ? `verified at anchored batch ${report.batch}` : fileName !== undefined ? "your file does NOT match the anchored entry" : "served by the node — NOT verified");
  if (fileName !== undefined) fact("Source", `your file ${fileName}, hashed in this browser (not uploaded)`);
  if (report.entry?.kind === "value") fact("Version", String(report.entry.version));
  fact("Size", `${bytes.length} bytes`);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    try {
      text = JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      // plain text
    }
  } catch {
    const hex = Array.from(bytes.subarray(0, 512), (b) => b.toString(16).padStart(2, "0")).join(" ");
    text = `(binary) ${hex}${bytes.length > 512 ? " …" : ""}`;
  }
  pre.textContent = text;
  box.dataset["verified"] = String(verified);
  box.hidden = false;
}

interface RunResult {
  report: VerifyReport;
  /** Wall time of the whole check: fetches (node + chain) and the five steps. */
  ms: number;
  /** What the node says about writes newer than the anchored batch (absent: not asked, e.g. ?batch=). */
  progress?: WriteProgress;
}

interface Runtime {
  settings: Settings;
  vkeys: PinnedVkeys;
  client: Client | undefined;
  reader: ChainReader | undefined;
  /** The anchor contract, as the page trusts it (undefined: no anchor or RPC set). */
  chain: ChainSource | undefined;
  /** Is the anchor address a TinyCloudAnchor? Asked once at load. */
  anchorCheck: Promise<AnchorInspection | undefined>;
  chainId: number | undefined;
  lastRun: RunResult | undefined;
  /** navigation start → first verification done (bundle load, curve init, fetches, checks). */
  coldMs: number | undefined;
}

/** Why the anchor cannot be verified against (undefined: it is a TinyCloudAnchor, or not checked). */
function anchorProblem(inspection: AnchorInspection | undefined): string | undefined {
  if (inspection === undefined || inspection.kind === "anchor") return undefined;
  if (inspection.kind === "unreachable") return `cannot reach the chain RPC: ${messageOf(inspection.error)}`;
  return `this address is not a TinyCloudAnchor (${inspection.why}, chain ${inspection.chainId})`;
}

/**
 * snarkjs builds its BN254 curve on the first verify: WASM generated in JS and compiled, plus one worker
 * thread per core, each compiling it again. For a handful of 4-signal verifications the workers only
 * cost start-up time, so build a single-threaded curve at load, while the evidence is being fetched,
 * and hand it to snarkjs through ffjavascript's own cache (globalThis.curve_bn128, which
 * groth16.verify → buildBn128() returns when set). Verifications wait for it: the curve is built once.
 */
const curveReady: Promise<unknown> = curves
  .getCurveFromName("bn128", { singleThread: true })
  .then((curve) => {
    const cache = globalThis as unknown as { curve_bn128?: unknown };
    cache.curve_bn128 ??= curve;
  })
  .catch(() => undefined); // snarkjs then builds its own curve on first use
const snarkjsVerifier = snarkjsGroth16({ groth16 });
const groth16Verifier: typeof snarkjsVerifier = {
  name: snarkjsVerifier.name,
  verify: async (vkey, publicSignals, proof) => {
    await curveReady;
    return snarkjsVerifier.verify(vkey, publicSignals, proof);
  },
};
let busy: Promise<unknown> = Promise.resolve();

const versionOf = (entry: VerifyReport["entry"]): number => (entry === undefined || entry.kind === "absent" ? 0 : entry.version);

function verifiedText(report: VerifyReport): string {
  const e = report.entry;
  return e?.kind === "value"
    ? `Verified: version ${e.version} (${e.size} bytes) is in the root anchored at batch ${report.batch}.`
    : e?.kind === "deleted"
      ? `Verified: the entry was deleted (version ${e.version}) as of anchored batch ${report.batch}.`
      : `Verified: no value at this URI as of anchored batch ${report.batch}.`;
}

const insecureCaveat = (report: VerifyReport): string => ((report.warnings ?? []).length > 0 ? " WARNING: the pinned keys are INSECURE, so this proves only that the anchor accepted the root." : "");

/** A write newer than the anchored root: never worded as a verified absence (or as the old value). */
function pendingText(progress: Extract<WriteProgress, { version: number }>, report: VerifyReport): string {
  const before = report.entry?.kind === "value" ? `it held version ${report.entry.version}` : report.entry?.kind === "deleted" ? "it was deleted" : "the URI held no value";
  return (
    `Pending: ${describeProgress(progress)}. Not verified yet: the latest anchored batch, ${report.batch}, predates this write (there ${before}). ` +
    `This page checks the chain until the write is anchored, then verifies it.${insecureCaveat(report)}`
  );
}

async function verify(rt: Runtime, uri: string, watching: boolean): Promise<RunResult> {
  const { settings } = rt;
  resetSteps("running");
  setVerdict("running", `Verifying ${uri} …`);
  if (!watching) hideProgress();
  $("#value").hidden = true;
  $("#timing").textContent = "";
  const started = performance.now();
  try {
    const address = entryAddress(uri); // throws LightClientUriError for a URI that names no KV entry
    offerPrivateInputs(address.isPublic);
    const problem = anchorProblem(await rt.anchorCheck);
    if (problem !== undefined) throw new Error(problem);
    if (rt.chain === undefined) throw new Error("no anchor contract or RPC to verify against: set ?anchor= and ?rpc=");
    const inputs: PrivateInputs = await readPrivateInputs();
    const auth = inputs.authorization !== undefined ? { authorization: inputs.authorization } : {};
    const node = fetchNodeSource({ url: settings.node, ...auth });
    const options = {
      uri,
      node,
      chain: rt.chain,
      groth16: groth16Verifier,
      vkeys: rt.vkeys,
      ...(settings.batch !== undefined ? { batch: settings.batch } : {}),
      ...(inputs.file !== undefined ? { value: inputs.file.bytes } : {}),
    };
    const evidence = await collectEvidence(options);
    const collected = performance.now();
    const verdict = await verifyEvidence(evidence, groth16Verifier, { pins: rt.vkeys, expectBytes: inputs.file !== undefined });
    const done = performance.now();
    const report = reportOf(evidence, verdict, { fetchMs: collected - started, verifyMs: done - collected, totalMs: done - started }, keyWarnings(rt.vkeys));
    for (const step of report.steps) showStep(step);
    const valueStep = report.steps.find((s) => s.step === "value");
    showValue(report, evidence.value?.ok ? evidence.value.value : undefined, valueStep, inputs.file?.name);
    // The node's word on anything newer than the anchored batch: only asked when the anchored check passed
    // (it decides how that verdict is worded, never whether it is green) and the latest batch was checked.
    const progress =
      report.ok && report.batch !== undefined && settings.batch === undefined
        ? await writeProgress({ uri, node: settings.node, anchoredBatch: report.batch, anchoredVersion: versionOf(report.entry), ...auth })
        : undefined;
    if (report.ok) {
      const caveat = insecureCaveat(report);
      if (progress !== undefined && isPending(progress)) {
        setVerdict("pending", pendingText(progress, report));
        showPending(progress);
      } else {
        const unknown = progress?.stage === "unknown" && report.entry?.kind === "absent" ? ` (The node did not say whether a newer write is pending: ${progress.reason}.)` : "";
        setVerdict("pass", verifiedText(report) + unknown + caveat);
        if (watching && report.batch !== undefined) showVerified(versionOf(report.entry), report.batch, watch?.writeBatch);
      }
    } else {
      const failed = report.steps.find((s) => s.status === "failed");
      setVerdict("fail", `NOT verified: step "${report.failedStep ?? "?"}" failed${failed ? ` (${failed.code})` : ""}.`);
    }
    const ms = performance.now() - started;
    $("#timing").textContent =
      `Checked in ${ms.toFixed(0)} ms at ${utcTime(Date.now() / 1000)}: fetching ${report.timings.fetchMs.toFixed(0)} ms (node + chain), verifying ${report.timings.verifyMs.toFixed(0)} ms (Groth16 with snarkjs, path, value).`;
    const run: RunResult = { report, ms, ...(progress !== undefined ? { progress } : {}) };
    rt.lastRun = run;
    if (report.batch !== undefined && anchoredPoints.length > 0 && !anchoredPoints.some((p) => p.batch === report.batch)) await refreshHistory(rt);
    highlightBatch(report.batch);
    return run;
  } catch (error) {
    resetSteps("idle");
    setVerdict("error", `Could not verify: ${messageOf(error)}`);
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------------
// Watching a pending write: poll the chain (trusted) until it anchors a batch after the one verified,
// then verify again; meanwhile refresh the node's progress. 2 s apart for the first minute, then 5 s;
// stops when verified, on "Stop watching", on a new verification, or after 15 minutes.

const WATCH_FAST_MS = 2_000;
const WATCH_SLOW_MS = 5_000;
const WATCH_FAST_FOR_MS = 60_000;
const WATCH_MAX_MS = 15 * 60_000;

interface Watch {
  readonly uri: string;
  readonly started: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** The batch the node last said holds the write. */
  writeBatch: number | undefined;
}
let watch: Watch | undefined;

function stopWatching(why?: string): void {
  if (watch === undefined) return;
  clearTimeout(watch.timer);
  watch = undefined;
  if (why !== undefined) showStopped(why);
}

/** After a verification: keep watching while the node says a newer write is on its way. */
function follow(rt: Runtime, uri: string, run: RunResult, verifyAgain: () => Promise<RunResult>): void {
  if (run.progress === undefined || !isPending(run.progress)) {
    stopWatching();
    return;
  }
  const w: Watch = watch?.uri === uri ? watch : { uri, started: Date.now(), timer: undefined, writeBatch: undefined };
  watch = w;
  w.writeBatch = run.progress.batch ?? w.writeBatch;
  const anchoredBatch = run.report.batch ?? 0;
  const tick = async (): Promise<void> => {
    if (watch !== w) return;
    const elapsed = Date.now() - w.started;
    if (elapsed > WATCH_MAX_MS) return stopWatching(`the write was not anchored within ${WATCH_MAX_MS / 60_000} minutes`);
    const again = async (): Promise<void> => {
      const next = await verifyAgain().catch(() => undefined);
      if (watch !== w) return;
      if (next === undefined) return stopWatching("the verification failed");
      return follow(rt, uri, next, verifyAgain);
    };
    const latest = await rt.chain?.latestBatch().catch(() => undefined);
    if (watch !== w) return;
    // The chain moved: the verdict comes from a full verification against the new anchored root.
    if (latest !== undefined && latest > anchoredBatch) return again();
    const progress = await writeProgress({ uri, node: rt.settings.node, anchoredBatch, anchoredVersion: versionOf(run.report.entry), ...(await authOf()) });
    if (watch !== w) return;
    // The node no longer reports the write (e.g. it was replaced): verify again rather than keep a stale "pending".
    if (progress.stage === "settled") return again();
    if (isPending(progress)) {
      w.writeBatch = progress.batch ?? w.writeBatch;
      showPending(progress);
      setVerdict("pending", pendingText(progress, run.report));
    }
    schedule();
  };
  const schedule = () => {
    w.timer = setTimeout(() => void tick(), Date.now() - w.started < WATCH_FAST_FOR_MS ? WATCH_FAST_MS : WATCH_SLOW_MS);
  };
  clearTimeout(w.timer);
  schedule();
}

async function authOf(): Promise<{ authorization?: NonNullable<PrivateInputs["authorization"]> }> {
  const inputs = await readPrivateInputs().catch(() => ({}) as PrivateInputs);
  return inputs.authorization !== undefined ? { authorization: inputs.authorization } : {};
}

// ---------------------------------------------------------------------------------------------------
// Pinned keys

async function loadVkeys(settings: Settings): Promise<PinnedVkeys> {
  if (settings.vkeysUrl === undefined) return BUILTIN_VKEYS;
  const response = await fetch(settings.vkeysUrl, { cache: "no-store" });
  if (!response.ok) throw new Error(`?vkeys=${settings.vkeysUrl} answered HTTP ${response.status}`);
  const json = (await response.json()) as unknown;
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new Error(`?vkeys=${settings.vkeysUrl} is not a JSON object {circuit: vkey}`);
  // Each entry is {vkey, codeHash[, provenance]} (a key is only usable with its verifier's code hash)
  // or a bare vkey (then the "vkey" step fails: VKEY_MISSING).
  const vkeys: Record<string, unknown> = {};
  const codeHashes: Record<string, string> = {};
  const provenance: Record<string, unknown> = {};
  for (const [circuit, entry] of Object.entries(json as Record<string, unknown>)) {
    const e = entry as { vkey?: unknown; codeHash?: unknown; provenance?: unknown };
    if (typeof e === "object" && e !== null && e.vkey !== undefined) {
      vkeys[circuit] = e.vkey;
      if (typeof e.codeHash === "string") codeHashes[circuit] = e.codeHash;
      if (e.provenance !== undefined) provenance[circuit] = e.provenance;
    } else {
      vkeys[circuit] = entry;
    }
  }
  return { ...BUILTIN_VKEYS, ...pinVkeys(vkeys, `?vkeys=${settings.vkeysUrl}`, { codeHashes, provenance }) };
}

function showVkeys(vkeys: PinnedVkeys): void {
  const list = el("ul", { class: "vkeys" });
  for (const pinned of Object.values(vkeys)) {
    let id: string;
    try {
      id = verifierIdOf(pinned.vkey);
    } catch {
      id = "(not a key)";
    }
    const overridden = pinned.source !== "built-in";
    list.append(
      el(
        "li",
        { "data-circuit": pinned.circuit },
        el("code", {}, pinned.circuit),
        ` id `,
        el("code", { title: id }, shortHex(id)),
        el("span", { class: overridden ? "origin override" : "origin" }, ` (${pinned.source})`),
      ),
    );
  }
  $("#trust-vkeys").replaceChildren(list);
}

// ---------------------------------------------------------------------------------------------------
// Entries the node lists (untrusted; only a convenience to pick a URI)

interface ListedEntry {
  uri: string;
  path: string;
  version: number;
  deleted: boolean;
  batch: number;
  status: string;
  public: boolean;
}

async function loadEntries(settings: Settings, onPick: (uri: string) => void): Promise<void> {
  const select = $<HTMLSelectElement>("#entries");
  try {
    const response = await fetch(`${settings.node}/rollup/entries?limit=100`, { cache: "no-store" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const { entries } = (await response.json()) as { entries: ListedEntry[] };
    select.replaceChildren(el("option", { value: "" }, entries.length === 0 ? "the node lists no entries yet" : `${entries.length} recent entries (public ones can be verified with their value)`));
    for (const entry of entries) {
      if (typeof entry?.uri !== "string") continue;
      const label = `${entry.path} · v${entry.version}${entry.deleted ? " (deleted)" : ""} · batch ${entry.batch} (${entry.status})${entry.public ? "" : " · private"}`;
      const option = el("option", { value: entry.uri, title: entry.uri }, label);
      if (!entry.public) option.disabled = true;
      select.append(option);
    }
  } catch (error) {
    select.replaceChildren(el("option", { value: "" }, `could not list entries from ${settings.node}: ${error instanceof Error ? error.message : String(error)}`));
  }
  select.addEventListener("change", () => {
    if (select.value !== "") onPick(select.value);
  });
}

// ---------------------------------------------------------------------------------------------------
// Anchored roots over time (history.ts)

let anchoredPoints: AnchoredPoint[] = [];
let highlighted: number | undefined;

function highlightBatch(batch: number | undefined): void {
  highlighted = batch;
  if (anchoredPoints.length > 0) {
    drawChart(anchoredPoints, highlighted);
    drawTable(anchoredPoints, highlighted);
  }
}

async function refreshHistory(rt: Runtime): Promise<void> {
  if (rt.client === undefined || rt.settings.anchor === undefined) {
    $("#history-note").textContent = "No chain to read anchored roots from.";
    return;
  }
  const problem = anchorProblem(await rt.anchorCheck);
  if (problem !== undefined) {
    // Not "No batch anchored yet.": there is no anchor to have batches.
    $("#history-note").textContent = `No anchored roots to show: ${problem}.`;
    $("#chart").replaceChildren();
    return;
  }
  try {
    anchoredPoints = await loadHistory(rt.client, getAddress(rt.settings.anchor));
    drawChart(anchoredPoints, highlighted);
    drawTable(anchoredPoints, highlighted);
    $("#chart").dataset["points"] = String(anchoredPoints.length);
  } catch (error) {
    $("#history-note").textContent = `Could not read BatchAnchored events: ${error instanceof Error ? error.message : String(error)}`;
  }
}

// ---------------------------------------------------------------------------------------------------
// Boot

function formatDuration(seconds: number): string {
  if (seconds % 86400 === 0 && seconds > 0) return `${seconds / 86400} day(s)`;
  if (seconds % 3600 === 0 && seconds > 0) return `${seconds / 3600} hour(s)`;
  if (seconds % 60 === 0 && seconds > 0) return `${seconds / 60} minute(s)`;
  return `${seconds} s`;
}

async function main(): Promise<Runtime> {
  const { settings, configError } = await loadSettings();
  $("#trust-anchor").textContent = settings.anchor ?? "none";
  showOrigin("#trust-anchor-origin", settings.anchorOrigin);
  $("#trust-rpc").textContent = settings.rpc ?? "none";
  showOrigin("#trust-rpc-origin", settings.rpcOrigin);
  $("#trust-node").textContent = settings.node;
  showOrigin("#trust-node-origin", settings.nodeOrigin);
  $<HTMLInputElement>("#set-anchor").value = settings.anchor ?? "";
  $<HTMLInputElement>("#set-rpc").value = settings.rpc ?? "";
  $<HTMLInputElement>("#set-node").value = param("node") ?? "";
  const problems: string[] = configError !== undefined ? [configError] : [];

  let vkeys: PinnedVkeys = BUILTIN_VKEYS;
  try {
    vkeys = await loadVkeys(settings);
  } catch (error) {
    problems.push(error instanceof Error ? error.message : String(error));
  }
  showVkeys(vkeys);
  const insecure = insecurePins(vkeys);
  if (insecure.length > 0) {
    const p = $("#key-warning");
    p.textContent = `WARNING: the pinned keys are INSECURE (${insecure.map((k) => `${k.circuit}: ${k.reasons.join("; ")}`).join(" · ")}). Anyone can forge proofs for them: a "Verified" here only means the anchor accepted the root. Pin a deployment's own keys (?vkeys=).`;
    p.hidden = false;
  }

  const rt: Runtime = { settings, vkeys, client: undefined, reader: undefined, chain: undefined, anchorCheck: Promise.resolve(undefined), chainId: undefined, lastRun: undefined, coldMs: undefined };
  if (settings.rpc !== undefined && settings.anchor !== undefined) {
    try {
      getAddress(settings.anchor);
      rt.client = chainClient(settings.rpc);
      rt.reader = chainReaderOf(rt.client);
      rt.chain = viemChainSource({ anchor: settings.anchor, client: rt.reader, rpcUrl: settings.rpc });
    } catch (error) {
      problems.push(`bad anchor or RPC: ${messageOf(error)}`);
    }
  }
  const chainIdText = $("#trust-chain");
  if (rt.chain !== undefined) {
    const chain = rt.chain;
    // The CLI's check (transports/anchor-check.ts): code at the address, and the empty tree as its genesis root.
    rt.anchorCheck = inspectAnchor(chain);
    rt.anchorCheck.then((inspection) => {
      const problem = anchorProblem(inspection);
      if (problem !== undefined) {
        const p = $("#anchor-error");
        p.textContent = `${problem}: ${chain.anchor} cannot anchor TinyCloud roots. Check the address (?anchor=) and the RPC (?rpc=).`;
        p.hidden = false;
        $("#trust-genesis").textContent = "–";
        $("#trust-delay").textContent = "–";
        return;
      }
      if (inspection?.kind !== "anchor") return;
      const g = inspection.genesis;
      $("#trust-genesis").textContent = `empty tree of depth ${g.treeDepth}, fixed by the anchor (root ${g.genesisRoot})`;
      chain
        .router()
        .then((router) => chain.verifierDelay!(router))
        .then(
          (delay) => ($("#trust-delay").textContent = `${formatDuration(delay)}: a verifier the owner adds proves nothing before then; these checks accept only batches under the pinned keys anyway`),
          (error: unknown) => ($("#trust-delay").textContent = `unreadable: ${messageOf(error)}`),
        );
    });
  }
  if (rt.client !== undefined) {
    getChainId(rt.client).then(
      (id) => {
        rt.chainId = id;
        chainIdText.textContent = String(id);
        if (settings.configChainId !== undefined && settings.anchorOrigin === "config" && settings.configChainId !== id) {
          chainIdText.textContent += ` (the node's config says ${settings.configChainId})`;
        }
      },
      (error: unknown) => {
        chainIdText.textContent = `unreachable: ${messageOf(error)}`;
      },
    );
  } else {
    chainIdText.textContent = "–";
  }
  if (problems.length > 0) {
    const p = $("#config-error");
    p.textContent = problems.join(" · ");
    p.hidden = false;
  }

  const input = $<HTMLInputElement>("#uri");
  const button = $<HTMLButtonElement>("#verify");
  /** Verify `uri` (queued behind a running one); `watching`: a re-check of a pending write, else a new verification stops any watch. */
  const run = (uri: string, watching = false): Promise<RunResult> => {
    if (!watching) stopWatching();
    const next = busy.then(async () => {
      button.disabled = true;
      try {
        const result = await verify(rt, uri, watching);
        if (!watching) follow(rt, uri, result, () => run(uri, true));
        return result;
      } finally {
        button.disabled = false;
      }
    });
    busy = next.catch(() => undefined);
    return next;
  };
  $<HTMLButtonElement>("#progress-stop").addEventListener("click", () => stopWatching("stopped by you"));
  const runFromUi = (uri: string) => {
    input.value = uri;
    const url = new URL(location.href);
    url.searchParams.set("uri", uri);
    replaceUrl(url);
    run(uri).catch(() => undefined);
  };
  $<HTMLFormElement>("#verify-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const uri = input.value.trim();
    if (uri !== "") runFromUi(uri);
  });
  $<HTMLFormElement>("#settings-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const url = new URL(location.href);
    for (const name of ["anchor", "rpc", "node"]) {
      const value = ($<HTMLInputElement>(`#set-${name}`).value ?? "").trim();
      if (value === "") url.searchParams.delete(name);
      else url.searchParams.set(name, value);
    }
    location.assign(url.toString());
  });

  // With ?uri= the verification goes first; the entry list and the anchored-roots chart (a getLogs and
  // one getBlock per anchoring block) load after it instead of competing with it.
  const initial = param("uri");
  const first: Promise<unknown> = initial === undefined ? Promise.resolve() : run(initial);
  const loadSide = () => Promise.all([loadEntries(settings, runFromUi), refreshHistory(rt)]);
  const sideLoaded = first.then(loadSide, loadSide).then(() => undefined);

  const api = {
    verify: (uri: string) => run(uri),
    get lastRun() {
      return rt.lastRun;
    },
    get coldMs() {
      return rt.coldMs;
    },
    /** Resolves once the entry list and the chart are loaded. */
    loaded: sideLoaded,
  };
  (window as unknown as { tinycloudLightClient: typeof api }).tinycloudLightClient = api;

  if (initial !== undefined) {
    input.value = initial;
    first.then(
      () => {
        rt.coldMs = performance.now();
        document.documentElement.dataset["coldMs"] = rt.coldMs.toFixed(1);
      },
      () => undefined,
    );
  }
  return rt;
}

function replaceUrl(url: URL): void {
  window.history.replaceState(null, "", url.toString());
}

main().catch((error: unknown) => {
  setVerdict("error", `The page failed to start: ${error instanceof Error ? error.message : String(error)}`);
});
