/**
 * A local anvil (Foundry's dev chain) as a child process: the embedded chain of `tinycloud node` and
 * the chain of the end-to-end tests.
 *
 * The binary ships in the npm package of this platform (`@foundry-rs/anvil-<os>-<arch>`, a dependency
 * of `@foundry-rs/anvil`); we start it directly (no wrapper process, nothing downloaded), bound to
 * 127.0.0.1 only. With `statePath` the chain is loaded from and dumped to that file (every 5 s and on
 * exit), so a restarted node finds its contracts and batches again.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import type { Hex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { ChainError } from "./contract-errors.js";

/** anvil's default mnemonic: its dev accounts are funded with 10,000 ETH each. PUBLIC, dev chains only. */
export const ANVIL_MNEMONIC = "test test test test test test test test test test test junk";

export interface AnvilOptions {
  /** TCP port on 127.0.0.1; 0 or absent = a free port. */
  readonly port?: number;
  /** Load the chain from this file if it exists, and dump it there every 5 s and on exit. */
  readonly statePath?: string;
  /** Default 31337. */
  readonly chainId?: number;
  /** Interval mining every n seconds; default: a block per transaction (automine). */
  readonly blockTimeSec?: number;
  /** Dev accounts to create and fund (default 10). */
  readonly accounts?: number;
  /** How long to wait for the RPC to answer (default 20 s). */
  readonly startTimeoutMs?: number;
  /** Receives anvil's stderr lines (stdout is silenced with --silent). */
  readonly log?: (line: string) => void;
}

export interface DevAccount {
  readonly address: `0x${string}`;
  /** A PUBLIC dev key (derived from the well-known anvil mnemonic). */
  readonly privateKey: Hex;
}

export interface AnvilInstance {
  readonly rpcUrl: string;
  readonly chainId: number;
  readonly port: number;
  readonly accounts: readonly DevAccount[];
  readonly pid: number;
  /** Stop anvil (SIGTERM, so a --state file is written; SIGKILL after 5 s). Idempotent. */
  stop(): Promise<void>;
}

/** The path of the anvil binary for this platform. */
export function anvilBinary(): string {
  const require = createRequire(import.meta.url);
  const arch = process.arch === "x64" ? "amd64" : process.arch;
  const platform = process.platform;
  const binary = platform === "win32" ? "anvil.exe" : "anvil";
  try {
    const pkg = require.resolve(`@foundry-rs/anvil-${platform}-${arch}/package.json`);
    const file = join(dirname(pkg), "bin", binary);
    if (existsSync(file)) return file;
  } catch {
    // fall through
  }
  throw new ChainError("CHAIN_ANVIL_FAILED", `no anvil binary for ${platform}-${arch}: the npm package @foundry-rs/anvil-${platform}-${arch} is not installed (run \`npm install\`)`);
}

/** dev account i of anvil's default mnemonic. */
export function anvilDevAccount(index: number): DevAccount {
  const account = mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: index });
  const key = account.getHdKey().privateKey;
  if (key === null) throw new Error("BUG: HD key without private key");
  return { address: account.address, privateKey: `0x${Buffer.from(key).toString("hex")}` };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startAnvil(options: AnvilOptions = {}): Promise<AnvilInstance> {
  const chainId = options.chainId ?? 31337;
  if (!Number.isSafeInteger(chainId) || chainId < 1) throw new ChainError("CHAIN_ANVIL_FAILED", `invalid chain id ${chainId}`);
  const count = options.accounts ?? 10;
  // A port picked by us may be taken by someone else before anvil binds it: retry with another one.
  const attempts = options.port === undefined || options.port === 0 ? 3 : 1;
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const port = options.port !== undefined && options.port !== 0 ? options.port : await freePort();
    try {
      return await launch({ ...options, port, chainId, accounts: count });
    } catch (error) {
      lastError = error;
      if (!(error instanceof ChainError) || !/address already in use|addr in use|os error 98/i.test(error.message)) throw error;
    }
  }
  throw lastError;
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

async function launch(options: AnvilOptions & { port: number; chainId: number; accounts: number }): Promise<AnvilInstance> {
  // Something else answering on the port must not pass for our anvil.
  if (!(await portIsFree(options.port))) throw new ChainError("CHAIN_ANVIL_FAILED", `cannot start anvil: 127.0.0.1:${options.port} is already in use (address already in use)`);
  const args = ["--host", "127.0.0.1", "--port", String(options.port), "--chain-id", String(options.chainId), "--accounts", String(options.accounts), "--silent"];
  args.push("--mnemonic", ANVIL_MNEMONIC);
  if (options.blockTimeSec !== undefined) args.push("--block-time", String(options.blockTimeSec));
  if (options.statePath !== undefined) {
    await mkdir(dirname(options.statePath), { recursive: true });
    args.push("--state", options.statePath, "--state-interval", "5", "--preserve-historical-states");
  }
  // anvil runs under a tiny POSIX-shell watchdog holding the read end of a pipe from this process: when
  // this process ends in any way (even SIGKILL or a crash, where no "exit" handler runs) the pipe
  // closes and the watchdog stops anvil gracefully. The watchdog leads its own process group, so
  // stop() can SIGKILL everything as a last resort.
  const child =
    process.platform === "win32"
      ? spawn(anvilBinary(), args, { stdio: ["ignore", "ignore", "pipe"] })
      : spawn("/bin/sh", ["-c", WATCHDOG, anvilBinary(), ...args], { stdio: ["pipe", "ignore", "pipe"], detached: true });
  child.stdin?.on("error", () => {});
  const stderr: string[] = [];
  let partial = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    const lines = (partial + chunk).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      stderr.push(line);
      if (stderr.length > 50) stderr.shift();
      options.log?.(line);
    }
  });
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exit = new Promise<void>((resolve) => {
    child.once("exit", (code, signal) => {
      exited = { code, signal };
      resolve();
    });
  });
  let spawnError: Error | undefined;
  child.once("error", (error) => {
    spawnError = error;
  });
  // Never leave an anvil behind when this process goes away.
  const killOnExit = (): void => {
    if (exited === undefined) signal(child, "SIGTERM");
  };
  process.once("exit", killOnExit);

  const rpcUrl = `http://127.0.0.1:${options.port}`;
  const tail = (): string => {
    const text = [...stderr, partial]
      .filter((l) => l.trim() !== "")
      .slice(-10)
      .join("\n");
    return text === "" ? "" : `\nanvil stderr:\n${text}`;
  };
  const deadline = Date.now() + (options.startTimeoutMs ?? 20_000);
  for (;;) {
    if (spawnError !== undefined) {
      process.removeListener("exit", killOnExit);
      throw new ChainError("CHAIN_ANVIL_FAILED", `cannot start anvil: ${spawnError.message}`, { cause: spawnError });
    }
    if (exited !== undefined) {
      process.removeListener("exit", killOnExit);
      throw new ChainError("CHAIN_ANVIL_FAILED", `anvil exited during start-up (code ${exited.code ?? exited.signal})${tail()}`);
    }
    const answered = await chainIdOf(rpcUrl);
    if (answered !== undefined) {
      if (answered !== options.chainId) {
        await stopChild(child, exit, () => exited !== undefined);
        process.removeListener("exit", killOnExit);
        throw new ChainError("CHAIN_ANVIL_FAILED", `port ${options.port} answers with chain id ${answered}, not anvil's ${options.chainId}: is another node listening there?`);
      }
      break;
    }
    if (Date.now() > deadline) {
      await stopChild(child, exit, () => exited !== undefined);
      process.removeListener("exit", killOnExit);
      throw new ChainError("CHAIN_ANVIL_FAILED", `anvil did not answer eth_chainId on ${rpcUrl} within ${options.startTimeoutMs ?? 20_000} ms${tail()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  const accounts = Array.from({ length: options.accounts }, (_, i) => anvilDevAccount(i));
  let stopping: Promise<void> | undefined;
  return {
    rpcUrl,
    chainId: options.chainId,
    port: options.port,
    accounts,
    pid: child.pid ?? -1,
    stop: () => {
      stopping ??= stopChild(child, exit, () => exited !== undefined).finally(() => process.removeListener("exit", killOnExit));
      return stopping;
    },
  };
}

/**
 * `sh -c WATCHDOG anvil args…`: start anvil in the background, stop it (SIGTERM, so --state is dumped)
 * when stdin reaches EOF (our end of the pipe closed: stop() or this process died), and exit with
 * anvil's status when anvil exits by itself. Background jobs of a non-interactive shell get
 * /dev/null as stdin, hence the copy of stdin on fd 3 for the watcher.
 */
const WATCHDOG = [
  "exec 3<&0",
  '"$0" "$@" </dev/null 3<&- & pid=$!',
  '(read _ <&3; kill -TERM "$pid" 2>/dev/null) & watcher=$!',
  "exec 3<&-",
  'wait "$pid"; status=$?',
  'kill "$watcher" 2>/dev/null',
  'exit "$status"',
].join("\n");

function signal(child: ChildProcess, sig: NodeJS.Signals): void {
  try {
    if (process.platform !== "win32" && child.pid !== undefined) process.kill(-child.pid, sig);
    else child.kill(sig);
  } catch {
    // already gone
  }
}

async function stopChild(child: ChildProcess, exit: Promise<void>, hasExited: () => boolean): Promise<void> {
  if (hasExited()) return;
  if (child.stdin !== null) child.stdin.end();
  else signal(child, "SIGTERM");
  const timer = setTimeout(() => {
    if (!hasExited()) signal(child, "SIGKILL");
  }, 5_000);
  await exit;
  clearTimeout(timer);
}

async function chainIdOf(rpcUrl: string): Promise<number | undefined> {
  try {
    const response = await fetch(rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(1_000),
    });
    if (!response.ok) return undefined;
    const body = (await response.json()) as { result?: string };
    return typeof body.result === "string" ? Number(BigInt(body.result)) : undefined;
  } catch {
    return undefined;
  }
}
