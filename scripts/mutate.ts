/**
 * `npm run mutate`: mutation testing of the state-tree circuits (issue 10).
 *
 * Every constraint statement of circuits/imt.circom and circuits/epoch_transition.circom is deleted in
 * turn (`<==` becomes `<--`, `===` is removed; test/mutation/mutants.ts), the mutant is compiled under
 * EpochTransition(2, 4) (cached by content hash under .cache/mutation/), and it is killed when it fails
 * a check of test/mutation/harness.ts: an honest batch rejected, a forged step of the unit tests
 * accepted, or an adversarial witness accepted whose public signals the oracle rejects.
 * The real circuit runs first as the control: it must pass every check.
 *
 * Writes circuits/mutation-report.json and prints a table. Exit code 1 when a mutant survives or the
 * control fails, so a new constraint that nothing tests shows up.
 *
 * Usage: node --import tsx scripts/mutate.ts [--only id,id,...] [--no-write]
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { originalSources, ROOT } from "../test/mutation/compile.js";
import { enumerateAll } from "../test/mutation/mutants.js";
import { evaluate, SEARCH_SEED, type MutantResult } from "../test/mutation/run.js";
import { B, DEPTH } from "../test/mutation/harness.js";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function caughtBy(r: MutantResult): string {
  const parts: string[] = [];
  if (r.honestFailures.length > 0) parts.push(`honest rejected: ${r.honestFailures.join(", ")}`);
  if (r.normalAccepted.length > 0) parts.push(`unit tests: ${r.normalAccepted.slice(0, 2).join("; ")}${r.normalAccepted.length > 2 ? ` (+${r.normalAccepted.length - 2})` : ""}`);
  if (r.search !== undefined) parts.push(`search: ${r.search.scenario}, ${r.search.attack}`);
  if (r.outcome === "compile-error") parts.push(r.error ?? "circom rejects it");
  return parts.join(" | ") || "-";
}

async function main(): Promise<void> {
  const started = performance.now();
  const sources = await originalSources();
  const only = arg("--only")?.split(",");
  const all = enumerateAll(sources);
  const mutants = only === undefined ? all : all.filter((m) => only.includes(m.id));
  const write = !process.argv.includes("--no-write") && only === undefined;

  console.log(`mutation test: ${mutants.length} constraint statements, test main EpochTransition(${B}, ${DEPTH}), search seed 0x${SEARCH_SEED.toString(16)}`);
  const control = await evaluate(sources, undefined);
  const controlOk = control.outcome === "survived";
  console.log(`control (real circuit): ${controlOk ? "passes every check" : `FAILS: ${caughtBy(control)}`} (${control.attempts} adversarial attempts, ${control.acceptedConsistent} accepted and oracle-consistent, ${control.seconds.toFixed(1)} s)`);

  const results: MutantResult[] = [];
  for (const [i, m] of mutants.entries()) {
    const r = await evaluate(sources, m);
    results.push(r);
    const compileNote = r.outcome === "compile-error" ? "" : r.cached ? "cached" : `compiled ${r.compileSeconds.toFixed(1)} s`;
    console.log(`[${i + 1}/${mutants.length}] ${r.id.padEnd(9)} ${r.outcome.toUpperCase().padEnd(13)} ${r.statement.slice(0, 60).padEnd(60)} ${compileNote}, ${r.attempts} attempts, ${r.seconds.toFixed(1)} s`);
  }

  const count = (o: MutantResult["outcome"]) => results.filter((r) => r.outcome === o).length;
  const onlySearch = results.filter((r) => r.outcome === "killed" && r.search !== undefined && r.normalAccepted.length === 0 && r.honestFailures.length === 0).length;
  const seconds = (performance.now() - started) / 1000;
  console.log("");
  console.log("| mutant | op | statement | outcome | caught by |");
  console.log("|---|---|---|---|---|");
  for (const r of results) console.log(`| ${r.id} | \`${r.kind}\` | \`${r.statement}\` | ${r.outcome} | ${caughtBy(r).replace(/\|/g, "/")} |`);
  console.log("");
  console.log(`mutated ${results.length}, killed ${count("killed")} (${onlySearch} only by the adversarial search), survived ${count("survived")}, compile errors ${count("compile-error")}; ${seconds.toFixed(0)} s`);

  if (write) {
    const report = {
      $comment: "Written by `npm run mutate` (scripts/mutate.ts). Each constraint statement deleted in turn; see circuits/README.md, Mutation report.",
      testMain: `EpochTransition(${B}, ${DEPTH})`,
      searchSeed: SEARCH_SEED,
      summary: { mutated: results.length, killed: count("killed"), killedOnlyBySearch: onlySearch, survived: count("survived"), compileErrors: count("compile-error") },
      control: { passes: controlOk, attempts: control.attempts, acceptedConsistent: control.acceptedConsistent },
      mutants: results.map(({ seconds: _s, compileSeconds: _c, cached: _k, ...rest }) => rest),
    };
    await writeFile(join(ROOT, "circuits/mutation-report.json"), `${JSON.stringify(report, null, 2)}\n`);
    console.log("wrote circuits/mutation-report.json");
  }
  if (!controlOk || count("survived") > 0) process.exitCode = 1;
}

await main();
