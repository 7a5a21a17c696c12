// npm postinstall: finish what npm skips when it runs under an older system Node (Node 20 here).
//
// Hardhat 3's EDR ships its native binding as optional platform packages with `engines: node >= 22`;
// npm silently skips them under Node 20, and Hardhat then fails with "HHE27 missing platform package".
// The project brings its own Node 26 (npm package `node`), so when the binding is missing we run
// `npm install` once more with that Node first on PATH. The nested run sees the binding installed
// and does nothing further, so this cannot loop.
import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const bundledNode = path.join(root, "node_modules", "node", "bin");
const require = createRequire(path.join(root, "package.json"));

function hasEdrBinding() {
  if (process.platform !== "linux" || process.arch !== "x64") return true; // other platforms: npm picks the right one
  try {
    require.resolve("@nomicfoundation/edr-linux-x64-gnu/package.json");
    return true;
  } catch {
    return false;
  }
}

if (!existsSync(path.join(root, "node_modules", "hardhat"))) process.exit(0); // production install without dev tools
if (hasEdrBinding()) process.exit(0);
if (!existsSync(path.join(bundledNode, "node"))) {
  console.warn("postinstall: Hardhat's EDR binding is missing and node_modules/node (Node 26) is not installed; contract tests need it.");
  process.exit(0);
}
// npm itself may run under another Node than this script (npm puts node_modules/.bin first on PATH).
const npmNode = process.env.npm_node_execpath ?? "the system Node";
console.log(`postinstall: installing Hardhat's EDR native binding under the bundled Node (npm, running under ${npmNode}, skipped it)`);
const result = spawnSync("npm", ["install", "--no-audit", "--no-fund", "--ignore-scripts"], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, PATH: `${bundledNode}${path.delimiter}${process.env.PATH ?? ""}` },
});
if (result.status !== 0 || !hasEdrBinding()) {
  console.error("postinstall: could not install @nomicfoundation/edr-linux-x64-gnu; run `PATH=$PWD/node_modules/node/bin:$PATH npm install`.");
  process.exit(1);
}
