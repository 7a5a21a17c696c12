// Writes a 4 MiB output: over the node's output cap (OUTPUT_TOO_LARGE).
import { writeOutput } from "../sdk/index";

export function run(): i32 {
  writeOutput(new Uint8Array(4 << 20));
  return 0;
}
