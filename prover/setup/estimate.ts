/**
 * How far a key build is, and about how long it still takes: an ESTIMATE, for the node's start-up
 * status (console and `GET /rollup/status`).
 *
 * The model: `setupPlan` lists the steps runSetup will run (compile, dev ptau, Groth16 setup, phase 2
 * per circuit, minus what the cache holds) with each circuit's size. Each step gets a cost in seconds
 * from `modelSeconds`, a fit of phase timings measured on the reference machine (2 shared cores; see
 * the constants). Those costs weigh the steps for the percentage. For the time left, the machine's
 * own speed is measured as the build goes: `speed` = seconds actually taken / seconds modelled, over
 * the finished steps and the running one when it reports a fraction (the dev ptau does) or has
 * already run longer than predicted, and the modelled cost of what is left is multiplied by it. A step that reports no fraction (circom, snarkjs'
 * setup) counts as done in proportion to its elapsed time over its expected time, capped at 95 %.
 *
 * A step runs from its start until the next one starts (or the build ends), so the work between
 * reported steps (exporting keys, publishing files) is charged to the step before it; the costs below
 * were measured the same way.
 */
import type { PlannedSetupStep } from "./artifacts.js";
import type { SetupPhaseName, SetupStepKind } from "./progress.js";

/**
 * Reference costs, seconds, on the 2-core development machine. Compile: `npm run generate` from an
 * empty cache, circom --O2 1.4 s (240 constraints), 5.1 s (13.5k), 7.4 s (23.2k), 10.3 s (26.3k),
 * 23.3 s (90.7k). Dev ptau 2^17: 162 s. Groth16 setup and a phase-2 contribution: the toolchain
 * feasibility probe (before this repository) measured 45 / 65 / 299 s and 8.7 / 15.9 / 61.4 s for
 * 11.5k / 21.7k / 108k constraints at load 3–4; the fit is those divided by ~1.4 (quiet). For the
 * node's default circuits (epoch_transition_1 and _4, empty cache) the model totals 486 s (~8 min),
 * in line with the 8–10 min first start measured before keys moved to the background. The measured
 * speed factor corrects all of it for the machine and its load as the build runs.
 */
export const COST_MODEL = {
  compile: { base: 1.2, perConstraint: 0.00024 },
  /** Dev ptau at power 17 (work doubles per power). */
  ptau: { at17: 160 },
  /** Groth16 setup (snarkjs zkey new) plus export: linear in the domain 2^power and the constraints. */
  groth16Setup: { base: 3, perDomainPoint: 0.0006, perConstraint: 0.0012 },
  /** One phase-2 contribution (beacon or CSPRNG) plus verification-key and verifier export. */
  phase2: { base: 2, perConstraint: 0.00045 },
} as const;

/** Modelled seconds of one step on the reference machine. */
export function modelSeconds(step: Pick<PlannedSetupStep, "phase" | "constraints" | "power">): number {
  // Without a constraint count (no cache, no committed provenance), assume the domain is half full.
  const n = step.constraints ?? 2 ** (step.power - 1);
  switch (step.phase) {
    case "compile":
      return COST_MODEL.compile.base + COST_MODEL.compile.perConstraint * n;
    case "ptau":
      return COST_MODEL.ptau.at17 * 2 ** (step.power - 17);
    case "groth16-setup":
      return COST_MODEL.groth16Setup.base + COST_MODEL.groth16Setup.perDomainPoint * 2 ** step.power + COST_MODEL.groth16Setup.perConstraint * n;
    case "phase2":
      return COST_MODEL.phase2.base + COST_MODEL.phase2.perConstraint * n;
  }
}

export interface BuildProgress {
  /** 0–100, weighted by modelled cost. */
  readonly percent: number;
  /** Estimated seconds left (undefined once finished). */
  readonly etaSeconds: number | undefined;
  readonly elapsedSeconds: number;
  /** The running step (before the first starts: the first planned one). */
  readonly phase?: SetupPhaseName;
  readonly circuit?: string;
  /** 1-based number of the running step, and how many there are. */
  readonly step: number;
  readonly steps: number;
  /** Seconds taken / seconds modelled so far (1 = as fast as the reference machine). */
  readonly speed: number;
}

interface Tracked {
  readonly phase: SetupPhaseName;
  readonly circuit: string | undefined;
  readonly model: number;
  /** Clock seconds when it started and ended (undefined: not yet; skipped steps get both equal). */
  startedAt?: number;
  endedAt?: number;
  skipped?: boolean;
  /** Reported fraction done (steps that report one). */
  fraction?: number;
}

const MIN_SPEED = 0.2;
const MAX_SPEED = 5;
/** A reported fraction below this says too little to extrapolate from. */
const MIN_FRACTION = 0.03;
const TIME_BASED_CAP = 0.95;

export class BuildEstimator {
  private readonly steps: Tracked[];
  private readonly startedAt: number;
  private current = -1;
  private finishedAt: number | undefined;

  /** `now` in seconds (injectable for tests). */
  constructor(
    plan: readonly PlannedSetupStep[],
    private readonly now: () => number = () => performance.now() / 1000,
  ) {
    this.steps = plan.map((p) => ({ phase: p.phase, circuit: p.circuit, model: modelSeconds(p) }));
    this.startedAt = now();
  }

  /** A step started: the next planned one of this phase and circuit (steps planned before it were skipped), or an unplanned one. */
  start(kind: SetupStepKind): void {
    const at = this.now();
    this.endCurrent(at);
    let index = this.steps.findIndex((s, i) => i > this.current && s.phase === kind.phase && s.circuit === kind.circuit);
    if (index === -1) {
      index = this.current + 1;
      this.steps.splice(index, 0, {
        phase: kind.phase,
        circuit: kind.circuit,
        model: modelSeconds({ phase: kind.phase, power: kind.power ?? 16, ...(kind.constraints !== undefined ? { constraints: kind.constraints } : {}) }),
      });
    }
    for (let i = this.current + 1; i < index; i++) Object.assign(this.steps[i] as Tracked, { startedAt: at, endedAt: at, skipped: true });
    this.current = index;
    (this.steps[index] as Tracked).startedAt = at;
  }

  /** The running step reports `done` of `total`. */
  update(done: number, total: number): void {
    const step = this.steps[this.current];
    if (step !== undefined && total > 0) step.fraction = Math.min(1, Math.max(0, done / total));
  }

  finish(): void {
    const at = this.now();
    this.endCurrent(at);
    for (const s of this.steps) if (s.startedAt === undefined) Object.assign(s, { startedAt: at, endedAt: at, skipped: true });
    this.finishedAt = at;
  }

  snapshot(): BuildProgress {
    const at = this.finishedAt ?? this.now();
    const live = this.steps.filter((s) => s.skipped !== true);
    const total = live.reduce((sum, s) => sum + s.model, 0);
    const speed = this.speed(at);
    const running = this.steps[this.current];
    // Shown as the phase: the running step, or before the first one starts, the one about to.
    const shown = running ?? live[0];
    let doneWeight = 0;
    let left = 0;
    for (const s of live) {
      if (s.endedAt !== undefined) doneWeight += s.model;
      else if (s === running) {
        const elapsed = at - (s.startedAt as number);
        const expected = s.model * speed;
        const fraction = s.fraction !== undefined && s.fraction >= MIN_FRACTION ? s.fraction : Math.min(TIME_BASED_CAP, expected > 0 ? elapsed / expected : 0);
        doneWeight += s.model * fraction;
        left += s.fraction !== undefined && s.fraction >= MIN_FRACTION ? (elapsed * (1 - s.fraction)) / s.fraction : Math.max(expected - elapsed, expected * (1 - TIME_BASED_CAP));
      } else left += s.model * speed;
    }
    const finished = this.finishedAt !== undefined;
    return {
      percent: finished || total === 0 ? 100 : Math.min(99.9, (100 * doneWeight) / total),
      etaSeconds: finished ? undefined : left,
      elapsedSeconds: at - this.startedAt,
      ...(shown !== undefined && !finished ? { phase: shown.phase, ...(shown.circuit !== undefined ? { circuit: shown.circuit } : {}) } : {}),
      step: finished ? live.length : Math.max(1, live.filter((s) => s.startedAt !== undefined).length),
      steps: live.length,
      speed,
    };
  }

  /** Taken / modelled over the finished steps; before any finished, from the running step's reported fraction; else 1. */
  private speed(at: number): number {
    let taken = 0;
    let modelled = 0;
    for (const s of this.steps) {
      if (s.skipped === true || s.endedAt === undefined || s.startedAt === undefined) continue;
      taken += s.endedAt - s.startedAt;
      modelled += s.model;
    }
    const running = this.steps[this.current];
    if (running !== undefined && running.endedAt === undefined) {
      const elapsed = at - (running.startedAt as number);
      if (running.fraction !== undefined && running.fraction >= MIN_FRACTION) {
        // The running step's own rate is the freshest measurement of this machine's speed.
        taken += elapsed / running.fraction;
        modelled += running.model;
      } else if (elapsed > running.model * (modelled > 0 ? taken / modelled : 1)) {
        // Running longer than the speed so far predicts: it takes at least this long, so the machine
        // is at least this slow (otherwise the estimate would stall while the step overruns).
        taken += elapsed;
        modelled += running.model;
      }
    }
    if (modelled <= 0 || taken <= 0) return 1;
    return Math.min(MAX_SPEED, Math.max(MIN_SPEED, taken / modelled));
  }

  private endCurrent(at: number): void {
    const step = this.steps[this.current];
    if (step !== undefined && step.endedAt === undefined) step.endedAt = at;
  }
}
