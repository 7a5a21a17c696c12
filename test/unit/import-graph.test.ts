/**
 * The allowed import graph (.dependency-cruiser.cjs): core ← prover ← node, core ← lightclient; core/ and
 * lightclient/core/ import no Node built-ins; cli/, scripts/ and test/ may import anything. Checked on the
 * tree, and on a planted tree whose upward imports must each be caught (so the rules cannot pass vacuously).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, mkdir, rm, writeFile, copyFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DEPCRUISE = join(ROOT, "node_modules", "dependency-cruiser", "bin", "dependency-cruiser.mjs");
const LAYERS = ["core", "prover", "node", "lightclient", "cli", "contracts"];

interface Cruise {
  modules: { source: string; dependencies: { resolved: string; couldNotResolve: boolean }[] }[];
  summary: { violations: { rule: { name: string }; from: string; to: string }[] };
}

function cruise(cwd: string, dirs: readonly string[]): Cruise {
  const run = spawnSync(process.execPath, [DEPCRUISE, ...dirs, "--config", join(ROOT, ".dependency-cruiser.cjs"), "--output-type", "json"], { cwd, encoding: "utf8", maxBuffer: 64 << 20 });
  assert.ok(run.stdout.startsWith("{"), `dependency-cruiser failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as Cruise;
}

describe("import graph", () => {
  test("default: the tree's imports point down (no violations), and every repository import resolves", () => {
    const result = cruise(ROOT, LAYERS);
    assert.deepEqual(
      result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`),
      [],
    );
    const sources = new Set(result.modules.map((m) => m.source));
    assert.ok(sources.has("core/rollup/wire.ts") && sources.has("node/server/node.ts") && sources.has("lightclient/core/steps.ts"), "the cruise saw the tree");
    // `.js` specifiers must resolve to the `.ts` files, or the rules would see no edges at all.
    const node = result.modules.find((m) => m.source === "node/server/node.ts");
    assert.ok(node?.dependencies.some((d) => d.resolved === "core/rollup/verifier-id.ts"));
    const unresolved = result.modules.flatMap((m) => m.dependencies.filter((d) => d.couldNotResolve && d.resolved.startsWith(".")).map((d) => `${m.source} → ${d.resolved}`));
    assert.deepEqual(unresolved, []);
  });

  test("error: each planted upward import is caught by its rule", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tinycloud-imports-"));
    try {
      const files: Record<string, string> = {
        "core/a.ts": 'import { b } from "../node/b.js";\nimport { readFileSync } from "node:fs";\nexport const a = b + String(readFileSync);\n',
        "core/pure.ts": 'import { keccak_256 } from "@noble/hashes/sha3.js";\nexport const pure = keccak_256;\n',
        "node/b.ts": 'import { page } from "../lightclient/page.js";\nexport const b = page;\n',
        "prover/c.ts": 'import { b } from "../node/b.js";\nexport const c = b;\n',
        "lightclient/page.ts": 'import { c } from "../prover/c.js";\nexport const page = String(c);\n',
        "lightclient/core/step.ts": 'import { readFile } from "node:fs/promises";\nexport const step = readFile;\n',
        "cli/main.ts": 'import { b } from "../node/b.js";\nimport { page } from "../lightclient/page.js";\nimport { c } from "../prover/c.js";\nexport const all = [b, page, c];\n',
      };
      for (const [file, text] of Object.entries(files)) {
        await mkdir(join(dir, dirname(file)), { recursive: true });
        await writeFile(join(dir, file), text);
      }
      await copyFile(join(ROOT, "tsconfig.json"), join(dir, "tsconfig.json"));
      await mkdir(join(dir, "node_modules"), { recursive: true });
      const result = cruise(dir, ["core", "node", "prover", "lightclient", "cli"]);
      const found = result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort();
      assert.deepEqual(found, [
        "core-has-no-io: core/a.ts → fs",
        "core-is-self-contained: core/a.ts → node/b.ts",
        "lightclient-core-browser: lightclient/core/step.ts → fs/promises",
        "lightclient-on-core: lightclient/page.ts → prover/c.ts",
        "node-not-lightclient: node/b.ts → lightclient/page.ts",
        "prover-below-node: prover/c.ts → node/b.ts",
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
