/**
 * Issue 10: circuit tests that would catch an under-constraint. The CI sample of `npm run mutate`
 * (scripts/mutate.ts, report in circuits/mutation-report.json):
 *
 *  - the real EpochTransition(2, 4) accepts the oracle's honest batches, rejects every forged step of
 *    test/integration/circuits.test.ts, and a randomized adversarial witness search (fixed seed) over arbitrary
 *    boolean hints, replaced siblings, changed keys / values / flags / positions and moved public signals
 *    finds no witness the r1cs accepts whose public signals the oracle rejects;
 *  - a fixed sample of mutants (one constraint statement deleted each) is killed, each by the check
 *    expected, including mutants that ONLY the adversarial search catches (the unit tests pass on them).
 *
 * Compiles are cached by content hash under .cache/mutation/ (MUTATION_CACHE_DIR overrides it).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { compile, epochMain, originalSources } from "../mutation/compile.js";
import { acceptsInput, B, DEPTH, generate, insertScenario, judge, loadCircuit, normalRejections, prepare, randomAttacks, Rng, runAttack, scenarios, targetWires, wire } from "../mutation/harness.js";
import { applyMutant, enumerateAll, type Mutant } from "../mutation/mutants.js";
import { mod, resolve, satisfies } from "../mutation/r1cs.js";
import { evaluate, SEARCH_SEED } from "../mutation/run.js";

/** Random attacks per honest scenario on the real circuit. */
const RANDOM_ATTACKS = 60;

describe("mutation testing of the state-tree circuits (CI sample of npm run mutate)", () => {
  test("the real circuit: honest batches accepted, forged steps rejected, no oracle-rejected witness in a randomized search", async () => {
    const sources = await originalSources();
    const c = await loadCircuit(await compile(sources, epochMain(B, DEPTH)));
    for (const f of normalRejections()) assert.equal(await acceptsInput(c, f.input), false, `forged step accepted: ${f.name}`);
    const rng = new Rng(SEARCH_SEED);
    let accepted = 0;
    let attempts = 0;
    for (const s of scenarios()) {
      const honest = await generate(c, s.input);
      assert.ok(honest !== undefined && satisfies(c.r1cs, honest), `honest batch ${s.name} rejected`);
      assert.equal(judge(c, s, honest).ok, true, `the oracle disowns the honest batch ${s.name}`);
      const p = prepare(c, s, honest);
      for (const a of randomAttacks(c, p, rng, RANDOM_ATTACKS)) {
        attempts++;
        const r = runAttack(c, p, a);
        if (!r.accepted) continue;
        accepted++;
        assert.equal(r.verdict?.ok, true, `${s.name}: accepted witness the oracle rejects (${a.name}): ${r.verdict?.why}`);
      }
    }
    // Some attacks only touch what the circuit leaves free by design (a no-op step's fields, eventsHash,
    // the header): those are accepted and oracle-consistent. All others must be rejected.
    assert.equal(attempts, RANDOM_ATTACKS * scenarios().length);
    assert.ok(accepted < attempts, "the search must exercise rejections");
  });

  const sample: Array<{ statement: string; caughtBy: "search" | "unit tests" }> = [
    // Only the search: a free e3 is invisible to the old path where the leaf and its siblings are all
    // empty (an insert at a position ≡ 0 mod 4), and moves the new leaf.
    { statement: "signal e3 <== bit[0] * bit[1];", caughtBy: "search" },
    // Only the search: the path bits no longer follow `index`, so the new leaf lands elsewhere.
    { statement: "pos.in <== index;", caughtBy: "search" },
    // Only the search: isUpdate = −1 with isLow = 1 is a disabled step that still announces an insert,
    // so the next "new" step inserts a key without relinking its predecessor.
    { statement: "isUpdate * (isUpdate - 1) === 0;", caughtBy: "search" },
    // The unit tests (a wrong claimed oldRoot) catch this one too.
    { statement: "open.out === oldRoot;", caughtBy: "unit tests" },
  ];
  for (const { statement, caughtBy } of sample) {
    test(`mutant \`${statement}\` deleted is killed (${caughtBy === "search" ? "only by the adversarial search" : "by the unit tests"})`, async () => {
      const sources = await originalSources();
      const found = enumerateAll(sources).filter((m) => m.statement === statement);
      assert.equal(found.length, 1, "the statement is in the circuits exactly once");
      const r = await evaluate(sources, found[0] as Mutant, { maxAttempts: 200 });
      assert.equal(r.outcome, "killed");
      assert.deepEqual(r.honestFailures, []);
      if (caughtBy === "search") {
        assert.deepEqual(r.normalAccepted, [], "the unit tests alone would not catch it");
        assert.ok(r.search !== undefined);
      } else assert.ok(r.normalAccepted.length > 0);
    });
  }

  // Why a, b, d, o1, o2, o3 of ImtLevel survive the automated search although they are not redundant:
  // a free product shifts two inputs of the old node by (−δ, +δ). A fake sibling one level down turns
  // the old child x into F; the sibling slot the freed product is paired with, set to s + x − F,
  // restores the old node exactly (so the old root still opens), while the new node carries the
  // shifted sibling: a wrong new root. The search cannot build this two-level change; these witnesses
  // are built by hand, one per product, and each mutant must accept one the oracle rejects.
  const SPLICES = [
    { statement: "signal o1 <== (bit[0] - e3) * oldChild;", n: 5, level: 2, slot: 0 }, // insert@6 = digits 0,0,1,2
    { statement: "signal o2 <== (bit[1] - e3) * oldChild;", n: 7, level: 2, slot: 0 }, // insert@8 = 0,0,2,0
    { statement: "signal o3 <== e3 * oldChild;", n: 11, level: 2, slot: 0 }, // insert@12 = 0,0,3,0
    { statement: "signal a <== (1 - bit[0] - bit[1] + e3) * sib[0];", n: 5, level: 1, slot: 0 }, // level 1 has digit 0
    { statement: "signal b <== bit[1] * sib[1];", n: 7, level: 2, slot: 1 },
    { statement: "signal d <== e3 * sib[2];", n: 11, level: 2, slot: 2 },
  ] as const;
  for (const splice of SPLICES) {
    test(`a known search gap is real: with \`${splice.statement}\` deleted, a spliced fake subtree gives a wrong root the mutant accepts`, async () => {
      const sources = await originalSources();
      const m = enumerateAll(sources).find((x) => x.statement === splice.statement) as Mutant;
      assert.ok(m !== undefined, `mutant ${splice.statement} exists`);
      const c = await loadCircuit(await compile(applyMutant(sources, m), epochMain(B, DEPTH)));
      const s = insertScenario(splice.n, 0x5911ce00 + splice.n);
      const honest = await generate(c, s.input);
      assert.ok(honest !== undefined, "the mutant still accepts the honest batch");
      const p = prepare(c, s, honest, targetWires(c, m.template, m.target as string));
      // Step 1 is the insert's new leaf; its path's level L + 1 node is level L's old child.
      const fake = wire(c, `main.siblings[1][${splice.level + 1}][0]`);
      const child = wire(c, `main.step[1].level[${splice.level + 1}].oldNode`);
      const moved = resolve(c.r1cs, p.schedule, p.base, new Map([[fake, 123456789n]]));
      assert.ok(moved !== undefined);
      const F = moved.witness[child] as bigint;
      const x = p.base[child] as bigint;
      assert.notEqual(F, x);
      const paired = wire(c, `main.siblings[1][${splice.level}][${splice.slot}]`);
      const r = runAttack(c, p, {
        name: "splice",
        pins: new Map([
          [fake, 123456789n],
          [paired, mod((p.base[paired] as bigint) + x - F)],
        ]),
      });
      assert.equal(r.accepted, true, "the mutant accepts the spliced witness");
      assert.equal(r.verdict?.ok, false, "and the oracle rejects it");
      // Control: the real circuit, given the same two pins, admits no witness (the constraint holds).
      const real = await loadCircuit(await compile(sources, epochMain(B, DEPTH)));
      const realHonest = await generate(real, s.input);
      assert.ok(realHonest !== undefined);
      const rp = prepare(real, s, realHonest);
      const rFake = wire(real, `main.siblings[1][${splice.level + 1}][0]`);
      const rPaired = wire(real, `main.siblings[1][${splice.level}][${splice.slot}]`);
      const control = runAttack(real, rp, {
        name: "splice",
        pins: new Map([
          [rFake, 123456789n],
          [rPaired, mod((rp.base[rPaired] as bigint) + x - F)],
        ]),
      });
      assert.equal(control.accepted && control.verdict?.ok === false, false, "the real circuit rejects the splice");
    });
  }
});
