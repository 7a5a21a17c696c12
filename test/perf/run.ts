/**
 * `npm run bench`: runs every benchmark and prints figures and ratios. Timings belong here, never in tests.
 * Run one with `npm run bench -- authority`.
 */
const suites: Record<string, () => Promise<{ run(): Promise<void> }>> = {
  "anchor-gas": () => import("./anchor-gas.bench.js"),
  authority: () => import("./authority.bench.js"),
  // The runtime's figures, then the service's executions/s over HTTP (one run, issue 14).
  compute: async () => {
    const [runtime, service] = await Promise.all([import("./compute.bench.js"), import("./compute-http.bench.js")]);
    return {
      run: async () => {
        await runtime.run();
        await service.run();
      },
    };
  },
  "compute-http": () => import("./compute-http.bench.js"),
  history: () => import("./history.bench.js"),
  "kv-http": () => import("./kv-http.bench.js"),
  lightclient: () => import("./lightclient.bench.js"),
  "lightclient-browser": () => import("./lightclient-browser.bench.js"),
  "prover-pool": () => import("./prover-pool.bench.js"),
  rollup: () => import("./rollup.bench.js"),
  stack: () => import("./stack.bench.js"),
};

const wanted = process.argv.slice(2);
const names = wanted.length > 0 ? wanted : Object.keys(suites);
console.log(`tinycloud benchmarks — node ${process.version}, ${(await import("node:os")).cpus().length} cores`);
for (const name of names) {
  const load = suites[name];
  if (load === undefined) {
    console.error(`unknown benchmark "${name}" (available: ${Object.keys(suites).join(", ")})`);
    process.exit(2);
  }
  await (await load()).run();
}
