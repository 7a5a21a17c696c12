/**
 * The committed example binaries (compute/examples/build/*.wasm) are exactly what their sources compile to
 * (asc for AssemblyScript, binaryen for WAT): one source for generated things. On a difference, rebuild
 * with `node --import tsx scripts/compute-examples.ts`.
 */
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { buildExamples, EXAMPLES_BUILD_DIR } from "../../scripts/compute-examples.js";

test("default: every example's committed .wasm matches a fresh compile of its source, and nothing else is committed", async () => {
  const built = await buildExamples();
  const committed = (await readdir(EXAMPLES_BUILD_DIR)).filter((f) => f.endsWith(".wasm")).sort();
  assert.deepEqual(
    committed,
    [...built.keys()].map((n) => `${n}.wasm`),
  );
  for (const [name, bytes] of built) {
    const file = new Uint8Array(await readFile(join(EXAMPLES_BUILD_DIR, `${name}.wasm`)));
    assert.ok(Buffer.compare(file, bytes) === 0, `${name}.wasm drifted from its source: run node --import tsx scripts/compute-examples.ts`);
  }
});
