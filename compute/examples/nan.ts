// NaN bits: sqrt(-1) and 0/0 computed at run time (f64 and f32). V8 on x86-64 makes 0xfff8…; the metered
// module writes the canonical 0x7ff8… / 0x7fc0… on every host.
import { inputCount, writeOutput } from "../sdk/index";

export function run(): i32 {
  const minusOne = <f64>(-1 - inputCount());
  const zero = <f64>inputCount();
  const out = new Uint8Array(24);
  const view = new DataView(out.buffer);
  view.setUint64(0, reinterpret<u64>(Math.sqrt(minusOne)), true);
  view.setUint64(8, reinterpret<u64>(zero / zero), true);
  view.setUint32(16, reinterpret<u32>(Mathf.sqrt(<f32>minusOne)), true);
  view.setUint32(20, reinterpret<u32>(<f32>zero / <f32>zero), true);
  writeOutput(out);
  return 0;
}
