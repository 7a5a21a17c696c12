/**
 * Review of issue 14: a deploy cannot stall the node, and bad input is never a 500. Metering ran ON the
 * request thread: a 600 KB module of 100,000 empty functions (under the 4 MiB deploy limit) metered for
 * ~50 s with no request answered meanwhile (and loading binaryen, at the first deploy, blocked ~10 s under
 * load); a 40 KB module of 20,000 nested blocks overflowed the stack into a 500. Metering now runs in a
 * worker thread under a deadline: the node keeps answering, and both deploys are 400 WASM_TOO_COMPLEX.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { TinyCloudHttpError, type TinyCloudSession } from "../../node/client/client.js";
import { computeOwner } from "../helpers/compute-session.js";
import { assertHealthy, clientWallet } from "../helpers/http-answer.js";
import { startTestNode, type TestNode } from "../helpers/node.js";
import { SHOUT, wat } from "../helpers/compute-modules.js";

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** A valid module of `count` functions `() -> i32`; the first (exported as `run`) nests `depth` empty blocks. */
function module(depth: number, count: number): Uint8Array<ArrayBuffer> {
  const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];
  const bodies: number[] = [];
  for (let f = 0; f < count; f++) {
    const d = f === 0 ? depth : 0;
    const code = [0, ...Array.from({ length: d }, () => [0x02, 0x40]).flat(), ...Array<number>(d).fill(0x0b), 0x41, 0, 0x0b];
    bodies.push(...leb(code.length), ...code);
  }
  return new Uint8Array([
    ...[0, 0x61, 0x73, 0x6d, 1, 0, 0, 0],
    ...section(1, [1, 0x60, 0, 1, 0x7f]),
    ...section(3, [...leb(count), ...Array<number>(count).fill(0)]),
    ...section(5, [1, 0, 1]),
    ...section(7, [1, 3, 0x72, 0x75, 0x6e, 0, 0]),
    ...section(10, [...leb(count), ...bodies]),
  ]);
}

async function refusedTooComplex(deploy: Promise<unknown>): Promise<void> {
  const error = await deploy.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof TinyCloudHttpError, `refused, got ${String(error)}`);
  assert.equal(error.status, 400, error.message);
  assert.equal(error.code, "WASM_TOO_COMPLEX");
}

describe("review: deploy-time metering DoS", () => {
  let node: TestNode;
  let owner: TinyCloudSession;

  before(async () => {
    node = await startTestNode({ computeMeterTimeoutMs: 4_000 });
    owner = await computeOwner(node.url, clientWallet(0xc9));
  });
  after(() => node.stop());

  test("20,000 nested blocks: 400 WASM_TOO_COMPLEX, not a 500", async () => {
    const deep = module(20_000, 1);
    assert.ok(WebAssembly.validate(deep));
    await refusedTooComplex(owner.compute.deploy("deep", deep));
    await assertHealthy(node.url);
  });

  test("100,000 functions: the node answers while it meters, and the deploy is 400 WASM_TOO_COMPLEX at the deadline", async () => {
    const many = module(0, 100_000);
    assert.ok(WebAssembly.validate(many) && many.length < 1024 * 1024);
    const deploy = refusedTooComplex(owner.compute.deploy("many", many));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      await assertHealthy(node.url);
      const waited = performance.now() - started;
      assert.ok(waited < 1_500, `GET /healthz took ${waited.toFixed(0)} ms while a deploy metered`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await deploy;
    // An ordinary module still deploys after the refusal (a fresh metering worker).
    await owner.compute.deploy("shout", wat(SHOUT));
  });
});
