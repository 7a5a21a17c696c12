// Throws: AssemblyScript's abort (ABORTED), with its message.
import { inputCount } from "../sdk/index";

export function run(): i32 {
  if (inputCount() >= 0) throw new Error("summarize: no entries for this month");
  return 0;
}
