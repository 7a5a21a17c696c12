/**
 * The example compute functions (compute/examples), compiled: AssemblyScript with `asc` (its JS API, one
 * process for all of them) and WAT with binaryen's text parser. The sources are the one truth; the
 * compiled .wasm files under compute/examples/build/ are committed fixtures that tests and benches load,
 * and `test/unit/compute-examples.test.ts` recompiles them and fails on any drift.
 *
 * Usage: node --import tsx scripts/compute-examples.ts [--check]
 */
import { readdir, readFile, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";

export const EXAMPLES_DIR = fileURLToPath(new URL("../compute/examples/", import.meta.url));
export const EXAMPLES_BUILD_DIR = join(EXAMPLES_DIR, "build");

/** asc options: optimised, the stub runtime (a bump allocator: no GC to make gas depend on), no asserts. */
const ASC_FLAGS = ["-O3", "--runtime", "stub", "--noAssert"];

/** The compiled bytes of every example, by name (file name without extension), sorted by name. */
export async function buildExamples(): Promise<Map<string, Uint8Array>> {
  const files = (await readdir(EXAMPLES_DIR)).filter((f) => f.endsWith(".ts") || f.endsWith(".wat")).sort();
  const out = new Map<string, Uint8Array>();
  for (const file of files) {
    const name = basename(file).replace(/\.(ts|wat)$/, "");
    out.set(name, file.endsWith(".wat") ? await compileWat(join(EXAMPLES_DIR, file)) : await compileAssemblyScript(join(EXAMPLES_DIR, file)));
  }
  return out;
}

async function compileAssemblyScript(path: string): Promise<Uint8Array> {
  const asc = (await import("assemblyscript/asc")).default;
  let binary: Uint8Array | undefined;
  const stderr: string[] = [];
  const result = await asc.main([path, ...ASC_FLAGS, "--outFile", "out.wasm"], {
    writeFile: (name, contents) => {
      if (name.endsWith("out.wasm") && contents instanceof Uint8Array) binary = contents;
    },
    stderr: { write: (chunk: string | Uint8Array) => stderr.push(String(chunk)) } as never,
  });
  if (result.error !== null || binary === undefined) throw new Error(`asc ${basename(path)} failed: ${result.error?.message ?? "no output"}\n${stderr.join("")}`);
  return binary;
}

async function compileWat(path: string): Promise<Uint8Array> {
  const binaryen = (await import("binaryen")).default;
  const module = binaryen.parseText(await readFile(path, "utf8"));
  try {
    module.setFeatures(binaryen.Features.MutableGlobals | binaryen.Features.BulkMemory | binaryen.Features.SignExt);
    if (!module.validate()) throw new Error(`${basename(path)} does not validate`);
    return module.emitBinary();
  } finally {
    module.dispose();
  }
}

async function main(): Promise<void> {
  const check = process.argv.includes("--check");
  const built = await buildExamples();
  let drift = 0;
  for (const [name, bytes] of built) {
    const path = join(EXAMPLES_BUILD_DIR, `${name}.wasm`);
    if (check) {
      const committed = await readFile(path).catch(() => undefined);
      if (committed === undefined || Buffer.compare(committed, bytes) !== 0) {
        console.error(`drift: ${path} differs from its source (run node --import tsx scripts/compute-examples.ts)`);
        drift++;
      }
    } else {
      await writeFile(path, bytes);
      console.log(`${path} ${bytes.length} bytes`);
    }
  }
  if (drift > 0) process.exitCode = 1;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await main();
