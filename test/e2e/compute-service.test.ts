/**
 * The compute service against a live node (issue 14): deploy a WebAssembly function, execute it on KV data,
 * get the result back and find it stored as an ordinary versioned KV write in the space's epochs; a
 * delegate holding only compute/execute with data caveats gets the function's result yet cannot read the
 * input itself; execute outside the caveats, with another function (pin), or with an expired or revoked
 * grant is refused; the execution log is readable only by readers of the space.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { makeCapability } from "../../core/capability.js";
import { functionCid } from "../../core/compute/cid.js";
import { TinyCloudHttpError, type TinyCloudSession } from "../../node/client/client.js";
import { sessionKey } from "../helpers/actors.js";
import { COUNT, SHOUT, wat } from "../helpers/compute-modules.js";
import { computeOwner, delegateSession } from "../helpers/compute-session.js";
import { assertError, assertHealthy, clientWallet, post } from "../helpers/http-answer.js";
import { startTestNode, type TestNode } from "../helpers/node.js";

async function refused(promise: Promise<unknown>, status: number, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof TinyCloudHttpError, String(error));
    assert.equal(error.status, status, error.message);
    assert.equal(error.code, code, error.message);
    return true;
  });
}

describe("compute service", () => {
  let node: TestNode;
  let owner: TinyCloudSession;
  let shoutCid: string;

  before(async () => {
    node = await startTestNode({ clockSkewSeconds: 0 });
    owner = await computeOwner(node.url, clientWallet(0xc1));
    await owner.kv.put("journal/jan", "dear diary, january");
    await owner.kv.put("journal/feb", "february");
    await owner.kv.put("secret/pin", "1234");
    shoutCid = (await owner.compute.deploy("shout", wat(SHOUT))).function_cid;
  });
  after(() => node.stop());

  test("deploy answers the function_cid (sha2-256 of the module), the record and metered CIDs", async () => {
    const module = wat(COUNT);
    const answer = await owner.compute.deploy("count", module);
    assert.equal(answer.function_cid, functionCid(module).toString());
    assert.match(answer.function_cid, /^bafkrei/);
    assert.equal(answer.size, module.length);
    const record = await owner.compute.inspect("count");
    assert.equal(record["function_cid"], answer.function_cid);
    assert.equal(record["record"], answer.record);
    assert.equal(record["abi"], "tc:compute/abi@1");
    assert.equal(record["metered_cid"], answer.metered_cid);
  });

  test("execute on KV data returns the result, and with output stores it as a versioned KV write in an epoch", async () => {
    const returned = await owner.compute.execute("shout", { inputs: ["journal/jan", "journal/feb"] });
    assert.equal(returned.text(), "DEAR DIARY, JANUARYFEBRUARY");
    assert.equal(returned.status, 0);
    assert.equal(returned.function_cid, shoutCid);
    assert.equal(returned.output_cid, functionCid(returned.output).toString());
    assert.equal(returned.stored, undefined);
    assert.equal(await owner.kv.get("summaries/jan"), undefined, "a returned result is not stored");

    const stored = await owner.compute.execute("shout", { inputs: ["journal/jan"], output: "summaries/jan" });
    assert.equal(stored.text(), "DEAR DIARY, JANUARY");
    assert.equal(stored.stored?.key, "summaries/jan");
    assert.equal(stored.stored?.version, 1);
    const value = await owner.kv.get("summaries/jan");
    assert.equal(value?.text(), "DEAR DIARY, JANUARY");
    assert.equal(value?.version, 1);
    const { versions } = await owner.kv.versions("summaries/jan");
    assert.equal(versions[0]?.epoch, stored.stored?.epoch, "the write is in the epoch the result names");
    // Its epoch is in the space's signed history, like any KV write.
    const epochs = await fetch(`${node.url}/spaces/${encodeURIComponent(owner.spaceId)}/epochs`, {
      headers: { authorization: owner.invocation([makeCapability(owner.resource("kv"), "tinycloud.kv/get")]) },
    });
    assert.ok(((await epochs.json()) as { epochs: { cid: string }[] }).epochs.some((e) => e.cid === stored.stored?.epoch));

    const again = await owner.compute.execute("shout", { inputs: [{ kv: "journal/jan", version: 1 }], output: "summaries/jan" });
    assert.equal(again.stored?.version, 2);
    assert.equal(again.output_cid, stored.output_cid, "same function, same input: same output CID");
    assert.equal(again.gas_used, stored.gas_used, "and the same gas");
  });

  test("the execution log lists each successful execution with its inputs, output CID and gas", async () => {
    const { executions } = await owner.compute.executions();
    assert.ok(executions.length >= 3);
    const last = executions[executions.length - 1] as Record<string, unknown>;
    assert.equal(last["function_cid"], shoutCid);
    assert.deepEqual(
      (last["inputs"] as { key: string; version: number }[]).map((i) => [i.key, i.version]),
      [["journal/jan", 1]],
    );
    assert.equal((last["stored"] as { version: number }).version, 2);
    // An anonymous caller is refused the log of a private space.
    const anonymous = await fetch(`${node.url}/spaces/${encodeURIComponent(owner.spaceId)}/executions`);
    assert.equal(anonymous.status, 403);
    assert.match(await anonymous.text(), /^PRIVATE_SPACE: /);
  });

  describe("a delegate holding compute/execute with data caveats", () => {
    const agentKey = sessionKey(0x5a);
    let agent: TinyCloudSession;
    let caveats: Record<string, unknown>[];

    before(async () => {
      const grant = await owner.compute.grant({ name: "shout", to: agentKey.did, inputs: ["journal"], output: ["summaries/agent"], function: shoutCid, maxGas: 1_000_000_000 });
      caveats = grant.caveats;
      agent = delegateSession(node.url, owner.spaceId, agentKey, [grant.cid]);
    });

    test("gets the function's result on the data, and stores it where the grant allows", async () => {
      const result = await agent.compute.execute("shout", { inputs: ["journal/feb"], output: "summaries/agent/feb", caveats });
      assert.equal(result.text(), "FEBRUARY");
      assert.equal((await owner.kv.get("summaries/agent/feb"))?.text(), "FEBRUARY");
      // A narrower restatement of the caveats is an attenuation, also accepted.
      const narrow = [{ inputs: ["journal/feb"], output: ["summaries/agent/feb"], function: shoutCid, maxGas: 1000000 }];
      assert.equal((await agent.compute.execute("shout", { inputs: ["journal/feb"], caveats: narrow })).text(), "FEBRUARY");
    });

    test("attack: cannot read the input directly (no kv/get), nor the execution log", async () => {
      await refused(agent.kv.get("journal/feb"), 401, "AUTH_RESOURCE_ESCALATION");
      await assert.rejects(agent.compute.executions(), (e: unknown) => e instanceof TinyCloudHttpError && e.status === 401);
      assert.equal((await agent.compute.inspect("shout", caveats))["function_cid"], shoutCid, "it may see the deploy record of its function");
    });

    test("attack: inputs or output outside the data caveat → 403, nothing stored", async () => {
      await refused(agent.compute.execute("shout", { inputs: ["secret/pin"], caveats }), 403, "COMPUTE_CAVEAT_INPUT");
      await refused(agent.compute.execute("shout", { inputs: ["journal/feb", "secret/pin"], caveats }), 403, "COMPUTE_CAVEAT_INPUT");
      await refused(agent.compute.execute("shout", { inputs: ["journal/feb"], output: "journal/feb", caveats }), 403, "COMPUTE_CAVEAT_OUTPUT");
      assert.equal((await owner.kv.get("journal/feb"))?.version, 1, "the input was not overwritten");
      await refused(agent.compute.execute("shout", { inputs: ["journal/feb"], gas: 2_000_000_000, caveats }), 403, "COMPUTE_CAVEAT_GAS");
      // Dropping or widening the caveats on the invocation is an escalation.
      await refused(agent.compute.execute("shout", { inputs: ["secret/pin"] }), 401, "AUTH_CAVEAT_ESCALATION");
      await refused(agent.compute.execute("shout", { inputs: ["secret/pin"], caveats: [{ ...caveats[0], inputs: ["secret"] }] }), 401, "AUTH_CAVEAT_ESCALATION");
      await assertHealthy(node.url);
    });

    test("attack: another function → refused (by name 401; by a redeploy under the pinned name 403)", async () => {
      await refused(agent.compute.execute("count", { inputs: ["journal/feb"], caveats }), 401, "AUTH_RESOURCE_ESCALATION");
      const other = await computeOwner(node.url, clientWallet(0xc1));
      await other.compute.deploy("shout", wat(COUNT));
      await refused(agent.compute.execute("shout", { inputs: ["journal/feb"], caveats }), 403, "COMPUTE_CAVEAT_FUNCTION");
      await other.compute.deploy("shout", wat(SHOUT));
      assert.equal((await agent.compute.execute("shout", { inputs: ["journal/feb"], caveats })).text(), "FEBRUARY", "the pinned module again");
    });

    test("attack: a revoked grant → 401 AUTH_REVOKED", async () => {
      const key = sessionKey(0x5b);
      const grant = await owner.compute.grant({ name: "shout", to: key.did, inputs: ["journal"] });
      const revokedAgent = delegateSession(node.url, owner.spaceId, key, [grant.cid]);
      assert.equal((await revokedAgent.compute.execute("shout", { inputs: ["journal/feb"], caveats: grant.caveats })).text(), "FEBRUARY");
      await owner.revoke(grant.cid);
      await refused(revokedAgent.compute.execute("shout", { inputs: ["journal/feb"], caveats: grant.caveats }), 401, "AUTH_REVOKED");
    });

    test("attack: an expired grant → 401 AUTH_EXPIRED", async () => {
      const key = sessionKey(0x5c);
      const grant = await owner.compute.grant({ name: "shout", to: key.did, inputs: ["journal"], expiresInSeconds: 1 });
      const late = delegateSession(node.url, owner.spaceId, key, [grant.cid]);
      await new Promise((resolve) => setTimeout(resolve, 2100));
      await assert.rejects(
        late.compute.execute("shout", { inputs: ["journal/feb"], caveats: grant.caveats }),
        (e: unknown) => e instanceof TinyCloudHttpError && e.status === 401 && /EXPIRE/.test(e.code),
      );
    });
  });

  test("a compute invocation on a kv resource, or with a bad body, is a clear 4xx", async () => {
    const wrong = owner.invocation([makeCapability(owner.resource("kv", "journal/jan"), "tinycloud.compute/execute")]);
    assertError(await post(node.url, "/invoke", { authorization: wrong }, "{}"), 401, "AUTH_ABILITY_ESCALATION");
    const bad = owner.invocation([makeCapability(owner.resource("compute", "shout"), "tinycloud.compute/execute")]);
    assertError(await post(node.url, "/invoke", { authorization: bad }, "{not json"), 400, "COMPUTE_BAD_REQUEST");
    const extra = owner.invocation([makeCapability(owner.resource("compute", "shout"), "tinycloud.compute/execute")]);
    assertError(await post(node.url, "/invoke", { authorization: extra }, JSON.stringify({ inputs: [{ kv: "journal/jan", nope: 1 }] })), 400, "COMPUTE_BAD_REQUEST");
    await refused(owner.compute.execute("nothing-here", {}), 404, "COMPUTE_FUNCTION_NOT_FOUND");
    await refused(owner.compute.execute("shout", { inputs: ["journal/none"] }), 404, "COMPUTE_INPUT_NOT_FOUND");
    await assertHealthy(node.url);
  });
});
