/**
 * Evaluate one mutant (or the real circuit) with the three checks of test/mutation/harness.ts, in the
 * order a reviewer cares about: completeness (honest batches), the normal tests (forged steps of
 * test/integration/circuits.test.ts), then the adversarial search, which stops at the first accepted witness
 * the oracle rejects.
 */
import { compile, CompileError, epochMain, originalSources, type CircuitSources } from "./compile.js";
import {
  acceptsInput,
  B,
  DEPTH,
  generate,
  inputAttacks,
  loadCircuit,
  normalRejections,
  pinAttacks,
  publicAttacks,
  prepare,
  Rng,
  runAttack,
  scenarios,
  targetWires,
  type Attack,
  type Circuit,
  type Prepared,
  type Scenario,
} from "./harness.js";
import { applyMutant, type Mutant } from "./mutants.js";
import { satisfies } from "./r1cs.js";

export type Outcome = "killed" | "survived" | "compile-error";

export interface MutantResult {
  readonly id: string;
  readonly kind: Mutant["kind"];
  readonly template: string;
  readonly statement: string;
  readonly outcome: Outcome;
  /** Honest batches the mutant no longer accepts (completeness). */
  readonly honestFailures: string[];
  /** Normal-test cases (forged steps) the mutant accepts: those unit tests would fail. */
  readonly normalAccepted: string[];
  /** The first adversarial witness found, if any: scenario, attack, and why the oracle rejects it. */
  readonly search?: { scenario: string; attack: string; why: string };
  /** Adversarial attempts run, and how many of them the r1cs accepted (all oracle-consistent unless `search`). */
  readonly attempts: number;
  readonly acceptedConsistent: number;
  readonly compileSeconds: number;
  readonly cached: boolean;
  readonly seconds: number;
  /** For compile errors: circom's first error line. */
  readonly error?: string;
}

/** Seed of the adversarial search: fixed, so a run is reproducible and the CI sample is stable. */
export const SEARCH_SEED = 0x10_04_2026;

/** The attacks for one scenario, mutant-specific ones first. */
export function* attacksFor(c: Circuit, base: readonly bigint[], s: Scenario, m: Mutant | undefined, freed: readonly number[], rng: Rng): Generator<Attack> {
  if (m?.target !== undefined) yield* pinAttacks(c, base, s, freed, `freed ${m.target}`, rng);
  yield* publicAttacks(c, base);
  yield* inputAttacks(c, s, rng);
}

let original: Promise<Circuit> | undefined;
/** The real circuit (compiled once per process), to tell which instances of a signal a mutant freed. */
function originalCircuit(): Promise<Circuit> {
  original ??= originalSources()
    .then((s) => compile(s, epochMain(B, DEPTH)))
    .then(loadCircuit);
  return original;
}

/**
 * The wires a `<==` mutant freed: the instances of its target signal that lost a constraint (--O0 keeps
 * every signal, so the mutant and the real circuit number their wires alike). A name pattern alone
 * over-approximates: `step[j].oldSize` is assigned by two statements (j = 0 and j > 0), and holding an
 * instance that is still constrained only hides attacks.
 */
async function freedWires(c: Circuit, m: Mutant): Promise<number[]> {
  const all = targetWires(c, m.template, m.target as string);
  const real = await originalCircuit();
  const freed = all.filter((w) => (c.r1cs.uses[w]?.length ?? 0) < (real.r1cs.uses[w]?.length ?? 0));
  return freed.length > 0 ? freed : all;
}

export async function evaluate(sources: CircuitSources, m: Mutant | undefined, options: { maxAttempts?: number } = {}): Promise<MutantResult> {
  const started = performance.now();
  const head = { id: m?.id ?? "original", kind: m?.kind ?? "===", template: m?.template ?? "-", statement: m?.statement ?? "(the real circuit)" };
  const mutated = m === undefined ? sources : applyMutant(sources, m);
  let compiled;
  try {
    compiled = await compile(mutated, epochMain(B, DEPTH));
  } catch (e) {
    if (!(e instanceof CompileError)) throw e;
    const first = e.message.split("\n").find((l) => /error/i.test(l)) ?? e.message.split("\n")[0] ?? "";
    return {
      ...head,
      outcome: "compile-error",
      honestFailures: [],
      normalAccepted: [],
      attempts: 0,
      acceptedConsistent: 0,
      compileSeconds: 0,
      cached: false,
      seconds: (performance.now() - started) / 1000,
      error: stripAnsi(first),
    };
  }
  const c = await loadCircuit(compiled);

  const honestFailures: string[] = [];
  const prepared: Prepared[] = [];
  const freed = m?.target === undefined ? [] : await freedWires(c, m);
  for (const s of scenarios()) {
    const w = await generate(c, s.input);
    if (w === undefined || !satisfies(c.r1cs, w)) honestFailures.push(s.name);
    else prepared.push(prepare(c, s, w, freed));
  }

  const normalAccepted: string[] = [];
  for (const f of normalRejections()) if (await acceptsInput(c, f.input)) normalAccepted.push(f.name);

  let attempts = 0;
  let acceptedConsistent = 0;
  let search: MutantResult["search"];
  const rng = new Rng(SEARCH_SEED);
  const max = options.maxAttempts ?? Number.POSITIVE_INFINITY;
  outer: for (const p of prepared) {
    for (const a of attacksFor(c, p.base, p.scenario, m, freed, rng)) {
      if (attempts >= max) break outer;
      attempts++;
      const r = runAttack(c, p, a);
      if (!r.accepted) continue;
      if (r.verdict?.ok === false) {
        search = { scenario: p.scenario.name, attack: a.name, why: r.verdict.why };
        break outer;
      }
      acceptedConsistent++;
    }
  }
  const killed = honestFailures.length > 0 || normalAccepted.length > 0 || search !== undefined;
  return {
    ...head,
    outcome: killed ? "killed" : "survived",
    honestFailures,
    normalAccepted,
    ...(search !== undefined ? { search } : {}),
    attempts,
    acceptedConsistent,
    compileSeconds: compiled.seconds,
    cached: compiled.cached,
    seconds: (performance.now() - started) / 1000,
  };
}

function stripAnsi(s: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts the ANSI colour codes stripped here
  return s.replace(/\u001b\[[0-9;]*m/g, "").trim();
}
