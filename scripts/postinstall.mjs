// npm postinstall: finish what npm skips when it runs under the system Node 20.
//
// Hardhat 3's EDR ships its native binding as optional platform packages with `engines: node >= 22`;
// npm silently skips them under Node 20, and Hardhat then fails with "HHE27 missing platform package".
// The project brings its own Node 22 (npm package `node`), so when the binding is missing we run
// `npm install` once more with that Node first on PATH. The nested run sees the binding installed
// and does nothing further, so this cannot loop.
import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const node22 = path.join(root, "node_modules", "node", "bin");
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
if (!existsSync(path.join(node22, "node"))) {
  console.warn("postinstall: Hardhat's EDR binding is missing and node_modules/node (Node 22) is not installed; contract tests need Node >= 22.");
  process.exit(0);
}
console.log("postinstall: installing Hardhat's EDR native binding under Node 22 (npm skipped it under Node " + process.versions.node + ")");
const result = spawnSync("npm", ["install", "--no-audit", "--no-fund", "--ignore-scripts"], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, PATH: `${node22}${path.delimiter}${process.env.PATH ?? ""}` },
});
if (result.status !== 0 || !hasEdrBinding()) {
  console.error("postinstall: could not install @nomicfoundation/edr-linux-x64-gnu; run `PATH=$PWD/node_modules/node/bin:$PATH npm install`.");
  process.exit(1);
}
