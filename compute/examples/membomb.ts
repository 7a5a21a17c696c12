// Allocates 1 MiB after 1 MiB and keeps it all: memory.grow fails at the deploy-time cap (MEMORY_LIMIT).
const kept: ArrayBuffer[] = [];

export function run(): i32 {
  while (true) kept.push(new ArrayBuffer(1 << 20));
  // biome-ignore lint/correctness/noUnreachable: AssemblyScript wants a return after an endless loop
  return 0;
}
