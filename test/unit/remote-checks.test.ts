/**
 * What `verify` and `audit` check first (cli/remote-checks.ts, lightclient/transports/net-error.ts): the
 * reason a request got no answer, read from the error's cause chain (undici's "fetch failed" hides it),
 * and a node whose /rollup/status names another chain or anchor than the one given.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { checkNodeChain, RemoteCheckError } from "../../cli/remote-checks.js";
import { networkReason } from "../../lightclient/transports/net-error.js";

const ANCHOR = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const OTHER = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512";

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

describe("networkReason", () => {
  test("undici's 'fetch failed' → the cause's code, in words", () => {
    assert.equal(networkReason(new TypeError("fetch failed", { cause: withCode("connect ECONNREFUSED 127.0.0.1:9", "ECONNREFUSED") })), "connection refused");
    assert.equal(networkReason(new TypeError("fetch failed", { cause: withCode("getaddrinfo ENOTFOUND x.invalid", "ENOTFOUND") })), "host not found");
    // localhost tried on ::1 and 127.0.0.1: an AggregateError of both.
    const both = new AggregateError([withCode("connect ECONNREFUSED ::1:9", "ECONNREFUSED"), withCode("connect ECONNREFUSED 127.0.0.1:9", "ECONNREFUSED")], "");
    assert.equal(networkReason(new TypeError("fetch failed", { cause: both })), "connection refused");
  });

  test("wrapped again (viem's HttpRequestError, the transport's TransportError): still found; timeouts by name", () => {
    const inner = new TypeError("fetch failed", { cause: withCode("connect ETIMEDOUT", "ETIMEDOUT") });
    assert.equal(networkReason(new Error("HTTP request failed.", { cause: new Error("wrapped", { cause: inner }) })), "timed out");
    assert.equal(networkReason(new DOMException("The operation was aborted due to timeout", "TimeoutError")), "timed out");
  });

  test("not a network failure → undefined (the caller keeps its own message)", () => {
    assert.equal(networkReason(new Error("execution reverted")), undefined);
    assert.equal(networkReason("fetch failed"), undefined);
    // A cycle in the cause chain ends.
    const a = new Error("a");
    const b = new Error("b", { cause: a });
    (a as { cause?: unknown }).cause = b;
    assert.equal(networkReason(a), undefined);
  });
});

describe("checkNodeChain", () => {
  test("a node that anchors to another contract or chain is refused, naming both", () => {
    assert.throws(
      () => checkNodeChain("http://n:8000/", { chain: { chainId: 31337, anchor: OTHER } }, 31337, ANCHOR),
      (e: unknown) => e instanceof RemoteCheckError && e.code === "CLI_WRONG_CHAIN" && e.message === `the node at http://n:8000 anchors to ${OTHER} on chain 31337, not to ${ANCHOR} on chain 31337`,
    );
    assert.throws(() => checkNodeChain("http://n", { chain: { chainId: 1, anchor: ANCHOR } }, 31337, ANCHOR), /anchors to .* on chain 1, not to .* on chain 31337/);
  });

  test("the same anchor (any letter case) passes; a node that names no chain is not judged", () => {
    checkNodeChain("http://n", { chain: { chainId: 31337, anchor: ANCHOR.toLowerCase() } }, 31337, ANCHOR);
    checkNodeChain("http://n", { chain: null }, 31337, ANCHOR);
    checkNodeChain("http://n", undefined, 31337, ANCHOR);
    checkNodeChain("http://n", { chain: { chainId: "31337", anchor: 7 } }, 31337, ANCHOR);
  });
});
