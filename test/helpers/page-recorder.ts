/**
 * For the light-client page's state tests (test/e2e/lightclient-page-states.test.ts): every request the
 * page makes (URL, headers, body) and every response status, a screenshot per state under
 * test-artifacts/lightclient/ (gitignored), and the embedded anvil's mining paused and resumed, which
 * holds a proven batch "being anchored" for as long as a test needs to look at it.
 */
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { decodeFunctionResult, encodeFunctionData, type Hex } from "viem";
import { ANCHOR_ABI } from "../../contracts/abi.js";

export interface RecordedRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer | null;
}

export interface Traffic {
  readonly requests: RecordedRequest[];
  readonly responses: { readonly url: string; readonly status: number }[];
  /** The requests whose URL, header values or body contain `bytes` (as bytes, or as their UTF-8, hex or base64 text). */
  carrying(bytes: Uint8Array): RecordedRequest[];
}

export function recordTraffic(page: Page): Traffic {
  const requests: RecordedRequest[] = [];
  const responses: { url: string; status: number }[] = [];
  page.on("request", (request) => requests.push({ url: request.url(), method: request.method(), headers: request.headers(), body: request.postDataBuffer() }));
  page.on("response", (response) => responses.push({ url: response.url(), status: response.status() }));
  return {
    requests,
    responses,
    carrying(bytes) {
      const raw = Buffer.from(bytes);
      const texts = [raw.toString("utf8"), raw.toString("hex"), raw.toString("base64"), raw.toString("base64url")];
      return requests.filter((r) => {
        const fields = [decodeURIComponent(r.url), r.url, ...Object.values(r.headers)];
        return (r.body !== null && (r.body.includes(raw) || texts.some((t) => r.body!.includes(t)))) || fields.some((f) => texts.some((t) => f.includes(t)));
      });
    },
  };
}

const ARTIFACTS = fileURLToPath(new URL("../../test-artifacts/lightclient/", import.meta.url));

/** Save a full-page PNG as test-artifacts/lightclient/<state>.png and print its path. */
export async function saveScreenshot(page: Page, state: string): Promise<string> {
  await mkdir(ARTIFACTS, { recursive: true });
  const path = `${ARTIFACTS}${state}.png`;
  await page.screenshot({ path, fullPage: true });
  console.log(`screenshot: ${path}`);
  return path;
}

async function rpc(rpcUrl: string, method: string, params: unknown[] = []): Promise<unknown> {
  const response = await fetch(rpcUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
  const answer = (await response.json()) as { result?: unknown; error?: { message: string } };
  if (answer.error !== undefined) throw new Error(`${method}: ${answer.error.message}`);
  return answer.result;
}

/** Stop anvil's automine: transactions wait in the mempool. Returns `resume` (automine on, and a block mined now). */
export async function pauseMining(rpcUrl: string): Promise<() => Promise<void>> {
  await rpc(rpcUrl, "evm_setAutomine", [false]);
  return async () => {
    await rpc(rpcUrl, "evm_setAutomine", [true]);
    await rpc(rpcUrl, "evm_mine");
  };
}

/** The anchor's router: a contract, but not a TinyCloudAnchor. */
export async function routerOf(rpcUrl: string, anchor: string): Promise<string> {
  const data = (await rpc(rpcUrl, "eth_call", [{ to: anchor, data: encodeFunctionData({ abi: ANCHOR_ABI, functionName: "router" }) }, "latest"])) as Hex;
  return decodeFunctionResult({ abi: ANCHOR_ABI, functionName: "router", data });
}
