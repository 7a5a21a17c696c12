/**
 * Bounds on what reads cost in memory (issue 12, "batch reads"): one batch of 100 kv/get capabilities on
 * aliases of a 10 MB value once took 2.3 GB and stalled the node. Three rules, all decided from stored
 * sizes before any value byte is read:
 *
 * - per request: a response body larger than `maxResponseBytes` (or than the request's own
 *   `x-tinycloud-max-response-bytes`) is refused with 413 RESPONSE_TOO_LARGE;
 * - node-wide: the bodies of all responses being built or sent together hold at most
 *   `maxResponseBytesInFlight` bytes. A read that does not fit waits, in arrival order, up to `waitMs`
 *   for others to finish (a burst of ordinary reads is served, just later), then gets 503 NODE_BUSY
 *   with `Retry-After: 1`. Waiting costs a socket and a small record, never the response's bytes;
 * - a reservation ends when its response is done (sent, or the client went away), not when the
 *   handler returns: a slow reader still holds its body's memory.
 */
import type { ServerResponse } from "node:http";
import { HttpError } from "./http-error.js";
import { header, type RequestHeaders } from "./kv-headers.js";

/** Ends a reservation; idempotent. */
export type Release = () => void;

interface Waiter {
  readonly bytes: number;
  readonly grant: () => void;
}

export class ResponseBudget {
  private inFlight = 0;
  private readonly waiters: Waiter[] = [];

  constructor(
    /** Largest body one response may have. */
    readonly maxResponseBytes: number,
    /** Body bytes all responses together may hold. */
    readonly maxInFlight: number,
    /** How long a read waits for room before 503. */
    private readonly waitMs: number,
  ) {}

  /** Bytes reserved now (for tests and metrics). */
  get reserved(): number {
    return this.inFlight;
  }

  /**
   * Refuse (413) a response of `bytes` over the node's per-request limit or the client's
   * `x-tinycloud-max-response-bytes`. `what` describes the response in the message; a single value keeps
   * the reference node's code, KV_TOO_LARGE.
   */
  check(bytes: number, headers: RequestHeaders, what: string, code: "RESPONSE_TOO_LARGE" | "KV_TOO_LARGE" = "RESPONSE_TOO_LARGE"): void {
    const clientMax = maxResponseBytesOf(headers);
    if (clientMax !== undefined && bytes > clientMax) {
      throw new HttpError(code, `${what} is ${bytes} bytes, above x-tinycloud-max-response-bytes ${clientMax}`);
    }
    const limit = Math.min(this.maxResponseBytes, this.maxInFlight);
    if (bytes > limit) {
      throw new HttpError(code, `${what} is ${bytes} bytes, above this node's limit of ${limit} bytes per response; ask for fewer or smaller values per request`);
    }
  }

  /** Reserve `bytes` of the node-wide budget, waiting up to `waitMs` for room; 503 NODE_BUSY if none comes. */
  async reserve(bytes: number): Promise<Release> {
    if (bytes <= 0) return () => undefined;
    // Arrival order: a large read is not starved by a stream of small ones overtaking it.
    if (this.waiters.length === 0 && this.inFlight + bytes <= this.maxInFlight) return this.take(bytes);
    const granted = await new Promise<boolean>((resolve) => {
      const waiter: Waiter = {
        bytes,
        grant: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      const timer = setTimeout(() => {
        const at = this.waiters.indexOf(waiter);
        if (at !== -1) this.waiters.splice(at, 1);
        resolve(false);
        // The head left: the next ones may fit now.
        this.wake();
      }, this.waitMs);
      this.waiters.push(waiter);
    });
    if (!granted) {
      throw new HttpError("NODE_BUSY", `responses of other requests hold this node's read memory (${this.maxInFlight} bytes); retry shortly`, { headers: { "retry-after": "1" } });
    }
    return this.release(bytes);
  }

  private take(bytes: number): Release {
    this.inFlight += bytes;
    return this.release(bytes);
  }

  private release(bytes: number): Release {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.inFlight -= bytes;
      this.wake();
    };
  }

  /** Grant waiters in order while the head fits. */
  private wake(): void {
    for (let head = this.waiters[0]; head !== undefined && this.inFlight + head.bytes <= this.maxInFlight; head = this.waiters[0]) {
      this.waiters.shift();
      this.inFlight += head.bytes;
      head.grant();
    }
  }
}

/** End `release` once `response` is done: sent, or its client gone (then at once: its "close" has passed). */
export function releaseWhenDone(response: ServerResponse, release: Release): void {
  if (response.socket === null || response.socket.destroyed) release();
  else response.once("close", release);
}

/** `x-tinycloud-max-response-bytes`: a non-negative integer, or absent. */
function maxResponseBytesOf(headers: RequestHeaders): number | undefined {
  const text = header(headers, "x-tinycloud-max-response-bytes");
  if (text === undefined) return undefined;
  const n = Number(text.trim());
  if (!/^\d{1,16}$/.test(text.trim()) || !Number.isSafeInteger(n))
    throw new HttpError("BAD_MAX_RESPONSE_BYTES", `x-tinycloud-max-response-bytes must be a non-negative integer, got "${text.slice(0, 20)}"`);
  return n;
}
