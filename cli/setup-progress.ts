/**
 * Progress lines for the long steps of `tinycloud setup` and `tinycloud ceremony` (issue 13, "honest long
 * work"). circom and snarkjs' Groth16 setup, contribution and verification report nothing while they run,
 * for minutes on a small machine; these reporters add a line every 30 s with how far the work is and an
 * ESTIMATE of the time left, from the cost model of prover/setup/estimate.ts (the one the node's
 * background key build uses).
 */
import { BuildEstimator, modelSeconds } from "../prover/setup/estimate.js";
import type { PlannedSetupStep } from "../prover/setup/artifacts.js";
import { formatSeconds, type Reporter, type SetupPhaseName, type SetupStepKind, type StepProgress } from "../prover/setup/progress.js";

const TICK_MS = 30_000;

function eta(seconds: number): string {
  return seconds < 60 ? `${Math.max(5, Math.round(seconds / 5) * 5)} s` : seconds < 3600 ? `${Math.round(seconds / 60)} min` : `${(seconds / 3600).toFixed(1)} h`;
}

/** A reporter that passes every step and fraction to `observe` as well as to `base`. */
function observed(base: Reporter, observe: { start(label: string, kind: SetupStepKind | undefined): void; update(done: number, total: number): void; end(): void }): Reporter {
  return {
    line: (text) => base.line(text),
    start(label, kind) {
      observe.start(label, kind);
      const step = base.start(label, kind);
      return {
        update(done, total, phase) {
          observe.update(done, total);
          step.update(done, total, phase);
        },
        note: (text) => step.note(text),
        end(note) {
          observe.end();
          return step.end(note);
        },
      } satisfies StepProgress;
    },
  };
}

/**
 * `tinycloud setup`: the whole plan's percentage and time left (BuildEstimator, calibrated on this
 * machine's speed as steps finish), a line every 30 s. `stop()` when the build is over.
 */
export function planProgress(base: Reporter, plan: readonly PlannedSetupStep[], prefix: string): { reporter: Reporter; stop(): void } {
  const estimator = new BuildEstimator(plan);
  const timer = setInterval(() => {
    const p = estimator.snapshot();
    const where = p.phase !== undefined ? `, step ${p.step}/${p.steps}: ${p.circuit !== undefined ? `${p.circuit} ` : ""}${p.phase}` : "";
    base.line(`${prefix}: ${Math.floor(p.percent)}% done${where}, ${p.etaSeconds !== undefined ? `about ${eta(p.etaSeconds)} left (an estimate)` : "finishing"}`);
  }, TICK_MS);
  timer.unref();
  const reporter = observed(base, {
    start: (_label, kind) => {
      if (kind !== undefined) estimator.start(kind);
    },
    update: (done, total) => estimator.update(done, total),
    end: () => undefined,
  });
  return {
    reporter,
    stop: () => {
      clearInterval(timer);
      estimator.finish();
    },
  };
}

/** The phase a ceremony step's work is modelled as (its label names the snarkjs call). */
function phaseOf(label: string, kind: SetupStepKind | undefined): SetupPhaseName | undefined {
  if (kind !== undefined) return kind.phase;
  // zkey verify recomputes the initial key from the r1cs and the ptau: about a Groth16 setup.
  if (/zkey new|zkey verify/.test(label)) return "groth16-setup";
  if (/contribution|beacon/.test(label)) return "phase2";
  return undefined;
}

/**
 * `tinycloud ceremony`: while a step runs, a line every 30 s with its time so far and, where the
 * circuit's size is known, the model's time for it (reference machine, idle; a loaded machine is slower).
 */
export function stepHeartbeat(base: Reporter, size: () => { constraints: number; power: number } | undefined): Reporter {
  let timer: NodeJS.Timeout | undefined;
  const stopTimer = () => {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  };
  return observed(base, {
    start(label, kind) {
      stopTimer();
      const started = performance.now();
      const phase = phaseOf(label, kind);
      const known = kind?.constraints !== undefined && kind.power !== undefined ? { constraints: kind.constraints, power: kind.power } : size();
      const model =
        phase !== undefined && known !== undefined ? modelSeconds({ phase, ...known }) : phase === "ptau" && kind?.power !== undefined ? modelSeconds({ phase, power: kind.power }) : undefined;
      timer = setInterval(() => {
        const elapsed = (performance.now() - started) / 1000;
        const left =
          model === undefined
            ? "no estimate for this step"
            : model > elapsed
              ? `about ${eta(model - elapsed)} left (an estimate for an idle 2-core machine; longer under load)`
              : `past the ${eta(model)} an idle 2-core machine takes (a loaded machine is slower)`;
        base.line(`  … ${label}: ${formatSeconds(elapsed)} so far, ${left}`);
      }, TICK_MS);
      timer.unref();
    },
    update: () => undefined,
    end: stopTimer,
  });
}
