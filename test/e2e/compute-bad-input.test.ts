/**
 * The compute bad-input suite against a live node (issue 14 "Limits and bad input"): a module that is not
 * WebAssembly, uses a forbidden feature or import; an infinite loop, a memory bomb, a stack overflow, a huge
 * output, a wall-clock overrun, a function that throws; a deploy over the size limit; the per-space quotas.
 * Each is a clear 4xx `CODE: message`, a failed execution stores nothing and logs nothing, and the node
 * stays healthy (a trivial function still runs right after).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import binaryen from "binaryen";
import { TinyCloudHttpError, type TinyCloudSession } from "../../node/client/client.js";
import { HUGE_OUTPUT, MEMORY_BOMB, padded, RECURSE, SHOUT, SIMD, SPIN, THROWS, WASI_IMPORT, wat } from "../helpers/compute-modules.js";
import { computeOwner } from "../helpers/compute-session.js";
import { assertHealthy, clientWallet } from "../helpers/http-answer.js";
import { startTestNode, type TestNode } from "../helpers/node.js";

async function refused(promise: Promise<unknown>, status: number, codes: string | readonly string[]): Promise<TinyCloudHttpError> {
  let caught: TinyCloudHttpError | undefined;
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof TinyCloudHttpError, String(error));
    assert.equal(error.status, status, error.message);
    assert.ok((typeof codes === "string" ? [codes] : codes).includes(error.code), error.message);
    assert.ok(error.message.length > error.code.length + 10, "the error says what happened");
    caught = error;
    return true;
  });
  return caught as TinyCloudHttpError;
}

describe("compute bad input", () => {
  let node: TestNode;
  let owner: TinyCloudSession;

  /** The node is healthy and still computes. */
  async function stillWorks(): Promise<void> {
    await assertHealthy(node.url);
    assert.equal((await owner.compute.execute("shout", { inputs: ["in/text"] })).text(), "HELLO");
  }

  /** A failed execution with an output key stores nothing and logs nothing. */
  async function failsCleanly(name: string, module: Uint8Array, status: number, codes: string | readonly string[], gas?: string): Promise<void> {
    await owner.compute.deploy(name, module);
    const logged = (await owner.compute.executions()).executions.length;
    await refused(owner.compute.execute(name, { inputs: ["in/text"], output: `out/${name}`, ...(gas !== undefined ? { gas } : {}) }), status, codes);
    assert.equal(await owner.kv.get(`out/${name}`), undefined, "a failed execution changes no state");
    assert.equal((await owner.compute.executions()).executions.length, logged, "and is not logged");
    await stillWorks();
  }

  before(async () => {
    node = await startTestNode({ computeMaxModuleBytes: 64 * 1024, computeMaxOutputBytes: 64 * 1024, computeWallClockMs: 1_000, computeMaxGas: 1_000_000_000_000n });
    owner = await computeOwner(node.url, clientWallet(0xb1));
    await owner.kv.put("in/text", "hello");
    await owner.compute.deploy("shout", wat(SHOUT));
  });
  after(() => node.stop());

  test("not WebAssembly → 400 WASM_INVALID", async () => {
    await refused(owner.compute.deploy("junk", new TextEncoder().encode("definitely not wasm")), 400, "WASM_INVALID");
    await refused(owner.compute.deploy("empty", new Uint8Array(0)), 400, "WASM_INVALID");
    await refused(owner.compute.execute("junk", {}), 404, "COMPUTE_FUNCTION_NOT_FOUND");
    await stillWorks();
  });

  test("a forbidden import (WASI) → 400 WASM_IMPORT_FORBIDDEN; a forbidden feature (SIMD) → 400", async () => {
    await refused(owner.compute.deploy("wasi", wat(WASI_IMPORT)), 400, "WASM_IMPORT_FORBIDDEN");
    await refused(owner.compute.deploy("simd", wat(SIMD, binaryen.Features.All)), 400, ["WASM_FEATURE_FORBIDDEN", "WASM_INVALID"]);
    await stillWorks();
  });

  test("an infinite loop → 422 COMPUTE_OUT_OF_GAS", async () => {
    await failsCleanly("spin", wat(SPIN), 422, "COMPUTE_OUT_OF_GAS", "50000000");
  });

  test("a memory bomb → 422 (the memory cap holds)", async () => {
    await failsCleanly("bomb", wat(MEMORY_BOMB), 422, ["COMPUTE_MEMORY_LIMIT", "COMPUTE_TRAP"]);
  });

  test("a stack overflow → 422 COMPUTE_CALL_DEPTH", async () => {
    await failsCleanly("recurse", wat(RECURSE), 422, "COMPUTE_CALL_DEPTH");
  });

  test("a huge output → 413 COMPUTE_OUTPUT_TOO_LARGE", async () => {
    await failsCleanly("huge", wat(HUGE_OUTPUT), 413, "COMPUTE_OUTPUT_TOO_LARGE");
  });

  test("a wall-clock overrun (gas enough for minutes) → 422 COMPUTE_WALL_CLOCK, the worker is replaced", async () => {
    const started = Date.now();
    await failsCleanly("slow", wat(SPIN), 422, "COMPUTE_WALL_CLOCK", "900000000000");
    assert.ok(Date.now() - started < 30_000);
  });

  test("a function that throws → 422 COMPUTE_TRAP", async () => {
    await failsCleanly("throws", wat(THROWS), 422, "COMPUTE_TRAP");
  });

  test("a deploy over the size limit → 413 COMPUTE_MODULE_TOO_LARGE", async () => {
    await refused(owner.compute.deploy("big", padded(70 * 1024, "big")), 413, "COMPUTE_MODULE_TOO_LARGE");
    await refused(owner.compute.execute("big", {}), 404, "COMPUTE_FUNCTION_NOT_FOUND");
    await stillWorks();
  });
});

describe("compute quotas", () => {
  let node: TestNode;
  let owner: TinyCloudSession;

  before(async () => {
    node = await startTestNode({ computeSpaceModuleBytes: 100_000, computeSpaceGasPerPeriod: 3_000_000_000n });
    owner = await computeOwner(node.url, clientWallet(0xb2));
    await owner.kv.put("in/text", "hello");
  });
  after(() => node.stop());

  test("deployed bytes per space → 429 COMPUTE_DEPLOY_QUOTA once the space's modules pass the quota", async () => {
    await owner.compute.deploy("a", padded(30_000, "a"));
    let refusal: TinyCloudHttpError | undefined;
    for (const tag of ["b", "c", "d"]) {
      try {
        await owner.compute.deploy(tag, padded(30_000, tag));
      } catch (error) {
        refusal = error as TinyCloudHttpError;
        break;
      }
    }
    assert.ok(refusal instanceof TinyCloudHttpError, "a deploy past the quota is refused");
    assert.equal(refusal.status, 429);
    assert.equal(refusal.code, "COMPUTE_DEPLOY_QUOTA");
    // The same module again adds nothing: it is stored once.
    await owner.compute.deploy("a-again", padded(30_000, "a"));
    await assertHealthy(node.url);
  });

  test("gas per period per space → 429 COMPUTE_GAS_QUOTA with Retry-After (failed executions count)", async () => {
    await owner.compute.deploy("spin", wat(SPIN));
    await refused(owner.compute.execute("spin", { gas: "2000000000" }), 422, "COMPUTE_OUT_OF_GAS");
    const answer = await fetch(`${node.url}/invoke`, {
      method: "POST",
      headers: {
        authorization: owner.invocation([(await import("../../core/capability.js")).makeCapability(owner.resource("compute", "spin"), "tinycloud.compute/execute")]),
        "content-type": "application/json",
      },
      body: JSON.stringify({ gas: "2000000000" }),
    });
    assert.equal(answer.status, 429);
    assert.match(await answer.text(), /^COMPUTE_GAS_QUOTA: /);
    assert.ok(Number(answer.headers.get("retry-after")) > 0);
    await assertHealthy(node.url);
  });
});
