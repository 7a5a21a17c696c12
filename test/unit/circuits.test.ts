/**
 * circuits/epoch_transition.circom (and circuits/quad_smt.circom under it) against the state-tree oracle
 * (node/core/state-tree.ts): the depth-4 test mains are compiled with circom2 into a temp dir and run
 * with snarkjs' witness calculator. Every expected root and witness comes from `StateTree`.
 *
 * A rejected input is one whose witness calculation throws (circom turns every `===` into an assert);
 * accepted witnesses are also checked against the r1cs with `wtns.check`.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { poseidon3 } from "poseidon-lite";
import {
  batchHeader,
  epochCommitment,
  epochContext,
  epochPublicSignals,
  epochTransitionInput,
  quadSmtStepInput,
  updatesHash,
  type EpochTransitionInput,
} from "../../prover/circuit-inputs.js";
import { StateTree, noopWitness, recomputeRoots, type UpdateWitness } from "../../node/core/state-tree.js";

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
  r1cs: { info(r1csFile: string): Promise<{ nConstraints: number; nPubInputs: number; nOutputs: number }> };
}
const snarkjs = (await import("snarkjs")) as unknown as SnarkjsWitnessApi;

let dir = "";
const mains = { 1: "epoch_transition_1_d4", 2: "epoch_transition_2_d4" } as const;
const CORE = "quad_smt_core_d4";
type Size = keyof typeof mains;
const wasm = (b: Size): string => path.join(dir, `${mains[b]}_js`, `${mains[b]}.wasm`);
const r1cs = (b: Size): string => path.join(dir, `${mains[b]}.r1cs`);

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "tc-circuits-"));
  const circom = path.join(ROOT, "node_modules/.bin/circom2");
  await Promise.all(
    [...Object.values(mains), CORE].map((name) =>
      promisify(execFile)(circom, [`circuits/test/${name}.circom`, "--O2", "--r1cs", "--wasm", "-l", "node_modules", "-o", dir], { cwd: ROOT }),
    ),
  );
});

after(async () => {
  // wtns.check builds snarkjs' shared bn128 curve, whose worker threads would keep the process alive.
  await (globalThis as { curve_bn128?: { terminate(): Promise<void> } | null }).curve_bn128?.terminate();
  if (dir !== "") await rm(dir, { recursive: true, force: true });
});

/** Witness of `input` under EpochTransition(b, 4); throws when any constraint assert fails. */
async function witness(b: Size, input: Record<string, unknown>): Promise<MemFile> {
  const out: MemFile = { type: "mem" };
  await snarkjs.wtns.calculate(input, wasm(b), out);
  return out;
}

/** The witness calculator asserts every `===`; `check` also runs the r1cs (`wtns.check`, ~0.2 s). */
async function accepts(b: Size, input: Record<string, unknown>, check = true): Promise<void> {
  const w = await witness(b, input);
  if (check) assert.equal(await snarkjs.wtns.check(r1cs(b), w), true, "witness satisfies the r1cs");
}

async function rejects(b: Size, input: Record<string, unknown>): Promise<void> {
  const log = console.error;
  console.error = () => {}; // circom_runtime prints every failed assert
  try {
    await assert.rejects(witness(b, input), /Assert Failed|Error in template/);
  } finally {
    console.error = log;
  }
}

/** Deterministic 248-bit keys whose low 8 bits (the 4 digits) come from `low`. */
let seed = 0x2545f491;
function rand32(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return seed >>> 0;
}
function keyWithLow(low: number): bigint {
  let hi = 0n;
  for (let i = 0; i < 8; i++) hi = (hi << 30n) | BigInt(rand32() & 0x3fffffff);
  return ((hi & ((1n << 240n) - 1n)) << 8n) | BigInt(low & 0xff);
}

/**
 * Input assembled by hand (no chain or oracle checks): steps as given, padded with no-ops, the
 * commitment over `committed` (default: the real steps).
 */
function rawInput(
  b: Size,
  oldRoot: bigint,
  newRoot: bigint,
  steps: UpdateWitness[],
  opts: { committed?: UpdateWitness[]; batchNumber?: bigint } = {},
): EpochTransitionInput {
  const batchNumber = opts.batchNumber ?? 7n;
  const padded = [...steps];
  while (padded.length < b) padded.push(noopWitness(newRoot, DEPTH));
  const s = padded.map((w) => quadSmtStepInput(w, DEPTH));
  return {
    oldRoot: oldRoot.toString(),
    newRoot: newRoot.toString(),
    header: batchHeader(batchNumber, CONTEXT).toString(),
    commitment: epochCommitment({ context: CONTEXT, batchNumber, updates: opts.committed ?? steps, eventsHash: EVENTS }).toString(),
    eventsHash: EVENTS.toString(),
    enabled: s.map((x) => x.enabled),
    isInsert: s.map((x) => x.isInsert),
    isOld0: s.map((x) => x.isOld0),
    key: s.map((x) => x.key),
    oldValue: s.map((x) => x.oldValue),
    newValue: s.map((x) => x.newValue),
    oldKey: s.map((x) => x.oldKey),
    oldLeafValue: s.map((x) => x.oldLeafValue),
    siblings: s.map((x) => x.siblings),
  };
}

const single = (w: UpdateWitness, batchNumber = 7n): EpochTransitionInput =>
  epochTransitionInput({ batchNumber, context: CONTEXT, eventsHash: EVENTS, witnesses: [w], B: 1, depth: DEPTH });

/** The witness kinds that matter to the circuit. */
function kindOf(w: UpdateWitness): "update" | "insert-empty" | "insert-split" | "insert-split-chain" {
  if (w.fnc === "update") return "update";
  if (w.isOld0 === 1) return "insert-empty";
  const n = w.siblings.reduce((acc, t, level) => (t.some((x) => x !== 0n) ? level + 1 : acc), 0);
  // A zero triple just above the divergence level: the pushed-down leaf fell through a one-child chain.
  return n >= 2 && w.siblings[n - 2]!.every((x) => x === 0n) ? "insert-split-chain" : "insert-split";
}

/** A random sequence of sets (inserts, updates, splits) with the oracle's witnesses. */
function randomSequence(count: number): { tree: StateTree; witnesses: UpdateWitness[] } {
  const tree = new StateTree(DEPTH);
  const witnesses: UpdateWitness[] = [];
  const keys: bigint[] = [];
  // Fixed opening: two keys sharing 3 digits (split with a chain), then one sharing 1 digit with them.
  const scripted = [keyWithLow(0b00_10_01_11), keyWithLow(0b01_10_01_11), keyWithLow(0b11_00_00_11)];
  for (let i = 0; witnesses.length < count; i++) {
    const r = rand32();
    const key = i < scripted.length ? scripted[i]! : keys.length > 0 && r % 4 === 0 ? keys[r % keys.length]! : keyWithLow(rand32());
    try {
      witnesses.push(tree.set(key, BigInt(rand32()) * 1_000_003n));
      if (!keys.includes(key)) keys.push(key);
    } catch (error) {
      if ((error as { code?: string }).code !== "STATE_KEY_COLLISION") throw error;
    }
  }
  return { tree, witnesses };
}

describe("circuits: EpochTransition(B, 4) against the state-tree oracle", () => {
  test("constraint counts of the test mains", async () => {
    const one = await snarkjs.r1cs.info(r1cs(1));
    const two = await snarkjs.r1cs.info(r1cs(2));
    assert.equal(one.nPubInputs, 4);
    assert.equal(one.nOutputs, 0);
    // Recorded in circuits/README.md: 4,077 (B = 1) and 7,860 (B = 2) with --O2.
    assert.ok(one.nConstraints <= 4_100, `B=1: ${one.nConstraints}`);
    assert.ok(two.nConstraints - one.nConstraints <= 3_800, `per step: ${two.nConstraints - one.nConstraints}`);
  });

  test("behavior: every oracle witness of a random sequence is accepted (B = 1)", async () => {
    const { witnesses } = randomSequence(32);
    const kinds = new Set(witnesses.map(kindOf));
    assert.deepEqual([...kinds].sort(), ["insert-empty", "insert-split", "insert-split-chain", "update"]);
    const checked = new Set<string>();
    for (const w of witnesses) {
      const roots = recomputeRoots(w, DEPTH);
      assert.equal(roots.newRoot, w.newRoot);
      const input = single(w);
      assert.equal(input.newRoot, w.newRoot.toString());
      // r1cs check on the first witness of each kind and every fourth one.
      const first = !checked.has(kindOf(w));
      checked.add(kindOf(w));
      await accepts(1, input, first || witnesses.indexOf(w) % 4 === 0);
    }
  });

  test("behavior: chained pairs, a padded batch and an empty batch (B = 2)", async () => {
    const { tree, witnesses } = randomSequence(12);
    for (let j = 0; j + 1 < witnesses.length; j += 2) {
      const pair = witnesses.slice(j, j + 2);
      const input = epochTransitionInput({ batchNumber: BigInt(j), context: CONTEXT, eventsHash: EVENTS, witnesses: pair, B: 2, depth: DEPTH });
      assert.equal(input.newRoot, pair[1]!.newRoot.toString());
      await accepts(2, input);
    }
    const last = witnesses.at(-1)!;
    const padded = epochTransitionInput({ batchNumber: 9n, context: CONTEXT, eventsHash: EVENTS, witnesses: [last], B: 2, depth: DEPTH });
    assert.deepEqual(padded.enabled, ["1", "0"]);
    // Padding does not change the public signals: same commitment as the B = 1 batch.
    assert.deepEqual(epochPublicSignals(padded), epochPublicSignals(single(last, 9n)));
    await accepts(2, padded);
    // A no-op first, then the update: same commitment, still accepted.
    await accepts(2, rawInput(2, last.oldRoot, last.newRoot, [noopWitness(last.oldRoot, DEPTH), last]));

    const empty = epochTransitionInput({ batchNumber: 10n, context: CONTEXT, eventsHash: EVENTS, witnesses: [], B: 2, depth: DEPTH, oldRoot: tree.root });
    assert.equal(empty.newRoot, tree.root.toString());
    assert.equal(empty.commitment, poseidon3([(10n << 192n) | CONTEXT, 0n, EVENTS]).toString());
    await accepts(2, empty);
  });

  test("commitment: Poseidon(3)(batchNumber·2^192 + context, hash chain of (key, newValue), eventsHash)", () => {
    const { witnesses } = randomSequence(3);
    const [a, b, c] = witnesses as [UpdateWitness, UpdateWitness, UpdateWitness];
    const chain = poseidon3([poseidon3([poseidon3([0n, a.key, a.newValue]), b.key, b.newValue]), c.key, c.newValue]);
    assert.equal(updatesHash(witnesses), chain);
    assert.equal(updatesHash([a, noopWitness(a.newRoot, DEPTH), b, c]), chain);
    assert.equal(epochCommitment({ context: CONTEXT, batchNumber: 5, updates: witnesses, eventsHash: EVENTS }), poseidon3([(5n << 192n) | CONTEXT, chain, EVENTS]));
    assert.notEqual(updatesHash([b, a, c]), chain);
    assert.equal(CONTEXT, (31337n << 160n) | 0x5fbdb2315678afecb367f032d93f642f64180aa3n);
  });

  test("behavior: a prover choosing the level hints and the step kind freely reaches only the oracle's root", async () => {
    // QuadSmtCore(4) takes the thermometers n, t as inputs. For each target (key, value) over a real
    // tree, try every thermometer pair, step kind, oldKey and sibling vector (the new path's, the old's): whatever is accepted must
    // output the root the oracle's set(key, value) gives. The compiler's own witness calculator is
    // reused across calls (snarkjs re-instantiates the wasm on each call).
    type Calculator = { calculateWitness(input: Record<string, unknown>, sanityCheck: boolean): Promise<bigint[]> };
    const build = createRequire(import.meta.url)(path.join(dir, `${CORE}_js`, "witness_calculator.js")) as (code: Uint8Array) => Promise<Calculator>;
    const calculator = await build(await readFile(path.join(dir, `${CORE}_js`, `${CORE}.wasm`)));
    const thermometer = (level: number): number[] => Array.from({ length: DEPTH }, (_, i) => (i < level ? 1 : 0));
    const zeros = Array.from({ length: DEPTH }, () => [0n, 0n, 0n]);

    const { tree } = randomSequence(10);
    const stored = [...tree.entries()].map(([key]) => key);
    const targets = [stored[0]!, stored[3]!, keyWithLow(0b11_10_01_11), keyWithLow(0b00_00_01_11), keyWithLow(rand32())];
    let accepted = 0;
    const kinds = new Set<string>();
    for (const key of targets) {
      const value = BigInt(rand32()) + 1n;
      let honest: UpdateWitness;
      try {
        honest = tree.clone().set(key, value);
      } catch {
        continue; // STATE_KEY_COLLISION
      }
      kinds.add(kindOf(honest));
      const old = tree.prove(key).siblings;
      const oldPadded = [...old, ...zeros.slice(old.length)];
      for (const [isInsert, isOld0] of [[0, 0], [1, 1], [1, 0], [0, 1]] as const) {
        for (const oldKey of new Set([0n, key, honest.oldKey, stored[2]!])) {
          for (const siblings of [honest.siblings, oldPadded]) {
            for (let n = 0; n <= DEPTH; n++) {
              for (let t = 0; t <= DEPTH; t++) {
                const input = {
                  enabled: 1,
                  isInsert,
                  isOld0,
                  oldRoot: tree.root,
                  key,
                  oldValue: tree.get(key) ?? 0n,
                  newValue: value,
                  oldKey,
                  oldLeafValue: tree.get(oldKey) ?? 0n,
                  siblings,
                  n: thermometer(n),
                  t: thermometer(t),
                };
                let out: bigint[];
                try {
                  out = await calculator.calculateWitness(input, true);
                } catch {
                  continue;
                }
                accepted++;
                assert.equal(out[1], honest.newRoot, `accepted a wrong root: ${JSON.stringify({ isInsert, isOld0, n, t, fnc: honest.fnc })}`);
              }
            }
          }
        }
      }
    }
    assert.ok(kinds.size >= 3, `targets cover ${[...kinds].join(", ")}`);
    assert.ok(accepted >= targets.length - 1, `${accepted} accepted`);
  });

  describe("rejects", () => {
    const { tree, witnesses } = randomSequence(24);
    const byKind = (kind: ReturnType<typeof kindOf>): UpdateWitness => {
      const w = witnesses.find((x) => kindOf(x) === kind);
      assert.ok(w, `the sequence has a ${kind}`);
      return w;
    };

    test("error: a wrong old root", async () => {
      for (const w of [byKind("update"), byKind("insert-empty"), byKind("insert-split")]) {
        const input = single(w);
        await rejects(1, { ...input, oldRoot: (w.oldRoot + 1n).toString() });
      }
    });

    test("error: a wrong new root", async () => {
      for (const w of [byKind("update"), byKind("insert-empty"), byKind("insert-split-chain")]) {
        await rejects(1, { ...single(w), newRoot: (w.newRoot + 1n).toString() });
        // A different value than the one committed: the root no longer matches.
        const input = single(w);
        await rejects(1, { ...input, newValue: [(w.newValue + 1n).toString()] });
      }
    });

    test("error: a skipped update (the final root kept)", async () => {
      const [w1, , w3] = witnesses as [UpdateWitness, UpdateWitness, UpdateWitness];
      await rejects(2, rawInput(2, w1.oldRoot, w3.newRoot, [w1, w3]));
      // Skipped as a disabled step: the root chain still breaks.
      await rejects(2, rawInput(2, w1.oldRoot, w3.newRoot, [w1, noopWitness(w1.newRoot, DEPTH)]));
    });

    test("error: reordered updates", async () => {
      const [w1, w2] = witnesses as [UpdateWitness, UpdateWitness];
      await rejects(2, rawInput(2, w1.oldRoot, w2.newRoot, [w2, w1]));
      // Same claimed transition, the commitment listing them reordered.
      await rejects(2, rawInput(2, w1.oldRoot, w2.newRoot, [w1, w2], { committed: [w2, w1] }));
    });

    test("error: a forged non-inclusion (isOld0 = 1 where the path ends at another leaf)", async () => {
      for (const w of witnesses.filter((x) => x.fnc === "insert" && x.isOld0 === 0)) {
        await rejects(1, rawInput(1, w.oldRoot, w.newRoot, [{ ...w, isOld0: 1, oldKey: 0n, oldLeafValue: 0n }]));
        // The pushed-down leaf with a wrong value.
        await rejects(1, rawInput(1, w.oldRoot, w.newRoot, [{ ...w, oldLeafValue: w.oldLeafValue + 1n }]));
      }
    });

    test("error: claiming a present key is absent", async () => {
      for (const w of witnesses.filter((x) => x.fnc === "update").slice(0, 4)) {
        // As an insert into an empty slot.
        await rejects(1, rawInput(1, w.oldRoot, w.newRoot, [{ ...w, fnc: "insert", isOld0: 1, oldValue: 0n }]));
        // As an insert pushing "another" leaf down that is the key itself (a duplicate insert).
        await rejects(1, rawInput(1, w.oldRoot, w.newRoot, [{ ...w, fnc: "insert", isOld0: 0, oldKey: w.key, oldLeafValue: w.oldValue, oldValue: 0n }]));
      }
    });

    test("error: a duplicate key inserted again (fnc insert on a stored key)", async () => {
      // Re-insert a stored key as if it were new, with the siblings and roots an honest update would have.
      const key = [...tree.entries()][0]![0];
      const w = tree.clone().set(key, 42n);
      assert.equal(w.fnc, "update");
      await rejects(1, rawInput(1, w.oldRoot, w.newRoot, [{ ...w, fnc: "insert", isOld0: 1, oldValue: 0n }]));
      await rejects(1, rawInput(1, w.oldRoot, w.newRoot, [{ ...w, fnc: "insert", isOld0: 0, oldKey: key, oldLeafValue: w.oldValue, oldValue: 0n }]));
      // Against the new root of an insert that places the key a second time beside itself: no valid split exists.
      const other = witnesses.find((x) => x.fnc === "insert" && x.isOld0 === 0)!;
      await rejects(1, rawInput(1, other.oldRoot, other.newRoot, [{ ...other, oldKey: other.key, oldLeafValue: other.newValue }]));
    });

    test("error: a disabled step cannot carry a committed update, nor a wrong batch number", async () => {
      const w = byKind("update");
      // The update is listed in the commitment but its step is disabled: the root does not move.
      await rejects(1, rawInput(1, w.oldRoot, w.oldRoot, [{ ...noopWitness(w.oldRoot, DEPTH) }], { committed: [w] }));
      const input = single(w);
      await rejects(1, { ...input, header: batchHeader(8n, CONTEXT).toString() });
      await rejects(1, { ...input, eventsHash: (EVENTS + 1n).toString() });
    });
  });
});
