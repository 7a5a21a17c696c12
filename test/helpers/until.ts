/** Poll `fn` until it returns a value (not undefined); fail with "timed out: <what>" after `ms`. */
export async function until<T>(fn: () => Promise<T | undefined>, what: string, ms = 240_000, everyMs = 200): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
