/**
 * Policy-engine delegation on compute/execute, against a real node: the owner delegates
 * `tinycloud.compute/execute` on `<space>/compute/summarize` to an agent under a Cedar policy. The policy
 * runs after the authority and caveat checks and before the compute service sees the request, so a
 * denial is 403 POLICY_DENIED whatever the function; an allowed invocation reaches the compute service
 * (on a node without it: 501 SERVICE_NOT_SUPPORTED; with it: the execution's own answer).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { sessionKey } from "../helpers/actors.js";
import { type Answer, assertError, assertHealthy, clientWallet } from "../helpers/http-answer.js";
import { startTestNode, type TestNode } from "../helpers/node.js";
import { attestation, attestationFacts, cedar, delegateTo, invoke, nowSeconds } from "../helpers/policy.js";
import { signIn, type TinyCloudSession } from "../../node/client/client.js";
import type { CID } from "../../core/cid.js";

const EXECUTE = "tinycloud.compute/execute";
const BODY = JSON.stringify({ inputs: [{ kv: "journal/2026-12" }] });

/** Past the policy: whatever the compute service answers, it is not a policy denial. */
function assertPastPolicy(answer: Answer): void {
  assert.ok(!answer.text.startsWith("POLICY_DENIED"), `expected the policy to allow, got ${answer.status}: ${answer.text}`);
  assert.notEqual(answer.status, 403, answer.text);
}

describe("policy caveats on compute/execute", () => {
  let node: TestNode;
  let owner: TinyCloudSession;
  const agent = sessionKey(0x71);
  const auditor = sessionKey(0x72);

  before(async () => {
    node = await startTestNode();
    const wallet = clientWallet(0xc1);
    const space = `tinycloud:${wallet.did.slice("did:".length)}:default`;
    owner = await signIn({ url: node.url, wallet, capabilities: [{ resource: `${space}/compute`, abilities: [EXECUTE] }] });
  });
  after(() => node.stop());

  async function grant(name: string, caveats: readonly Record<string, unknown>[]): Promise<CID> {
    const { answer, cid } = await delegateTo(node.url, owner, agent, owner.resource("compute", name), EXECUTE, caveats);
    assert.equal(answer.status, 200, answer.text);
    return cid as CID;
  }

  test("a time window on the signed time: inside → past the policy, after → 403", async () => {
    const end = (nowSeconds() + 15) * 1000;
    const caveats = cedar(`permit(principal, action == Action::"${EXECUTE}", resource) when { context.now_ms < ${end} };`);
    const proof = await grant("summarize", caveats);
    assertPastPolicy(await invoke(node.url, agent, proof, owner.resource("compute", "summarize"), EXECUTE, caveats, {}, BODY));
    assertError(await invoke(node.url, agent, proof, owner.resource("compute", "summarize"), EXECUTE, caveats, { notBefore: nowSeconds() + 25 }, BODY), 403, "POLICY_DENIED");
  });

  test("only with an attestation from the auditor: with it → past the policy; without or forged → 403", async () => {
    const caveats = cedar(`permit(principal, action, resource) when { context.attestations.contains({issuer: "${auditor.did}", claim: "approved-agent"}) };`);
    const proof = await grant("summarize", caveats);
    const run = (facts?: Record<string, unknown>[]) => invoke(node.url, agent, proof, owner.resource("compute", "summarize"), EXECUTE, caveats, facts === undefined ? {} : { facts }, BODY);
    assertPastPolicy(await run(attestationFacts(attestation(auditor, agent.did, "approved-agent"))));
    assertError(await run(), 403, "POLICY_DENIED");
    const genuine = attestation(auditor, agent.did, "approved-agent");
    const forged = `${genuine.split(".").slice(0, 2).join(".")}.${attestation(agent, agent.did, "approved-agent").split(".")[2]}`;
    assertError(await run(attestationFacts(forged)), 403, "POLICY_DENIED");
  });

  test("never this function: a forbid on one resource path denies it and allows another", async () => {
    const caveats = cedar(`permit(principal, action, resource);\nforbid(principal, action, resource) when { resource.path == "export-all" };`);
    const { answer, cid } = await delegateTo(node.url, owner, agent, owner.resource("compute"), EXECUTE, caveats);
    assert.equal(answer.status, 200, answer.text);
    assertError(await invoke(node.url, agent, cid as CID, owner.resource("compute", "export-all"), EXECUTE, caveats, {}, BODY), 403, "POLICY_DENIED");
    assertPastPolicy(await invoke(node.url, agent, cid as CID, owner.resource("compute", "summarize"), EXECUTE, caveats, {}, BODY));
    await assertHealthy(node.url);
  });
});
