/** Minimal benchmark harness: time-boxed loops, ops/s, printed as aligned tables. */

export interface Measurement {
  readonly name: string;
  readonly opsPerSecond: number;
  readonly iterations: number;
  readonly seconds: number;
}

/** Run `fn` repeatedly for about `seconds` (after a short warm-up) and report its rate. */
export async function measure(name: string, fn: (i: number) => unknown, seconds = 2): Promise<Measurement> {
  const warmEnd = performance.now() + 300;
  let i = 0;
  while (performance.now() < warmEnd) await fn(i++);
  const start = performance.now();
  const end = start + seconds * 1000;
  let n = 0;
  while (performance.now() < end) {
    for (let k = 0; k < 16; k++) await fn(i++ + k);
    n += 16;
  }
  const elapsed = (performance.now() - start) / 1000;
  return { name, opsPerSecond: n / elapsed, iterations: n, seconds: elapsed };
}

export function printTable(title: string, rows: readonly (readonly string[])[]): void {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length))) ?? [];
  console.log(`\n${title}`);
  for (const [i, row] of rows.entries()) {
    console.log(`  ${row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join("  ")}`);
    if (i === 0) console.log(`  ${widths.map((w) => "-".repeat(w)).join("  ")}`);
  }
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}
