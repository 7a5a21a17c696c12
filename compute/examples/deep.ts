// Unbounded recursion: the call-depth limit stops it (CALL_DEPTH), the same way on every engine.
import { inputCount } from "../sdk/index";

function depth(n: i32): i32 {
  return n === 0 ? 0 : 1 + depth(n - 1);
}

export function run(): i32 {
  // The input count keeps the optimiser from folding the recursion away.
  return depth(1_000_000 + inputCount());
}
