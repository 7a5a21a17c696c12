/** The node-wide response budget (node/server/response-budget.ts): limits, waiting in order, 503 with Retry-After. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { HttpError } from "../../node/server/http-error.js";
import { ResponseBudget } from "../../node/server/response-budget.js";

describe("ResponseBudget", () => {
  test("check: over the per-response limit → 413 RESPONSE_TOO_LARGE; over the client's header → 413; a bad header → 400", () => {
    const budget = new ResponseBudget(100, 1000, 10);
    budget.check(100, {}, "x");
    assert.throws(
      () => budget.check(101, {}, "x"),
      (e: unknown) => e instanceof HttpError && e.code === "RESPONSE_TOO_LARGE" && e.status === 413,
    );
    assert.throws(
      () => budget.check(51, { "x-tinycloud-max-response-bytes": "50" }, "x", "KV_TOO_LARGE"),
      (e: unknown) => e instanceof HttpError && e.code === "KV_TOO_LARGE",
    );
    budget.check(50, { "x-tinycloud-max-response-bytes": "50" }, "x");
    for (const bad of ["-1", "1e3", "", "12abc"]) {
      assert.throws(
        () => budget.check(1, { "x-tinycloud-max-response-bytes": bad }, "x"),
        (e: unknown) => e instanceof HttpError && e.code === "BAD_MAX_RESPONSE_BYTES" && e.status === 400,
      );
    }
  });

  test("check: the per-response limit never exceeds the node-wide one (a response that could never be reserved is a 413, not a wait)", () => {
    const budget = new ResponseBudget(1000, 100, 10);
    assert.throws(
      () => budget.check(101, {}, "x"),
      (e: unknown) => e instanceof HttpError && e.code === "RESPONSE_TOO_LARGE",
    );
  });

  test("reserve: within the bound at once; past it, waits for a release, in arrival order", async () => {
    const budget = new ResponseBudget(100, 100, 1000);
    const first = await budget.reserve(60);
    assert.equal(budget.reserved, 60);
    const order: string[] = [];
    const big = budget.reserve(80).then((r) => {
      order.push("big");
      return r;
    });
    // Fits now, but arrived after a waiter: it queues behind it (no starvation of large reads).
    const small = budget.reserve(10).then((r) => {
      order.push("small");
      return r;
    });
    await sleep(20);
    assert.deepEqual(order, []);
    first();
    first(); // idempotent
    const [releaseBig, releaseSmall] = await Promise.all([big, small]);
    assert.deepEqual(order, ["big", "small"]);
    assert.equal(budget.reserved, 90);
    releaseBig();
    releaseSmall();
    assert.equal(budget.reserved, 0);
  });

  test("reserve: no room within the wait → 503 NODE_BUSY with Retry-After; the budget is intact afterwards", async () => {
    const budget = new ResponseBudget(100, 100, 50);
    const hold = await budget.reserve(100);
    await assert.rejects(budget.reserve(1), (e: unknown) => e instanceof HttpError && e.code === "NODE_BUSY" && e.status === 503 && e.headers["retry-after"] === "1");
    assert.equal(budget.reserved, 100);
    hold();
    const again = await budget.reserve(100);
    assert.equal(budget.reserved, 100);
    again();
  });
});
