/** `tinycloud node`: run a node on this machine. */
import type { Command } from "commander";
import { DEFAULT_CONFIG } from "../node/server/config.js";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { startNode, type RunningNode } from "../node/server/node.js";
import { NODE_PLUGINS } from "./node-plugins.js";

/** A graceful stop that takes longer than this ends with exit status 1. */
const SHUTDOWN_LIMIT_MS = 8_000;

export function registerNodeCommand(program: Command): void {
  program
    .command("node")
    .description("run a TinyCloud node: HTTP API, level storage, signed epochs, Groth16 proving and on-chain anchoring (embedded anvil by default)")
    .option("-p, --port <port>", "TCP port (0 = any free port)", String(DEFAULT_CONFIG.port))
    .option("--host <host>", "interface to listen on", DEFAULT_CONFIG.host)
    .option("-d, --data <dir>", "data directory (node key and database)", DEFAULT_CONFIG.dataDir)
    .option("--max-body-bytes <n>", "largest request body accepted (413 above)", String(DEFAULT_CONFIG.maxBodyBytes))
    .option("--max-header-bytes <n>", "largest request header block accepted (431 above)", String(DEFAULT_CONFIG.maxHeaderBytes))
    .option(
      "--max-response-bytes <n>",
      "largest response body one request gets, batch reads included (413 above; env TINYCLOUD_MAX_RESPONSE_BYTES)",
      envDefault("TINYCLOUD_MAX_RESPONSE_BYTES", DEFAULT_CONFIG.maxResponseBytes),
    )
    .option(
      "--max-response-bytes-in-flight <n>",
      "response bytes all requests together may hold in memory (reads wait, then 503; env TINYCLOUD_MAX_RESPONSE_BYTES_IN_FLIGHT)",
      envDefault("TINYCLOUD_MAX_RESPONSE_BYTES_IN_FLIGHT", DEFAULT_CONFIG.maxResponseBytesInFlight),
    )
    .option(
      "--request-timeout-ms <ms>",
      "a request's headers and body must arrive within this long (408 and closed after; env TINYCLOUD_REQUEST_TIMEOUT_MS)",
      envDefault("TINYCLOUD_REQUEST_TIMEOUT_MS", DEFAULT_CONFIG.requestTimeoutMs),
    )
    .option("--max-connections <n>", "open connections accepted at once; more are closed (env TINYCLOUD_MAX_CONNECTIONS)", envDefault("TINYCLOUD_MAX_CONNECTIONS", DEFAULT_CONFIG.maxConnections))
    .option(
      "--max-backlog <updates>",
      "un-proven state updates past which writes get 429 with Retry-After (env TINYCLOUD_MAX_BACKLOG)",
      envDefault("TINYCLOUD_MAX_BACKLOG", DEFAULT_CONFIG.maxBacklogUpdates),
    )
    .option("--space-quota-bytes <n>", "storage quota of one space: bytes of values, invocations and ops (413 above); default: TINYCLOUD_SPACE_QUOTA_BYTES, else 1 GiB")
    .option("--node-quota-bytes <n>", "storage quota of the whole node (507 above); default: TINYCLOUD_NODE_QUOTA_BYTES, else 10 GiB")
    .option("--compute-max-module-bytes <n>", "largest WebAssembly module a deploy may upload (413 above; default 4 MiB)")
    .option("--compute-workers <n>", "worker threads that run compute functions (default 2)")
    .option("--compute-wall-clock-ms <ms>", "wall-clock limit of one execution: the worker is terminated (default 5000)")
    .option("--compute-space-module-bytes <n>", "per space: bytes of deployed modules (429 above; default 64 MiB)")
    .option("--compute-space-gas <n>", "per space: gas its executions may use per hour (429 above; default 1e12)")
    .option("--invocation-max-lifetime <seconds>", "invocations must expire within this many seconds", String(DEFAULT_CONFIG.invocationMaxLifetimeSeconds))
    .option("--clock-skew <seconds>", "tolerate this much clock difference with signers on token nbf/exp", String(DEFAULT_CONFIG.clockSkewSeconds))
    .option("--no-prove", "cut batches but do not prove them (no circuit setup)")
    .option("--no-rollup", "a plain KV node: no state tree, batches, proofs or anchoring (implies --no-prove, --chain off)")
    .option("--redis <url>", "prove through a BullMQ pool on this Redis (workers: tinycloud prover); default: REDIS_URL, else embedded worker threads")
    .option("--ptau <file>", "a public ceremony's prepared ptau for production keys (default: an INSECURE dev ptau)")
    .option("--circuits <names>", "prove with these circuits of circuits/circuits.json, comma-separated (default: epoch_transition_1,epoch_transition_4)")
    .option("--cache-dir <dir>", "where proving keys are built and cached (default: TINYCLOUD_CACHE_DIR, else .cache in the checkout)")
    .option("--batch-size <n>", "cut a batch at this many state updates", String(DEFAULT_CONFIG.batchMaxUpdates))
    .option("--batch-delay-ms <ms>", "…or this long after the first pending update", String(DEFAULT_CONFIG.batchMaxDelayMs))
    .option("--log", "log every request")
    .option(
      "--chain <mode>",
      'where to anchor proven batches: "embedded" (anvil on loopback, contracts deployed for you), "remote" (--rpc + --contract or --deployment; key in TINYCLOUD_SEQUENCER_KEY) or "off"',
      DEFAULT_CONFIG.chain,
    )
    .option("--chain-port <port>", "embedded chain: anvil's port on 127.0.0.1", String(DEFAULT_CONFIG.chainPort))
    .option("--rpc <url>", "remote chain: JSON-RPC endpoint (implies --chain remote)")
    .option("--contract <address>", "remote chain: the TinyCloudAnchor address")
    .option("--deployment <file>", "remote chain: deployment record written by `tinycloud deploy`")
    .option("--confirmations <n>", "blocks on top of an anchoring transaction before a batch counts as anchored", String(DEFAULT_CONFIG.confirmations))
    .option("--allow-insecure-keys", "prove with INSECURE keys (dev ptau or no secret phase-2 contribution: anyone can forge proofs) on a chain other than the local dev chain")
    .addHelpText(
      "after",
      "\nThe sequencer key for a remote chain is read from the environment variable TINYCLOUD_SEQUENCER_KEY,\nnever from the command line (command lines end up in shell history and process lists).\nLikewise TINYCLOUD_ADMIN_TOKEN: the bearer token for /metrics and /admin/queues when --host is not loopback.",
    )
    .action(
      async (options: {
        port: string;
        host: string;
        data: string;
        maxBodyBytes: string;
        maxHeaderBytes: string;
        invocationMaxLifetime: string;
        maxResponseBytes: string;
        maxResponseBytesInFlight: string;
        requestTimeoutMs: string;
        maxConnections: string;
        maxBacklog: string;
        spaceQuotaBytes?: string;
        nodeQuotaBytes?: string;
        computeMaxModuleBytes?: string;
        computeWorkers?: string;
        computeWallClockMs?: string;
        computeSpaceModuleBytes?: string;
        computeSpaceGas?: string;
        clockSkew: string;
        log?: boolean;
        prove: boolean;
        rollup: boolean;
        redis?: string;
        ptau?: string;
        cacheDir?: string;
        circuits?: string;
        batchSize: string;
        batchDelayMs: string;
        chain: string;
        chainPort: string;
        rpc?: string;
        contract?: string;
        deployment?: string;
        confirmations: string;
        allowInsecureKeys?: boolean;
      }) => {
        // Files the node creates are its owner's only (0600, directories 0700). LevelDB creates files all through
        // the node's life (logs, tables at each compaction, MANIFEST) with mode 0666 & ~umask and takes no mode,
        // so no window around opening the store could cover them: the umask is set for this process, which is
        // the node and nothing else. (startNode, embedded in another process, leaves that process's umask alone
        // and relies on the 0700 data and db directories.)
        process.umask(0o077);
        const redisUrl = options.redis ?? process.env["REDIS_URL"];
        const cacheOption = options.cacheDir ?? (process.env["TINYCLOUD_CACHE_DIR"] || undefined);
        // Relative to where the command runs (the build process would resolve it against the checkout).
        const cacheDir = cacheOption !== undefined ? resolve(cacheOption) : undefined;
        const chain = options.rpc !== undefined && options.chain === DEFAULT_CONFIG.chain ? "remote" : options.chain;
        if (chain !== "embedded" && chain !== "remote" && chain !== "off") {
          console.error(`--chain must be embedded, remote or off, got "${options.chain}"`);
          process.exit(2);
        }
        const sequencerKey = process.env["TINYCLOUD_SEQUENCER_KEY"];
        const adminToken = process.env["TINYCLOUD_ADMIN_TOKEN"];
        const startedAt = Date.now();
        await requireWritableDataDir(options.data);
        const port = positiveInt(options.port, "--port", true);
        const node = await startNode(
          {
            port,
            host: options.host,
            dataDir: options.data,
            maxBodyBytes: positiveInt(options.maxBodyBytes, "--max-body-bytes"),
            maxHeaderBytes: positiveInt(options.maxHeaderBytes, "--max-header-bytes"),
            invocationMaxLifetimeSeconds: positiveInt(options.invocationMaxLifetime, "--invocation-max-lifetime"),
            maxResponseBytes: positiveInt(options.maxResponseBytes, "--max-response-bytes"),
            maxResponseBytesInFlight: positiveInt(options.maxResponseBytesInFlight, "--max-response-bytes-in-flight"),
            requestTimeoutMs: positiveInt(options.requestTimeoutMs, "--request-timeout-ms"),
            maxConnections: positiveInt(options.maxConnections, "--max-connections"),
            maxBacklogUpdates: positiveInt(options.maxBacklog, "--max-backlog"),
            spaceQuotaBytes: positiveInt(options.spaceQuotaBytes ?? process.env["TINYCLOUD_SPACE_QUOTA_BYTES"] ?? String(DEFAULT_CONFIG.spaceQuotaBytes), "--space-quota-bytes"),
            nodeQuotaBytes: positiveInt(options.nodeQuotaBytes ?? process.env["TINYCLOUD_NODE_QUOTA_BYTES"] ?? String(DEFAULT_CONFIG.nodeQuotaBytes), "--node-quota-bytes"),
            clockSkewSeconds: positiveInt(options.clockSkew, "--clock-skew", true),
            ...(options.computeMaxModuleBytes !== undefined ? { computeMaxModuleBytes: positiveInt(options.computeMaxModuleBytes, "--compute-max-module-bytes") } : {}),
            ...(options.computeWorkers !== undefined ? { computeWorkers: positiveInt(options.computeWorkers, "--compute-workers") } : {}),
            ...(options.computeWallClockMs !== undefined ? { computeWallClockMs: positiveInt(options.computeWallClockMs, "--compute-wall-clock-ms") } : {}),
            ...(options.computeSpaceModuleBytes !== undefined ? { computeSpaceModuleBytes: positiveInt(options.computeSpaceModuleBytes, "--compute-space-module-bytes") } : {}),
            ...(options.computeSpaceGas !== undefined ? { computeSpaceGasPerPeriod: BigInt(positiveInt(options.computeSpaceGas, "--compute-space-gas")) } : {}),
            logRequests: options.log === true,
            prove: options.prove,
            rollup: options.rollup,
            batchMaxUpdates: positiveInt(options.batchSize, "--batch-size"),
            batchMaxDelayMs: positiveInt(options.batchDelayMs, "--batch-delay-ms"),
            ...(redisUrl !== undefined && redisUrl !== "" ? { redisUrl } : {}),
            ...(options.ptau !== undefined ? { ptau: options.ptau } : {}),
            ...(options.circuits !== undefined ? { circuits: circuitList(options.circuits) } : {}),
            ...(cacheDir !== undefined ? { cacheDir } : {}),
            chain,
            chainPort: positiveInt(options.chainPort, "--chain-port", true),
            confirmations: positiveInt(options.confirmations, "--confirmations", true),
            ...(options.rpc !== undefined ? { rpcUrl: options.rpc } : {}),
            ...(options.contract !== undefined ? { anchorAddress: options.contract } : {}),
            ...(options.deployment !== undefined ? { deploymentFile: options.deployment } : {}),
            ...(sequencerKey !== undefined && sequencerKey !== "" ? { sequencerKey } : {}),
            ...(adminToken !== undefined && adminToken !== "" ? { adminToken } : {}),
            ...(options.allowInsecureKeys === true ? { allowInsecureKeys: true } : {}),
          },
          { plugins: NODE_PLUGINS },
        ).catch((error: unknown) => {
          const line = listenErrorLine(error, options.host, port);
          if (line === undefined) throw error;
          console.error(line);
          process.exit(2);
        });
        // Before anything is printed (a supervisor may signal as soon as it sees the listening line).
        // First signal: stop accepting requests and close everything (proofs in flight are not waited for:
        // their batches stay cut in the store and are proven after a restart), within SHUTDOWN_LIMIT_MS.
        // A second signal, or the limit, exits at once.
        let stopping = false;
        const stop = (signal: string) => {
          if (stopping) {
            console.log(`${signal} again: exiting now`);
            process.exit(130);
          }
          stopping = true;
          console.log(`\n${signal}: stopping (send it again to exit at once)`);
          setTimeout(() => {
            console.error(`stopping took more than ${SHUTDOWN_LIMIT_MS / 1000} s: exiting now`);
            process.exit(1);
          }, SHUTDOWN_LIMIT_MS).unref();
          const stopStarted = Date.now();
          void node.close().then(
            () => {
              console.log(`stopped (${((Date.now() - stopStarted) / 1000).toFixed(1)} s)`);
              process.exit(0);
            },
            (error: unknown) => {
              console.error("stopping failed:", error);
              process.exit(1);
            },
          );
        };
        process.on("SIGINT", () => stop("SIGINT"));
        process.on("SIGTERM", () => stop("SIGTERM"));
        // The keys' first estimate comes from the build process within a second or two; wait that long at most.
        await Promise.race([node.proving?.planned, sleep(5_000)]);
        console.log(`\nTinyCloud node listening on ${node.url} — up in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
        console.log(startupBlock(node, options.data, redisUrl));
      },
    );
}

/**
 * A data directory the node cannot write (read-only mount, no permission, full disk) is an operator's
 * mistake, not a bug: say so in one line and exit, instead of a stack trace from deep inside LevelDB.
 */
async function requireWritableDataDir(dir: string): Promise<void> {
  const probe = join(dir, `.tinycloud-write-check-${process.pid}`);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(probe, "", { mode: 0o600 });
    await rm(probe, { force: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "error";
    const reason = error instanceof Error ? error.message : String(error);
    console.error(`tinycloud: data directory ${resolve(dir)} is not writable (${code}): ${reason}`);
    process.exit(2);
  }
}

/**
 * The HTTP port cannot be had (busy, privileged, no such address): the operator's choice, not a bug. One
 * line in the style of the chain port's error, instead of the listen error's stack trace.
 */
export function listenErrorLine(error: unknown, host: string, port: number): string | undefined {
  const e = error as { code?: unknown; syscall?: unknown };
  if (e === null || typeof e !== "object" || e.syscall !== "listen") return undefined;
  if (e.code === "EADDRINUSE") return `tinycloud: port ${port} on ${host} is in use (another node?); pick another with --port`;
  if (e.code === "EACCES") return `tinycloud: no permission to listen on port ${port} on ${host} (ports below 1024 need privileges); pick another with --port`;
  if (e.code === "EADDRNOTAVAIL") return `tinycloud: cannot listen on ${host}: no such address on this machine; pick another with --host`;
  return undefined;
}

/**
 * The start-up status block: what runs, what is still building (with its estimate), and where to look.
 * The first line printed before it, "TinyCloud node listening on <url>", is stable for scripts.
 */
export function startupBlock(node: RunningNode, dataDir: string, redisUrl: string | undefined): string {
  const { config, chain: c, proving } = node;
  const running: [string, string][] = [
    ["node", `${node.url}   (${node.did})`],
    ["data", dataDir],
    ["writes", "accepted now; each one is staged durably for the state tree"],
  ];
  const building: [string, string][] = [];
  if (!config.rollup) running.push(["proving", "off (--no-rollup)"]);
  else if (!config.prove || proving === undefined) running.push(["proving", "off (--no-prove): batches are cut, not proven"]);
  else {
    const k = proving.status();
    const pool = redisUrl ? `BullMQ on ${redisUrl} (workers: npx tinycloud prover --redis ${redisUrl})` : "embedded worker threads";
    if (k.state === "ready") running.push(["proving", `${pool}; keys ready (${k.circuits.join(", ")})`]);
    else if (k.state === "failed") running.push(["proving", `FAILED: ${k.error?.code}: ${k.error?.message.split("\n")[0]} — the node serves and cuts batches, proves nothing`]);
    else {
      const estimate = k.etaSeconds !== undefined ? `${k.percent ?? 0}% done, about ${Math.max(1, Math.round(k.etaSeconds / 60))} min left (an estimate)` : "starting";
      building.push(["proving keys", `${k.circuits.join(", ")} in the background: ${estimate}`]);
      building.push(["", `batches are cut meanwhile and proven (${pool}) once the keys are ready${c !== undefined ? ", then anchored" : ""}`]);
      building.push(["", `progress: the "keys" block of ${node.url}/rollup/status`]);
    }
  }
  running.push(["chain", c === undefined ? "off (proofs stay local)" : `${c.embedded ? "embedded anvil" : "remote"} ${c.embedded ? c.rpcUrl : "RPC"} (chain id ${c.deployment.chainId})`]);
  if (c !== undefined) {
    running.push(["anchor", `${c.deployment.anchor}   (TinyCloudAnchor)`]);
    running.push(["router", `${c.deployment.router}   (TinyCloudVerifierRouter)`]);
    for (const [name, v] of Object.entries(c.deployment.verifiers)) running.push(["verifier", `${v.address}   (${name})`]);
    running.push(["sequencer", `${c.sequencer}${c.embedded ? "   (anvil dev account 0 — PUBLIC key, dev only)" : ""}`]);
    running.push(["anchorer", `${config.confirmations} confirmation(s)`]);
  }
  const urls: [string, string][] = [
    ["node", node.url],
    ["light client", `${node.url}/lightclient`],
    ["status", config.rollup ? `${node.url}/rollup/status` : "off (--no-rollup)"],
    ["metrics", `${node.url}/metrics`],
  ];
  if (config.prove && redisUrl) urls.push(["dashboard", `${node.url}/admin/queues`]);
  // Ready to paste once a write is anchored (`npx tinycloud kv wait <key>`): a key of the space you logged in
  // to, or a full tinycloud: URI. A remote RPC URL is not printed (it often carries an API key).
  if (c !== undefined) urls.push(["verify", `npx tinycloud verify --node ${node.url} --rpc ${c.embedded ? c.rpcUrl : "<your RPC URL>"} --contract ${c.deployment.anchor} <key or uri>`]);
  const sections: [string, [string, string][]][] = [
    ["running", running],
    ["still building", building],
    ["urls", urls],
  ];
  const width = Math.max(...sections.flatMap(([, rows]) => rows.map(([k]) => k.length)));
  const out: string[] = [];
  for (const [title, rows] of sections) {
    if (rows.length === 0) continue;
    out.push(`  ${title}`);
    for (const [k, v] of rows) out.push(`    ${k.padEnd(width)}  ${v}`);
  }
  return `${out.join("\n")}\n`;
}

/** A flag's default: the environment variable when set, else the node's default. */
function envDefault(name: string, fallback: number): string {
  const value = process.env[name];
  return value !== undefined && value !== "" ? value : String(fallback);
}

function positiveInt(text: string, flag: string, allowZero = false): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < (allowZero ? 0 : 1)) {
    console.error(`${flag} must be a ${allowZero ? "non-negative" : "positive"} integer, got "${text}"`);
    process.exit(2);
  }
  return n;
}

function circuitList(text: string): string[] {
  const names = text.split(",").map((n) => n.trim());
  if (names.length === 0 || names.some((n) => !/^[a-z0-9_]{1,64}$/.test(n))) {
    console.error(`--circuits must be comma-separated circuit names of circuits/circuits.json, got "${text}"`);
    process.exit(2);
  }
  return names;
}
