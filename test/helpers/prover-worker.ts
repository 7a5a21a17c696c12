/**
 * Run a BullMQ prover worker (`tinycloud prover`: cli/prover-command.ts around prover/pool/worker-main.ts)
 * as a child process, so tests can SIGKILL it mid-job the way a crashed machine would; `spawnProverCli`
 * runs it the way an operator does, `node bin/tinycloud.js prover ...`.
 */
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { SlowBackendOptions } from "./slow-prover-backend.js";
import { CLI, spawnNode } from "./spawn-node.js";

const CLI_MAIN = fileURLToPath(new URL("../../cli/main.ts", import.meta.url));
const SLOW_BACKEND = new URL("./slow-prover-backend.ts", import.meta.url);

/** Worker arguments: take jobs from `queue` on `redis`, prove them with the slow, logging test backend (./slow-prover-backend.ts). */
export function slowBackendWorkerArgs(redis: string, queue: string, backend: SlowBackendOptions): string[] {
  return ["--redis", redis, "--queue", queue, "--backend-module", SLOW_BACKEND.pathname, "--backend-options", JSON.stringify(backend)];
}

export interface ProverWorkerChild {
  readonly pid: number;
  readonly process: ChildProcess;
  output(): string;
  exited(): Promise<void>;
  /** SIGKILL: no shutdown hooks, the job lock is left to expire. */
  kill9(): Promise<void>;
  /** SIGTERM: finish active jobs, then exit. */
  stop(): Promise<void>;
}

const live = new Set<ProverWorkerChild>();

export function spawnProverWorker(args: readonly string[], timeoutMs = 60_000): Promise<ProverWorkerChild> {
  return spawnReady(["--import", "tsx", CLI_MAIN, "prover", ...args], timeoutMs);
}

/** `node bin/tinycloud.js prover <args>`. */
export function spawnProverCli(args: readonly string[], timeoutMs = 60_000): Promise<ProverWorkerChild> {
  return spawnReady([CLI, "prover", ...args], timeoutMs);
}

async function spawnReady(nodeArgs: readonly string[], timeoutMs: number): Promise<ProverWorkerChild> {
  const child = spawnNode(nodeArgs, { keepNodeOptions: true });
  let out = "";
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => (out += chunk));
  let gone = false;
  const exit = new Promise<void>((resolve) => {
    child.once("exit", () => {
      gone = true;
      resolve();
    });
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`prover worker not ready within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    child.stdout.on("data", (chunk: string) => {
      out += chunk;
      if (out.includes("prover worker ready")) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exit.then(() => {
      clearTimeout(timer);
      reject(new Error(`prover worker exited before it was ready:\n${out}`));
    });
  });
  const handle: ProverWorkerChild = {
    pid: child.pid as number,
    process: child,
    output: () => out,
    exited: () => exit,
    async kill9() {
      if (!gone) child.kill("SIGKILL");
      await exit;
      live.delete(handle);
    },
    async stop() {
      if (!gone) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exit;
      clearTimeout(timer);
      live.delete(handle);
    },
  };
  live.add(handle);
  return handle;
}

/** For `after` hooks: stop every worker this file started. */
export async function killAllProverWorkers(): Promise<void> {
  await Promise.all([...live].map((w) => w.kill9()));
}
