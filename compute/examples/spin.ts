// An infinite loop: the gas runs out (OUT_OF_GAS), never the wall clock.
let counter: i32 = 0;

export function run(): i32 {
  while (true) counter++;
  return 0;
}
