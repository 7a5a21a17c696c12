// An infinite loop: the gas runs out (OUT_OF_GAS), never the wall clock.
// biome-ignore lint/correctness/noUnusedVariables: a global the loop writes, so the optimiser keeps the loop
let counter: i32 = 0;

export function run(): i32 {
  while (true) counter++;
  // biome-ignore lint/correctness/noUnreachable: AssemblyScript wants a return after an endless loop
  return 0;
}
