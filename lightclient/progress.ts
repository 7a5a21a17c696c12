/**
 * Where a write stands on its way to the chain, as the NODE tells it: written but not yet in a batch,
 * in batch N (cut, proving, proven), anchored. Informational only — the page never derives a verdict
 * from it. It exists so that a value written seconds ago is shown as "written, in batch N, proving"
 * instead of a verified absence at an anchored root that predates it; the verdict still comes only from
 * the proof against the anchored root (verify-uri.ts), re-run once the chain holds the write's batch.
 *
 * What is asked (all untrusted, all cheap):
 *   GET /rollup/status                      pending (un-batched) updates, the node's batches
 *   GET /rollup/proof?uri=…&batch=latest    the key's version in the newest cut batch (and its state key)
 *   HEAD /public/<space>/kv/<key>           the current version (only while updates are pending; a private
 *     or POST /invoke kv/get                entry: the reader's kv/get, its x-tinycloud-version header)
 *   GET /rollup/batches/<n>                 which batch after the anchored one wrote the key, its status;
 *                                           recent anchored ones for the cut → anchored time (the estimate)
 */
import { entryAddress } from "./core/steps.js";
import type { ReadAuthorization } from "./transports/read-auth.js";

export type WriteStage = "waiting" | "cut" | "proving" | "proven" | "anchored";

export type WriteProgress =
  /** The node holds nothing for this key newer than the anchored version. */
  | { readonly stage: "settled" }
  /** Written (`version`), newer than the anchored state: waiting for a batch, or in `batch` with that batch's status. */
  | {
      readonly stage: WriteStage;
      readonly version: number;
      readonly batch?: number;
      /** Seconds until it is likely anchored, from the node's recent batches (cut → anchored). */
      readonly estimateSeconds?: number;
      /** Typical cut → anchored time of recent batches, seconds. */
      readonly typicalSeconds?: number;
    }
  /** The node did not say (unreachable, refused, malformed answers). */
  | { readonly stage: "unknown"; readonly reason: string };

export interface ProgressQuery {
  readonly uri: string;
  /** The node's base URL. */
  readonly node: string;
  /** The anchored batch the page verified against, and the entry's version there (0: absent). */
  readonly anchoredBatch: number;
  readonly anchoredVersion: number;
  /** A private entry's reader (the same as for its proof). */
  readonly authorization?: ReadAuthorization;
  readonly fetch?: typeof fetch;
  /** Wall clock, ms (default Date.now). */
  readonly now?: () => number;
}

/** At most this many batches after the anchored one are scanned for the key's write. */
const MAX_SCAN = 64;
/** Recent anchored batches that the estimate is taken from. */
const RECENT = 5;
const TIMEOUT_MS = 10_000;

interface StatusAnswer {
  latestBatch?: unknown;
  pending?: unknown;
}
interface ProofAnswer {
  batch?: unknown;
  key?: unknown;
  entry?: { version?: unknown };
}
interface BatchAnswer {
  status?: unknown;
  cutAt?: unknown;
  anchoredAt?: unknown;
  updates?: { key?: unknown }[];
}

const isNat = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

export async function writeProgress(q: ProgressQuery): Promise<WriteProgress> {
  const doFetch = q.fetch ?? globalThis.fetch.bind(globalThis);
  const base = q.node.replace(/\/+$/, "");
  const call = async (path: string, init: RequestInit = {}): Promise<Response> => doFetch(`${base}${path}`, { cache: "no-store", ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
  const json = async <T>(path: string, authorization?: string): Promise<T> => {
    const response = await call(path, authorization !== undefined ? { headers: { authorization } } : {});
    if (!response.ok) throw new Error(`${path.split("?")[0]} answered ${response.status}${await detail(response)}`);
    return (await response.json()) as T;
  };
  try {
    const address = entryAddress(q.uri);
    const auth = async (resource: string) => (q.authorization !== undefined ? await q.authorization(resource) : undefined);
    const [status, latest] = await Promise.all([json<StatusAnswer>("/rollup/status"), json<ProofAnswer>(`/rollup/proof?uri=${encodeURIComponent(q.uri)}&batch=latest`, await auth(q.uri))]);
    const latestBatch = isNat(latest.batch) ? latest.batch : isNat(status.latestBatch) ? status.latestBatch : 0;
    const latestVersion = isNat(latest.entry?.version) ? latest.entry.version : 0;
    const records = new Map<number, BatchAnswer>();
    const record = async (n: number) => {
      let r = records.get(n);
      if (r === undefined) records.set(n, (r = await json<BatchAnswer>(`/rollup/batches/${n}`)));
      return r;
    };
    const estimate = async (cutAt: number | undefined) => {
      const typical = await typicalSeconds(q.anchoredBatch, record);
      if (typical === undefined) return {};
      const elapsed = cutAt === undefined ? 0 : Math.max(0, ((q.now ?? Date.now)() - cutAt) / 1000);
      return { typicalSeconds: typical, estimateSeconds: Math.max(1, Math.round(typical - elapsed)) };
    };

    // A write the node has not cut into a batch yet (asked only while it holds un-batched updates).
    if (isNat(status.pending) && status.pending > 0) {
      const current = await currentVersion(call, address, q.uri, auth);
      if (current !== undefined && current > Math.max(latestVersion, q.anchoredVersion)) return { stage: "waiting", version: current, ...(await estimate(undefined)) };
    }
    if (latestVersion <= q.anchoredVersion || latestBatch <= q.anchoredBatch) return { stage: "settled" };
    // The newest batch after the anchored one whose updates touch the key (sealed or not, each names its state key).
    const key = typeof latest.key === "string" ? latest.key : undefined;
    for (let n = latestBatch; key !== undefined && n > q.anchoredBatch && n > latestBatch - MAX_SCAN; n--) {
      const r = await record(n);
      if (!(r.updates ?? []).some((u) => u.key === key)) continue;
      const stage = r.status === "cut" || r.status === "proving" || r.status === "proven" || r.status === "anchored" ? r.status : "cut";
      return { stage, version: latestVersion, batch: n, ...(await estimate(isNat(r.cutAt) ? r.cutAt : undefined)) };
    }
    return { stage: "cut", version: latestVersion, ...(await estimate(undefined)) };
  } catch (error) {
    return { stage: "unknown", reason: error instanceof Error ? error.message : String(error) };
  }
}

/** The version the node holds now (undefined: none, or a tombstone). */
async function currentVersion(
  call: (path: string, init?: RequestInit) => Promise<Response>,
  address: ReturnType<typeof entryAddress>,
  uri: string,
  auth: (resource: string) => Promise<string | undefined>,
): Promise<number | undefined> {
  let response: Response;
  if (address.isPublic) {
    response = await call(`/public/${encodeURIComponent(address.spaceId)}/kv/${address.path}`, { method: "HEAD" });
  } else {
    const authorization = await auth(uri);
    if (authorization === undefined) return undefined;
    response = await call("/invoke", { method: "POST", headers: { authorization } });
  }
  // Only the header is wanted: the bytes are not read.
  await response.body?.cancel().catch(() => undefined);
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`the node answered ${response.status} for the current version`);
  const version = Number(response.headers.get("x-tinycloud-version"));
  return Number.isSafeInteger(version) && version > 0 ? version : undefined;
}

/** Median cut → anchored seconds of the last few anchored batches (undefined: none with both times). */
async function typicalSeconds(anchoredBatch: number, record: (n: number) => Promise<BatchAnswer>): Promise<number | undefined> {
  const spans: number[] = [];
  for (let n = anchoredBatch; n >= 1 && n > anchoredBatch - RECENT; n--) {
    const r = await record(n).catch(() => undefined);
    if (r !== undefined && isNat(r.cutAt) && isNat(r.anchoredAt) && r.anchoredAt >= r.cutAt) spans.push((r.anchoredAt - r.cutAt) / 1000);
  }
  if (spans.length === 0) return undefined;
  spans.sort((a, b) => a - b);
  return Math.round(spans[Math.floor(spans.length / 2)] as number);
}

async function detail(response: Response): Promise<string> {
  const text = (await response.text().catch(() => "")).slice(0, 200).trim();
  return text === "" ? "" : ` (${text})`;
}

/** One line for the page: "written (version 2), in batch 7, proving (est. ~12 s)". */
export function describeProgress(p: WriteProgress): string {
  if (p.stage === "settled") return "nothing newer than the anchored batch";
  if (p.stage === "unknown") return `the node did not say whether a newer write is pending (${p.reason})`;
  const est = p.estimateSeconds !== undefined ? ` (est. ~${p.estimateSeconds} s)` : "";
  const where = p.batch !== undefined ? `in batch ${p.batch}` : "in a batch after the anchored one";
  const parts = [`written (version ${p.version})`];
  if (p.stage === "waiting") parts.push(`waiting for the next batch${est}`);
  else if (p.stage === "cut" || p.stage === "proving") parts.push(where, `proving${est}`);
  else if (p.stage === "proven") parts.push(where, `proven, being anchored${est}`);
  else parts.push(`anchored in batch ${p.batch ?? "?"}`, "verifying");
  return parts.join(", ");
}
