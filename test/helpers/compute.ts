/** Compute test helpers: WAT → wasm (binaryen's text parser), the committed example binaries, one-shot requests. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import binaryen from "binaryen";
import { EXAMPLES_BUILD_DIR } from "../../scripts/compute-examples.js";

/** The features a test module may be written with (what the metering pass allows). */
const ALLOWED =
  binaryen.Features.MutableGlobals |
  binaryen.Features.NontrappingFPToInt |
  binaryen.Features.SignExt |
  binaryen.Features.BulkMemory |
  binaryen.Features.BulkMemoryOpt |
  binaryen.Features.Multivalue |
  binaryen.Features.ReferenceTypes;

/** Assemble WAT; `extra` features for modules that must be refused (SIMD, threads). */
export function wat(text: string, extra = 0): Uint8Array {
  const module = binaryen.parseText(text);
  try {
    module.setFeatures(ALLOWED | extra);
    if (!module.validate()) throw new Error("test WAT does not validate");
    return module.emitBinary();
  } finally {
    module.dispose();
  }
}

export const FEATURE = binaryen.Features;

/** A committed example binary (compute/examples/build/<name>.wasm). */
export function example(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(EXAMPLES_BUILD_DIR, `${name}.wasm`)));
}

export function request(inputs: readonly (string | Uint8Array)[] = [], gasLimit = 100_000_000n) {
  return {
    inputs: inputs.map((i) => (typeof i === "string" ? new TextEncoder().encode(i) : i)),
    gasLimit,
    timeMs: 1_765_000_000_000n,
    seed: new Uint8Array(32).map((_, i) => i),
  };
}
