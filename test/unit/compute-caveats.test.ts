/**
 * Attenuation of compute caveats (core/compute/grant-caveats.ts via core/capability.ts caveatsContain): a
 * child's `inputs`/`output` prefixes must lie inside the parent's on "/" boundaries, a `function` pin must
 * be kept, `maxGas` may only shrink; anything else (a dropped or widened caveat) is not contained.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { caveatsContain } from "../../core/capability.js";
import { prefixCovers } from "../../core/compute/grant-caveats.js";

const FN = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku";
const parent = [{ inputs: ["journal", "notes/"], output: ["summaries"], function: FN, maxGas: 1000 }];

describe("compute caveat attenuation", () => {
  test("narrower prefixes, the same pin and less gas are contained", () => {
    assert.ok(caveatsContain(parent, parent));
    assert.ok(caveatsContain(parent, [{ inputs: ["journal/2026"], output: ["summaries/jan"], function: FN, maxGas: 10 }]));
    assert.ok(caveatsContain(parent, [{ inputs: ["notes/a", "journal"], output: ["summaries"], function: FN, maxGas: 1000 }]));
  });

  test("attack: wider, sibling-prefix, dropped or changed caveats are not", () => {
    assert.ok(!caveatsContain(parent, [{ inputs: ["journal2"], output: ["summaries"], function: FN, maxGas: 10 }]), "journal2 is not inside journal");
    assert.ok(!caveatsContain(parent, [{ inputs: [""], output: ["summaries"], function: FN, maxGas: 10 }]), "the whole KV service");
    assert.ok(!caveatsContain(parent, [{ inputs: ["journal"], function: FN, maxGas: 10 }]), "output dropped");
    assert.ok(!caveatsContain(parent, [{ inputs: ["journal"], output: ["summaries"], maxGas: 10 }]), "pin dropped");
    assert.ok(!caveatsContain(parent, [{ inputs: ["journal"], output: ["summaries"], function: `${FN}x`, maxGas: 10 }]), "another function");
    assert.ok(!caveatsContain(parent, [{ inputs: ["journal"], output: ["summaries"], function: FN, maxGas: 1001 }]), "more gas");
    assert.ok(!caveatsContain(parent, []), "no caveats at all");
    assert.ok(!caveatsContain(parent, [{ inputs: "journal", output: ["summaries"], function: FN, maxGas: 1 }]), "malformed list");
    assert.ok(!caveatsContain(parent, [{ inputs: ["journal"], output: ["summaries"], function: FN, maxGas: 1, other: true }]), "a foreign caveat mixed in");
  });

  test("prefixes cover on / boundaries; the empty prefix covers every key", () => {
    assert.ok(prefixCovers("journal", "journal"));
    assert.ok(prefixCovers("journal", "journal/jan"));
    assert.ok(!prefixCovers("journal", "journal-old/x"));
    assert.ok(prefixCovers("notes/", "notes/a"));
    assert.ok(prefixCovers("", "anything/at/all"));
  });
});
