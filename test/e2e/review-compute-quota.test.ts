/**
 * Review of issue 14: the per-space gas quota holds under concurrency. Each execution reserves its gas
 * limit before it runs, so two executions started together cannot both pass the quota check and then
 * both spend (the check and the charge were far apart: the run itself lies between them).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { TinyCloudHttpError, type TinyCloudSession } from "../../node/client/client.js";
import { SPIN, wat } from "../helpers/compute-modules.js";
import { computeOwner } from "../helpers/compute-session.js";
import { assertHealthy, clientWallet } from "../helpers/http-answer.js";
import { startTestNode, type TestNode } from "../helpers/node.js";

describe("review: gas quota race", () => {
  let node: TestNode;
  let owner: TinyCloudSession;

  before(async () => {
    node = await startTestNode({ computeSpaceGasPerPeriod: 3_000_000_000n });
    owner = await computeOwner(node.url, clientWallet(0xc8));
    await owner.compute.deploy("spin", wat(SPIN));
  });
  after(() => node.stop());

  test("three concurrent executions of 2e9 gas under a 3e9 quota: one runs, the others get 429 COMPUTE_GAS_QUOTA", async () => {
    const settled = await Promise.allSettled([0, 1, 2].map(() => owner.compute.execute("spin", { gas: "2000000000" })));
    const codes = settled.map((s) => (s.status === "rejected" && s.reason instanceof TinyCloudHttpError ? s.reason.code : s.status)).sort();
    assert.deepEqual(codes, ["COMPUTE_GAS_QUOTA", "COMPUTE_GAS_QUOTA", "COMPUTE_OUT_OF_GAS"]);
    await assertHealthy(node.url);
  });
});
