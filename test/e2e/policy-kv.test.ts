/**
 * Policy-engine delegation on kv/get, against a real node (node/README.md, "Policy caveats"). The owner
 * delegates kv/get to another key under a `policy` caveat holding a Cedar policy; the node decides each
 * invocation from the verified invocation and answers 403 POLICY_DENIED unless every policy allows it:
 * - a time window, read from the invocation's SIGNED time (nbf), not the node's clock;
 * - "only with an attestation from issuer X": a verified signed claim, not a forged or unsigned one;
 * - "never on this path" (a forbid);
 * - policies conjoin down the chain: a sub-delegation keeps its parent's policy and may add one;
 * - every decision is logged (GET /spaces/:id/policy-decisions, private) and re-runs to the same decision and gas.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { sessionKey } from "../helpers/actors.js";
import { assertError, assertHealthy, clientWallet } from "../helpers/http-answer.js";
import { startTestNode, type TestNode } from "../helpers/node.js";
import { attestation, attestationFacts, cedar, delegateTo, invoke, nowSeconds } from "../helpers/policy.js";
import { signIn, type TinyCloudSession } from "../../node/client/client.js";
import type { CID } from "../../core/cid.js";
import { makeCapability } from "../../core/capability.js";
import type { PolicyDecisionRecord } from "../../core/policy/decision.js";
import { cedarPolicyCid } from "../../core/policy/policy-cid.js";
import { auditCedarDecision } from "../../node/policy/audit.js";
import { CedarEngine } from "../../node/policy/cedar-engine.js";
import { cedarBinary } from "../../node/policy/cedar-module.js";
import { nodeCedarOptions } from "../../node/policy/policy-setup.js";

const GET = "tinycloud.kv/get";

describe("policy caveats on kv/get", () => {
  let node: TestNode;
  let owner: TinyCloudSession;
  const reader = sessionKey(0x51);
  const issuerX = sessionKey(0x52);
  const forger = sessionKey(0x53);

  before(async () => {
    node = await startTestNode();
    owner = await signIn({ url: node.url, wallet: clientWallet(0xb1) });
    for (const key of ["docs/a", "docs/secret/plan", "other/x"]) await owner.kv.put(key, `value of ${key}`);
  });
  after(() => node.stop());

  async function grant(caveats: readonly Record<string, unknown>[], path = "docs"): Promise<CID> {
    const { answer, cid } = await delegateTo(node.url, owner, reader, owner.resource("kv", path), GET, caveats);
    assert.equal(answer.status, 200, answer.text);
    return cid as CID;
  }

  test("a time window: allowed at a signed time inside it, denied at a signed time after it (the node's clock is inside both)", async () => {
    const end = (nowSeconds() + 15) * 1000;
    const caveats = cedar(`permit(principal, action == Action::"${GET}", resource) when { context.now_ms < ${end} };`);
    const proof = await grant(caveats);
    const inside = await invoke(node.url, reader, proof, owner.resource("kv", "docs/a"), GET, caveats);
    assert.equal(inside.status, 200, inside.text);
    assert.equal(inside.text, "value of docs/a");
    // Signed 25 s ahead: still a valid invocation (clock skew 30 s), but after the window.
    const later = await invoke(node.url, reader, proof, owner.resource("kv", "docs/a"), GET, caveats, { notBefore: nowSeconds() + 25 });
    assertError(later, 403, "POLICY_DENIED");
    assert.match(later.text, /no permit policy matched/);
    // Backdating is no way in: the signed time must be near the node's clock.
    assertError(await invoke(node.url, reader, proof, owner.resource("kv", "docs/a"), GET, caveats, { notBefore: nowSeconds() - 3600 }), 403, "POLICY_DENIED");
    // Without a signed time there is nothing to decide on.
    const unsigned = await invoke(node.url, reader, proof, owner.resource("kv", "docs/a"), GET, caveats, { notBefore: null });
    assertError(unsigned, 403, "POLICY_DENIED");
    assert.match(unsigned.text, /nbf/);
    await assertHealthy(node.url);
  });

  test("only with an attestation from issuer X: allowed with a valid one; denied without, forged, unsigned, about someone else or expired", async () => {
    const caveats = cedar(`permit(principal, action, resource) when { context.attestations.contains({issuer: "${issuerX.did}", claim: "kyc"}) };`);
    const proof = await grant(caveats);
    const read = (facts?: Record<string, unknown>[]) => invoke(node.url, reader, proof, owner.resource("kv", "docs/a"), GET, caveats, facts === undefined ? {} : { facts });
    const valid = await read(attestationFacts(attestation(issuerX, reader.did, "kyc")));
    assert.equal(valid.status, 200, valid.text);

    assertError(await read(), 403, "POLICY_DENIED");
    // Forged: X's claim, signed by another key (the header still names X).
    const genuine = attestation(issuerX, reader.did, "kyc");
    const byForger = attestation(forger, reader.did, "kyc");
    const forged = `${genuine.split(".").slice(0, 2).join(".")}.${byForger.split(".")[2]}`;
    const forgedAnswer = await read(attestationFacts(forged));
    assertError(forgedAnswer, 403, "POLICY_DENIED");
    assert.match(forgedAnswer.text, /attestation 0 ignored: .*signature/);
    // Another key's own claim that it is X's: a different issuer.
    assertError(await read(attestationFacts(byForger)), 403, "POLICY_DENIED");
    // An unsigned fact written by the invoker itself is not an attestation.
    assertError(await read([{ issuer: issuerX.did, claim: "kyc" }, attestationFacts({ issuer: issuerX.did, claim: "kyc" })[0] as Record<string, unknown>]), 403, "POLICY_DENIED");
    // X's claim about someone else cannot be borrowed; an expired one does not count.
    assertError(await read(attestationFacts(attestation(issuerX, forger.did, "kyc"))), 403, "POLICY_DENIED");
    assertError(await read(attestationFacts(attestation(issuerX, reader.did, "kyc", { expiration: nowSeconds() - 10 }))), 403, "POLICY_DENIED");
    await assertHealthy(node.url);
  });

  test("never on this path: a forbid denies docs/secret/… while the permit allows the rest", async () => {
    const caveats = cedar(`permit(principal, action, resource);\nforbid(principal, action, resource) when { resource.path like "docs/secret/*" };`);
    const proof = await grant(caveats);
    const open = await invoke(node.url, reader, proof, owner.resource("kv", "docs/a"), GET, caveats);
    assert.equal(open.status, 200, open.text);
    const secret = await invoke(node.url, reader, proof, owner.resource("kv", "docs/secret/plan"), GET, caveats);
    assertError(secret, 403, "POLICY_DENIED");
    assert.match(secret.text, /forbidden by policy1/);
    assert.doesNotMatch(secret.text, /value of/);
  });

  test("policies conjoin down the chain: a sub-delegation cannot drop its parent's policy, and may add one", async () => {
    const parentCaveats = cedar(`permit(principal, action, resource);\nforbid(principal, action, resource) when { resource.path like "docs/secret/*" };`);
    const proof = await grant(parentCaveats);
    const friend = sessionKey(0x54);
    const dropped = await delegateTo(node.url, owner, friend, owner.resource("kv", "docs"), GET, [], [proof], reader, nowSeconds() + 300);
    assert.equal(dropped.answer.status, 401, dropped.answer.text);
    assert.match(dropped.answer.text, /AUTH_CAVEAT_ESCALATION/);
    const added = [...parentCaveats, ...cedar(`forbid(principal, action, resource) when { resource.path == "docs/a" };\npermit(principal, action, resource);`)];
    const child = await delegateTo(node.url, owner, friend, owner.resource("kv", "docs"), GET, added, [proof], reader, nowSeconds() + 300);
    assert.equal(child.answer.status, 200, child.answer.text);
    await owner.kv.put("docs/b", "value of docs/b");
    const ok = await invoke(node.url, friend, child.cid as CID, owner.resource("kv", "docs/b"), GET, added);
    assert.equal(ok.status, 200, ok.text);
    assertError(await invoke(node.url, friend, child.cid as CID, owner.resource("kv", "docs/a"), GET, added), 403, "POLICY_DENIED");
    assertError(await invoke(node.url, friend, child.cid as CID, owner.resource("kv", "docs/secret/plan"), GET, added), 403, "POLICY_DENIED");
  });

  test("fail closed: a policy that does not parse, or that errors, denies; a malformed policy caveat is 400", async () => {
    const broken = cedar("permit(principal, action, resource) when { ");
    const proof = await grant(broken);
    const answer = await invoke(node.url, reader, proof, owner.resource("kv", "docs/a"), GET, broken);
    assertError(answer, 403, "POLICY_DENIED");
    assert.match(answer.text, /does not parse/);
    // A forbid that errors (no such context attribute) must not silently not apply.
    const erroring = cedar(`permit(principal, action, resource);\nforbid(principal, action, resource) when { context.missing == 1 };`);
    const proof2 = await grant(erroring);
    assertError(await invoke(node.url, reader, proof2, owner.resource("kv", "docs/a"), GET, erroring), 403, "POLICY_DENIED");
    const bad = [{ policy: { rego: "allow = true" } }];
    const proof3 = await grant(bad);
    assertError(await invoke(node.url, reader, proof3, owner.resource("kv", "docs/a"), GET, bad), 400, "UNSUPPORTED_CAVEAT");
    await assertHealthy(node.url);
  });
});

describe("the policy decision log", () => {
  let node: TestNode;
  let owner: TinyCloudSession;
  const reader = sessionKey(0x55);

  before(async () => {
    node = await startTestNode();
    owner = await signIn({ url: node.url, wallet: clientWallet(0xb2) });
    await owner.kv.put("docs/a", "a");
  });
  after(() => node.stop());

  test("every decision is logged with its policy, request and gas; an auditor's own engine re-runs each to the same decision and gas, and flags a tampered one", async () => {
    const caveats = cedar(`permit(principal, action, resource) when { context.now_ms < ${(nowSeconds() + 15) * 1000} };`);
    const { cid } = await delegateTo(node.url, owner, reader, owner.resource("kv", "docs"), GET, caveats);
    assert.equal((await invoke(node.url, reader, cid as CID, owner.resource("kv", "docs/a"), GET, caveats)).status, 200);
    assertError(await invoke(node.url, reader, cid as CID, owner.resource("kv", "docs/a"), GET, caveats, { notBefore: nowSeconds() + 25 }), 403, "POLICY_DENIED");

    const path = `/spaces/${encodeURIComponent(owner.spaceId)}/policy-decisions`;
    assert.equal((await fetch(`${node.url}${path}`)).status, 403, "the log of a private space is private");
    const token = owner.invocation([makeCapability(owner.resource("kv"), GET)]);
    const answer = await fetch(`${node.url}${path}`, { headers: { authorization: token } });
    assert.equal(answer.status, 200);
    const { decisions } = (await answer.json()) as { decisions: { seq: number; record: PolicyDecisionRecord }[] };
    assert.deepEqual(
      decisions.map((d) => [d.seq, d.record.decision]),
      [
        [1, "allow"],
        [2, "deny"],
      ],
    );
    const first = decisions[0]?.record as PolicyDecisionRecord;
    assert.equal(first.policy, cedarPolicyCid(first.cedar as string));
    assert.equal(JSON.parse(first.request).principal, reader.did);

    const binary = await cedarBinary(nodeCedarOptions(node.config));
    const auditor = CedarEngine.fromBytes(binary.bytes, binary.metered);
    for (const { record } of decisions) assert.deepEqual(auditCedarDecision(record, auditor), { ok: true, problems: [] });
    const tampered = auditCedarDecision({ ...first, decision: "deny" }, auditor);
    assert.equal(tampered.ok, false);
    assert.match(tampered.problems.join(), /re-run decides allow/);
  });
});
