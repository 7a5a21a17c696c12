/**
 * The checks a circuit (the real one or a mutant) must pass, over EpochTransition(B, depth) test mains,
 * against the state-tree oracle (node/core/state-tree.ts):
 *
 *   honest     honest batches from `StateTree` (an update, inserts at positions with full and with empty
 *              leaf-level siblings, an empty batch) are accepted: completeness;
 *   normal     the forged steps of test/integration/circuits.test.ts (each breaks one rule of the step table)
 *              are rejected, as those tests check them: the circom witness generator throws (an `===`
 *              fails) or the witness violates the r1cs;
 *   search     an adversarial prover: start from an honest witness, overwrite inputs, public signals,
 *              freed signals or hints, re-solve everything downstream (test/mutation/r1cs.ts `solve`,
 *              public signals floating), and look for a witness the r1cs accepts whose public signals
 *              the oracle rejects (`judge`).
 *
 * `judge` is the soundness statement the circuit must enforce: the public oldRoot is the root of the
 * tree the witness opens, and newRoot / commitment are what the oracle gets by applying the writes the
 * witness commits to (its update and new steps, in order) to that tree.
 */
import { createRequire } from "node:module";
import { readFile } from "node:fs/promises";
import { poseidon3 } from "poseidon-lite/poseidon3";
import { epochCommitment } from "../../core/rollup/commitment.js";
import { epochContext } from "../../core/rollup/header.js";
import { epochTransitionInput, type EpochTransitionInput } from "../../prover/circuit-inputs.js";
import { StateTree, type UpdateWitness } from "../../core/state/state-tree.js";
import { ForgedTree, type StepData, type StepFields } from "../helpers/forged-tree.js";

export { ForgedTree, type StepData, type StepFields };
import type { CompiledCircuit } from "./compile.js";
import { mod, P, readR1cs, readSym, resolve, satisfies, solve, type R1cs, type ScheduleStep } from "./r1cs.js";

export const DEPTH = 4;
export const B = 2;
const CONTEXT = epochContext(31337n, "0x5FbDB2315678afecb367f032d93F642f64180aa3");
const EVENTS = 123456789n;
const BATCH = 7;

// ---------------------------------------------------------------------------------------------
// Deterministic randomness

/** xorshift32: the same attacks, in the same order, on every run. */
export class Rng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0 || 1;
  }
  u32(): number {
    let s = this.#s;
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    this.#s = s >>> 0;
    return this.#s;
  }
  below(n: number): number {
    return this.u32() % n;
  }
  /** A 248-bit key (never 0). */
  key(): bigint {
    let k = 0n;
    for (let i = 0; i < 9; i++) k = (k << 30n) | BigInt(this.u32() & 0x3fffffff);
    return (k & ((1n << 248n) - 1n)) | 1n;
  }
  field(): bigint {
    let k = 0n;
    for (let i = 0; i < 9; i++) k = (k << 30n) | BigInt(this.u32() & 0x3fffffff);
    return mod(k);
  }
}

// ---------------------------------------------------------------------------------------------
// The circuit under test

interface WitnessCalculator {
  calculateWitness(input: Record<string, unknown>, sanityCheck?: boolean): Promise<bigint[]>;
}
const requireHere = createRequire(import.meta.url);
const runtime = requireHere("circom_runtime") as { WitnessCalculatorBuilder(code: Uint8Array, options?: Record<string, unknown>): Promise<WitnessCalculator> };

export interface Circuit {
  readonly compiled: CompiledCircuit;
  readonly r1cs: R1cs;
  readonly sym: ReadonlyMap<string, number>;
  readonly wc: WitnessCalculator;
  /** Wires of the main inputs (public and private), in r1cs order. */
  readonly inputWires: readonly number[];
}

export async function loadCircuit(compiled: CompiledCircuit): Promise<Circuit> {
  const r1cs = await readR1cs(compiled.r1cs);
  const sym = await readSym(compiled.sym);
  const wc = await runtime.WitnessCalculatorBuilder(new Uint8Array(await readFile(compiled.wasm)));
  const nIn = r1cs.nPubOut + r1cs.nPubIn + r1cs.nPrvIn;
  return { compiled, r1cs, sym, wc, inputWires: Array.from({ length: nIn }, (_, i) => i + 1) };
}

export function wire(c: Circuit, name: string): number {
  const w = c.sym.get(name);
  if (w === undefined || w < 0) throw new Error(`signal ${name} has no wire`);
  return w;
}

/** The circom witness generator; undefined when it throws (a failed `===` or a bad input). */
export async function generate(c: Circuit, input: Record<string, unknown>): Promise<bigint[] | undefined> {
  const log = console.error;
  const out = console.log;
  console.error = () => {}; // circom_runtime prints every failed assert
  console.log = () => {};
  try {
    return await c.wc.calculateWitness(input, true);
  } catch {
    return undefined;
  } finally {
    console.error = log;
    console.log = out;
  }
}

// ---------------------------------------------------------------------------------------------
// Honest scenarios (oracle batches)

export interface Scenario {
  readonly name: string;
  /** The tree before the batch (never mutated). */
  readonly tree: StateTree;
  readonly steps: readonly UpdateWitness[];
  readonly input: EpochTransitionInput;
}

function batchInput(steps: readonly UpdateWitness[], tree: StateTree, check = true): EpochTransitionInput {
  return epochTransitionInput({ batchNumber: BATCH, context: CONTEXT, eventsHash: EVENTS, witnesses: steps, B, depth: DEPTH, oldTreeRoot: tree.treeRoot, oldSize: tree.size, check });
}

function treeWith(rng: Rng, n: number): { tree: StateTree; keys: bigint[] } {
  const tree = new StateTree(DEPTH);
  const keys = Array.from({ length: n }, () => rng.key());
  keys.forEach((k, i) => tree.set(k, BigInt(1000 + i)));
  return { tree, keys };
}

/**
 * An insert at position n + 1 (a tree of n keys, then one fresh key): the splice attacks of the CI
 * sample need a digit of 2 or 3 above the leaf level (positions 8 and 12 at depth 4).
 */
export function insertScenario(n: number, seed: number): Scenario {
  const rng = new Rng(seed);
  const { tree } = treeWith(rng, n);
  const before = tree.fork();
  const steps = tree.set(rng.key(), 4444n);
  return { name: `insert@${n + 1}`, tree: before, steps, input: batchInput(steps, before) };
}

/**
 * The honest batches every mutant is checked on. Positions matter: inserting at position 4 (size 4)
 * writes a leaf whose leaf-level siblings are all empty (0), where some freed signals are invisible to
 * the old path; inserting at 6 has a digit of 2 and non-empty siblings.
 */
export function scenarios(): Scenario[] {
  const rng = new Rng(0x5eed0001);
  const out: Scenario[] = [];
  const make = (name: string, n: number, write: (tree: StateTree, keys: bigint[]) => UpdateWitness[]): void => {
    const { tree, keys } = treeWith(rng, n);
    const before = tree.fork();
    const steps = write(tree, keys);
    out.push({ name, tree: before, steps, input: batchInput(steps, before) });
  };
  make("insert@4", 3, (t) => t.set(rng.key(), 4242n));
  make("insert@6", 5, (t) => t.set(rng.key(), 4343n));
  make("update", 3, (t, keys) => t.set(keys[1] as bigint, 77n));
  make("noop", 3, () => []);
  return out;
}

// ---------------------------------------------------------------------------------------------
// The oracle's verdict on an accepted witness

export interface Verdict {
  readonly ok: boolean;
  readonly why: string;
}

const INPUT_ARRAYS = ["isUpdate", "isLow", "isNew", "index", "key", "nextKey", "oldValue", "newValue", "insKey"] as const;

export function judge(c: Circuit, s: Scenario, w: readonly bigint[]): Verdict {
  const v = (name: string): bigint => w[wire(c, `main.${name}`)] as bigint;
  if (v("oldRoot") !== s.tree.root) return { ok: false, why: "public oldRoot is not the root of the tree the steps open" };
  const writes: Array<{ key: bigint; newValue: bigint }> = [];
  for (let j = 0; j < B; j++) {
    if (mod(v(`isUpdate[${j}]`) + v(`isNew[${j}]`)) !== 0n) writes.push({ key: v(`key[${j}]`), newValue: v(`newValue[${j}]`) });
  }
  let h = 0n;
  for (const u of writes) h = poseidon3([h, u.key, u.newValue]);
  const commitment = poseidon3([v("header"), h, v("eventsHash")]);
  if (v("commitment") !== commitment) return { ok: false, why: "commitment is not Poseidon(header, updatesHash(writes), eventsHash) of the committed writes" };
  const tree = s.tree.fork();
  try {
    for (const u of writes) tree.set(u.key, u.newValue);
  } catch (e) {
    return { ok: false, why: `the oracle refuses the committed writes (${(e as Error).message})` };
  }
  if (v("newRoot") !== tree.root) return { ok: false, why: "public newRoot differs from the oracle's root after the committed writes" };
  return { ok: true, why: "consistent with the oracle" };
}

// ---------------------------------------------------------------------------------------------
// A forging prover: raw leaves, any step fields, siblings always consistent with what it wrote

// ---------------------------------------------------------------------------------------------
// "normal": the rejection cases of test/integration/circuits.test.ts, for B = 2

export interface NamedInput {
  readonly name: string;
  readonly input: Record<string, unknown>;
}

function forgedInput(tree: StateTree, steps: UpdateWitness[], over: Partial<EpochTransitionInput> = {}): Record<string, unknown> {
  return { ...batchInput(steps, tree, false), ...over };
}

/** Each input breaks one rule; the real circuit rejects all of them. */
export function normalRejections(): NamedInput[] {
  const rng = new Rng(0x5eed0002);
  const out: NamedInput[] = [];
  const add = (name: string, input: Record<string, unknown>): void => void out.push({ name, input });
  const lowFor = (tree: StateTree, k: bigint) => tree.leaf(tree.prove(k).index);
  const insert = (tree: StateTree, k: bigint, lowIdx: number, f: Partial<StepData> = {}, low: Partial<StepData> = {}): UpdateWitness[] => {
    const l = tree.leaf(lowIdx);
    const forged = new ForgedTree(tree);
    const s1 = forged.step("low", { index: lowIdx, key: l.key, nextKey: l.nextKey, oldValue: l.value, newValue: l.value, insKey: k, ...low });
    const s2 = forged.step("new", { index: forged.size, key: k, nextKey: l.nextKey, oldValue: 0n, newValue: 9n, ...f });
    return [s1, s2];
  };

  {
    const { tree, keys } = treeWith(rng, 3);
    const before = tree.fork();
    const steps = tree.set(keys[0] as bigint, 77n);
    add("wrong claimed newRoot", forgedInput(before, steps, { newRoot: (tree.root + 1n).toString() }));
    add("wrong claimed oldRoot", forgedInput(before, steps, { oldRoot: "5" }));
    add("wrong oldSize", forgedInput(before, steps, { oldSize: String((steps[0] as UpdateWitness).oldSize + 1) }));
  }
  {
    const { tree } = treeWith(rng, 2);
    const forged = new ForgedTree(tree);
    add("update of an empty position", forgedInput(tree, [forged.step("update", { index: tree.size, key: rng.key(), nextKey: 0n, oldValue: 0n, newValue: 1n, insKey: 0n })]));
  }
  {
    const { tree } = treeWith(rng, 3);
    const l = tree.leaf(2);
    const tweaks: Array<[string, Partial<StepData>]> = [
      ["key", { key: l.key + 1n }],
      ["nextKey", { nextKey: l.nextKey + 1n }],
      ["oldValue", { oldValue: l.value + 1n }],
    ];
    for (const [what, f] of tweaks) {
      const forged = new ForgedTree(tree);
      add(`update opening the leaf with a wrong ${what}`, forgedInput(tree, [forged.step("update", { index: 2, key: l.key, nextKey: l.nextKey, oldValue: l.value, newValue: 5n, insKey: 0n, ...f })]));
    }
  }
  {
    const { tree, keys } = treeWith(rng, 3);
    const k = keys[1] as bigint;
    const lowIdx = tree.prove(k - 1n).index;
    add("insert of a stored key", forgedInput(tree, insert(tree, k, lowIdx)));
  }
  {
    const { tree, keys } = treeWith(rng, 3);
    const sorted = [...keys].sort((a, b) => (a < b ? -1 : 1));
    const k = (sorted[2] as bigint) + 1n;
    for (const lowKey of [0n, sorted[0] as bigint])
      add(`insert under a non-predecessor (low key ${lowKey === 0n ? "0" : "smallest"})`, forgedInput(tree, insert(tree, k, lowKey === 0n ? 0 : (tree.indexOf(lowKey) as number))));
    const below = (sorted[0] as bigint) - 1n;
    add("insert of a key below the low leaf's key", forgedInput(tree, insert(tree, below, tree.indexOf(sorted[2] as bigint) as number)));
  }
  {
    const { tree } = treeWith(rng, 2);
    const k = rng.key();
    const lowIdx = tree.prove(k).index;
    for (const index of [tree.size + 1, 1]) add(`new leaf at position ${index === 1 ? "1 (used)" : "size+1"}`, forgedInput(tree, insert(tree, k, lowIdx, { index })));
    const l = lowFor(tree, k);
    add("new step with another key than the low step's", forgedInput(tree, insert(tree, k, lowIdx, { key: k + 1n })));
    add("new step with another nextKey than the low leaf's", forgedInput(tree, insert(tree, k, lowIdx, { nextKey: l.nextKey + 1n })));
    add("low step changing its leaf's value", forgedInput(tree, insert(tree, k, lowIdx, {}, { newValue: l.value + 1n })));
    let forged = new ForgedTree(tree);
    add("new step without its low step", forgedInput(tree, [forged.step("new", { index: forged.size, key: k, nextKey: 0n, oldValue: 0n, newValue: 9n, insKey: 0n })]));
    forged = new ForgedTree(tree);
    const u = tree.leaf(1);
    const s0 = forged.step("update", { index: 1, key: u.key, nextKey: u.nextKey, oldValue: u.value, newValue: 3n, insKey: 0n });
    add("new step after an update", forgedInput(tree, [s0, forged.step("new", { index: forged.size, key: k, nextKey: 0n, oldValue: 0n, newValue: 9n, insKey: 0n })]));
    forged = new ForgedTree(tree);
    add("low step alone", forgedInput(tree, [forged.step("low", { index: lowIdx, key: l.key, nextKey: l.nextKey, oldValue: l.value, newValue: l.value, insKey: k })]));
    forged = new ForgedTree(tree);
    const t0 = forged.step("update", { index: 1, key: u.key, nextKey: u.nextKey, oldValue: u.value, newValue: 3n, insKey: 0n });
    const t1 = forged.step("low", { index: lowIdx === 1 ? 0 : lowIdx, key: l.key, nextKey: l.nextKey, oldValue: l.value, newValue: l.value, insKey: k });
    add("low step in the last slot", forgedInput(tree, [t0, t1]));
  }
  {
    const tree = new StateTree(DEPTH);
    add("inserted key of 248 bits", forgedInput(tree, insert(tree, 1n << 248n, 0)));
  }
  {
    const { tree, keys } = treeWith(rng, 2);
    const before = tree.fork();
    const steps = tree.set(keys[0] as bigint, 5n);
    const base = forgedInput(before, steps);
    add("two ops at once", { ...base, isLow: ["1", "0"] });
    add("a flag that is not a bit", { ...base, isUpdate: ["2", "0"] });
  }
  {
    const { tree } = treeWith(rng, 2);
    const forged = new ForgedTree(tree);
    const l = tree.leaf(1);
    const s = forged.step("update", { index: 1, key: l.key, nextKey: l.nextKey, oldValue: l.value, newValue: 5n, insKey: 0n });
    add("a noop step moving the root", forgedInput(tree, [{ ...s, op: "noop" }]));
  }
  {
    const { tree, keys } = treeWith(rng, 3);
    const before = tree.fork();
    const steps = [...tree.set(keys[0] as bigint, 5n), ...tree.set(keys[1] as bigint, 6n)];
    const honest = batchInput(steps, before);
    const swapped = epochCommitment({ context: CONTEXT, batchNumber: BATCH, updates: [steps[1] as UpdateWitness, steps[0] as UpdateWitness], eventsHash: EVENTS });
    add("commitment over the writes in another order", { ...honest, commitment: swapped.toString() });
    add("another header", { ...honest, header: (BigInt(honest.header) + 1n).toString() });
    add("another eventsHash", { ...honest, eventsHash: "1" });
  }
  return out;
}

/** Whether the circuit accepts an input the way the unit tests see it: witness generation succeeds and satisfies the r1cs. */
export async function acceptsInput(c: Circuit, input: Record<string, unknown>): Promise<boolean> {
  const w = await generate(c, input);
  return w !== undefined && satisfies(c.r1cs, w);
}

// ---------------------------------------------------------------------------------------------
// "search": the adversarial prover

export interface Attack {
  readonly name: string;
  /** Wire -> value, on top of the scenario's honest inputs. */
  readonly pins: ReadonlyMap<number, bigint>;
}

export interface AttackResult {
  readonly accepted: boolean;
  readonly verdict?: Verdict;
}

/** The public signals a cheating prover picks to match whatever its witness computes. */
const FLOATING = ["oldRoot", "newRoot", "commitment"] as const;

/** A scenario's honest witness on one circuit, with the order the solver derives it in (for `resolve`). */
export interface Prepared {
  readonly scenario: Scenario;
  readonly base: bigint[];
  readonly schedule: ScheduleStep[];
}

/** The wires an attacker starts from: every input, except the public signals it floats. */
function startingPoint(c: Circuit, base: readonly bigint[]): Map<number, bigint> {
  const fixed = new Map<number, bigint>();
  const floating = new Set(FLOATING.map((n) => wire(c, `main.${n}`)));
  for (const w of c.inputWires) if (!floating.has(w)) fixed.set(w, base[w] as bigint);
  return fixed;
}

/**
 * Re-derive the honest witness from the inputs (public signals floating), recording the solve order.
 * `held` are wires the attacker will overwrite (a mutant's freed signal): they count as given from the
 * start, so the recorded order derives what depends on them forward from them, not around them.
 */
export function prepare(c: Circuit, s: Scenario, honest: readonly bigint[], held: readonly number[] = []): Prepared {
  const schedule: ScheduleStep[] = [];
  const fixed = startingPoint(c, honest);
  for (const w of held) fixed.set(w, honest[w] as bigint);
  const base = solve(c.r1cs, { fixed, reference: honest }, schedule);
  return { scenario: s, base, schedule };
}

/**
 * Run one attack: the scenario's honest inputs minus the floating public signals, plus the attack's
 * pins; everything downstream re-solved (`resolve`, or a full `solve` when the replay degenerates);
 * then the r1cs check and, when accepted, the oracle.
 */
export function runAttack(c: Circuit, p: Prepared, a: Attack): AttackResult {
  let witness: bigint[];
  let accepted: boolean;
  const quick = resolve(c.r1cs, p.schedule, p.base, a.pins);
  if (quick !== undefined) {
    witness = quick.witness;
    accepted = quick.satisfied;
  } else {
    const fixed = startingPoint(c, p.base);
    for (const [w, v] of a.pins) fixed.set(w, v);
    witness = solve(c.r1cs, { fixed, reference: p.base });
    accepted = satisfies(c.r1cs, witness);
  }
  if (!accepted) return { accepted: false };
  return { accepted: true, verdict: judge(c, p.scenario, witness) };
}

/** `main.step[j].level[l].x` style pattern for a template-relative signal of mutant target. */
export function targetWires(c: Circuit, template: string, target: string): number[] {
  const prefix = template === "ImtLevel" ? "main\\.step\\[\\d+\\]\\.level\\[\\d+\\]\\." : template === "ImtStep" ? "main\\.step\\[\\d+\\]\\." : "main\\.";
  // Literal indices stay; an index with a loop variable matches any index.
  const body = target
    .split(/(\[[^\]]*\])/)
    .map((part) => (part.startsWith("[") ? (/^\[\d+\]$/.test(part) ? part.replace(/[[\]]/g, "\\$&") : "\\[\\d+\\]") : part.replace(/[.*+?^${}()|\\]/g, "\\$&")))
    .join("");
  const re = new RegExp(`^${prefix}${body}$`);
  const out: number[] = [];
  for (const [name, w] of c.sym) if (w > 0 && re.test(name)) out.push(w);
  return out;
}

/** Values to try for a signal whose honest value is `h`: a flipped bit, a shift, 0, 1, a random element. */
function candidateValues(h: bigint, rng: Rng): bigint[] {
  const vs = [mod(1n - h), mod(h + 1n), 0n, 1n, rng.field()];
  return [...new Set(vs)].filter((v) => v !== h);
}

/** At most this many instances of a freed signal are attacked per scenario (evenly spread over steps and levels). */
const MAX_INSTANCES = 8;

/**
 * Overwrite a signal (instances in turn) with each candidate value. When the signal is a step's copy of
 * one of its fields (`main.step[j].isLow` freed from `isLow[j]`), a second variant also recomputes every
 * step's siblings as if the step had the overwritten value, so the paths stay consistent with what the
 * step now writes (a disabled low step, a leaf written elsewhere).
 */
export function* pinAttacks(c: Circuit, base: readonly bigint[], s: Scenario, all: readonly number[], label: string, rng: Rng): Generator<Attack> {
  const stride = Math.max(1, all.length / MAX_INSTANCES);
  const wires = all.length <= MAX_INSTANCES ? all : Array.from({ length: MAX_INSTANCES }, (_, i) => all[Math.floor(i * stride)] as number);
  const start = new ForgedTree(s.tree);
  const honest = honestFields(s);
  for (const w of wires) {
    const field = /^main\.step\[(\d+)\]\.(isUpdate|isLow|isNew|index|key|nextKey|oldValue|newValue|insKey)$/.exec(nameOf(c, w));
    for (const v of candidateValues(base[w] as bigint, rng)) {
      yield { name: `${label}: ${nameOf(c, w)} := ${short(v)}`, pins: new Map([[w, v]]) };
      if (field === null) continue;
      const j = Number(field[1]);
      const k = field[2] as (typeof INPUT_ARRAYS)[number];
      const effective = honest.map((f, i) => (i === j ? { ...f, [k]: k === "index" ? Number(v < 1n << 32n ? v : 0n) : v } : f));
      const pins = forgedStepPins(c, start, effective);
      // The main inputs stay honest; only the siblings follow the step's effective fields.
      for (const name of INPUT_ARRAYS) for (let i = 0; i < B; i++) pins.delete(wire(c, `main.${name}[${i}]`));
      pins.set(w, v);
      yield { name: `${label}: ${nameOf(c, w)} := ${short(v)}, siblings recomputed`, pins };
    }
  }
}

/** The public signals, one at a time, moved off their honest value. */
export function* publicAttacks(c: Circuit, base: readonly bigint[]): Generator<Attack> {
  for (const n of ["oldRoot", "newRoot", "header", "commitment"]) {
    const w = wire(c, `main.${n}`);
    yield { name: `public ${n} + 1`, pins: new Map([[w, mod((base[w] as bigint) + 1n)]]) };
  }
}

/**
 * A smart prover's input changes: for one step, flags set to any of {0, 1, −1} each (27 combinations,
 * e.g. isUpdate = −1 with isLow = 1 makes a disabled step that still announces an insert), the index
 * moved, a key or value changed; every step's siblings are then recomputed (ForgedTree) so that the
 * paths stay consistent with what the circuit writes.
 */
/** The honest step fields of a scenario's batch input. */
function honestFields(s: Scenario): StepFields[] {
  const i = s.input;
  return Array.from({ length: B }, (_, j) => {
    const g = (k: (typeof INPUT_ARRAYS)[number]): bigint => BigInt((i[k] as string[])[j] as string);
    return {
      isUpdate: g("isUpdate"),
      isLow: g("isLow"),
      isNew: g("isNew"),
      index: Number(g("index")),
      key: g("key"),
      nextKey: g("nextKey"),
      oldValue: g("oldValue"),
      newValue: g("newValue"),
      insKey: g("insKey"),
    };
  });
}

/** Pins for a batch of (possibly forged) step fields, with every step's siblings recomputed by a forger. */
function forgedStepPins(c: Circuit, start: ForgedTree, steps: readonly StepFields[]): Map<number, bigint> {
  const forged = new ForgedTree(start);
  const pins = new Map<number, bigint>();
  steps.forEach((f, j) => {
    const { siblings } = forged.write(f);
    for (const k of INPUT_ARRAYS) pins.set(wire(c, `main.${k}[${j}]`), mod(k === "index" ? BigInt(f.index) : f[k]));
    siblings.forEach((t, l) => t.forEach((x, k) => pins.set(wire(c, `main.siblings[${j}][${l}][${k}]`), x)));
  });
  return pins;
}

export function* inputAttacks(c: Circuit, s: Scenario, rng: Rng): Generator<Attack> {
  const honest = honestFields(s);
  const start = new ForgedTree(s.tree);
  const build = (name: string, steps: StepFields[]): Attack => ({ name, pins: forgedStepPins(c, start, steps) });
  const others = [...new Set(s.tree.size > 1 ? [s.tree.leaf(1).key, s.tree.leaf(s.tree.size - 1).key] : [])];
  for (let j = 0; j < B; j++) {
    const tweak = (name: string, f: Partial<StepFields>): Attack =>
      build(
        `step ${j}: ${name}`,
        honest.map((h, i) => (i === j ? { ...h, ...f } : h)),
      );
    const flagValues = [0n, 1n, P - 1n];
    for (const u of flagValues)
      for (const l of flagValues)
        for (const n of flagValues) {
          const h = honest[j] as StepFields;
          if (u === h.isUpdate && l === h.isLow && n === h.isNew) continue;
          yield tweak(`flags (isUpdate, isLow, isNew) := (${short(u)}, ${short(l)}, ${short(n)})`, { isUpdate: u, isLow: l, isNew: n });
        }
    const h = honest[j] as StepFields;
    for (const index of [h.index + 1, h.index - 1, s.tree.size, s.tree.size + 1]) if (index >= 0 && index !== h.index) yield tweak(`index := ${index}`, { index });
    for (const k of ["key", "nextKey", "oldValue", "newValue", "insKey"] as const) {
      for (const v of [h[k] + 1n, 0n, rng.key(), ...others]) if (v !== h[k]) yield tweak(`${k} := ${short(v)}`, { [k]: v });
    }
    // Both values at once (a low step must keep oldValue = newValue).
    for (const v of [h.oldValue + 1n, rng.key()]) yield tweak(`oldValue = newValue := ${short(v)}`, { oldValue: v, newValue: v });
  }
  // An insert changed in both of its steps at once (the epoch constraints tie them): another inserted
  // key (a stored one, the low leaf's own key, one out of order, one of 248 bits, 0), or a low leaf
  // that is not the key's predecessor.
  const [low, fresh] = honest as [StepFields, StepFields];
  if (low.isLow === 1n && fresh.isNew === 1n) {
    for (const x of [...others, low.key, low.nextKey, rng.key(), 1n << 248n, 0n]) {
      if (x !== low.insKey)
        yield build(`insert of key ${short(x)} instead`, [
          { ...low, insKey: x },
          { ...fresh, key: x },
        ]);
    }
    for (const i of [...new Set([0, 1, s.tree.size - 1])]) {
      const l = s.tree.leaf(i);
      if (i === low.index) continue;
      yield build(`insert under leaf ${i} (not the predecessor)`, [
        { ...low, index: i, key: l.key, nextKey: l.nextKey, oldValue: l.value, newValue: l.value },
        { ...fresh, nextKey: l.nextKey },
      ]);
    }
  }
  yield { name: "eventsHash + 1", pins: new Map([[wire(c, "main.eventsHash"), EVENTS + 1n]]) };
}

/** The hint signals of the real circuit: every Num2Bits output bit (index, insKey, both comparators) and IsZero's inverse. */
export function hintWires(c: Circuit): number[] {
  const out: number[] = [];
  for (const [name, w] of c.sym) if (w > 0 && /\.(pos|insBits|n2b)\.out\[\d+\]$|\.last\.inv$/.test(name)) out.push(w);
  return out;
}

/**
 * The randomized adversary for the real circuit: each attack combines one to three of: arbitrary
 * boolean hints (1 to 4 hint bits set at random), a sibling replaced by a random element or by another
 * sibling, a step's key / nextKey / value / insKey / index / flags changed (with or without every
 * path's siblings recomputed to stay consistent with the forged writes), a public signal moved.
 */
export function* randomAttacks(c: Circuit, p: Prepared, rng: Rng, count: number): Generator<Attack> {
  const s = p.scenario;
  const hints = hintWires(c);
  const honest = honestFields(s);
  const start = new ForgedTree(s.tree);
  const flagValues = [0n, 1n, 2n, P - 1n];
  for (let i = 0; i < count; i++) {
    const parts: string[] = [];
    const steps = honest.map((f) => ({ ...f }));
    let forgedSteps = false;
    let repair = rng.below(2) === 0;
    const extra = new Map<number, bigint>();
    const n = 1 + rng.below(3);
    for (let t = 0; t < n; t++) {
      const j = rng.below(B);
      const f = steps[j] as StepFields;
      switch (rng.below(6)) {
        case 0: {
          const k = 1 + rng.below(4);
          for (let b = 0; b < k; b++) {
            const w = hints[rng.below(hints.length)] as number;
            const v = w === undefined ? 0n : rng.below(2) === 0 ? mod(1n - (p.base[w] as bigint)) : BigInt(rng.below(2));
            extra.set(w, v);
            parts.push(`hint ${nameOf(c, w)}=${v}`);
          }
          break;
        }
        case 1: {
          const l = rng.below(DEPTH);
          const k = rng.below(3);
          const w = wire(c, `main.siblings[${j}][${l}][${k}]`);
          const v = rng.below(2) === 0 ? rng.field() : (p.base[wire(c, `main.siblings[${j}][${l}][${(k + 1) % 3}]`)] as bigint);
          extra.set(w, v);
          repair = false;
          parts.push(`siblings[${j}][${l}][${k}] replaced`);
          break;
        }
        case 2: {
          const k = (["key", "nextKey", "oldValue", "newValue", "insKey"] as const)[rng.below(5)] as "key" | "nextKey" | "oldValue" | "newValue" | "insKey";
          const pool = [f[k] + 1n, f[k] - 1n, rng.key(), 0n, s.tree.leaf(rng.below(s.tree.size)).key];
          f[k] = mod(pool[rng.below(pool.length)] as bigint);
          forgedSteps = true;
          parts.push(`step ${j} ${k} changed`);
          break;
        }
        case 3: {
          f.index = rng.below(Math.min(4 ** DEPTH, s.tree.size + 3));
          forgedSteps = true;
          parts.push(`step ${j} index := ${f.index}`);
          break;
        }
        case 4: {
          const k = (["isUpdate", "isLow", "isNew"] as const)[rng.below(3)] as "isUpdate" | "isLow" | "isNew";
          f[k] = flagValues[rng.below(flagValues.length)] as bigint;
          forgedSteps = true;
          parts.push(`step ${j} ${k} := ${short(f[k])}`);
          break;
        }
        default: {
          const name = (["oldRoot", "newRoot", "commitment", "header"] as const)[rng.below(4)] as string;
          const w = wire(c, `main.${name}`);
          extra.set(w, mod((p.base[w] as bigint) + 1n + BigInt(rng.below(3))));
          parts.push(`public ${name} moved`);
        }
      }
    }
    const pins = new Map<number, bigint>();
    if (forgedSteps) {
      if (repair) for (const [w, v] of forgedStepPins(c, start, steps)) pins.set(w, v);
      else steps.forEach((f, j) => INPUT_ARRAYS.forEach((k) => pins.set(wire(c, `main.${k}[${j}]`), mod(k === "index" ? BigInt(f.index) : f[k]))));
    }
    for (const [w, v] of extra) pins.set(w, v);
    yield { name: `${parts.join(", ")}${forgedSteps ? (repair ? " (siblings recomputed)" : " (siblings kept)") : ""}`, pins };
  }
}

const names = new WeakMap<Circuit, Map<number, string>>();
export function nameOf(c: Circuit, w: number): string {
  let m = names.get(c);
  if (m === undefined) {
    m = new Map();
    for (const [name, x] of c.sym) if (x >= 0 && !m.has(x)) m.set(x, name);
    names.set(c, m);
  }
  return m.get(w) ?? `wire ${w}`;
}

function short(v: bigint): string {
  if (v === P - 1n) return "-1";
  const s = v.toString();
  return s.length > 12 ? `${s.slice(0, 6)}…` : s;
}
