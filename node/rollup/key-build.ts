/**
 * The node's background key build: `runSetup` in a child process (prover/setup/build-process.ts), with
 * progress and an estimate of the time left (prover/setup/estimate.ts) for the console and
 * `GET /rollup/status`. The node listens and accepts writes meanwhile; proving starts when `done`
 * resolves (node/rollup/proving.ts).
 */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { siblingModule, workerExecArgv } from "../../prover/backends/backend.js";
import type { CircuitBuild } from "../../prover/setup/artifacts.js";
import type { FromBuild, KeyBuildRequest } from "../../prover/setup/build-process.js";
import { BuildEstimator, type BuildProgress } from "../../prover/setup/estimate.js";
import { formatSeconds } from "../../prover/setup/progress.js";

export type { KeyBuildRequest } from "../../prover/setup/build-process.js";

/**
 * SETUP_* codes come from runSetup (prover/setup/artifacts.ts); KEYS_BUILD_CRASHED: the build process
 * died without an answer; KEYS_BUILD_STOPPED: `close()` stopped it.
 */
export class KeyBuildError extends Error {
  override readonly name = "KeyBuildError";
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface KeyBuild {
  /** The built (or cached) keys; rejects with a KeyBuildError. */
  readonly done: Promise<CircuitBuild[]>;
  /** Progress and estimate; undefined until the build process has sent its plan. */
  progress(): BuildProgress | undefined;
  /** Resolves when the plan (and so a first estimate) is known, or the build ended. */
  readonly planned: Promise<void>;
  /** Stop the build (its partial files are removed) and wait for the process to exit. */
  close(): Promise<void>;
}

/** Starts a key build; the default forks build-process.ts. Tests substitute their own. */
export type KeyBuilder = (request: KeyBuildRequest, log: (line: string) => void) => KeyBuild;

const ENTRY = siblingModule(import.meta.url, "../../prover/setup/build-process");
/** Console progress lines at most this often between steps. */
const LOG_EVERY_MS = 30_000;

export const startKeyBuild: KeyBuilder = (request, log) => {
  const execArgv = workerExecArgv(ENTRY);
  const child: ChildProcess = fork(fileURLToPath(ENTRY), [], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    ...(execArgv !== undefined ? { execArgv } : {}),
  });
  let estimator: BuildEstimator | undefined;
  let onPlan: () => void = () => undefined;
  const planned = new Promise<void>((resolve) => (onPlan = resolve));
  let settled = false;
  let stopping = false;
  let lastLog = 0;
  const say = (prefix: string) => {
    const p = estimator?.snapshot();
    if (p === undefined) return;
    lastLog = Date.now();
    log(`keys: ${prefix}${p.percent.toFixed(0)}% done, ${describeEta(p)}`);
  };
  const ticker = setInterval(() => {
    if (Date.now() - lastLog >= LOG_EVERY_MS) say("");
  }, 5_000);
  ticker.unref();
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const done = new Promise<CircuitBuild[]>((resolve, reject) => {
    child.on("message", (message: FromBuild) => {
      switch (message.type) {
        case "plan":
          estimator = new BuildEstimator(message.steps);
          onPlan();
          if (message.steps.length > 0) say(`building ${request.circuits.join(", ")} in the background (${message.steps.length} steps): `);
          return;
        case "step":
          if (message.kind === undefined || estimator === undefined) return;
          estimator.start(message.kind);
          say(`${message.label}: `);
          return;
        case "progress":
          estimator?.update(message.done, message.total);
          return;
        case "line":
          log(`keys: ${message.text}`);
          return;
        case "done":
          settled = true;
          estimator?.finish();
          resolve(message.builds);
          return;
        case "failed":
          settled = true;
          reject(new KeyBuildError(message.error.code, message.error.message));
          return;
      }
    });
    child.once("error", (error) => {
      settled = true;
      reject(new KeyBuildError("KEYS_BUILD_CRASHED", `could not start the key build process: ${error.message}`));
    });
    child.once("exit", (code, signal) => {
      clearInterval(ticker);
      if (settled) return;
      if (stopping) reject(new KeyBuildError("KEYS_BUILD_STOPPED", "the key build was stopped (the node is closing)"));
      else reject(new KeyBuildError("KEYS_BUILD_CRASHED", `the key build process exited (code ${String(code)}, signal ${String(signal)}) before it finished`));
    });
    child.send({ type: "build", request });
  });
  // Rejections are the caller's to report; this keeps an unobserved one from crashing the node.
  done.catch(() => undefined).finally(onPlan);
  return {
    done,
    planned,
    progress: () => estimator?.snapshot(),
    close: async () => {
      clearInterval(ticker);
      if (child.exitCode !== null || child.signalCode !== null) return;
      stopping = true;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
};

/** "about 7 min left (estimate)", or "finishing" when the model has nothing left. */
export function describeEta(p: BuildProgress): string {
  if (p.etaSeconds === undefined) return `done in ${formatSeconds(p.elapsedSeconds)}`;
  const eta = p.etaSeconds;
  const rounded = eta < 60 ? `${Math.max(5, Math.round(eta / 5) * 5)} s` : eta < 3600 ? `${Math.round(eta / 60)} min` : `${(eta / 3600).toFixed(1)} h`;
  return `about ${rounded} left (estimate)`;
}
