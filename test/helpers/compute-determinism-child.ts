/**
 * Child process of the determinism test (test/unit/compute-runtime.test.ts): meters example functions and
 * executes them in a fresh ComputeRuntime, and prints one JSON line of metered CIDs, outputs and gas.
 */
import { functionCid } from "../../core/compute/cid.js";
import { meterModule } from "../../node/compute/meter.js";
import { ComputeRuntime } from "../../node/compute/runtime.js";
import { example, request } from "./compute.js";

const runtime = new ComputeRuntime({ workers: 2, wallClockMs: 20_000, maxOutputBytes: 1 << 20, maxQueue: 16 });
const cases: [string, string[]][] = [
  ["summarize", ["dear diary\nsunny\n", "rain", ""]],
  ["clock", []],
  ["nan", []],
  ["sum", ["abc"]],
  ["spin", []],
];
const results: Record<string, unknown> = {};
for (const [name, inputs] of cases) {
  const { metered } = await meterModule(example(name));
  const outcome = await runtime.execute({ metered, meteredCid: functionCid(metered), ...request(inputs, 10_000_000n) });
  results[name] = {
    metered: functionCid(metered),
    ok: outcome.ok,
    gas: outcome.gasUsed.toString(),
    out: outcome.ok ? Buffer.from(outcome.output).toString("hex") : outcome.reason,
  };
}
await runtime.close();
console.log(JSON.stringify(results));
