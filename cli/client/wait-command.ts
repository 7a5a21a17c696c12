/**
 * `tinycloud kv wait <key>`: wait until the write of a key is anchored on chain (issue 13, the quickstart's
 * fourth step). Polls the node's public rollup routes and says where the write is: pending (not in a batch
 * yet), in batch N waiting for the proving keys, proving (with an estimate), proven and anchoring. Progress
 * goes to stderr (one line per change, and a reminder every 15 s); the result to stdout.
 *
 * Exit status: 0 the batch holding the write is anchored; 1 it will not be (its batch failed to prove, the
 * keys failed their checks, the node does not prove or anchor) or --timeout passed; 2 usage, no session or
 * an unreachable node.
 */
import type { Command } from "commander";
import { makeCapability } from "../../core/capability.js";
import type { TinyCloudSession } from "../../node/client/client.js";
import { isPublicSpaceId } from "../../core/state/privacy.js";
import { CliClientError } from "./errors.js";
import { print } from "./output.js";
import { parseDuration, parsePositiveInteger } from "./parse.js";
import { withCurrentSession } from "./session-store.js";

/** The parts of GET /rollup/status this command reads. */
interface RollupStatus {
  latestBatch: number;
  anchoredBatch: number;
  pending: number;
  failedBatches: { number: number; stage: string; code?: string; error: string; attempts: number; retrying: boolean }[];
  keys: { state: string; percent?: number; etaSeconds?: number; error?: { code: string; message: string } } | null;
  backlog: { drainSeconds: number | null } | null;
  chain: unknown;
}

/** The parts of a batch record (GET /rollup/batches/:n) this command reads. */
interface BatchView {
  number: number;
  status: "cut" | "proving" | "proven" | "anchored";
  cutAt: number;
  provenAt?: number;
  anchorTx?: string;
  anchorBlock?: number;
  updates: { sealed?: true; spaceId?: string; service?: string; path?: string; version?: number }[];
}

/** Before any batch of this node was proven: the first batch after a start, measured on the 2-core reference machine (README). */
const FIRST_PROOF_PRIOR_SECONDS = 45;
const POLL_MS = 1_000;
const REMIND_MS = 15_000;

function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return s < 90 ? `${s} s` : `${Math.round(s / 60)} min`;
}

/** The node's routes, read with the session's key where the space is private (the batch records seal its updates otherwise). */
class RollupReader {
  constructor(private readonly session: TinyCloudSession) {}

  private async get<T>(path: string): Promise<T> {
    const headers: Record<string, string> = {};
    if (!isPublicSpaceId(this.session.spaceId)) headers["authorization"] = this.session.invocation([makeCapability(`${this.session.spaceId}/kv`, "tinycloud.kv/get")]);
    return (await (await this.session.http.request("GET", path, headers)).json()) as T;
  }

  status(): Promise<RollupStatus> {
    return this.get("/rollup/status");
  }

  batch(n: number): Promise<BatchView> {
    return this.get(`/rollup/batches/${n}`);
  }
}

/** The latest version of a key (a deleted key's tombstone included), or undefined if it was never written. */
async function latestVersion(session: TinyCloudSession, key: string): Promise<number | undefined> {
  const headers = await session.kv.head(key);
  const current = Number(headers?.get("x-tinycloud-version"));
  if (Number.isSafeInteger(current) && current > 0) return current;
  let last: number | undefined;
  let after: number | undefined;
  do {
    const page = await session.kv.versions(key, after === undefined ? {} : { after });
    last = page.versions.at(-1)?.version ?? last;
    after = page.next;
  } while (after !== undefined);
  return last;
}

interface WaitOptions {
  version?: string;
  timeout: string;
  configDir?: string;
  json?: boolean;
}

/** `wait` on the `kv` command (`command` comes with the options every kv subcommand has: --config-dir, --json). */
export function registerKvWaitCommand(command: Command): void {
  command
    .description("wait until the batch holding a key's latest write (or --version N) is anchored on chain, showing where it is")
    .argument("<key>")
    .option("--version <n>", "wait for this version of the key (default: its latest)")
    .option("--timeout <duration>", "give up (exit 1) after this long (30s, 10m, 1h)", "1h")
    .action((key: string, options: WaitOptions) =>
      withCurrentSession(options, async (session) => {
        const timeoutMs = parseDuration(options.timeout, "--timeout") * 1000;
        const wanted = options.version !== undefined ? parsePositiveInteger(options.version, "--version") : await latestVersion(session, key);
        if (wanted === undefined) throw new CliClientError("KV_NOT_FOUND", `no value at "${key}": nothing to wait for`);
        const result = await waitAnchored(new RollupReader(session), session.spaceId, key, wanted, timeoutMs);
        print(
          options.json,
          { key, uri: `${session.spaceId}/kv/${key}`, ...result },
          () => `anchored: ${key} version ${wanted} in batch ${result.batch}, block ${result.anchorBlock ?? "?"} (tx ${result.anchorTx ?? "?"})`,
        );
      }),
    );
}

interface Anchored {
  version: number;
  batch: number;
  anchorTx: string | null;
  anchorBlock: number | null;
  waitedSeconds: number;
}

async function waitAnchored(reader: RollupReader, spaceId: string, path: string, version: number, timeoutMs: number): Promise<Anchored> {
  const started = Date.now();
  // Batches already searched: the write is in none of them (a batch record never changes its updates).
  let searched = 0;
  let found: number | undefined;
  let lastKind = "";
  let lastLine = "";
  let lastShown = 0;
  let proofSeconds: number | undefined;
  // A line when the write moves on (pending, keys, proving, proven), else a fresh one every REMIND_MS.
  const say = (kind: string, line: string) => {
    const now = Date.now();
    lastLine = line;
    if (kind === lastKind && now - lastShown < REMIND_MS) return;
    process.stderr.write(`${line}${kind === lastKind ? ` — waited ${duration((now - started) / 1000)}` : ""}\n`);
    lastKind = kind;
    lastShown = now;
  };
  // The first status says whether the write can be anchored at all, and where to start looking.
  let status = await reader.status();
  if (status.keys === null) throw new CliClientError("NOT_ANCHORING", "this node does not prove batches (--no-prove or --no-rollup): the write will never be anchored");
  if (status.chain === null) throw new CliClientError("NOT_ANCHORING", "this node does not anchor (--chain off): the write will never be anchored");
  for (;;) {
    // Newest first, down to the batches searched on earlier polls (a batch record never changes its updates).
    for (let n = status.latestBatch; found === undefined && n > searched; n--) {
      const record = await reader.batch(n);
      if (record.updates.some((u) => u.spaceId === spaceId && u.service === "kv" && u.path === path && u.version === version)) found = n;
    }
    searched = status.latestBatch;
    if (found !== undefined) {
      const record = await reader.batch(found);
      if (record.status === "anchored") {
        return { version, batch: found, anchorTx: record.anchorTx ?? null, anchorBlock: record.anchorBlock ?? null, waitedSeconds: Math.round((Date.now() - started) / 100) / 10 };
      }
      const failed = status.failedBatches.find((f) => f.number === found && f.stage === "prove" && !f.retrying);
      if (failed !== undefined)
        throw new CliClientError("BATCH_FAILED", `batch ${found} failed to prove after ${failed.attempts} attempt(s): ${failed.code ?? "error"}: ${failed.error.split("\n")[0]}`);
      proofSeconds ??= await lastProofSeconds(reader, found, status);
      say(`${record.status}:${status.keys?.state}`, describeBatch(found, record, status, proofSeconds));
    } else say("pending", `written (version ${version}), waiting for its batch to be cut: ${status.pending} update(s) pending`);
    const keys = status.keys;
    if (keys?.state === "failed")
      throw new CliClientError(
        "NOT_ANCHORING",
        `the node's proving keys failed: ${keys.error?.code ?? "error"}: ${keys.error?.message.split("\n")[0] ?? ""}; nothing is proven until it restarts with good keys`,
      );
    if (Date.now() - started > timeoutMs) throw new CliClientError("WAIT_TIMEOUT", `not anchored within ${duration(timeoutMs / 1000)}: ${lastLine}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    status = await reader.status();
  }
}

/**
 * How long a proof takes here: the last batch before `n` that was proven since this node started (cut to
 * proven), else the node's measured proving rate, else the reference machine's first proof.
 */
async function lastProofSeconds(reader: RollupReader, n: number, status: RollupStatus): Promise<number> {
  for (let m = n - 1; m >= Math.max(1, n - 8); m--) {
    const record = await reader.batch(m);
    if (record.provenAt !== undefined && record.provenAt > record.cutAt) return (record.provenAt - record.cutAt) / 1000;
  }
  return status.backlog?.drainSeconds ?? FIRST_PROOF_PRIOR_SECONDS;
}

/** Where the batch holding the write is, in one line (the same line while nothing changes). */
function describeBatch(n: number, record: BatchView, status: RollupStatus, proofSeconds: number): string {
  if (record.status === "proven") return `in batch ${n}, proven; anchoring`;
  const keys = status.keys;
  if (keys !== null && keys.state === "building") {
    const eta = keys.etaSeconds !== undefined ? `, about ${duration(keys.etaSeconds)} left` : "";
    return `in batch ${n}, waiting for the proving keys (${Math.floor(keys.percent ?? 0)}% built${eta}, an estimate), then proving (est. ${duration(proofSeconds)})`;
  }
  return `in batch ${n}, proving (est. ${duration(proofSeconds)})`;
}
