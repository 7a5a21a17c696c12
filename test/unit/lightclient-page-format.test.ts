/**
 * The light-client page's time format and chart axis (lightclient/page/history.ts): every time is UTC in
 * one format, and the y axis labels every batch up to 12 of them, then a round step that never leaves a
 * gap next to the first or last label. The chart itself is checked in Chromium
 * (test/e2e/lightclient-page-states.test.ts).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { batchTicks, utcTime } from "../../lightclient/page/history.js";

test("utcTime: ISO-like UTC, seconds, no milliseconds, whatever the local zone", () => {
  assert.equal(utcTime(Date.UTC(2026, 11, 7, 21, 4, 14, 999) / 1000), "2026-12-07 21:04:14 UTC");
  assert.equal(utcTime(0), "1970-01-01 00:00:00 UTC");
});

test("batchTicks: every batch up to 12, then a 1/2/5 step with both ends labelled", () => {
  assert.deepEqual(batchTicks(1, 1), [1]);
  assert.deepEqual(batchTicks(1, 7), [1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(batchTicks(3, 14), [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
  assert.deepEqual(batchTicks(1, 31), [1, 5, 10, 15, 20, 25, 31]);
  for (const [b0, b1] of [
    [1, 13],
    [1, 200],
    [17, 4096],
    [1000, 1017],
  ] as const) {
    const ticks = batchTicks(b0, b1);
    assert.equal(ticks[0], b0);
    assert.equal(ticks.at(-1), b1);
    assert.ok(ticks.length <= 12, `${b0}..${b1}: ${ticks.length} labels`);
    for (let i = 1; i < ticks.length; i++) assert.ok(ticks[i]! > ticks[i - 1]!, `${b0}..${b1} ascending`);
  }
});
