/**
 * The metered Cedar engine (node/policy/cedar-engine.ts) on the node's metered cedar-wasm: decisions and
 * gas are a function of (binary, policy text, request) only — the same in a reused instance after other
 * decisions, in a new instance, and in another engine; out of gas and unparsable policies deny (fail
 * closed) and leave the next decision unaffected.
 */
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { makeCapability } from "../../core/capability.js";
import { buildPolicyRequest, type PolicyRequest } from "../../core/policy/request.js";
import { CedarEngine } from "../../node/policy/cedar-engine.js";
import { cedarBinary } from "../../node/policy/cedar-module.js";
import { nodeCedarOptions } from "../../node/policy/policy-setup.js";
import { DEFAULT_CONFIG } from "../../node/server/config.js";

const SPACE = "tinycloud:pkh:eip155:1:0x00000000000000000000000000000000000000A1:default";
const ISSUER = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
const POLICY = `permit(principal, action == Action::"tinycloud.kv/get", resource) when { context.now_ms < 1900000000000 && context.attestations.contains({issuer: "${ISSUER}", claim: "kyc"}) };
forbid(principal, action, resource) when { resource.path like "docs/secret/*" };`;
const GAS = 200_000_000n;

function request(path: string, seconds: number, attested: boolean): PolicyRequest {
  return buildPolicyRequest("did:key:z6MkreaderReader", makeCapability(`${SPACE}/kv/${path}`, "tinycloud.kv/get"), seconds, attested ? [{ issuer: ISSUER, claim: "kyc" }] : []);
}

describe("metered Cedar engine", () => {
  let bytes: Uint8Array;
  before(async () => {
    // The node's binary: from .cache/policy, or metered now (minutes on a loaded machine).
    const binary = await cedarBinary(nodeCedarOptions(DEFAULT_CONFIG));
    assert.ok(binary.metered);
    bytes = binary.bytes;
  });

  test("allow, forbid, time and attestation decide as written, with gas", () => {
    const prepared = CedarEngine.fromBytes(bytes, true).prepare(POLICY);
    const allow = prepared.decide(request("docs/a", 1_800_000_000, true), GAS);
    assert.equal(allow.allow, true, allow.reasons.join());
    assert.ok(allow.gasUsed > 0n && allow.gasUsed < GAS);
    assert.deepEqual(prepared.decide(request("docs/secret/x", 1_800_000_000, true), GAS).reasons, ["forbidden by policy1"]);
    assert.equal(prepared.decide(request("docs/a", 1_950_000_000, true), GAS).allow, false);
    assert.equal(prepared.decide(request("docs/a", 1_800_000_000, false), GAS).allow, false);
  });

  test("the same request uses the same gas in a reused instance after other decisions, in a new instance and in another engine", () => {
    const probe = request("docs/a", 1_800_000_000, true);
    const reused = CedarEngine.fromBytes(bytes, true, "reset").prepare(POLICY);
    const first = reused.decide(probe, GAS).gasUsed;
    for (let i = 0; i < 20; i++) reused.decide(request(`docs/${"x".repeat(i * 50)}`, 1_800_000_000 + i, i % 2 === 0), GAS);
    assert.equal(reused.decide(probe, GAS).gasUsed, first);
    assert.equal(CedarEngine.fromBytes(bytes, true, "fresh").prepare(POLICY).decide(probe, GAS).gasUsed, first);
    assert.equal(
      CedarEngine.fromBytes(bytes, true)
        .prepare(POLICY)
        .decide(JSON.parse(JSON.stringify(probe)) as PolicyRequest, GAS).gasUsed,
      first,
    );
  });

  test("fail closed: out of gas denies at the limit and the next decision is unaffected; an unparsable policy denies", () => {
    const prepared = CedarEngine.fromBytes(bytes, true).prepare(POLICY);
    const probe = request("docs/a", 1_800_000_000, true);
    const normal = prepared.decide(probe, GAS);
    const starved = prepared.decide(probe, 10_000n);
    assert.deepEqual([starved.allow, starved.gasUsed], [false, 10_000n]);
    assert.match(starved.reasons.join(), /out of gas/);
    assert.deepEqual(prepared.decide(probe, GAS), normal);
    const broken = CedarEngine.fromBytes(bytes, true).prepare("permit(principal, action, resource) when {");
    assert.match(broken.decide(probe, GAS).reasons.join(), /does not parse/);
  });
});
