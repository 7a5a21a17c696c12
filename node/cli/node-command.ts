/** `tinycloud node`: run a node on this machine. */
import type { Command } from "commander";
import { DEFAULT_CONFIG } from "../server/config.js";
import { startNode } from "../server/node.js";

export function registerNodeCommand(program: Command): void {
  program
    .command("node")
    .description("run a TinyCloud node (HTTP API, level storage, signed epochs)")
    .option("-p, --port <port>", "TCP port (0 = any free port)", String(DEFAULT_CONFIG.port))
    .option("--host <host>", "interface to listen on", DEFAULT_CONFIG.host)
    .option("-d, --data <dir>", "data directory (node key and database)", DEFAULT_CONFIG.dataDir)
    .option("--max-body-bytes <n>", "largest request body accepted (413 above)", String(DEFAULT_CONFIG.maxBodyBytes))
    .option("--max-header-bytes <n>", "largest request header block accepted (431 above)", String(DEFAULT_CONFIG.maxHeaderBytes))
    .option("--invocation-max-lifetime <seconds>", "invocations must expire within this many seconds", String(DEFAULT_CONFIG.invocationMaxLifetimeSeconds))
    .option("--no-prove", "cut batches but do not prove them (no circuit setup)")
    .option("--redis <url>", "prove through a BullMQ pool on this Redis (workers: tinycloud prover); default: REDIS_URL, else embedded worker threads")
    .option("--ptau <file>", "a public ceremony's prepared ptau for production keys (default: an INSECURE dev ptau)")
    .option("--batch-size <n>", "cut a batch at this many state updates", String(DEFAULT_CONFIG.batchMaxUpdates))
    .option("--batch-delay-ms <ms>", "…or this long after the first pending update", String(DEFAULT_CONFIG.batchMaxDelayMs))
    .option("--log", "log every request")
    .action(async (options: { port: string; host: string; data: string; maxBodyBytes: string; maxHeaderBytes: string; invocationMaxLifetime: string; log?: boolean; prove: boolean; redis?: string; ptau?: string; batchSize: string; batchDelayMs: string }) => {
      const redisUrl = options.redis ?? process.env["REDIS_URL"];
      const node = await startNode({
        port: positiveInt(options.port, "--port", true),
        host: options.host,
        dataDir: options.data,
        maxBodyBytes: positiveInt(options.maxBodyBytes, "--max-body-bytes"),
        maxHeaderBytes: positiveInt(options.maxHeaderBytes, "--max-header-bytes"),
        invocationMaxLifetimeSeconds: positiveInt(options.invocationMaxLifetime, "--invocation-max-lifetime"),
        logRequests: options.log === true,
        prove: options.prove,
        batchMaxUpdates: positiveInt(options.batchSize, "--batch-size"),
        batchMaxDelayMs: positiveInt(options.batchDelayMs, "--batch-delay-ms"),
        ...(redisUrl !== undefined && redisUrl !== "" ? { redisUrl } : {}),
        ...(options.ptau !== undefined ? { ptau: options.ptau } : {}),
      });
      console.log(`TinyCloud node listening on ${node.url}`);
      console.log(`  node id   ${node.did}`);
      console.log(`  data dir  ${options.data}`);
      console.log(`  proving   ${options.prove ? (redisUrl ? `BullMQ on ${redisUrl} (start workers: npx tinycloud prover --redis ${redisUrl})` : "embedded worker threads") : "off"}`);
      console.log(`  rollup    ${node.url}/rollup/status   metrics ${node.url}/metrics`);
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
