/**
 * Why a request never got an answer, in a few words. undici's fetch rejects with "fetch failed" and keeps
 * the reason in `error.cause` (an Error with `code` ECONNREFUSED, ENOTFOUND, …, or an AggregateError of
 * one per address tried); viem wraps that error again. A user needs "connection refused", not "fetch failed".
 */
const REASONS: Readonly<Record<string, string>> = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host not found (DNS lookup failed)",
  ETIMEDOUT: "timed out",
  UND_ERR_CONNECT_TIMEOUT: "timed out",
  UND_ERR_HEADERS_TIMEOUT: "timed out",
  ECONNRESET: "connection reset",
  UND_ERR_SOCKET: "connection closed",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  EPIPE: "connection closed",
};

/** The network-level reason of a failed request ("connection refused", "timed out", …), or undefined when the error is not one. */
export function networkReason(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0) {
    const e = queue.shift();
    if (e === null || typeof e !== "object" || seen.has(e)) continue;
    seen.add(e);
    const { code, name, cause, errors } = e as { code?: unknown; name?: unknown; cause?: unknown; errors?: unknown };
    if (typeof code === "string" && REASONS[code] !== undefined) return REASONS[code];
    // AbortSignal.timeout's DOMException, viem's TimeoutError.
    if (name === "TimeoutError") return "timed out";
    if (typeof code === "string" && /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/.test(code)) return code;
    queue.push(cause);
    if (Array.isArray(errors)) queue.push(...(errors as unknown[]));
  }
  return undefined;
}
