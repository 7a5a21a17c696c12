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
 * For tests and benchmarks the page exposes `window.tinycloudLightClient` and marks every step with
 * data-step / data-state (idle | running | pass | fail | skipped) / data-code.
 */
import { curves, groth16 } from "snarkjs";
import { createClient, http, getAddress, type Address, type Client } from "viem";
import { getBlock, getChainId, getLogs } from "viem/actions";
import { ANCHOR_ABI } from "../../contracts/abi.js";
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
  type PinnedVkeys,
  type StepResult,
  type VerifyReport,
} from "../index.js";

declare module "snarkjs" {
  /** snarkjs' curve loader (src/curves.js), exported by its browser build too. */
  export const curves: { getCurveFromName(name: string, options?: { singleThread?: boolean }): Promise<unknown> };
}

// ---------------------------------------------------------------------------------------------------
// DOM helpers

const $ = <T extends HTMLElement = HTMLElement>(selector: string): T => {
  const element = document.querySelector<T>(selector);
  if (element === null) throw new Error(`page is missing ${selector}`);
  return element;
};

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

const SVG_NS = "http://www.w3.org/2000/svg";
function svg(tag: string, attrs: Record<string, string | number>, ...children: (Node | string)[]): SVGElement {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  node.append(...children);
  return node;
}

const shortHex = (text: string, keep = 10): string => (text.length > keep * 2 + 1 ? `${text.slice(0, keep)}…${text.slice(-6)}` : text);
const shortDecimal = (text: string): string => (text.length > 22 ? `${text.slice(0, 10)}…${text.slice(-8)}` : text);

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

function setVerdict(verdict: "idle" | "running" | "pass" | "fail" | "error", text: string): void {
  const p = $("#verdict");
  p.dataset["verdict"] = verdict;
  p.textContent = text;
}

function showValue(report: VerifyReport, bytes: Uint8Array | undefined, valueStep: StepResult | undefined): void {
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
  fact("Status", verified ? `verified at anchored batch ${report.batch}` : "served by the node — NOT verified");
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
}

interface Runtime {
  settings: Settings;
  vkeys: PinnedVkeys;
  client: Client | undefined;
  reader: ChainReader | undefined;
  chainId: number | undefined;
  lastRun: RunResult | undefined;
  /** navigation start → first verification done (bundle load, curve init, fetches, checks). */
  coldMs: number | undefined;
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

async function verify(rt: Runtime, uri: string): Promise<RunResult> {
  const { settings } = rt;
  resetSteps("running");
  setVerdict("running", `Verifying ${uri} …`);
  $("#value").hidden = true;
  $("#timing").textContent = "";
  const started = performance.now();
  try {
    entryAddress(uri); // throws LightClientUriError for a URI that names no KV entry
    if (settings.anchor === undefined || rt.reader === undefined) throw new Error("no anchor contract or RPC to verify against: set ?anchor= and ?rpc=");
    const chain = viemChainSource({ anchor: settings.anchor, client: rt.reader, ...(settings.rpc !== undefined ? { rpcUrl: settings.rpc } : {}) });
    const node = fetchNodeSource({ url: settings.node });
    const options = { uri, node, chain, groth16: groth16Verifier, vkeys: rt.vkeys, ...(settings.batch !== undefined ? { batch: settings.batch } : {}) };
    const evidence = await collectEvidence(options);
    const collected = performance.now();
    const verdict = await verifyEvidence(evidence, groth16Verifier, { pins: rt.vkeys });
    const done = performance.now();
    const report = reportOf(evidence, verdict, { fetchMs: collected - started, verifyMs: done - collected, totalMs: done - started }, keyWarnings(rt.vkeys));
    for (const step of report.steps) showStep(step);
    const valueStep = report.steps.find((s) => s.step === "value");
    showValue(report, evidence.value?.ok ? evidence.value.value : undefined, valueStep);
    if (report.ok) {
      const e = report.entry;
      const caveat = (report.warnings ?? []).length > 0 ? " WARNING: the pinned keys are INSECURE, so this proves only that the anchor accepted the root." : "";
      setVerdict(
        "pass",
        (e?.kind === "value"
          ? `Verified: version ${e.version} (${e.size} bytes) is in the root anchored at batch ${report.batch}.`
          : e?.kind === "deleted"
            ? `Verified: the entry was deleted (version ${e.version}) as of anchored batch ${report.batch}.`
            : `Verified: no value at this URI as of anchored batch ${report.batch}.`) + caveat,
      );
    } else {
      const failed = report.steps.find((s) => s.status === "failed");
      setVerdict("fail", `NOT verified: step "${report.failedStep ?? "?"}" failed${failed ? ` (${failed.code})` : ""}.`);
    }
    const ms = performance.now() - started;
    $("#timing").textContent =
      `Checked in ${ms.toFixed(0)} ms: fetching ${report.timings.fetchMs.toFixed(0)} ms (node + chain), verifying ${report.timings.verifyMs.toFixed(0)} ms (Groth16 with snarkjs, path, value).`;
    const run = { report, ms };
    rt.lastRun = run;
    highlightBatch(report.batch);
    return run;
  } catch (error) {
    resetSteps("idle");
    setVerdict("error", `Could not verify: ${error instanceof Error ? error.message : String(error)}`);
    throw error;
  }
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
// Anchored roots over time: BatchAnchored logs + block timestamps, straight from the chain

interface AnchoredPoint {
  batch: number;
  root: string;
  block: bigint;
  tx: string;
  time: number; // unix seconds
}

const BATCH_ANCHORED = ANCHOR_ABI.find((item): item is Extract<(typeof ANCHOR_ABI)[number], { type: "event"; name: "BatchAnchored" }> => item.type === "event" && item.name === "BatchAnchored");
const MAX_POINTS = 200;
let anchoredPoints: AnchoredPoint[] = [];
let highlighted: number | undefined;

async function loadHistory(client: Client, anchor: Address): Promise<AnchoredPoint[]> {
  if (BATCH_ANCHORED === undefined) throw new Error("the anchor ABI has no BatchAnchored event");
  const logs = await getLogs(client, { address: anchor, event: BATCH_ANCHORED, fromBlock: 0n, toBlock: "latest" });
  const recent = logs.slice(-MAX_POINTS);
  const blocks = [...new Set(recent.map((log) => log.blockNumber).filter((b): b is bigint => b !== null))];
  const times = new Map<bigint, number>();
  for (let i = 0; i < blocks.length; i += 16) {
    await Promise.all(
      blocks.slice(i, i + 16).map(async (blockNumber) => {
        const block = await getBlock(client, { blockNumber });
        times.set(blockNumber, Number(block.timestamp));
      }),
    );
  }
  return recent.map((log) => ({
    batch: Number(log.args.batchNumber ?? 0n),
    root: (log.args.newRoot ?? 0n).toString(),
    block: log.blockNumber ?? 0n,
    tx: log.transactionHash ?? "",
    time: times.get(log.blockNumber ?? -1n) ?? 0,
  }));
}

function drawChart(points: AnchoredPoint[]): void {
  const box = $("#chart");
  if (points.length === 0) {
    box.replaceChildren(el("p", { class: "muted" }, "No batch anchored yet."));
    return;
  }
  const W = 960;
  const H = 260;
  const pad = { left: 64, right: 18, top: 16, bottom: 38 };
  const t0 = Math.min(...points.map((p) => p.time));
  const t1 = Math.max(...points.map((p) => p.time));
  const b0 = Math.min(...points.map((p) => p.batch));
  const b1 = Math.max(...points.map((p) => p.batch));
  const x = (t: number) => pad.left + (t1 === t0 ? (W - pad.left - pad.right) / 2 : ((t - t0) / (t1 - t0)) * (W - pad.left - pad.right));
  const y = (b: number) => H - pad.bottom - (b1 === b0 ? (H - pad.top - pad.bottom) / 2 : ((b - b0) / (b1 - b0)) * (H - pad.top - pad.bottom));
  const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": `Anchored batches ${b0} to ${b1} over time` });
  // Axes and a few grid lines.
  const yTicks = b1 === b0 ? [b0] : [...new Set([b0, Math.round((b0 + b1) / 2), b1])];
  for (const b of yTicks) {
    chart.append(svg("line", { class: "grid", x1: pad.left, x2: W - pad.right, y1: y(b), y2: y(b) }), svg("text", { x: pad.left - 8, y: y(b) + 4, "text-anchor": "end" }, String(b)));
  }
  chart.append(
    svg("line", { class: "axis", x1: pad.left, x2: pad.left, y1: pad.top, y2: H - pad.bottom }),
    svg("line", { class: "axis", x1: pad.left, x2: W - pad.right, y1: H - pad.bottom, y2: H - pad.bottom }),
  );
  const fmtTime = (t: number) => new Date(t * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  const xTicks = t1 === t0 ? [t0] : [t0, Math.round((t0 + t1) / 2), t1];
  for (const t of xTicks) chart.append(svg("text", { x: x(t), y: H - pad.bottom + 16, "text-anchor": "middle" }, fmtTime(t)));
  chart.append(
    svg("text", { x: 16, y: (pad.top + H - pad.bottom) / 2, "text-anchor": "middle", transform: `rotate(-90 16 ${(pad.top + H - pad.bottom) / 2})` }, "batch"),
    svg("text", { x: W - pad.right, y: H - 4, "text-anchor": "end" }, "block time"),
  );
  // The series: a step line (a root holds until the next batch replaces it) and one point per batch.
  const sorted = [...points].sort((a, b) => a.batch - b.batch);
  let d = "";
  sorted.forEach((p, i) => {
    d += i === 0 ? `M${x(p.time).toFixed(1)},${y(p.batch).toFixed(1)}` : `H${x(p.time).toFixed(1)}V${y(p.batch).toFixed(1)}`;
  });
  chart.append(svg("path", { class: "series", d }));
  for (const p of sorted) {
    chart.append(
      svg(
        "circle",
        { class: p.batch === highlighted ? "point current" : "point", cx: x(p.time).toFixed(1), cy: y(p.batch).toFixed(1), r: p.batch === highlighted ? 6 : 4, "data-batch": p.batch },
        svg("title", {}, `batch ${p.batch} · ${new Date(p.time * 1000).toISOString()} · root ${shortDecimal(p.root)} · tx ${p.tx}`),
      ),
    );
  }
  box.replaceChildren(chart);
}

function drawTable(points: AnchoredPoint[]): void {
  const body = $("#anchors tbody");
  body.replaceChildren(
    ...[...points]
      .sort((a, b) => b.batch - a.batch)
      .map((p) =>
        el(
          "tr",
          { "data-batch": String(p.batch), ...(p.batch === highlighted ? { class: "current" } : {}) },
          el("td", {}, String(p.batch)),
          el(
            "td",
            {},
            new Date(p.time * 1000)
              .toISOString()
              .replace("T", " ")
              .replace(/\.\d+Z$/, "Z"),
          ),
          el("td", {}, el("code", { title: p.root }, shortDecimal(p.root))),
          el("td", {}, p.block.toString()),
          el("td", {}, el("code", { class: "tx" }, p.tx)),
        ),
      ),
  );
}

function highlightBatch(batch: number | undefined): void {
  highlighted = batch;
  if (anchoredPoints.length > 0) {
    drawChart(anchoredPoints);
    drawTable(anchoredPoints);
  }
}

async function refreshHistory(rt: Runtime): Promise<void> {
  if (rt.client === undefined || rt.settings.anchor === undefined) {
    $("#history-note").textContent = "No chain to read anchored roots from.";
    return;
  }
  try {
    anchoredPoints = await loadHistory(rt.client, getAddress(rt.settings.anchor));
    drawChart(anchoredPoints);
    drawTable(anchoredPoints);
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

  const rt: Runtime = { settings, vkeys, client: undefined, reader: undefined, chainId: undefined, lastRun: undefined, coldMs: undefined };
  if (settings.rpc !== undefined && settings.anchor !== undefined) {
    try {
      getAddress(settings.anchor);
      rt.client = chainClient(settings.rpc);
      rt.reader = chainReaderOf(rt.client);
    } catch (error) {
      problems.push(`bad anchor or RPC: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const chainIdText = $("#trust-chain");
  if (rt.reader !== undefined && settings.anchor !== undefined) {
    const chain = viemChainSource({ anchor: settings.anchor, client: rt.reader });
    chain.genesis().then(
      (g) => ($("#trust-genesis").textContent = `empty tree of depth ${g.treeDepth}, fixed by the anchor (root ${g.genesisRoot})`),
      (error: unknown) => ($("#trust-genesis").textContent = `unreadable: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`),
    );
    chain
      .router()
      .then((router) => chain.verifierDelay!(router))
      .then(
        (delay) => ($("#trust-delay").textContent = `${formatDuration(delay)}: a verifier the owner adds proves nothing before then; these checks accept only batches under the pinned keys anyway`),
        (error: unknown) => ($("#trust-delay").textContent = `unreadable: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`),
      );
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
        chainIdText.textContent = `unreachable: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`;
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
  const run = (uri: string): Promise<RunResult> => {
    const next = busy.then(async () => {
      button.disabled = true;
      try {
        return await verify(rt, uri);
      } finally {
        button.disabled = false;
      }
    });
    busy = next.catch(() => undefined);
    return next;
  };
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
