/**
 * The key-build progress and ETA model (prover/setup/estimate.ts), on a fake clock: percentages are
 * weighted by modelled cost, the time left scales with the speed this machine shows on finished steps
 * (or on a running step that reports a fraction), skipped and unplanned steps are handled, and a
 * finished build reads 100 % with no ETA.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { PlannedSetupStep } from "../../prover/setup/artifacts.js";
import { BuildEstimator, modelSeconds } from "../../prover/setup/estimate.js";

const PLAN: PlannedSetupStep[] = [
  { phase: "compile", circuit: "a", constraints: 20_000, power: 15 },
  { phase: "ptau", power: 15 },
  { phase: "groth16-setup", circuit: "a", constraints: 20_000, power: 15 },
  { phase: "phase2", circuit: "a", constraints: 20_000, power: 15 },
];
const costs = PLAN.map(modelSeconds);
const total = costs.reduce((a, b) => a + b, 0);

function clock(): { now: () => number; advance: (s: number) => void } {
  let t = 1000;
  return { now: () => t, advance: (s) => (t += s) };
}

describe("key build estimate", () => {
  test("model: costs grow with constraints and ptau power", () => {
    assert.ok(modelSeconds({ phase: "compile", constraints: 90_000, power: 17 }) > modelSeconds({ phase: "compile", constraints: 13_000, power: 14 }));
    assert.equal(modelSeconds({ phase: "ptau", power: 17 }), 2 * modelSeconds({ phase: "ptau", power: 16 }));
    assert.ok(modelSeconds({ phase: "groth16-setup", constraints: 90_000, power: 17 }) > modelSeconds({ phase: "groth16-setup", constraints: 23_000, power: 15 }));
    for (const cost of costs) assert.ok(cost > 0);
  });

  test("default: before anything runs the ETA is the modelled total at reference speed", () => {
    const c = clock();
    const e = new BuildEstimator(PLAN, c.now);
    const s = e.snapshot();
    assert.equal(s.percent, 0);
    assert.equal(s.speed, 1);
    assert.equal(s.steps, 4);
    assert.ok(Math.abs((s.etaSeconds as number) - total) < 1e-6);
  });

  test("behavior: a machine twice as slow as the reference doubles the time left after the first step", () => {
    const c = clock();
    const e = new BuildEstimator(PLAN, c.now);
    e.start({ phase: "compile", circuit: "a" });
    c.advance(2 * (costs[0] as number));
    e.start({ phase: "ptau", power: 15 });
    const s = e.snapshot();
    assert.ok(Math.abs(s.speed - 2) < 1e-9);
    assert.equal(s.phase, "ptau");
    assert.equal(s.step, 2);
    assert.ok(Math.abs((s.percent / 100) * total - (costs[0] as number)) < 1e-6, "the finished step's weight");
    assert.ok(Math.abs((s.etaSeconds as number) - 2 * (total - (costs[0] as number))) < 1e-6);
  });

  test("behavior: a step that reports a fraction is extrapolated from its own rate", () => {
    const c = clock();
    const e = new BuildEstimator(PLAN, c.now);
    e.start({ phase: "ptau", power: 15 }); // the compile was cached after all: skipped
    c.advance(30);
    e.update(25, 100);
    const s = e.snapshot();
    assert.equal(s.steps, 3, "the skipped compile no longer counts");
    // 25 % in 30 s: 90 s more for this step; the rest at the speed that rate implies.
    const speed = 120 / (costs[1] as number);
    assert.ok(Math.abs(s.speed - speed) < 1e-9);
    assert.ok(Math.abs((s.etaSeconds as number) - (90 + speed * ((costs[2] as number) + (costs[3] as number)))) < 1e-6);
  });

  test("behavior: a step without a fraction counts by elapsed time, capped below 100 %, and never promises zero", () => {
    const c = clock();
    const e = new BuildEstimator(PLAN.slice(2), c.now);
    e.start({ phase: "groth16-setup", circuit: "a" });
    c.advance((costs[2] as number) / 2);
    const half = e.snapshot();
    assert.ok(Math.abs(half.percent - (100 * (costs[2] as number)) / 2 / ((costs[2] as number) + (costs[3] as number))) < 1e-6);
    c.advance(10 * (costs[2] as number));
    const late = e.snapshot();
    assert.ok(late.percent < 100);
    assert.ok((late.etaSeconds as number) > (costs[3] as number), "the running step still has some time left");
  });

  test("behavior: a step that overruns its prediction slows the estimate for the rest instead of stalling it", () => {
    const c = clock();
    const e = new BuildEstimator(PLAN.slice(2), c.now);
    e.start({ phase: "groth16-setup", circuit: "a" });
    c.advance(3 * (costs[2] as number));
    const s1 = e.snapshot();
    assert.ok(Math.abs(s1.speed - 3) < 1e-9, "at least three times slower than the model");
    c.advance(costs[2] as number);
    const s2 = e.snapshot();
    assert.ok(Math.abs(s2.speed - 4) < 1e-9);
    assert.ok((s2.etaSeconds as number) > (s1.etaSeconds as number), "the rest is re-estimated at the slower speed");
  });

  test("behavior: an unplanned step is added with its modelled cost; finish reads 100 % and no ETA", () => {
    const c = clock();
    const e = new BuildEstimator([], c.now);
    assert.equal(e.snapshot().percent, 100, "nothing to build");
    e.start({ phase: "compile", circuit: "b", constraints: 50_000 });
    const s = e.snapshot();
    assert.equal(s.circuit, "b");
    assert.equal(s.steps, 1);
    assert.ok(Math.abs((s.etaSeconds as number) - modelSeconds({ phase: "compile", constraints: 50_000, power: 16 })) < 1e-6);
    c.advance(5);
    e.finish();
    const done = e.snapshot();
    assert.equal(done.percent, 100);
    assert.equal(done.etaSeconds, undefined);
    assert.equal(done.elapsedSeconds, 5);
  });
});
