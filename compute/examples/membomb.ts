// Allocates 1 MiB after 1 MiB and keeps it all: memory.grow fails at the deploy-time cap (MEMORY_LIMIT).
let kept: ArrayBuffer[] = [];

export function run(): i32 {
  while (true) kept.push(new ArrayBuffer(1 << 20));
  return 0;
}
