// The only clock and randomness a function has: the invocation's signed time and its seed, as JSON.
import { seedBytes, timeMs, writeString } from "../sdk/index";

export function run(): i32 {
  const seed = seedBytes();
  let hex = "";
  for (let i = 0; i < seed.length; i++) hex += `${seed[i] < 16 ? "0" : ""}${seed[i].toString(16)}`;
  writeString(`{"time_ms":${timeMs().toString()},"seed":"${hex}"}`);
  return 0;
}
