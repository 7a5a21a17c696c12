/**
 * The compute runtime (node/compute/runtime.ts) on the committed example functions: each limit ends in its
 * own outcome and the pool stays usable, the watchdog stops what gas cannot, the queue is bounded, and the
 * same metered binary and request give the same output and gas in two separate processes.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { after, before, describe, test } from "node:test";
import { functionCid } from "../../core/compute/cid.js";
import { isComputeError } from "../../core/compute/errors.js";
import { type MeterRules, meterModule, meterModuleWith } from "../../node/compute/meter.js";
import { ComputeRuntime, type ExecuteOutcome } from "../../node/compute/runtime.js";
import { example, request } from "../helpers/compute.js";

const text = (o: ExecuteOutcome): string => {
  assert.ok(o.ok, `${o.ok ? "" : `${o.reason}: ${o.message}`}`);
  return new TextDecoder().decode(o.output);
};
const reason = (o: ExecuteOutcome): string => (o.ok ? `ok ${o.status}` : o.reason);

describe("compute runtime", () => {
  const runtime = new ComputeRuntime({ workers: 2, wallClockMs: 5_000, maxOutputBytes: 1 << 20, maxQueue: 8 });
  const metered = new Map<string, Uint8Array>();
  const run = async (name: string, inputs: (string | Uint8Array)[] = [], gas = 100_000_000n) => {
    const bytes = metered.get(name) ?? (await meterModule(example(name))).metered;
    metered.set(name, bytes);
    return runtime.execute({ metered: bytes, meteredCid: functionCid(bytes), ...request(inputs, gas) });
  };
  before(async () => {
    for (const name of ["summarize", "spin", "membomb", "deep", "bigout", "throws", "nan", "clock", "sum"]) metered.set(name, (await meterModule(example(name))).metered);
  });
  after(() => runtime.close());

  test("default: summarize reads its inputs and writes JSON; sum (WAT) sums bytes", async () => {
    const outcome = await run("summarize", ["dear diary\nsunny day\n", "rain", ""]);
    assert.deepEqual(JSON.parse(text(outcome)), {
      inputs: 3,
      bytes: 25,
      lines: 3,
      each: [
        { bytes: 21, lines: 2 },
        { bytes: 4, lines: 1 },
        { bytes: 0, lines: 0 },
      ],
    });
    assert.ok(outcome.gasUsed > 0n);
    const sum = await run("sum", [new Uint8Array([1, 2, 250])]);
    assert.ok(sum.ok);
    assert.equal(new DataView(sum.output.buffer, sum.output.byteOffset).getUint32(0, true), 253);
  });

  test("default: time and randomness come only from the request (clock)", async () => {
    assert.deepEqual(JSON.parse(text(await run("clock"))), { time_ms: 1_765_000_000_000, seed: Buffer.from(request().seed).toString("hex") });
  });

  test("default: NaN bits are canonical (nan)", async () => {
    const outcome = await run("nan");
    assert.ok(outcome.ok);
    const view = new DataView(outcome.output.buffer, outcome.output.byteOffset);
    assert.deepEqual(
      [view.getBigUint64(0, true), view.getBigUint64(8, true)].map((b) => b.toString(16)),
      ["7ff8000000000000", "7ff8000000000000"],
    );
    assert.deepEqual(
      [view.getUint32(16, true), view.getUint32(20, true)].map((b) => b.toString(16)),
      ["7fc00000", "7fc00000"],
    );
  });

  test("error: every limit is its own outcome, and the pool keeps serving", async () => {
    const spin = await run("spin", [], 5_000_000n);
    assert.equal(reason(spin), "OUT_OF_GAS");
    assert.equal(spin.gasUsed, 5_000_000n);
    assert.equal(reason(await run("membomb")), "MEMORY_LIMIT");
    assert.equal(reason(await run("deep")), "CALL_DEPTH");
    assert.equal(reason(await run("bigout")), "OUTPUT_TOO_LARGE");
    const thrown = await run("throws");
    assert.equal(reason(thrown), "ABORTED");
    assert.match(thrown.ok ? "" : thrown.message, /no entries for this month/);
    assert.equal(reason(await run("summarize", ["x"], 50n)), "OUT_OF_GAS");
    assert.ok((await run("summarize", ["still serving"])).ok);
  });

  test("error: a run that returns 0 without an output is NO_OUTPUT; a non-zero status is a result", async () => {
    const { wat } = await import("../helpers/compute.js");
    for (const [status, expected] of [
      [0, "NO_OUTPUT"],
      [7, "ok 7"],
    ] as const) {
      const { metered: bytes } = await meterModule(wat(`(module (memory 1) (func (export "run") (result i32) (i32.const ${status})))`));
      assert.equal(reason(await runtime.execute({ metered: bytes, meteredCid: functionCid(bytes), ...request() })), expected);
    }
  });

  test("error: the watchdog terminates what gas does not stop, and the next execution gets a fresh thread", async () => {
    const small = new ComputeRuntime({ workers: 1, wallClockMs: 400, maxOutputBytes: 1024, maxQueue: 2 });
    try {
      const rules: MeterRules = { loopGas: false, entryGas: true, bulkGas: true, depth: true, memoryCap: true, nan: true, stripStart: true, optimize: true };
      const { metered: unbounded } = await meterModuleWith(example("spin"), {}, rules);
      const started = performance.now();
      const outcome = await small.execute({ metered: unbounded, meteredCid: functionCid(unbounded), ...request([], 10n ** 15n) });
      assert.equal(reason(outcome), "WALL_CLOCK");
      assert.ok(performance.now() - started < 3_000);
      const bytes = metered.get("sum") as Uint8Array;
      assert.ok((await small.execute({ metered: bytes, meteredCid: functionCid(bytes), ...request(["a"]) })).ok);
    } finally {
      await small.close();
    }
  });

  test("error: a full queue is refused at once with COMPUTE_BUSY; a closed pool with COMPUTE_CLOSED", async () => {
    const small = new ComputeRuntime({ workers: 1, wallClockMs: 10_000, maxOutputBytes: 1024, maxQueue: 1 });
    const bytes = metered.get("spin") as Uint8Array;
    const job = () => small.execute({ metered: bytes, meteredCid: functionCid(bytes), ...request([], 20_000_000n) });
    const first = job();
    const second = job();
    await assert.rejects(job(), (e) => isComputeError(e, "COMPUTE_BUSY"));
    assert.equal(reason(await first), "OUT_OF_GAS");
    assert.equal(reason(await second), "OUT_OF_GAS");
    await small.close();
    await assert.rejects(job(), (e) => isComputeError(e, "COMPUTE_CLOSED"));
  });

  test("error: a meteredCid that is not the bytes' CID is refused (the module cache trusts it)", async () => {
    const bytes = metered.get("sum") as Uint8Array;
    await assert.rejects(runtime.execute({ metered: bytes, meteredCid: functionCid(new Uint8Array([1])), ...request() }), /not the CID/);
  });

  test("default: the same metered binary and request give the same output and gas in two processes", async () => {
    const child = fileURLToPath(new URL("../helpers/compute-determinism-child.ts", import.meta.url));
    const runChild = async () => (await promisify(execFile)(process.execPath, ["--import", "tsx", child], { timeout: 120_000 })).stdout.trim();
    const [a, b] = await Promise.all([runChild(), runChild()]);
    assert.equal(a, b);
    const parsed = JSON.parse(a) as Record<string, { ok: boolean; gas: string; out: string }>;
    assert.equal(parsed["spin"]?.out, "OUT_OF_GAS");
    assert.ok(parsed["summarize"]?.ok && parsed["clock"]?.ok && parsed["nan"]?.ok);
    // And in this process, on this pool, the same.
    const here = await run("summarize", ["dear diary\nsunny\n", "rain", ""], 10_000_000n);
    assert.equal(here.gasUsed.toString(), parsed["summarize"]?.gas);
    assert.equal(Buffer.from(here.ok ? here.output : []).toString("hex"), parsed["summarize"]?.out);
  });
});
