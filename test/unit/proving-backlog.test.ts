/** Admission control on the proving backlog (node/rollup/backlog.ts), on a fake clock. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Registry } from "prom-client";
import { HttpError } from "../../node/server/http-error.js";
import { ProvingBacklog } from "../../node/rollup/backlog.js";

function refusal(backlog: ProvingBacklog): HttpError {
  try {
    backlog.admit();
  } catch (error) {
    assert.ok(error instanceof HttpError);
    return error;
  }
  assert.fail("expected 429 BACKLOG_FULL");
}

describe("ProvingBacklog", () => {
  test("default: admits below the limit; at it, 429 BACKLOG_FULL with Retry-After (30 s while no rate is measured)", () => {
    let pending = 0;
    const backlog = new ProvingBacklog(
      () => pending,
      5,
      () => 1_000_000,
    );
    pending = 2;
    backlog.batchCut(1, 2);
    backlog.admit(); // 4 < 5
    pending = 3; // 5 un-proven
    const error = refusal(backlog);
    assert.equal(error.code, "BACKLOG_FULL");
    assert.equal(error.status, 429);
    assert.equal(error.headers["retry-after"], "30");
    assert.match(error.message, /5 state updates are waiting to be proven \(limit 5; the proving rate is not measured yet\)/);
    const status = backlog.status();
    assert.deepEqual(status, { updates: 5, pendingUpdates: 3, unprovenBatches: 1, limit: 5, admitting: false, provingRate: null, drainSeconds: null, estimate: true });
  });

  test("behavior: the drain time and Retry-After come from the measured proving rate; proving lets writes in again", () => {
    let now = 0;
    const backlog = new ProvingBacklog(
      () => 0,
      10,
      () => now,
    );
    for (let n = 1; n <= 6; n++) backlog.batchCut(n, 4); // 24 un-proven in 6 batches
    backlog.batchProven(1, 4);
    now += 30_000;
    backlog.batchProven(2, 4); // 4 updates per 30 s after the first
    const status = backlog.status();
    assert.equal(status.updates, 16);
    assert.equal(status.unprovenBatches, 4);
    assert.equal(status.provingRate, 0.133);
    assert.equal(status.drainSeconds, 120); // 16 / (4/30)
    // 16 - 10 + 1 = 7 updates to prove before the next write fits: 52.5 s → 53.
    assert.equal(refusal(backlog).headers["retry-after"], "53");
    now += 30_000;
    backlog.batchProven(3, 4);
    now += 30_000;
    backlog.batchProven(4, 4); // 8 left
    backlog.admit();
    assert.equal(backlog.status().admitting, true);
    // A batch reported proven twice, or one never counted (proven by an earlier run), changes nothing.
    backlog.batchProven(4, 4);
    assert.equal(backlog.status().updates, 8);
  });

  test("behavior: a stalled prover lowers the measured rate (it is measured up to now, not up to the last proof)", () => {
    let now = 0;
    const backlog = new ProvingBacklog(
      () => 0,
      1,
      () => now,
    );
    for (let n = 1; n <= 4; n++) backlog.batchCut(n, 1);
    backlog.batchProven(1, 1);
    now += 10_000;
    backlog.batchProven(2, 1);
    assert.equal(backlog.status().provingRate, 0.1);
    now += 90_000;
    assert.equal(backlog.status().provingRate, 0.01);
  });

  test("metrics: the backlog's gauges are read at scrape time", async () => {
    let pending = 7;
    const registry = new Registry();
    const backlog = new ProvingBacklog(() => pending, 100);
    backlog.batchCut(1, 3);
    backlog.registerMetrics(registry);
    let text = await registry.metrics();
    assert.match(text, /^tinycloud_backlog_updates 10$/m);
    assert.match(text, /^tinycloud_backlog_batches 1$/m);
    assert.match(text, /^tinycloud_backlog_limit 100$/m);
    assert.match(text, /^tinycloud_backlog_drain_seconds -1$/m);
    pending = 0;
    text = await registry.metrics();
    assert.match(text, /^tinycloud_backlog_updates 3$/m);
  });
});
