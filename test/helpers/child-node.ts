/**
 * Run a real node as a child process (`node bin/tinycloud.js node --port 0 --data <dir>`), the way an
 * operator runs it, so a test can `kill -9` it and start it again on the same data directory.
 */
import type { ChildProcess } from "node:child_process";
import { CLI, spawnNode } from "./spawn-node.js";

export interface ChildNode {
  readonly url: string;
  readonly pid: number;
  readonly process: ChildProcess;
  /** Everything the child wrote so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has exited (immediately if it already has). */
  exited(): Promise<void>;
  /** SIGKILL (no shutdown hooks run) and wait for the process to be gone. */
  kill9(): Promise<void>;
}

/** Children not yet known to have exited; `killAllChildNodes` ends them (for `after` hooks). */
const live = new Set<ChildNode>();

/** `prove: true` runs the node as `npm start` does (keys built in the background); default `--no-prove`. */
export async function spawnChildNode(dataDir: string, options: { timeoutMs?: number; extraArgs?: readonly string[]; prove?: boolean } = {}): Promise<ChildNode> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const child = spawnNode([CLI, "node", "--port", "0", "--host", "127.0.0.1", ...(options.prove === true ? [] : ["--no-prove"]), "--data", dataDir, ...(options.extraArgs ?? [])]);
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => (err += chunk));
  let exitedFlag = child.exitCode !== null || child.signalCode !== null;
  const exitPromise = new Promise<void>((resolve) => {
    child.once("exit", () => {
      exitedFlag = true;
      resolve();
    });
    child.once("error", () => {
      exitedFlag = true;
      resolve();
    });
  });

  const url = await new Promise<string>((resolve, reject) => {
    const describe = (why: string) => new Error(`${why}\n--- node stdout ---\n${out || "(empty)"}\n--- node stderr ---\n${err || "(empty)"}`);
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(describe(`node did not print "listening on" within ${timeoutMs} ms`));
    }, timeoutMs);
    child.stdout.on("data", (chunk: string) => {
      out += chunk;
      const match = /TinyCloud node listening on (\S+)/.exec(out);
      if (match !== null) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    });
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(describe(`could not start node: ${error.message}`));
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(describe(`node exited before listening (code ${String(code)}, signal ${String(signal)})`));
    });
  });

  const handle: ChildNode = {
    url,
    pid: child.pid as number,
    process: child,
    stdout: () => out,
    stderr: () => err,
    exited: () => exitPromise,
    kill9: async () => {
      if (!exitedFlag) child.kill("SIGKILL");
      await exitPromise;
      live.delete(handle);
    },
  };
  live.add(handle);
  void exitPromise.then(() => live.delete(handle));
  return handle;
}

export async function killAllChildNodes(): Promise<void> {
  await Promise.all([...live].map((c) => c.kill9()));
}
