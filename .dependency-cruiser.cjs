/**
 * The allowed import graph (dependency-cruiser). Imports point down:
 *
 *     core  ←  prover  ←  node        core  ←  lightclient        cli, scripts, test: anything
 *
 * `core/` is the pure protocol and rollup definitions: no I/O, no Node built-ins, only small
 * browser-safe libraries, so the node, the prover and the browser light client can all import it.
 * `contracts/*.ts` (generated ABIs, the artifact loader) sit beside core. test/unit/import-graph.test.ts
 * runs these rules on the tree and on a planted upward import.
 */
const PURE_NPM = "^(@noble/|@scure/|@ipld/dag-cbor|multiformats|poseidon-lite|canonicalize|valibot)";

module.exports = {
  forbidden: [
    { name: "core-is-self-contained", comment: "core/ imports only core/", severity: "error", from: { path: "^core/" }, to: { path: "^(node|prover|lightclient|cli|contracts|test|scripts)/" } },
    { name: "core-has-no-io", comment: "core/ runs in the browser: no Node built-ins", severity: "error", from: { path: "^core/" }, to: { dependencyTypes: ["core"] } },
    {
      name: "core-pure-libraries",
      comment: "core/ uses only small browser-safe libraries",
      severity: "error",
      from: { path: "^core/" },
      to: { dependencyTypes: ["npm", "npm-dev", "npm-optional", "npm-peer", "npm-no-pkg", "npm-unknown"], pathNot: PURE_NPM },
    },
    {
      name: "prover-below-node",
      comment: "prover/ imports core/ (and contracts/), never node/, lightclient/ or cli/",
      severity: "error",
      from: { path: "^prover/" },
      to: { path: "^(node|lightclient|cli)/" },
    },
    {
      name: "node-not-lightclient",
      comment: "node/ serves the light-client page as a plugin handed over by cli/; it never imports lightclient/ or cli/",
      severity: "error",
      from: { path: "^node/" },
      to: { path: "^(lightclient|cli)/" },
    },
    {
      name: "lightclient-on-core",
      comment: "lightclient/ imports only core/ (and generated contract/circuit data), never node/, prover/ or cli/",
      severity: "error",
      from: { path: "^lightclient/" },
      to: { path: "^(node|prover|cli)/" },
    },
    {
      name: "lightclient-core-browser",
      comment: "lightclient/core runs unchanged in the browser: no Node built-ins",
      severity: "error",
      from: { path: "^lightclient/core/" },
      to: { dependencyTypes: ["core"] },
    },
    {
      name: "contracts-are-leaves",
      comment: "contracts/*.ts are generated data and their loader",
      severity: "error",
      from: { path: "^contracts/" },
      to: { path: "^(node|prover|lightclient|cli|test|scripts)/" },
    },
    { name: "product-not-tests", comment: "shipped code never imports tests", severity: "error", from: { path: "^(core|node|prover|lightclient|cli|contracts)/" }, to: { path: "^test/" } },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(node_modules|\\.cache|build|data)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js", ".json", ".mjs", ".cjs"] },
  },
};
