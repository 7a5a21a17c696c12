/**
 * `tinycloud audit --batch N --node URL [--rpc URL --contract ADDR] [--json]`: re-check a rollup batch from
 * published data alone — every event's signature and delegation chain (CACAO, UCAN, revocations), that the
 * state updates follow from those events, the roots, the commitment, the Groth16 proof against the pinned
 * verification key, and (with a chain) the anchored root and BatchAnchored event.
 *
 * Private spaces are sealed to an anonymous auditor (their updates count in the roots and the commitment,
 * their events are skipped). With --auth-key, --proof and --space, every request carries one invocation of
 * tinycloud.kv/get on `<space>/kv` for each space named, and those spaces are audited in full.
 *
 * Exit status: 0 every check passed; 1 the audit found a failure; 2 bad usage or the node/chain unreachable.
 */
import { DEFAULT_CLOCK_SKEW_SECONDS } from "../core/auth/authority.js";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Command } from "commander";
import * as snarkjs from "snarkjs";
import { nativeEd25519Verify } from "../node/crypto/native-ed25519.js";
import { auditBatch } from "../lightclient/audit/audit.js";
import { ViemAuditChain } from "../lightclient/audit/chain.js";
import { formatAuditReport, reportToJson } from "../lightclient/audit/report.js";
import { AuditSourceError, HttpAuditSource } from "../lightclient/audit/source.js";
import type { AuditChain } from "../lightclient/audit/types.js";
import { spacesAuthorization } from "../lightclient/transports/read-auth.js";
import { parseSpaceId } from "../core/resource.js";
import { ReaderKeyError, readerKeyOf } from "./reader-key.js";
import { checkAnchor, checkNodeChain, reachNode, RemoteCheckError } from "./remote-checks.js";
import { runExecutionAudit } from "./audit-executions.js";

interface AuditCliOptions {
  batch?: string;
  executions?: boolean;
  node: string;
  rpc?: string;
  contract?: string;
  json?: boolean;
  depth?: string;
  vkeys?: string;
  allowUnproven?: boolean;
  grace: string;
  clockSkew: string;
  fromBlock?: string;
  verbose?: boolean;
  authKey?: string;
  proof?: string;
  space?: string;
}

/** How long the node and the RPC get to answer the first request. */
const PREFLIGHT_TIMEOUT_MS = 20_000;

const DEFAULT_VKEYS = new URL("../circuits/keys/", import.meta.url);

export function registerAuditCommand(program: Command): void {
  program
    .command("audit")
    .description("re-check a rollup batch from published data alone: signatures, delegation chains, revocations, state updates, commitment, proof, on-chain root")
    .option("--batch <n>", 'batch number, or "latest"')
    .option("--executions", "instead of a batch: re-execute every compute execution of --space and check its output CID and gas")
    .requiredOption("--node <url>", "the node whose published data is audited (untrusted)")
    .option("--rpc <url>", "JSON-RPC endpoint of the chain the batch is anchored on (with --contract)")
    .option("--contract <address>", "TinyCloudAnchor address (with --rpc)")
    .option("--json", "print the report as JSON")
    .option("--depth <d>", "state tree depth (default: from the circuit name, else 16)")
    .option("--vkeys <dir>", "directory of pinned verification keys <circuit>.vkey.json (default: circuits/keys of this install)")
    .option("--allow-unproven", "do not fail a batch that is not proven yet (the proof check is skipped)")
    .option("--grace <seconds>", "how long an invocation may have expired before its epoch was stamped", "5")
    .option("--clock-skew <seconds>", "the audited node's --clock-skew: its tolerance on token nbf/exp", String(DEFAULT_CLOCK_SKEW_SECONDS))
    .option("--from-block <n>", "first block to search for BatchAnchored logs (default 0)")
    .option("-v, --verbose", "list every check of every event")
    .option("--auth-key <file>", "audit private spaces: the auditor's Ed25519 session key (tinycloud keygen output), holding a delegation of tinycloud.kv/get on <space>/kv (the whole kv service)")
    .option("--proof <cids>", "comma-separated CIDs of the delegations to --auth-key registered at the node (POST /delegate)")
    .option("--space <ids>", "comma-separated space ids the delegations cover (with --auth-key): their updates are audited in full, other private spaces stay sealed")
    .action(async (options: AuditCliOptions) => {
      process.exitCode = await runAudit(options);
    });
}

async function runAudit(options: AuditCliOptions): Promise<number> {
  const usage = (message: string): number => {
    console.error(`audit: ${message}`);
    return 2;
  };
  if ((options.batch === undefined) === (options.executions !== true)) return usage("give --batch <n> (a rollup batch) or --executions (a space's compute executions)");
  if ((options.rpc === undefined) !== (options.contract === undefined)) return usage("--rpc and --contract go together");
  if (options.contract !== undefined && !/^0x[0-9a-fA-F]{40}$/.test(options.contract)) return usage("--contract must be a 20-byte hex address");
  const depth = options.depth === undefined ? undefined : Number(options.depth);
  if (depth !== undefined && (!Number.isSafeInteger(depth) || depth < 1 || depth > 127)) return usage("--depth must be an integer in [1, 127]");
  const grace = Number(options.grace);
  if (!Number.isFinite(grace) || grace < 0) return usage("--grace must be a non-negative number of seconds");
  const clockSkew = Number(options.clockSkew);
  if (!Number.isFinite(clockSkew) || clockSkew < 0) return usage("--clock-skew must be a non-negative number of seconds");
  let fromBlock: bigint | undefined;
  if (options.fromBlock !== undefined) {
    if (!/^[0-9]+$/.test(options.fromBlock)) return usage("--from-block must be a block number");
    fromBlock = BigInt(options.fromBlock);
  }
  let url: URL;
  try {
    url = new URL(options.node);
  } catch {
    return usage(`--node is not a URL: ${options.node}`);
  }
  let authorization: (() => string) | undefined;
  try {
    const reader = await readerKeyOf(options);
    const spaces = (options.space ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
    if (reader === undefined && spaces.length > 0 && options.executions !== true) return usage("--space needs --auth-key (and --proof)");
    if (reader !== undefined) {
      if (spaces.length === 0) return usage("--auth-key needs --space: the space ids whose kv/get the delegations grant");
      for (const space of spaces) {
        try {
          parseSpaceId(space);
        } catch (error) {
          return usage(`--space ${space}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      authorization = spacesAuthorization(reader, spaces);
    }
  } catch (error) {
    if (error instanceof ReaderKeyError) return usage(error.message);
    throw error;
  }
  if (options.executions === true) {
    const spaces = (options.space ?? "").split(",").filter((s) => s.trim() !== "");
    if (spaces.length !== 1) return usage("--executions needs --space <one space id>");
    return runExecutionAudit({
      node: url.toString(),
      space: (spaces[0] as string).trim(),
      ...(authorization !== undefined ? { authorization } : {}),
      ...(options.json === true ? { json: true } : {}),
    });
  }
  const source = new HttpAuditSource(url.toString(), fetch, authorization);
  // The same one-line errors as `verify` (exit 2): an unreachable node or RPC, an address that is not a
  // TinyCloudAnchor, a node that anchors elsewhere.
  let status: unknown;
  try {
    status = await reachNode(url.toString(), PREFLIGHT_TIMEOUT_MS);
    if (options.rpc !== undefined && options.contract !== undefined) {
      checkNodeChain(url.toString(), status, await checkAnchor({ rpc: options.rpc, contract: options.contract, timeoutMs: PREFLIGHT_TIMEOUT_MS }), options.contract);
    }
  } catch (error) {
    if (error instanceof RemoteCheckError) return usage(error.message);
    throw error;
  }

  let batch: number;
  if (options.batch === undefined) return usage("--batch is missing");
  if (options.batch === "latest") {
    const latest = (status as { latestBatch?: unknown } | undefined)?.latestBatch;
    if (status === undefined) return usage(`cannot read ${url.origin}/rollup/status: not a rollup node's status`);
    if (typeof latest !== "number" || latest < 1) return usage("the node has no batch yet");
    batch = latest;
  } else {
    batch = Number(options.batch);
    if (!/^[1-9][0-9]{0,15}$/.test(options.batch) || !Number.isSafeInteger(batch)) return usage(`--batch must be a positive integer or "latest", got "${options.batch}"`);
  }

  const chain: AuditChain | undefined =
    options.rpc !== undefined && options.contract !== undefined ? new ViemAuditChain({ rpcUrl: options.rpc, anchor: options.contract, ...(fromBlock !== undefined ? { fromBlock } : {}) }) : undefined;
  const vkeyDir = options.vkeys === undefined ? DEFAULT_VKEYS : pathToFileURL(`${resolve(options.vkeys)}/`);

  try {
    const report = await auditBatch({
      batch,
      source,
      ...(chain !== undefined ? { chain } : {}),
      ...(depth !== undefined ? { depth } : {}),
      vkey: async (circuit) => JSON.parse(await readFile(new URL(`${circuit}.vkey.json`, vkeyDir), "utf8")) as object,
      groth16: (vkey, publicSignals, proof) => snarkjs.groth16.verify(vkey as snarkjs.VerificationKey, [...publicSignals], proof as snarkjs.Groth16Proof),
      allowUnproven: options.allowUnproven === true,
      graceSeconds: grace,
      clockSkewSeconds: clockSkew,
      verify: nativeEd25519Verify,
      ...(options.json ? {} : { progress: (line: string) => console.error(`… ${line}`) }),
    });
    console.log(options.json ? reportToJson(report) : formatAuditReport(report, { verbose: options.verbose === true }));
    return report.ok ? 0 : 1;
  } catch (error) {
    if (error instanceof AuditSourceError) return usage(error.message);
    throw error;
  } finally {
    // snarkjs keeps a worker pool for the curve; let the process exit.
    await (globalThis as { curve_bn128?: { terminate(): Promise<void> } | null }).curve_bn128?.terminate();
  }
}
