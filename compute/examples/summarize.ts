// Summarize the inputs (e.g. a month of journal entries): per input its bytes and lines, and the totals, as JSON.
import { inputCount, readInput, writeString } from "../sdk/index";

export function run(): i32 {
  const n = inputCount();
  let bytes: i64 = 0;
  let lines: i64 = 0;
  let parts = "";
  for (let i = 0; i < n; i++) {
    const input = readInput(i);
    let inputLines: i64 = input.length > 0 ? 1 : 0;
    for (let j = 0; j < input.length; j++) if (input[j] === 10 && j + 1 < input.length) inputLines++;
    bytes += input.length;
    lines += inputLines;
    parts += `${i > 0 ? "," : ""}{"bytes":${input.length.toString()},"lines":${inputLines.toString()}}`;
  }
  writeString(`{"inputs":${n.toString()},"bytes":${bytes.toString()},"lines":${lines.toString()},"each":[${parts}]}`);
  return 0;
}
