/**
 * circuits/epoch_transition.circom (and circuits/imt.circom under it) against the state-tree oracle
 * (node/core/state-tree.ts): the depth-4 test mains are compiled with circom2 into a temp dir and run
 * with snarkjs' witness calculator. Every honest root and witness comes from `StateTree`.
 *
 * The attacks play a prover that writes ANY leaf it likes: `ForgedTree` holds raw leaf hashes, so a
 * forged step has correct siblings and consistent roots and breaks exactly one rule of the step table
 * (`UpdateWitness` in the oracle). Each such witness must be rejected: a witness calculation that
 * throws (circom asserts every `===`). Accepted witnesses are also checked against the r1cs.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { ForgedTree } from "../helpers/forged-tree.js";
import { promisify } from "node:util";
import { epochCommitment } from "../../core/rollup/commitment.js";
import { epochContext } from "../../core/rollup/header.js";
import { epochPublicSignals, epochTransitionInput, type EpochTransitionInput } from "../../prover/circuit-inputs.js";
import { circomlibParent } from "../mutation/compile.js";
import { checkWitnessChain, noopWitness, StateTree, type UpdateWitness } from "../../core/state/state-tree.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const DEPTH = 4;
const CONTEXT = epochContext(31337n, "0x5FbDB2315678afecb367f032d93F642f64180aa3");
const EVENTS = 123456789n;

type MemFile = { type: "mem"; data?: Uint8Array };
interface SnarkjsWitnessApi {
  wtns: {
    calculate(input: Record<string, unknown>, wasmFile: string, out: MemFile): Promise<void>;
    check(r1csFile: string, wtns: MemFile): Promise<boolean>;
  };
}
const snarkjs = (await import("snarkjs")) as unknown as SnarkjsWitnessApi;

let dir = "";
/** Test mains: EpochTransition(2, 4) and EpochTransition(4, 4). */
const mains = { 2: "epoch_transition_1_d4", 4: "epoch_transition_2_d4" } as const;
type Size = keyof typeof mains;
const wasm = (b: Size): string => path.join(dir, `${mains[b]}_js`, `${mains[b]}.wasm`);
const r1cs = (b: Size): string => path.join(dir, `${mains[b]}.r1cs`);

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "tc-circuits-"));
  const circom = path.join(ROOT, "node_modules/.bin/circom2");
  for (const name of Object.values(mains)) {
    await promisify(execFile)(circom, [path.join(ROOT, `circuits/test/${name}.circom`), "--O2", "--r1cs", "--wasm", "-l", circomlibParent(), "-o", dir], { cwd: "/" });
  }
});

after(async () => {
  // wtns.check builds snarkjs' shared bn128 curve, whose worker threads would keep the process alive.
  await (globalThis as { curve_bn128?: { terminate(): Promise<void> } | null }).curve_bn128?.terminate();
  if (dir !== "") await rm(dir, { recursive: true, force: true });
});

async function witness(b: Size, input: Record<string, unknown>): Promise<MemFile> {
  const out: MemFile = { type: "mem" };
  await snarkjs.wtns.calculate(input, wasm(b), out);
  return out;
}

async function accepts(b: Size, input: Record<string, unknown>): Promise<void> {
  const w = await witness(b, input);
  assert.equal(await snarkjs.wtns.check(r1cs(b), w), true, "witness satisfies the r1cs");
}

async function rejects(b: Size, input: Record<string, unknown>): Promise<void> {
  const log = console.error;
  console.error = () => {}; // circom_runtime prints every failed assert
  try {
    await assert.rejects(witness(b, input), /Assert Failed|Error in template|Not all inputs/);
  } finally {
    console.error = log;
  }
}

/** Deterministic 248-bit keys. */
let seed = 0x2545f491;
function rand32(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return seed >>> 0;
}
function randomKey(): bigint {
  let k = 0n;
  for (let i = 0; i < 9; i++) k = (k << 30n) | BigInt(rand32() & 0x3fffffff);
  return (k & ((1n << 248n) - 1n)) | 1n;
}

/** The circuit input for these steps, oracle checks off (the attacks break them on purpose). */
function input(b: Size, steps: UpdateWitness[], over: Partial<EpochTransitionInput> = {}): EpochTransitionInput {
  return { ...epochTransitionInput({ batchNumber: 7, context: CONTEXT, eventsHash: EVENTS, witnesses: steps, B: b, depth: DEPTH, check: false }), ...over } as EpochTransitionInput;
}

/** A tree with `n` random keys. */
function treeWith(n: number): { tree: StateTree; keys: bigint[] } {
  const tree = new StateTree(DEPTH);
  const keys = Array.from({ length: n }, randomKey);
  keys.forEach((k, i) => tree.set(k, BigInt(1000 + i)));
  return { tree, keys };
}

describe("EpochTransition honest batches (oracle roots and commitment)", () => {
  test("inserts and updates in batches of 2 and 4 steps chain from the genesis root", async () => {
    const tree = new StateTree(DEPTH);
    const keys = Array.from({ length: 6 }, randomKey);
    const plan: bigint[][] = [[keys[0]!], [keys[1]!, keys[0]!, keys[0]!], [keys[2]!], [keys[3]!, keys[4]!], [keys[1]!, keys[5]!, keys[2]!]];
    for (const [i, writes] of plan.entries()) {
      const steps = writes.flatMap((k, j) => tree.set(k, BigInt(100 * i + j + 1)));
      const b: Size = steps.length <= 2 ? 2 : 4;
      if (steps.length > b) continue;
      const inp = input(b, steps);
      assert.equal(checkWitnessChain(steps, DEPTH), undefined);
      assert.equal(inp.newRoot, tree.root.toString(), "public newRoot = oracle root");
      const committed = steps.filter((s) => s.op !== "low").map((s) => ({ key: s.key, newValue: s.newValue }));
      assert.equal(inp.commitment, epochCommitment({ context: CONTEXT, batchNumber: 7, updates: committed, eventsHash: EVENTS }).toString());
      assert.deepEqual(epochPublicSignals(inp), [inp.oldRoot, inp.newRoot, inp.header, inp.commitment]);
      await accepts(b, inp);
    }
  });

  test("an all-noop batch keeps the root; a batch of one update in 4 steps pads with no-ops", async () => {
    const { tree, keys } = treeWith(3);
    await accepts(2, epochTransitionInput({ batchNumber: 1, context: CONTEXT, eventsHash: EVENTS, witnesses: [], B: 2, depth: DEPTH, oldTreeRoot: tree.treeRoot, oldSize: tree.size }));
    await accepts(4, input(4, tree.set(keys[1]!, 5n)));
  });

  test("a tree filled to capacity refuses the next insert (STATE_TREE_FULL) and still proves updates", async () => {
    const tree = new StateTree(2); // 16 positions
    for (let i = 0; i < 15; i++) tree.set(randomKey(), 1n);
    assert.throws(
      () => tree.set(randomKey(), 1n),
      (e: { code?: string }) => e.code === "STATE_TREE_FULL",
    );
  });
});

describe("EpochTransition rejects forged steps (each breaks exactly one rule)", () => {
  test("positive control: a ForgedTree replaying honest steps is accepted", async () => {
    const { tree, keys } = treeWith(3);
    const forged = new ForgedTree(tree);
    const lowIdx = 0;
    const l = tree.leaf(lowIdx);
    // biome-ignore lint/complexity/useMathMinMax: bigints, which Math.min does not take
    const k = keys.reduce((a, b) => (a < b ? a : b)) - 1n; // below every key: its low leaf is the head
    assert.ok(k > 0n);
    const s1 = forged.step("low", { index: lowIdx, key: l.key, nextKey: l.nextKey, oldValue: l.value, newValue: l.value, insKey: k });
    const s2 = forged.step("new", { index: forged.size, key: k, nextKey: l.nextKey, oldValue: 0n, newValue: 9n });
    const honest = tree.set(k, 9n);
    assert.equal(s2.newRoot, honest[1]!.newRoot, "the forger's arithmetic is the oracle's");
    await accepts(2, input(2, [s1, s2]));
  });

  test("wrong claimed newRoot / oldRoot / size", async () => {
    const { tree, keys } = treeWith(3);
    const steps = tree.set(keys[0]!, 77n);
    await rejects(2, input(2, steps, { newRoot: (tree.root + 1n).toString() }));
    await rejects(2, input(2, steps, { oldRoot: "5" }));
    await rejects(2, input(2, steps, { oldSize: String(steps[0]!.oldSize + 1) }));
  });

  test("update of a position that holds no leaf (forging a key into an empty slot)", async () => {
    const { tree } = treeWith(2);
    const forged = new ForgedTree(tree);
    await rejects(2, input(2, [forged.step("update", { index: tree.size, key: randomKey(), nextKey: 0n, oldValue: 0n, newValue: 1n })]));
  });

  test("update that opens the leaf with a wrong key, nextKey or value", async () => {
    const { tree } = treeWith(3);
    const l = tree.leaf(2);
    for (const f of [{ key: l.key + 1n }, { nextKey: l.nextKey + 1n }, { oldValue: l.value + 1n }]) {
      const forged = new ForgedTree(tree);
      await rejects(2, input(2, [forged.step("update", { index: 2, key: l.key, nextKey: l.nextKey, oldValue: l.value, newValue: 5n, ...f })]));
    }
  });

  test("insert of a key that is already stored (a duplicate leaf)", async () => {
    const { tree, keys } = treeWith(3);
    const k = keys[1]!;
    const lowIdx = tree.prove(k - 1n).index; // the predecessor of k: its nextKey is k
    const l = tree.leaf(lowIdx);
    assert.equal(l.nextKey, k);
    const forged = new ForgedTree(tree);
    const s1 = forged.step("low", { index: lowIdx, key: l.key, nextKey: l.nextKey, oldValue: l.value, newValue: l.value, insKey: k });
    const s2 = forged.step("new", { index: forged.size, key: k, nextKey: l.nextKey, oldValue: 0n, newValue: 9n });
    await rejects(2, input(2, [s1, s2]));
  });

  test("insert under a leaf that is not the key's predecessor (breaks the sorted list)", async () => {
    const { tree, keys } = treeWith(3);
    const sorted = [...keys].sort((a, b) => (a < b ? -1 : 1));
    const k = sorted[2]! + 1n; // above the largest key: its real low leaf is the largest key
    for (const lowKey of [0n, sorted[0]!]) {
      const lowIdx = lowKey === 0n ? 0 : (tree.indexOf(lowKey) as number);
      const l = tree.leaf(lowIdx);
      const forged = new ForgedTree(tree);
      const s1 = forged.step("low", { index: lowIdx, key: l.key, nextKey: l.nextKey, oldValue: l.value, newValue: l.value, insKey: k });
      const s2 = forged.step("new", { index: forged.size, key: k, nextKey: l.nextKey, oldValue: 0n, newValue: 9n });
      await rejects(2, input(2, [s1, s2]));
    }
    // and a key below the low leaf's own key
    const top = tree.indexOf(sorted[2]!) as number;
    const l = tree.leaf(top);
    const forged = new ForgedTree(tree);
    const s1 = forged.step("low", { index: top, key: l.key, nextKey: l.nextKey, oldValue: l.value, newValue: l.value, insKey: sorted[0]! - 1n });
    const s2 = forged.step("new", { index: forged.size, key: sorted[0]! - 1n, nextKey: l.nextKey, oldValue: 0n, newValue: 9n });
    await rejects(2, input(2, [s1, s2]));
  });

  test("the new leaf elsewhere than the next free position, or over a used one", async () => {
    const { tree } = treeWith(2);
    const k = randomKey();
    const lowIdx = tree.prove(k).index;
    const l = tree.leaf(lowIdx);
    for (const index of [tree.size + 1, 1]) {
      const forged = new ForgedTree(tree);
      const s1 = forged.step("low", { index: lowIdx, key: l.key, nextKey: l.nextKey, oldValue: l.value, newValue: l.value, insKey: k });
      const s2 = forged.step("new", { index, key: k, nextKey: l.nextKey, oldValue: 0n, newValue: 9n });
      await rejects(2, input(2, [s1, s2]));
    }
  });

  test("a new step that does not carry the low step's key or old nextKey", async () => {
    const { tree } = treeWith(2);
    const k = randomKey();
    const lowIdx = tree.prove(k).index;
    const l = tree.leaf(lowIdx);
    for (const f of [{ key: k + 1n }, { nextKey: l.nextKey + 1n }]) {
      const forged = new ForgedTree(tree);
      const s1 = forged.step("low", { index: lowIdx, key: l.key, nextKey: l.nextKey, oldValue: l.value, newValue: l.value, insKey: k });
      const s2 = forged.step("new", { index: forged.size, key: k, nextKey: l.nextKey, oldValue: 0n, newValue: 9n, ...f });
      await rejects(2, input(2, [s1, s2]));
    }
  });

  test("a new step without its low step, and a low step without its new step", async () => {
    const { tree } = treeWith(2);
    const k = randomKey();
    const lowIdx = tree.prove(k).index;
    const l = tree.leaf(lowIdx);
    let forged = new ForgedTree(tree);
    await rejects(2, input(2, [forged.step("new", { index: forged.size, key: k, nextKey: 0n, oldValue: 0n, newValue: 9n })]));
    forged = new ForgedTree(tree);
    const u = tree.leaf(1);
    const s0 = forged.step("update", { index: 1, key: u.key, nextKey: u.nextKey, oldValue: u.value, newValue: 3n });
    await rejects(2, input(2, [s0, forged.step("new", { index: forged.size, key: k, nextKey: 0n, oldValue: 0n, newValue: 9n })]));
    forged = new ForgedTree(tree);
    await rejects(2, input(2, [forged.step("low", { index: lowIdx, key: l.key, nextKey: l.nextKey, oldValue: l.value, newValue: l.value, insKey: k })]));
    forged = new ForgedTree(tree);
    const t0 = forged.step("update", { index: 1, key: u.key, nextKey: u.nextKey, oldValue: u.value, newValue: 3n });
    const t1 = forged.step("low", { index: lowIdx === 1 ? 0 : lowIdx, key: l.key, nextKey: l.nextKey, oldValue: l.value, newValue: l.value, insKey: k });
    await rejects(2, input(2, [t0, t1]));
  });

  test("a low step that changes its leaf's value", async () => {
    const { tree } = treeWith(2);
    const k = randomKey();
    const lowIdx = tree.prove(k).index;
    const l = tree.leaf(lowIdx);
    const forged = new ForgedTree(tree);
    const s1 = forged.step("low", { index: lowIdx, key: l.key, nextKey: l.nextKey, oldValue: l.value, newValue: l.value + 1n, insKey: k });
    const s2 = forged.step("new", { index: forged.size, key: k, nextKey: l.nextKey, oldValue: 0n, newValue: 9n });
    await rejects(2, input(2, [s1, s2]));
  });

  test("an inserted key of 248 bits or more (it would wrap the comparisons)", async () => {
    const tree = new StateTree(DEPTH);
    const l = tree.leaf(0);
    const k = 1n << 248n;
    const forged = new ForgedTree(tree);
    const s1 = forged.step("low", { index: 0, key: l.key, nextKey: l.nextKey, oldValue: l.value, newValue: l.value, insKey: k });
    const s2 = forged.step("new", { index: forged.size, key: k, nextKey: 0n, oldValue: 0n, newValue: 9n });
    await rejects(2, input(2, [s1, s2]));
  });

  test("two ops at once, or a flag that is not a bit", async () => {
    const { tree, keys } = treeWith(2);
    const steps = tree.set(keys[0]!, 5n);
    const base = input(2, steps);
    await rejects(2, { ...base, isLow: ["1", "0"] });
    await rejects(2, { ...base, isUpdate: ["2", "0"] });
  });

  test("a noop step cannot move the root, whatever it carries", async () => {
    const { tree, keys } = treeWith(2);
    const forged = new ForgedTree(tree);
    const l = tree.leaf(1);
    const s = forged.step("update", { index: 1, key: l.key, nextKey: l.nextKey, oldValue: l.value, newValue: 5n });
    const inp = input(2, [{ ...s, op: "noop" }]);
    assert.notEqual(inp.newRoot, inp.oldRoot);
    await rejects(2, inp);
    void keys;
  });

  test("the commitment binds the written keys and values, in order, and the header", async () => {
    const { tree, keys } = treeWith(3);
    const steps = [...tree.set(keys[0]!, 5n), ...tree.set(keys[1]!, 6n)];
    const honest = input(2, steps);
    await accepts(2, honest);
    const swapped = epochCommitment({ context: CONTEXT, batchNumber: 7, updates: [steps[1]!, steps[0]!], eventsHash: EVENTS });
    await rejects(2, { ...honest, commitment: swapped.toString() });
    await rejects(2, { ...honest, header: (BigInt(honest.header) + 1n).toString() });
    await rejects(2, { ...honest, eventsHash: "1" });
  });

  test("noopWitness pads at the batch's end root and size", () => {
    const { tree } = treeWith(1);
    const w = noopWitness(tree.treeRoot, tree.size, DEPTH);
    assert.equal(w.newRoot, tree.root);
  });
});
