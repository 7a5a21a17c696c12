/**
 * `npm run bench`: runs every benchmark and prints figures and ratios. Timings belong here, never in tests.
 * Run one with `npm run bench -- authority`.
 */
const suites: Record<string, () => Promise<{ run(): Promise<void> }>> = {
  "anchor-gas": () => import("./anchor-gas.bench.js"),
  authority: () => import("./authority.bench.js"),
  // `npm run bench -- compute` runs these three in one run (issue 14): the runtime, HTTP executions, policy decisions.
  compute: () => import("./compute.bench.js"),
  "compute-http": () => import("./compute-http.bench.js"),
  "compute-policy": () => import("./compute-policy.bench.js"),
  history: () => import("./history.bench.js"),
  "kv-http": () => import("./kv-http.bench.js"),
  lightclient: () => import("./lightclient.bench.js"),
  "lightclient-browser": () => import("./lightclient-browser.bench.js"),
  "prover-pool": () => import("./prover-pool.bench.js"),
  rollup: () => import("./rollup.bench.js"),
  stack: () => import("./stack.bench.js"),
};

const wanted = process.argv.slice(2);
// A name also runs its parts: `compute` runs `compute`, `compute-http` and `compute-policy`.
const names =
  wanted.length > 0
    ? wanted.flatMap((w) => {
        const parts = Object.keys(suites).filter((s) => s === w || s.startsWith(`${w}-`));
        return parts.length > 0 ? parts : [w];
      })
    : Object.keys(suites);
console.log(`tinycloud benchmarks — node ${process.version}, ${(await import("node:os")).cpus().length} cores`);
for (const name of names) {
  const load = suites[name];
  if (load === undefined) {
    console.error(`unknown benchmark "${name}" (available: ${Object.keys(suites).join(", ")})`);
    process.exit(2);
  }
  await (await load()).run();
}
