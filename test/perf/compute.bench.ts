/**
 * Issue 14 benchmarks of the compute runtime (the HTTP executions/s and policy decisions/s figures are the
 * service's and the policy engine's, added next to these):
 *   1. metering overhead: a tight byte loop over 8 MiB, metered vs the same module unmetered (target ≤ 1.5×);
 *   2. executions/s of a trivial function in-process: raw `WebAssembly.Instance` + call, the metered module
 *      through executeInstance (fresh instance, host ABI, gas), and through the worker pool;
 *   3. deploy (metering) time of a 1 MB module.
 */
import { functionCid } from "../../core/compute/cid.js";
import { executeInstance } from "../../node/compute/instance.js";
import { loadBinaryen, meterModule } from "../../node/compute/meter.js";
import { ComputeRuntime } from "../../node/compute/runtime.js";
import { example, request, wat } from "../helpers/compute.js";
import { fmt, measure, printTable } from "./harness.js";

const LOOP_BYTES = 8 << 20;

/** run(): the byte sum of the first input_len(0) bytes of memory (the loop the research note measured). */
const TIGHT_LOOP = `(module
  (import "tc" "input_len" (func $len (param i32) (result i32)))
  (import "tc" "output_write" (func $out (param i32 i32) (result i32)))
  (memory (export "memory") 130 130)
  (func (export "run") (result i32) (local $i i32) (local $n i32) (local $s i32)
    (local.set $n (call $len (i32.const 0)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $s (i32.add (local.get $s) (i32.load8_u offset=16 (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (i32.store (i32.const 0) (local.get $s))
    (drop (call $out (i32.const 0) (i32.const 4)))
    (i32.const 0)))`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

async function loopOverhead(): Promise<string[][]> {
  const plainBytes = wat(TIGHT_LOOP);
  const { metered } = await meterModule(plainBytes);
  const imports = { tc: { input_len: () => LOOP_BYTES, output_write: (_p: number, l: number) => l } };
  const plain = new WebAssembly.Instance(new WebAssembly.Module(plainBytes as Uint8Array<ArrayBuffer>), imports).exports as { run(): number };
  const meteredExports = new WebAssembly.Instance(new WebAssembly.Module(metered as Uint8Array<ArrayBuffer>), imports).exports as { run(): number; __gas: WebAssembly.Global<"i64"> };
  // Interleaved, and the fastest of 15 each: on a shared machine the minimum is the least disturbed run.
  const samples = { plain: [] as number[], metered: [] as number[] };
  const time = (fn: () => void): number => {
    const t = performance.now();
    fn();
    return performance.now() - t;
  };
  let gas = 0n;
  for (let i = 0; i < 15; i++) {
    samples.plain.push(time(() => plain.run()));
    samples.metered.push(
      time(() => {
        meteredExports.__gas.value = 10n ** 15n;
        meteredExports.run();
        gas = 10n ** 15n - meteredExports.__gas.value;
      }),
    );
  }
  const plainMs = Math.min(...samples.plain);
  const meteredMs = Math.min(...samples.metered);
  return [
    ["tight loop over 8 MiB", "ms (best of 15)", "gas", "ratio (target ≤ 1.5×)"],
    ["unmetered", fmt(plainMs, 2), "—", "1.00×"],
    ["metered (tc-meter@1)", fmt(meteredMs, 2), `${fmt(Number(gas))} (${fmt(Number(gas) / LOOP_BYTES, 1)}/byte)`, `${fmt(meteredMs / plainMs, 2)}×`],
  ];
}

async function executions(): Promise<string[][]> {
  const plainBytes = example("sum");
  const { metered } = await meterModule(plainBytes);
  const plainModule = new WebAssembly.Module(plainBytes as Uint8Array<ArrayBuffer>);
  const meteredModule = new WebAssembly.Module(metered as Uint8Array<ArrayBuffer>);
  const input = new Uint8Array(16).fill(1);
  const raw = await measure("raw", () => {
    let memory: WebAssembly.Memory | undefined;
    const instance = new WebAssembly.Instance(plainModule, {
      tc: {
        input_len: () => input.length,
        input_read: (_i: number, ptr: number, len: number) => {
          new Uint8Array((memory as WebAssembly.Memory).buffer).set(input.subarray(0, len), ptr);
          return len;
        },
        output_write: (_p: number, l: number) => l,
      },
    });
    memory = instance.exports["memory"] as WebAssembly.Memory;
    (instance.exports["run"] as () => number)();
  });
  const metered1 = await measure("metered", () => executeInstance(meteredModule, request([input], 1_000_000n), 1024));
  const runtime = new ComputeRuntime({ workers: 2, wallClockMs: 5_000, maxOutputBytes: 1024, maxQueue: 64 });
  const cid = functionCid(metered);
  await runtime.execute({ metered, meteredCid: cid, ...request([input]) });
  const pool = await measure("pool", () => Promise.all(Array.from({ length: 8 }, () => runtime.execute({ metered, meteredCid: cid, ...request([input], 1_000_000n) }))));
  await runtime.close();
  return [
    ["trivial function (sum.wat, 16-byte input)", "executions/s"],
    ["raw WebAssembly.Instance + run(), in-process", fmt(raw.opsPerSecond)],
    ["metered, fresh instance + host ABI + gas, in-process", fmt(metered1.opsPerSecond)],
    ["metered, worker pool (2 threads, 8 in flight)", fmt(pool.opsPerSecond * 8)],
  ];
}

/** A synthetic ~1 MB module: many functions with loops, float and memory work, all reachable from run(). */
async function bigModule(): Promise<Uint8Array> {
  const funcs: string[] = [];
  const count = 3_800;
  const loop = (f: number, k: number) => `(loop $l${k} (local.set $x (i32.add (i32.mul (local.get $x) (i32.const ${f + 3 + k})) (i32.xor (local.get $i) (i32.const ${f * 7 + k}))))
        (local.set $x (i32.rotl (local.get $x) (i32.const 5))) (f64.store (i32.const 8) (f64.sqrt (f64.convert_i32_s (local.get $x))))
        (local.set $i (i32.add (local.get $i) (i32.const 1))) (br_if $l${k} (i32.lt_u (local.get $i) (i32.const ${(f % 5) + 2 + k}))))`;
  for (let f = 0; f < count; f++) {
    funcs.push(`(func $f${f} (param $x i32) (result i32) (local $i i32) ${[0, 1, 2, 3, 4].map((k) => loop(f, k)).join(" ")}
      ${f + 1 < count ? `(i32.add (call $f${f + 1} (local.get $x)) (i32.load (i32.const ${(f % 100) * 4})))` : "(local.get $x)"})`);
  }
  return wat(`(module (memory 1) ${funcs.join("\n")} (func (export "run") (result i32) (drop (call $f0 (i32.const 1))) (i32.const 0)))`);
}

async function deploy(): Promise<string[][]> {
  await loadBinaryen();
  const big = await bigModule();
  const samples: number[] = [];
  let size = 0;
  for (let i = 0; i < 1; i++) {
    const t = performance.now();
    size = (await meterModule(big)).metered.length;
    samples.push(performance.now() - t);
  }
  return [
    ["deploy (meterModule)", "input", "output", "ms"],
    ["synthetic module, 3,800 functions, 5 loops each", `${fmt(big.length / 1e6, 2)} MB`, `${fmt(size / 1e6, 2)} MB`, fmt(median(samples))],
  ];
}

export async function run(): Promise<void> {
  printTable("compute: deploy-time metering", await deploy());
  printTable(`compute: metering overhead (node ${process.version})`, await loopOverhead());
  printTable("compute: executions per second", await executions());
}
