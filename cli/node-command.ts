/** `tinycloud node`: run a node on this machine. */
import type { Command } from "commander";
import { DEFAULT_CONFIG } from "../node/server/config.js";
import { startNode } from "../node/server/node.js";
import { NODE_PLUGINS } from "./node-plugins.js";

export function registerNodeCommand(program: Command): void {
  program
    .command("node")
    .description("run a TinyCloud node: HTTP API, level storage, signed epochs, Groth16 proving and on-chain anchoring (embedded anvil by default)")
    .option("-p, --port <port>", "TCP port (0 = any free port)", String(DEFAULT_CONFIG.port))
    .option("--host <host>", "interface to listen on", DEFAULT_CONFIG.host)
    .option("-d, --data <dir>", "data directory (node key and database)", DEFAULT_CONFIG.dataDir)
    .option("--max-body-bytes <n>", "largest request body accepted (413 above)", String(DEFAULT_CONFIG.maxBodyBytes))
    .option("--max-header-bytes <n>", "largest request header block accepted (431 above)", String(DEFAULT_CONFIG.maxHeaderBytes))
    .option("--invocation-max-lifetime <seconds>", "invocations must expire within this many seconds", String(DEFAULT_CONFIG.invocationMaxLifetimeSeconds))
    .option("--no-prove", "cut batches but do not prove them (no circuit setup)")
    .option("--no-rollup", "a plain KV node: no state tree, batches, proofs or anchoring (implies --no-prove, --chain off)")
    .option("--redis <url>", "prove through a BullMQ pool on this Redis (workers: tinycloud prover); default: REDIS_URL, else embedded worker threads")
    .option("--ptau <file>", "a public ceremony's prepared ptau for production keys (default: an INSECURE dev ptau)")
    .option("--batch-size <n>", "cut a batch at this many state updates", String(DEFAULT_CONFIG.batchMaxUpdates))
    .option("--batch-delay-ms <ms>", "…or this long after the first pending update", String(DEFAULT_CONFIG.batchMaxDelayMs))
    .option("--log", "log every request")
    .option("--chain <mode>", 'where to anchor proven batches: "embedded" (anvil on loopback, contracts deployed for you), "remote" (--rpc + --contract or --deployment; key in TINYCLOUD_SEQUENCER_KEY) or "off"', DEFAULT_CONFIG.chain)
    .option("--chain-port <port>", "embedded chain: anvil's port on 127.0.0.1", String(DEFAULT_CONFIG.chainPort))
    .option("--rpc <url>", "remote chain: JSON-RPC endpoint (implies --chain remote)")
    .option("--contract <address>", "remote chain: the TinyCloudAnchor address")
    .option("--deployment <file>", "remote chain: deployment record written by `tinycloud deploy`")
    .option("--confirmations <n>", "blocks on top of an anchoring transaction before a batch counts as anchored", String(DEFAULT_CONFIG.confirmations))
    .option("--allow-insecure-keys", "prove with INSECURE keys (dev ptau or no secret phase-2 contribution: anyone can forge proofs) on a chain other than the local dev chain")
    .addHelpText(
      "after",
      "\nThe sequencer key for a remote chain is read from the environment variable TINYCLOUD_SEQUENCER_KEY,\nnever from the command line (command lines end up in shell history and process lists).",
    )
    .action(async (options: { port: string; host: string; data: string; maxBodyBytes: string; maxHeaderBytes: string; invocationMaxLifetime: string; log?: boolean; prove: boolean; rollup: boolean; redis?: string; ptau?: string; batchSize: string; batchDelayMs: string; chain: string; chainPort: string; rpc?: string; contract?: string; deployment?: string; confirmations: string; allowInsecureKeys?: boolean }) => {
      const redisUrl = options.redis ?? process.env["REDIS_URL"];
      const chain = options.rpc !== undefined && options.chain === DEFAULT_CONFIG.chain ? "remote" : options.chain;
      if (chain !== "embedded" && chain !== "remote" && chain !== "off") {
        console.error(`--chain must be embedded, remote or off, got "${options.chain}"`);
        process.exit(2);
      }
      const sequencerKey = process.env["TINYCLOUD_SEQUENCER_KEY"];
      const startedAt = Date.now();
      const node = await startNode({
        port: positiveInt(options.port, "--port", true),
        host: options.host,
        dataDir: options.data,
        maxBodyBytes: positiveInt(options.maxBodyBytes, "--max-body-bytes"),
        maxHeaderBytes: positiveInt(options.maxHeaderBytes, "--max-header-bytes"),
        invocationMaxLifetimeSeconds: positiveInt(options.invocationMaxLifetime, "--invocation-max-lifetime"),
        logRequests: options.log === true,
        prove: options.prove,
        rollup: options.rollup,
        batchMaxUpdates: positiveInt(options.batchSize, "--batch-size"),
        batchMaxDelayMs: positiveInt(options.batchDelayMs, "--batch-delay-ms"),
        ...(redisUrl !== undefined && redisUrl !== "" ? { redisUrl } : {}),
        ...(options.ptau !== undefined ? { ptau: options.ptau } : {}),
        chain,
        chainPort: positiveInt(options.chainPort, "--chain-port", true),
        confirmations: positiveInt(options.confirmations, "--confirmations", true),
        ...(options.rpc !== undefined ? { rpcUrl: options.rpc } : {}),
        ...(options.contract !== undefined ? { anchorAddress: options.contract } : {}),
        ...(options.deployment !== undefined ? { deploymentFile: options.deployment } : {}),
        ...(sequencerKey !== undefined && sequencerKey !== "" ? { sequencerKey } : {}),
        ...(options.allowInsecureKeys === true ? { allowInsecureKeys: true } : {}),
      }, { plugins: NODE_PLUGINS });
      const c = node.chain;
      const lines: [string, string][] = [
        ["node", `${node.url}   (${node.did})`],
        ["data", options.data],
        ["proving", !options.rollup ? "off (--no-rollup)" : options.prove ? (redisUrl ? `BullMQ on ${redisUrl} (workers: npx tinycloud prover --redis ${redisUrl}), dashboard ${node.url}/admin/queues` : "embedded worker threads") : "off (--no-prove)"],
        ["chain", c === undefined ? "off (proofs stay local)" : `${c.embedded ? "embedded anvil" : "remote"} ${c.embedded ? c.rpcUrl : "RPC"} (chain id ${c.deployment.chainId})`],
      ];
      if (c !== undefined) {
        lines.push(["anchor", `${c.deployment.anchor}   (TinyCloudAnchor)`]);
        lines.push(["router", `${c.deployment.router}   (TinyCloudVerifierRouter)`]);
        for (const [name, v] of Object.entries(c.deployment.verifiers)) lines.push(["verifier", `${v.address}   (${name})`]);
        lines.push(["sequencer", `${c.sequencer}${c.embedded ? "   (anvil dev account 0 — PUBLIC key, dev only)" : ""}`]);
        lines.push(["anchorer", `${node.config.confirmations} confirmation(s)`]);
      }
      lines.push(["rollup", options.rollup ? `${node.url}/rollup/status` : "off (--no-rollup)"]);
      lines.push(["metrics", `${node.url}/metrics`]);
      lines.push(["light client", `${node.url}/lightclient`]);
      const width = Math.max(...lines.map(([k]) => k.length));
      // The first line is stable for scripts: "TinyCloud node listening on <url>".
      console.log(`\nTinyCloud node listening on ${node.url} — stack up in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
      for (const [k, v] of lines) console.log(`  ${k.padEnd(width)}  ${v}`);
      console.log("");
      const stop = async (signal: string) => {
        console.log(`\n${signal}: stopping`);
        await node.close();
        process.exit(0);
      };
      process.once("SIGINT", () => void stop("SIGINT"));
      process.once("SIGTERM", () => void stop("SIGTERM"));
    });
}

function positiveInt(text: string, flag: string, allowZero = false): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < (allowZero ? 0 : 1)) {
    console.error(`${flag} must be a ${allowZero ? "non-negative" : "positive"} integer, got "${text}"`);
    process.exit(2);
  }
  return n;
}
