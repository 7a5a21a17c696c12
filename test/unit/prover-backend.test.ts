/**
 * Which prover backends can be selected (prover/backends/backend.ts builtinBackendName): groth16 only.
 * The RISC Zero and SP1 adapters were removed (their public signals never passed the batch prover's
 * check, there was no guest program and no IBatchVerifier contract); naming them fails with a typed
 * error that says when they come back, both in code and on the `tinycloud prover` command line.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { builtinBackendName, ProverError } from "../../prover/backends/backend.js";

const NODE_BIN = fileURLToPath(new URL("../../node_modules/.bin/node", import.meta.url));
const CLI = fileURLToPath(new URL("../../bin/tinycloud.js", import.meta.url));

function isProverError(code: string, pattern: RegExp) {
  return (e: unknown) => e instanceof ProverError && e.code === code && pattern.test(e.message);
}

describe("prover backend names", () => {
  test("groth16 is the built-in backend", () => {
    assert.equal(builtinBackendName("groth16"), "groth16");
  });

  test("risc0 and sp1 → PROVER_BACKEND_NOT_WIRED, pointing at the verifiable-compute issue", () => {
    for (const name of ["risc0", "sp1"]) {
      assert.throws(() => builtinBackendName(name), isProverError("PROVER_BACKEND_NOT_WIRED", /zkVM proofs .* return with the verifiable-compute issue/));
    }
  });

  test("an unknown name → PROVER_BACKEND_UNAVAILABLE", () => {
    assert.throws(() => builtinBackendName("plonk"), isProverError("PROVER_BACKEND_UNAVAILABLE", /unknown backend "plonk"/));
  });

  test("`tinycloud prover --backend risc0` exits 2 with the code and message, no stack trace", () => {
    const run = spawnSync(NODE_BIN, [CLI, "prover", "--redis", "redis://127.0.0.1:1", "--backend", "risc0"], { encoding: "utf8", timeout: 60_000 });
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, /^error PROVER_BACKEND_NOT_WIRED: the risc0 backend is not wired/m);
    assert.doesNotMatch(run.stderr, /\n\s+at /);
  });
});
