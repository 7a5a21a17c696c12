/**
 * An interrupted setup leaves no debris: `removePartials` removes exactly one process's half-written
 * files, at every level runSetup writes them (ptau/, circuits/, circuits/<name>-<hash>/), and nothing else.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { removePartials } from "../../prover/setup/partials.js";

async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) if (entry.isFile()) out.push(join(entry.parentPath, entry.name).slice(dir.length + 1));
  return out.sort();
}

test("removePartials removes this pid's .partial/.tmp files in ptau/, circuits/ and a circuit's directory, and only those", async () => {
  const cache = await mkdtemp(join(tmpdir(), "tinycloud-partials-"));
  try {
    const circuit = join(cache, "circuits", "epoch_transition_1-abc");
    await mkdir(circuit, { recursive: true });
    await mkdir(join(cache, "ptau"), { recursive: true });
    const files = [
      "ptau/dev-15.ptau",
      "ptau/dev-15.ptau.tmp-77",
      "ptau/dev-15.ptau.tmp-78",
      "circuits/epoch_transition_1-abc/compile.json",
      "circuits/epoch_transition_1-abc/keys-dev-csprng.partial-77/zkey",
      "circuits/epoch_transition_1-abc/keys-dev-csprng.partial-78/zkey",
      "circuits/x.tmp-77",
    ];
    for (const file of files) {
      await mkdir(join(cache, file, ".."), { recursive: true });
      await writeFile(join(cache, file), "x");
    }
    await removePartials(cache, 77);
    assert.deepEqual(await tree(cache), [
      "circuits/epoch_transition_1-abc/compile.json",
      "circuits/epoch_transition_1-abc/keys-dev-csprng.partial-78/zkey",
      "ptau/dev-15.ptau",
      "ptau/dev-15.ptau.tmp-78",
    ]);
  } finally {
    await rm(cache, { recursive: true, force: true });
  }
});
