/**
 * The light-client page against the real stack: a node on loopback (proving, embedded anvil, anchorer),
 * values written to a space named "public", Chromium through playwright-core, and a tampering HTTP
 * proxy that stands in for a dishonest node. Used by test/e2e/lightclient-browser.test.ts and
 * test/perf/lightclient-browser.bench.ts.
 */
import { NODE_PLUGINS } from "../../cli/node-plugins.js";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { signIn, type TinyCloudSession } from "../../node/client/client.js";
import { startNode, type RunningNode } from "../../node/server/node.js";
import type { NodeConfig } from "../../node/server/config.js";
import { testWallet } from "./wallets.js";
import { browserGate, type BrowserGate } from "./browser-gate.js";
import { until } from "./until.js";

export const CHROMIUM = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium";

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM);
}

/** Run, skip (locally) or fail (under CI) the browser tests: see test/helpers/browser-gate.ts. */
export function chromiumGate(): BrowserGate {
  return browserGate(CHROMIUM, chromiumAvailable());
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}

/** The node the light-client stack runs (test/perf/lightclient.bench.ts starts one of its own with it). */
export const STACK_CONFIG: Partial<NodeConfig> = {
  port: 0,
  host: "127.0.0.1",
  prove: true,
  chain: "embedded",
  chainPort: 0,
  stateTreeDepth: 16,
  circuits: ["epoch_transition_1"],
  batchMaxUpdates: 1,
  batchMaxDelayMs: 200,
  quiet: true,
};

export interface RollupStatus {
  latestBatch: number;
  anchoredBatch: number;
  anchoredRoot: string;
  chain: { chainId: number; rpcUrl?: string; anchor: string } | null;
}

export async function rollupStatus(url: string): Promise<RollupStatus> {
  return (await (await fetch(`${url}/rollup/status`)).json()) as RollupStatus;
}

export interface LightClientStack {
  readonly node: RunningNode;
  /** Where the page is served: the node itself (GET /lightclient). */
  readonly pageUrl: string;
  readonly session: TinyCloudSession;
  readonly dataDir: string;
  /** tinycloud:…:public/kv/<key> */
  uri(key: string): string;
  /** Put a value and wait until the chain anchors the batch that holds it. Returns that batch number. */
  putAnchored(key: string, value: string): Promise<number>;
  close(): Promise<void>;
}

export async function startLightClientStack(): Promise<LightClientStack> {
  const dataDir = await mkdtemp(join(tmpdir(), "tinycloud-lightclient-"));
  const node = await startNode({ ...STACK_CONFIG, dataDir }, { plugins: NODE_PLUGINS }).catch(async (error: unknown) => {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  });
  const session = await signIn({ url: node.url, wallet: testWallet(0x6c), space: "public" }).catch(async (error: unknown) => {
    await node.close();
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  });
  const uri = (key: string) => `${session.spaceId}/kv/${key}`;
  return {
    node,
    pageUrl: node.url,
    session,
    dataDir,
    uri,
    async putAnchored(key, value) {
      await session.kv.put(key, value);
      const batch = await until(
        async () => {
          const entries = (await (await fetch(`${node.url}/rollup/entries?limit=50`)).json()) as { entries: { uri: string; batch: number }[] };
          return entries.entries.find((e) => e.uri === uri(key))?.batch;
        },
        `a batch for ${key}`,
        { timeoutMs: 240_000, intervalMs: 200 },
      );
      let last: RollupStatus | undefined;
      await until(
        async () => {
          last = await rollupStatus(node.url);
          return last.anchoredBatch >= batch ? true : undefined;
        },
        `batch ${batch} anchored`,
        { timeoutMs: 240_000, intervalMs: 200 },
      ).catch((error: unknown) => {
        throw new Error(`${error instanceof Error ? error.message : String(error)}; last /rollup/status: ${JSON.stringify(last)}`);
      });
      return batch;
    },
    async close() {
      await node.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The page URL for a URI, with optional overrides (?node=, ?anchor=, ?rpc=, ?vkeys=). */
export function pageLink(base: string, params: Record<string, string | undefined>): string {
  const url = new URL("/lightclient", base);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
  return url.toString();
}

export type StepState = "idle" | "running" | "pass" | "fail" | "skipped";

export interface PageOutcome {
  verdict: string;
  steps: Record<string, { state: StepState; code: string; reason: string }>;
  value: string | undefined;
}

/** Wait for the page's verdict and read every step's state, code and reason. */
export async function readOutcome(page: Page, timeoutMs = 60_000): Promise<PageOutcome> {
  await page.waitForSelector('#verdict[data-verdict="pass"], #verdict[data-verdict="fail"], #verdict[data-verdict="error"]', { timeout: timeoutMs });
  return page.evaluate(() => {
    const steps: Record<string, { state: string; code: string; reason: string }> = {};
    for (const li of Array.from(document.querySelectorAll<HTMLElement>("#steps li[data-step]"))) {
      steps[li.dataset["step"] as string] = {
        state: li.dataset["state"] ?? "",
        code: li.dataset["code"] ?? "",
        reason: li.querySelector(".reason")?.textContent ?? "",
      };
    }
    const valueBox = document.querySelector<HTMLElement>("#value");
    return {
      verdict: document.querySelector<HTMLElement>("#verdict")?.dataset["verdict"] ?? "",
      steps,
      value: valueBox !== null && !valueBox.hidden ? (document.querySelector("#value-text")?.textContent ?? "") : undefined,
    };
  }) as Promise<PageOutcome>;
}

/**
 * A dishonest node: forwards every request to `target` and lets `rewrite` change the answer
 * (JSON bodies parsed, anything else as bytes). Answers CORS like the node does.
 */
export interface TamperProxy {
  readonly url: string;
  /** Replace the rewrite rule (undefined: pass everything through). */
  setRule(rule: TamperRule | undefined): void;
  /** Extra routes the proxy answers itself (e.g. a vkey file for ?vkeys=). */
  serve(path: string, body: unknown): void;
  close(): Promise<void>;
}

export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
}

export type TamperRule = (request: { path: string; query: URLSearchParams }, answer: Answer) => Promise<Answer> | Answer;

export async function startTamperProxy(target: string): Promise<TamperProxy> {
  let rule: TamperRule | undefined;
  const fixed = new Map<string, unknown>();
  const cors = { "access-control-allow-origin": "*", "access-control-allow-headers": "*", "access-control-allow-methods": "GET, HEAD, POST, OPTIONS" };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://proxy");
    if (req.method === "OPTIONS") {
      res.writeHead(204, cors).end();
      return;
    }
    if (fixed.has(url.pathname)) {
      res.writeHead(200, { ...cors, "content-type": "application/json" }).end(JSON.stringify(fixed.get(url.pathname)));
      return;
    }
    const upstream = await fetch(new URL(url.pathname + url.search, target), { method: req.method ?? "GET" });
    const headers: Record<string, string> = {};
    upstream.headers.forEach((value, name) => {
      if (!["content-length", "content-encoding", "transfer-encoding", "connection", "keep-alive"].includes(name)) headers[name] = value;
    });
    let answer: Answer = { status: upstream.status, headers, body: new Uint8Array(await upstream.arrayBuffer()) };
    if (rule !== undefined) answer = await rule({ path: url.pathname, query: url.searchParams }, answer);
    res.writeHead(answer.status, { ...answer.headers, ...cors, "content-length": String(answer.body.byteLength) }).end(Buffer.from(answer.body));
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.writeHead(502, cors).end(`proxy error: ${error instanceof Error ? error.message : String(error)}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return {
    url: `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`,
    setRule: (next) => {
      rule = next;
    },
    serve: (path, body) => {
      fixed.set(path, body);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function jsonOf(answer: Answer): unknown {
  return JSON.parse(new TextDecoder().decode(answer.body));
}

export function withJson(answer: Answer, value: unknown): Answer {
  return { ...answer, status: 200, headers: { ...answer.headers, "content-type": "application/json; charset=utf-8" }, body: new TextEncoder().encode(JSON.stringify(value)) };
}
