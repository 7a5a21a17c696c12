/**
 * Attack: a delegator puts a policy on a `tinycloud.sql/*` grant. SQL caveats are read by the SQL service
 * (node/sql/caveats.ts), so the policy must still reach the policy gate: dropped here, the grant would be
 * exercised without the policy ever being asked.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { makeCapability } from "../../core/capability.js";
import { caveatLimits } from "../../node/server/caveats.js";

const RESOURCE = "tinycloud:pkh:eip155:1:0x6fB0ab1D8C8E3cC2cE6b8B9b5eA9d4b0Af1BA6A1:default/sql/app.db";
const POLICY = { policy: { cedar: "forbid(principal, action, resource);" } };
const ctx = { now: 0, resolve: () => undefined } as unknown as Parameters<typeof caveatLimits>[2];

describe("policy caveats on SQL grants", () => {
  test("a policy on a sql/read grant is returned with the SQL caveats", () => {
    const limits = caveatLimits(makeCapability(RESOURCE, "tinycloud.sql/read", [POLICY]), [], ctx);
    assert.deepEqual(limits.policies, [{ kind: "cedar", text: POLICY.policy.cedar }]);
    assert.deepEqual(limits.sql, {});
  });

  test("a policy next to a select caveat in one object: both bind", () => {
    const limits = caveatLimits(makeCapability(RESOURCE, "tinycloud.sql/select", [{ ...POLICY, tables: ["t"], columns: ["a"] }]), [], ctx);
    assert.equal(limits.policies?.length, 1);
    assert.ok(limits.sql?.scope !== undefined);
  });

  test("a malformed policy on a SQL grant refuses the invocation", () => {
    assert.throws(() => caveatLimits(makeCapability(RESOURCE, "tinycloud.sql/read", [{ policy: { cedar: "" } }]), [], ctx), /UNSUPPORTED_CAVEAT|non-empty/);
  });
});
