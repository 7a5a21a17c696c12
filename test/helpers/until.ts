/**
 * The one polling helper of the test suite: call `fn` every `intervalMs` until it returns a value
 * other than `undefined` or `false`, and return that value. After `timeoutMs` it fails with
 * `timed out after <ms> ms waiting for <what>`, so a failing test says what it was waiting for.
 */
export interface UntilOptions {
  /** Give up after this long (default 60 s). */
  readonly timeoutMs?: number;
  /** Pause between calls (default 50 ms). */
  readonly intervalMs?: number;
}

export async function until<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, what: string, options: UntilOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const intervalMs = options.intervalMs ?? 50;
  const end = Date.now() + timeoutMs;
  for (;;) {
    // An error thrown by `fn` (a failed assertion) ends the wait at once.
    const value = await fn();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
