/**
 * Child-process entry that builds proving keys for a running node (`runSetup`), so the CPU-heavy
 * compile, dev ptau and Groth16 setup never run on the node's request thread, a crash or an
 * out-of-memory kill of the build cannot take the node down, and the node can stop a build by
 * killing the process. Started by `startKeyBuild` (node/rollup/key-build.ts) with `fork`.
 *
 * Protocol (parent → child, once): `{ type: "build", request }` (a `KeyBuildRequest`).
 * (child → parent): `{ type: "plan", steps }`, then per step `{ type: "step", kind, label }` and
 * `{ type: "progress", done, total, phase? }`, `{ type: "line", text }` for runSetup's summary lines,
 * and last `{ type: "done", builds }` or `{ type: "failed", error: { code, message } }`.
 *
 * The process lowers its own priority (the node's requests come first) and, when it is told to stop
 * (SIGTERM/SIGINT) or its parent goes away, removes the partial files of its unfinished step before
 * it exits.
 */
import { getPriority, setPriority } from "node:os";
import { resolve } from "node:path";
import type { CircuitBuild, PlannedSetupStep, SetupPhase2 } from "./artifacts.js";
import { removePartials } from "./partials.js";
import type { Reporter, SetupStepKind } from "./progress.js";

export interface KeyBuildRequest {
  readonly circuits: readonly string[];
  readonly phase2: SetupPhase2;
  /** Only use cached keys (random phase-2 modes: a rebuild would rotate the published keys). */
  readonly reuseOnly: boolean;
  readonly ptau?: string;
  readonly cacheDir?: string;
  /** Niceness added to the parent's (default 10). */
  readonly nice?: number;
}

export type FromBuild =
  | { type: "plan"; steps: PlannedSetupStep[] }
  | { type: "step"; kind?: SetupStepKind; label: string }
  | { type: "progress"; done: number; total: number; phase?: string }
  | { type: "line"; text: string }
  | { type: "done"; builds: CircuitBuild[] }
  | { type: "failed"; error: { code: string; message: string } };

export const DEFAULT_BUILD_NICE = 10;

function send(message: FromBuild): Promise<void> {
  return new Promise((done) => {
    if (process.send === undefined || !process.connected) return done();
    process.send(message, undefined, {}, () => done());
  });
}

/** A Reporter that forwards runSetup's steps to the parent instead of drawing them. */
function ipcReporter(): Reporter {
  return {
    line: (text) => void send({ type: "line", text }),
    start(label, kind) {
      void send({ type: "step", ...(kind !== undefined ? { kind } : {}), label });
      const started = performance.now();
      return {
        update: (done, total, phase) => void send({ type: "progress", done, total, ...(phase !== undefined ? { phase } : {}) }),
        note: () => undefined,
        end: () => (performance.now() - started) / 1000,
      };
    },
  };
}

async function build(request: KeyBuildRequest): Promise<void> {
  const nice = request.nice ?? DEFAULT_BUILD_NICE;
  if (nice > 0) {
    try {
      // Threads started from here on (snarkjs' and the dev ptau's workers, circom) inherit it.
      setPriority(0, Math.min(19, getPriority(0) + nice));
    } catch {
      // not permitted here: build at the node's priority
    }
  }
  const { defaultRoot, runSetup, setupPlan } = await import("./artifacts.js");
  const cacheDir = resolve(defaultRoot(), request.cacheDir ?? ".cache");
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void removePartials(cacheDir).finally(() => process.exit(0));
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  process.on("disconnect", stop);
  const options = {
    circuits: [...request.circuits],
    phase2: request.phase2,
    cacheDir,
    ...(request.ptau !== undefined ? { ptau: request.ptau } : {}),
  };
  try {
    await send({ type: "plan", steps: await setupPlan(options) });
    const builds = await runSetup({ ...options, reuseOnly: request.reuseOnly, reporter: ipcReporter() });
    await send({ type: "done", builds });
  } catch (error) {
    const e = error as { code?: unknown; message?: unknown };
    await send({ type: "failed", error: { code: typeof e.code === "string" ? e.code : "SETUP_FAILED", message: typeof e.message === "string" ? e.message : String(error) } });
  }
  // snarkjs' worker threads are released by runSetup; exit anyway, the parent has everything.
  process.exit(0);
}

process.once("message", (message: { type: "build"; request: KeyBuildRequest }) => {
  if (message.type === "build") void build(message.request);
});
