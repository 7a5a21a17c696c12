#!/usr/bin/env node
// The `tinycloud` CLI. The project targets Node 26 LTS; `npm install` provides it through the
// `node` package (node_modules/.bin/node), which npm scripts and npx put first on PATH. Started by
// an older system Node directly, we re-exec under the bundled one instead of failing obscurely.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const major = Number(process.versions.node.split(".")[0]);
if (major < 26) {
  const bundled = fileURLToPath(new URL("../node_modules/.bin/node", import.meta.url));
  if (existsSync(bundled) && process.env.TINYCLOUD_REEXEC !== "1") {
    const result = spawnSync(bundled, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
      stdio: "inherit",
      env: { ...process.env, TINYCLOUD_REEXEC: "1" },
    });
    process.exit(result.status ?? 1);
  }
  console.error(`tinycloud needs Node >= 26 (found ${process.versions.node}). Run \`npm install\`, which provides Node 26 in node_modules/.bin.`);
  process.exit(1);
}

const { register } = await import("tsx/esm/api");
register();
await import("../cli/main.ts");
