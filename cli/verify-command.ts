/**
 * `tinycloud verify <uri> --node URL --rpc URL --contract ADDR`: the light client on the command line.
 * `<uri>` may also be a bare key of the space `tinycloud login` signed in to (the quickstart's last step).
 *
 * Checks one KV entry against the state root the anchor contract stores, trusting only the chain and
 * the pinned verification keys (built in from circuits/keys, or --vkeys DIR): the node is asked for the
 * batch record, the state proof and the value bytes, and every answer is verified. Prints each step
 * (✓ / ✗ with the reason) or, with --json, the report. A private entry needs a read capability:
 * --auth-key (the reader's session key) and --proof (the delegations to it) sign each request. Exit status: 0 every step passed, 1 a step
 * failed, 2 bad usage (URI, options, unreadable files), the node or RPC unreachable, --contract not a
 * TinyCloudAnchor, or a node that anchors elsewhere.
 */
import { readdir, readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { existsSync } from "node:fs";
import type { Command } from "commander";
import { isAddress } from "viem";
import { loadVerifiers } from "../contracts/artifacts.js";
import { TinyCloudError } from "../core/errors.js";
import { BUILTIN_VKEYS, fetchNodeSource, formatReport, LightClientUriError, pinVkeys, snarkjsGroth16, verifyUri, viemChainSource, type PinnedVkeys, type VerifyReport } from "../lightclient/index.js";
import { loadSnarkjs, terminateCurves } from "../prover/backends/snarkjs-api.js";
import { readAuthorization } from "../lightclient/transports/read-auth.js";
import { ReaderKeyError, readerKeyOf } from "./reader-key.js";
import { checkAnchor, checkNodeChain, reachNode, RemoteCheckError } from "./remote-checks.js";
import { configDirOf, listSessions } from "./client/session-store.js";

export interface VerifyCommandOptions {
  node: string;
  rpc: string;
  contract: string;
  vkeys?: string;
  batch?: string;
  valueFile?: string;
  nodeVkeys?: boolean;
  json?: boolean;
  timeout?: string;
  authKey?: string;
  proof?: string;
  configDir?: string;
}

class UsageError extends TinyCloudError<"CLI_USAGE"> {
  override readonly name = "UsageError" as const;
  constructor(message: string) {
    super("CLI_USAGE", message);
  }
}

/**
 * Pin every <circuit>.vkey.json of a directory, each with the code hash of its verifier contract (from
 * DIR/verifiers.json, else this checkout's contracts/generated/verifiers.json: the (vkey, codeHash)
 * pairs the generator writes) and its provenance (DIR/<circuit>.provenance.json: insecure keys are
 * flagged in the report).
 */
export async function loadVkeysDir(dir: string): Promise<PinnedVkeys> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((f) => f.endsWith(".vkey.json")).sort();
  } catch (error) {
    throw new UsageError(`--vkeys ${dir}: ${(error as Error).message}`);
  }
  if (names.length === 0) throw new UsageError(`--vkeys ${dir}: no <circuit>.vkey.json files`);
  const vkeys: Record<string, unknown> = {};
  for (const name of names) {
    const file = join(dir, name);
    try {
      vkeys[basename(name, ".vkey.json")] = JSON.parse(await readFile(file, "utf8")) as unknown;
    } catch (error) {
      throw new UsageError(`--vkeys: ${file}: ${(error as Error).message}`);
    }
  }
  const own = join(dir, "verifiers.json");
  let codeHashes = generatedCodeHashes();
  if (existsSync(own)) {
    try {
      const table = JSON.parse(await readFile(own, "utf8")) as Record<string, { codeHash?: unknown }>;
      codeHashes = Object.fromEntries(Object.entries(table).flatMap(([circuit, entry]) => (typeof entry.codeHash === "string" ? [[circuit, entry.codeHash]] : [])));
    } catch (error) {
      throw new UsageError(`--vkeys: ${own}: ${(error as Error).message}`);
    }
  }
  const provenance: Record<string, unknown> = {};
  for (const circuit of Object.keys(vkeys)) {
    const file = join(dir, `${circuit}.provenance.json`);
    provenance[circuit] = existsSync(file) ? (JSON.parse(await readFile(file, "utf8")) as unknown) : undefined;
  }
  const pinned = pinVkeys(vkeys, dir, { codeHashes, provenance });
  // Name each key's file as its source, so a report says which file was trusted.
  return Object.fromEntries(Object.entries(pinned).map(([c, p]) => [c, { ...p, source: join(dir, `${c}.vkey.json`) }]));
}

/** circuit → verifier code hash of this checkout's contracts/generated/verifiers.json. */
function generatedCodeHashes(): Record<string, string> {
  const table = loadVerifiers();
  return Object.fromEntries(Object.entries(table).map(([circuit, v]) => [circuit, v.codeHash]));
}

/**
 * The URI to verify: a `tinycloud:` URI as given, or a bare key of the space `tinycloud login` signed in
 * to (from the user's own session file, never from the node), so the quickstart needs no URI to copy.
 */
export async function uriOf(target: string, configDir: string | undefined): Promise<string> {
  if (target.startsWith("tinycloud:")) return target;
  const dir = configDirOf(configDir);
  const { current, sessions } = await listSessions(dir).catch((error: unknown) => {
    throw new UsageError(error instanceof TinyCloudError ? error.message : String(error));
  });
  const session = sessions.find((s) => s.spaceId === current);
  if (session === undefined)
    throw new UsageError(`"${target.slice(0, 80)}" is not a tinycloud: URI, and there is no session in ${dir} to take it as a key of (run tinycloud login, or pass the full URI)`);
  return `${session.spaceId}/kv/${target}`;
}

export async function runVerify(target: string, opts: VerifyCommandOptions): Promise<VerifyReport> {
  if (!/^https?:\/\//.test(opts.node)) throw new UsageError(`--node must be an http(s) URL, got ${JSON.stringify(opts.node)}`);
  if (!/^https?:\/\//.test(opts.rpc)) throw new UsageError(`--rpc must be an http(s) URL, got ${JSON.stringify(opts.rpc)}`);
  if (!isAddress(opts.contract, { strict: false })) throw new UsageError(`--contract must be the TinyCloudAnchor address (0x + 40 hex digits), got ${JSON.stringify(opts.contract)}`);
  let batch: number | undefined;
  if (opts.batch !== undefined) {
    batch = Number(opts.batch);
    if (!/^[0-9]{1,15}$/.test(opts.batch)) throw new UsageError(`--batch must be a batch number, got ${JSON.stringify(opts.batch)}`);
  }
  const timeoutMs = opts.timeout === undefined ? 15_000 : Number(opts.timeout) * 1000;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new UsageError("--timeout must be a positive number of seconds");
  let value: Uint8Array | undefined;
  if (opts.valueFile !== undefined) {
    try {
      value = new Uint8Array(await readFile(opts.valueFile));
    } catch (error) {
      throw new UsageError(`--value-file: ${(error as Error).message}`);
    }
  }
  let reader;
  try {
    reader = await readerKeyOf(opts);
  } catch (error) {
    if (error instanceof ReaderKeyError) throw new UsageError(error.message);
    throw error;
  }
  const uri = await uriOf(target, opts.configDir);
  const vkeys = opts.vkeys !== undefined ? await loadVkeysDir(opts.vkeys) : BUILTIN_VKEYS;
  // Unreachable, not an anchor, or a node of another chain: exit 2 with one line, like `audit`, before
  // any step runs (the steps would fail with those reasons buried in them, exit 1).
  const chain = viemChainSource({ anchor: opts.contract, rpcUrl: opts.rpc, timeoutMs });
  const status = await reachNode(opts.node, timeoutMs);
  checkNodeChain(opts.node, status, await checkAnchor({ rpc: opts.rpc, contract: opts.contract, timeoutMs, chain }), opts.contract);
  const snarkjs = await loadSnarkjs();
  return verifyUri({
    uri,
    // A reader's key signs the proof request (the node then serves a private entry's salts) and the value fetch.
    node: fetchNodeSource({ url: opts.node, timeoutMs, ...(reader !== undefined ? { authorization: readAuthorization(reader) } : {}) }),
    chain,
    groth16: snarkjsGroth16(snarkjs),
    vkeys,
    ...(opts.nodeVkeys === true ? { nodeVkeys: true, codeHashes: generatedCodeHashes() } : {}),
    ...(batch !== undefined ? { batch } : {}),
    ...(value !== undefined ? { value } : {}),
  });
}

export function registerVerifyCommand(program: Command): void {
  program
    .command("verify")
    .description("light client: verify a KV entry against the state root anchored on chain (trusts the chain and pinned keys, not the node)")
    .argument("<uri>", "tinycloud:<did-suffix>:<space>/kv/<key>, or a key of the space you logged in to (tinycloud login)")
    .requiredOption("--node <url>", "the TinyCloud node to ask for proofs and bytes (untrusted)")
    .requiredOption("--rpc <url>", "JSON-RPC endpoint of the chain the anchor lives on")
    .requiredOption("--contract <address>", "the TinyCloudAnchor contract to trust")
    .option("--vkeys <dir>", "pin the verification keys in DIR/<circuit>.vkey.json instead of the built-in circuits/keys")
    .option("--node-vkeys", "for a circuit with no pinned key, use the node's copy if the contract's router and verifier vouch for it")
    .option("--batch <n>", "check against this anchored batch (default: anchor.latestBatch())")
    .option("--value-file <path>", "the value bytes of a private entry (public spaces are fetched from the node)")
    .option("--auth-key <file>", "a private entry: the reader's Ed25519 session key (tinycloud keygen output) that signs a tinycloud.kv/get invocation for the proof and the value")
    .option("--proof <cids>", "comma-separated CIDs of the delegations to --auth-key registered at the node (POST /delegate)")
    .option("--timeout <seconds>", "per-request timeout for the node and the RPC", "15")
    .option("--config-dir <dir>", "where tinycloud login stored the session a bare key is resolved with ($TINYCLOUD_CONFIG_DIR, default ~/.config/tinycloud)")
    .option("--json", "print the report as JSON")
    .action(async (uri: string, opts: VerifyCommandOptions) => {
      try {
        const report = await runVerify(uri, opts);
        if (opts.json === true) console.log(JSON.stringify(report, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2));
        else console.log(formatReport(report));
        if (opts.json === true) for (const w of report.warnings ?? []) console.error(`WARNING: ${w}`);
        process.exitCode = report.ok ? 0 : 1;
      } catch (error) {
        if (error instanceof UsageError || error instanceof LightClientUriError || error instanceof RemoteCheckError) {
          // The same form as `audit`'s errors: "<command>: <message>".
          console.error(`verify: ${error.message}`);
          process.exitCode = 2;
          return;
        }
        throw error;
      } finally {
        // snarkjs keeps bn128 worker threads alive; stop them so the process exits.
        await terminateCurves();
      }
    });
}
