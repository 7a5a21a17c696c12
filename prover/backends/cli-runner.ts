/**
 * Runs a prover CLI (r0vm, an SP1 host script, a RISC Zero host) as a child process for the zkVM
 * backends: finds the executable, passes files, enforces a wall-clock limit and kills the whole process
 * group when it is exceeded (provers spawn helpers; killing only the direct child would leak them).
 */
import { spawn } from "node:child_process";
import { constants as fsConstants } from "node:fs";
import { access } from "node:fs/promises";
import { delimiter, isAbsolute, join } from "node:path";
import { ProverError } from "./backend.js";

/** Resolves `command` like a shell does (absolute/relative path as given, bare name through PATH). */
export async function findExecutable(command: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const candidates = isAbsolute(command) || command.includes("/") ? [command] : (env.PATH ?? "").split(delimiter).filter(Boolean).map((d) => join(d, command));
  for (const candidate of candidates) {
    try {
      await access(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

export interface CliRun {
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Kill (SIGTERM, then SIGKILL after `killGraceMs`) and fail with PROVER_TIMEOUT after this long. */
  readonly timeoutMs: number;
  readonly killGraceMs?: number;
  /** Each complete line the process writes to stderr (progress hints). */
  readonly onStderrLine?: (line: string) => void;
  /** Used in error messages ("r0vm", "SP1 host"). */
  readonly label: string;
  /** Appended to the not-found error: how to install the missing binary. */
  readonly installHint: string;
}

export interface CliOutput {
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
}

const TAIL = 4000;

export async function runCli(run: CliRun): Promise<CliOutput> {
  const env = { ...process.env, ...run.env };
  const executable = await findExecutable(run.command, env);
  if (!executable) {
    throw new ProverError("PROVER_BACKEND_UNAVAILABLE", `${run.label}: executable "${run.command}" not found (PATH=${env.PATH ?? ""}). ${run.installHint}`, {
      details: { binary: run.command },
    });
  }
  const started = performance.now();
  return await new Promise<CliOutput>((resolve, reject) => {
    const child = spawn(executable, run.args, {
      cwd: run.cwd,
      env,
      stdio: ["ignore", "pipe", "pipe"],
      // Own process group, so a timeout kills the prover and everything it started.
      detached: true,
    });
    let stdout = "";
    let stderr = "";
    let partial = "";
    let timedOut = false;
    let settled = false;
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      stdout = (stdout + chunk).slice(-1_000_000);
    });
    child.stderr.on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-1_000_000);
      if (run.onStderrLine) {
        partial += chunk;
        const lines = partial.split("\n");
        partial = lines.pop() ?? "";
        for (const line of lines) run.onStderrLine(line);
      }
    });
    const killGroup = (signal: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    };
    let graceTimer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup("SIGTERM");
      graceTimer = setTimeout(() => killGroup("SIGKILL"), run.killGraceMs ?? 2000);
    }, run.timeoutMs);
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    child.once("error", (error: NodeJS.ErrnoException) =>
      finish(() => {
        if (graceTimer) clearTimeout(graceTimer);
        reject(
          error.code === "ENOENT" || error.code === "EACCES"
            ? new ProverError("PROVER_BACKEND_UNAVAILABLE", `${run.label}: cannot execute "${executable}" (${error.code}). ${run.installHint}`, { cause: error, details: { binary: run.command } })
            : new ProverError("PROVER_BACKEND_FAILED", `${run.label}: ${error.message}`, { cause: error }),
        );
      }),
    );
    child.once("close", (code, signal) =>
      finish(() => {
        // The group may still hold grandchildren that ignored SIGTERM: make sure they go.
        if (timedOut) {
          if (graceTimer) clearTimeout(graceTimer);
          killGroup("SIGKILL");
        }
        const seconds = (performance.now() - started) / 1000;
        if (timedOut) {
          reject(
            new ProverError("PROVER_TIMEOUT", `${run.label}: killed after ${run.timeoutMs} ms (time limit)`, {
              details: { timeoutMs: run.timeoutMs, stderrTail: stderr.slice(-TAIL) },
            }),
          );
        } else if (code !== 0) {
          reject(
            new ProverError("PROVER_BACKEND_FAILED", `${run.label} exited with ${signal ? `signal ${signal}` : `code ${String(code)}`}: ${lastLines(stderr || stdout)}`, {
              details: { exitCode: code, signal, stderrTail: stderr.slice(-TAIL) },
            }),
          );
        } else {
          resolve({ stdout, stderr, seconds });
        }
      }),
    );
  });
}

function lastLines(text: string, n = 5): string {
  const lines = text.trim().split("\n");
  return lines.slice(-n).join(" | ").slice(-TAIL) || "(no output)";
}
