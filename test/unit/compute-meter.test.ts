/**
 * The metering pass (node/compute/meter.ts), one rule per test. Each rule's test also runs the pass with
 * that rule switched off (meterModuleWith) and shows the difference, so a test that passes without its
 * rule cannot hide: with loop charging off a root-level `(loop (br 0))` spins until the watchdog, with
 * the depth limit off recursion 1,500 deep succeeds, and so on.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { COMPUTE_ABI, METER_PASS, METER_TOOL_VERSION } from "../../core/compute/abi.js";
import { functionCid } from "../../core/compute/cid.js";
import { isComputeError } from "../../core/compute/errors.js";
import { executeInstance } from "../../node/compute/instance.js";
import { type MeterRules, meterModule, meterModuleWith } from "../../node/compute/meter.js";
import { ComputeRuntime } from "../../node/compute/runtime.js";
import { FEATURE, request, wat } from "../helpers/compute.js";

const ALL: MeterRules = { loopGas: true, entryGas: true, bulkGas: true, depth: true, memoryCap: true, nan: true, stripStart: true, optimize: true };
const without = (rule: keyof MeterRules): MeterRules => ({ ...ALL, [rule]: false });

async function runIn(bytes: Uint8Array, rules: MeterRules = ALL, inputs: readonly Uint8Array[] = [], options: { memoryPagesMax?: number } = {}) {
  const { metered } = await meterModuleWith(bytes, options, rules);
  return executeInstance(new WebAssembly.Module(metered as Uint8Array<ArrayBuffer>), request(inputs), 1 << 20);
}

const OUT = `(import "tc" "output_write" (func $out (param i32 i32) (result i32)))`;
/** run() writes the i64 that `body` leaves on the stack as 8 output bytes. */
const writesI64 = (body: string, extra = "") => `(module ${OUT} (memory 1) ${extra}
  (func (export "run") (result i32) (i64.store (i32.const 0) ${body}) (drop (call $out (i32.const 0) (i32.const 8))) (i32.const 0)))`;
const i64Out = (outcome: Awaited<ReturnType<typeof runIn>>): bigint => {
  assert.ok(
    outcome.ok,
    JSON.stringify(outcome, (_, v) => (typeof v === "bigint" ? `${v}` : v)),
  );
  return new DataView(outcome.output.buffer, outcome.output.byteOffset).getBigUint64(0, true);
};

describe("metering pass", () => {
  const runtime = new ComputeRuntime({ workers: 1, wallClockMs: 1_500, maxOutputBytes: 1024, maxQueue: 4 });
  after(() => runtime.close());

  test("rule: a loop that is a function's root is charged per iteration (off: it spins until the watchdog)", async () => {
    const spin = wat(`(module (memory 1) (func $spin (loop $l (br $l))) (func (export "run") (result i32) (call $spin) (i32.const 0)))`);
    for (const [rules, reason] of [
      [ALL, "OUT_OF_GAS"],
      [without("loopGas"), "WALL_CLOCK"],
    ] as const) {
      const { metered } = await meterModuleWith(spin, {}, rules);
      const outcome = await runtime.execute({ metered, meteredCid: functionCid(metered), ...request([], 50_000_000n) });
      assert.equal(outcome.ok ? "ok" : outcome.reason, reason);
    }
  });

  test("rule: a loop nested directly in a loop's body is charged too", async () => {
    const nested = wat(`(module (memory 1) (func (export "run") (result i32) (loop $outer (loop $inner (br $inner))) (i32.const 0)))`);
    const outcome = await runIn(nested);
    assert.equal(outcome.ok ? "ok" : outcome.reason, "OUT_OF_GAS");
    assert.equal(outcome.gasUsed, request().gasLimit);
  });

  test("rule: function entries are charged their static cost (off: straight-line code is free)", async () => {
    const straight = wat(writesI64(`(call $work)`, `(func $work (result i64) (i64.add (i64.const 1) (i64.mul (i64.const 2) (i64.const 3))))`));
    const on = await runIn(straight);
    const off = await runIn(straight, without("entryGas"));
    assert.ok(on.ok && off.ok);
    assert.ok(on.gasUsed > off.gasUsed, `${on.gasUsed} > ${off.gasUsed}`);
    // Only the host call remains without entry charges.
    assert.equal(off.gasUsed, 10n);
  });

  test("rule: memory.fill and memory.copy are charged by length (off: one node each)", async () => {
    const bulk = wat(`(module (memory 64) (func (export "run") (result i32)
      (memory.fill (i32.const 0) (i32.const 7) (i32.const 2097152)) (memory.copy (i32.const 2097152) (i32.const 0) (i32.const 1048576)) (i32.const 1)))`);
    const on = await runIn(bulk);
    const off = await runIn(bulk, without("bulkGas"));
    assert.ok(on.ok && off.ok && on.status === 1);
    assert.ok(on.gasUsed >= (2_097_152n + 1_048_576n) / 64n, `${on.gasUsed}`);
    assert.ok(off.gasUsed < 100n, `${off.gasUsed}`);
  });

  test("rule: memory.grow is charged per page and capped (off: a module without a maximum grows past the cap)", async () => {
    const grow = wat(writesI64(`(i64.extend_i32_s (memory.grow (i32.const 10)))`));
    assert.equal(i64Out(await runIn(grow, ALL, [], { memoryPagesMax: 4 })), 2n ** 64n - 1n, "grow refused at the cap: -1");
    assert.equal(i64Out(await runIn(grow, without("memoryCap"), [], { memoryPagesMax: 4 })), 1n, "grow allowed: the old size");
    const outcome = await runIn(grow, ALL, [], { memoryPagesMax: 16 });
    assert.ok(outcome.ok && outcome.gasUsed >= 10n * 1024n);
    await assert.rejects(meterModule(wat(`(module (memory 8) (func (export "run") (result i32) (i32.const 0)))`), { memoryPagesMax: 4 }), (e) => isComputeError(e, "WASM_MEMORY_FORBIDDEN"));
  });

  test("rule: a refused grow followed by a trap is MEMORY_LIMIT", async () => {
    const bomb = wat(`(module (memory 1) (func (export "run") (result i32) (loop $l (br_if $l (i32.ne (memory.grow (i32.const 1)) (i32.const -1)))) (unreachable)))`);
    const outcome = await runIn(bomb, ALL, [], { memoryPagesMax: 8 });
    assert.equal(outcome.ok ? "ok" : outcome.reason, "MEMORY_LIMIT");
  });

  test("rule: call depth is limited to the same 1,000 frames everywhere (off: 1,500 deep succeeds)", async () => {
    const rec = (n: number) =>
      wat(`(module ${OUT} (memory 1) (func $r (param i32) (result i32) (if (result i32) (local.get 0) (then (i32.add (i32.const 1) (call $r (i32.sub (local.get 0) (i32.const 1))))) (else (i32.const 0))))
      (func (export "run") (result i32) (i32.store (i32.const 0) (call $r (i32.const ${n}))) (drop (call $out (i32.const 0) (i32.const 4))) (i32.const 0)))`);
    assert.ok((await runIn(rec(990))).ok, "990 frames + run fit");
    const deep = await runIn(rec(1_500));
    assert.equal(deep.ok ? "ok" : deep.reason, "CALL_DEPTH");
    assert.ok((await runIn(rec(1_500), without("depth"))).ok);
  });

  test("rule: float results that are NaN are canonical, f64 and f32 (off: V8's sign-set default NaN leaks)", async () => {
    const nan = wat(`(module ${OUT} (import "tc" "input_count" (func $count (result i32))) (memory 1)
      (func (export "run") (result i32)
        (f64.store (i32.const 0) (f64.sqrt (f64.convert_i32_s (i32.sub (i32.const -1) (call $count)))))
        (f32.store (i32.const 8) (f32.div (f32.convert_i32_s (call $count)) (f32.convert_i32_s (call $count))))
        (drop (call $out (i32.const 0) (i32.const 12))) (i32.const 0)))`);
    const bits = (o: Awaited<ReturnType<typeof runIn>>) => {
      assert.ok(o.ok);
      const view = new DataView(o.output.buffer, o.output.byteOffset);
      return [view.getBigUint64(0, true).toString(16), view.getUint32(8, true).toString(16)];
    };
    assert.deepEqual(bits(await runIn(nan)), ["7ff8000000000000", "7fc00000"]);
    if (process.arch === "x64") assert.deepEqual(bits(await runIn(nan, without("nan"))), ["fff8000000000000", "ffc00000"]);
  });

  test("rule: start runs after the gas budget is set (off: it runs at instantiation with no gas)", async () => {
    const withStart = wat(writesI64(`(global.get $g)`, `(global $g (mut i64) (i64.const 0)) (func $init (global.set $g (i64.const 42))) (start $init)`));
    assert.equal(i64Out(await runIn(withStart)), 42n);
    assert.equal((await runIn(withStart, without("stripStart"))).ok, false);
  });

  test("rule: host reads are charged by length", async () => {
    const reader = wat(`(module (import "tc" "input_read" (func $read (param i32 i32 i32) (result i32))) ${OUT} (memory 2)
      (func (export "run") (result i32) (drop (call $read (i32.const 0) (i32.const 0) (i32.const 65536))) (drop (call $out (i32.const 0) (i32.const 0))) (i32.const 1)))`);
    const small = await runIn(reader, ALL, [new Uint8Array(16)]);
    const large = await runIn(reader, ALL, [new Uint8Array(65_536)]);
    assert.equal(large.gasUsed - small.gasUsed, (65_536n - 16n) / 16n);
  });

  test("default: gas is exact and repeatable, and the meter info pins tool, pass, costs and limits", async () => {
    const sum = wat(`(module (import "tc" "input_len" (func $len (param i32) (result i32))) (memory 1)
      (func (export "run") (result i32) (local $i i32) (local $n i32) (local.set $n (call $len (i32.const 0)))
        (block $d (loop $l (br_if $d (i32.ge_u (local.get $i) (local.get $n))) (local.set $i (i32.add (local.get $i) (i32.const 1))) (br $l))) (i32.const 3)))`);
    const { metered, meter } = await meterModule(sum, { memoryPagesMax: 32, callDepthMax: 500 });
    assert.deepEqual(
      { version: meter.version, pass: meter.pass, pages: meter.memory_pages_max, depth: meter.call_depth_max },
      { version: METER_TOOL_VERSION, pass: METER_PASS, pages: 32, depth: 500 },
    );
    assert.equal(COMPUTE_ABI, "tc:compute/abi@1");
    const module = new WebAssembly.Module(metered as Uint8Array<ArrayBuffer>);
    const gas = (n: number) => executeInstance(module, request([new Uint8Array(n)]), 64).gasUsed;
    assert.equal(gas(100), gas(100));
    const perIteration = gas(101) - gas(100);
    assert.ok(perIteration > 0n);
    assert.equal(gas(200) - gas(100), 100n * perIteration, "linear in the loop count");
    assert.deepEqual((await meterModule(sum, { memoryPagesMax: 32, callDepthMax: 500 })).metered, metered, "the pass is deterministic");
  });

  describe("refused at deploy", () => {
    const refused = async (bytes: Uint8Array, code: string, message?: RegExp) =>
      assert.rejects(meterModule(bytes), (e: unknown) => isComputeError(e) && e.code === code && (message === undefined || message.test(e.message)));
    const ok = `(func (export "run") (result i32) (i32.const 0))`;

    test("error: not WebAssembly → WASM_INVALID", () => refused(new TextEncoder().encode("#!/bin/sh"), "WASM_INVALID"));
    test("error: SIMD → WASM_FEATURE_FORBIDDEN", () =>
      refused(wat(`(module (memory 1) (func (export "run") (result i32) (drop (v128.const i32x4 0 0 0 0)) (i32.const 0)))`, FEATURE.SIMD128), "WASM_FEATURE_FORBIDDEN"));
    test("error: atomics → WASM_FEATURE_FORBIDDEN", () =>
      refused(wat(`(module (memory 1) (func (export "run") (result i32) (i32.atomic.load (i32.const 0))))`, FEATURE.Atomics), "WASM_FEATURE_FORBIDDEN"));
    test("error: a shared memory → WASM_MEMORY_FORBIDDEN", () => refused(wat(`(module (memory 1 1 shared) ${ok})`, FEATURE.Atomics), "WASM_MEMORY_FORBIDDEN", /shared/));
    test("error: an imported memory → WASM_MEMORY_FORBIDDEN", () => refused(wat(`(module (import "env" "memory" (memory 1)) ${ok})`), "WASM_MEMORY_FORBIDDEN", /imported/));
    test("error: no memory → WASM_MEMORY_FORBIDDEN", () => refused(wat(`(module ${ok})`), "WASM_MEMORY_FORBIDDEN"));
    test("error: an import outside the ABI → WASM_IMPORT_FORBIDDEN", () =>
      refused(wat(`(module (import "wasi_snapshot_preview1" "random_get" (func (param i32 i32) (result i32))) (memory 1) ${ok})`), "WASM_IMPORT_FORBIDDEN", /random_get/));
    test("default: an import outside the ABI passes only when the caller allows it (extraImports, for host engines)", async () => {
      const bytes = wat(`(module (import "wbg" "x" (func (param i32))) (memory 1) ${ok})`);
      await refused(bytes, "WASM_IMPORT_FORBIDDEN");
      assert.ok((await meterModule(bytes, { extraImports: ["wbg.x"] })).metered.length > 0);
    });
    test("error: an ABI import with the wrong type → WASM_IMPORT_FORBIDDEN", () =>
      refused(wat(`(module (import "tc" "time_ms" (func (result i32))) (memory 1) ${ok})`), "WASM_IMPORT_FORBIDDEN", /time_ms/));
    test("error: an imported global → WASM_IMPORT_FORBIDDEN", () => refused(wat(`(module (import "tc" "g" (global i32)) (memory 1) ${ok})`), "WASM_IMPORT_FORBIDDEN"));
    test("error: no run, or run of the wrong type → WASM_NO_RUN_EXPORT", async () => {
      await refused(wat(`(module (memory 1) (func (export "main") (result i32) (i32.const 0)))`), "WASM_NO_RUN_EXPORT");
      await refused(wat(`(module (memory 1) (func (export "run") (param i32) (result i32) (i32.const 0)))`), "WASM_NO_RUN_EXPORT");
    });
    test("error: an instruction the walker does not know (table.fill) → WASM_UNSUPPORTED_INSTRUCTION", () =>
      refused(
        wat(`(module (memory 1) (table 1 funcref) (func (export "run") (result i32) (table.fill 0 (i32.const 0) (ref.null func) (i32.const 1)) (i32.const 0)))`),
        "WASM_UNSUPPORTED_INSTRUCTION",
      ));
    test("error: a reserved export name → WASM_INVALID", () => refused(wat(`(module (memory 1) (global (export "__gas") i32 (i32.const 0)) ${ok})`), "WASM_INVALID", /reserved/));
  });
});
