/** core/policy: the caveat's shape and attenuation, attestation verification, the request, Cedar's answer → decision. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { caveatsContain, makeCapability } from "../../core/capability.js";
import { createUcan } from "../../core/auth/ucan.js";
import { nobleEd25519Verify } from "../../core/keys.js";
import { ATTESTATIONS_FACT, verifyAttestations } from "../../core/policy/attestation.js";
import { parsePolicyCaveat } from "../../core/policy/caveat.js";
import { cedarVerdict } from "../../core/policy/cedar-call.js";
import { buildPolicyRequest, policyRequestHash, requireFreshSignedTime } from "../../core/policy/request.js";
import { NOW, sessionKey } from "../helpers/actors.js";

const SPACE = "tinycloud:pkh:eip155:1:0x00000000000000000000000000000000000000A1:default";
const A = { policy: { cedar: "permit(principal, action, resource);" } };
const B = { policy: { cedar: "forbid(principal, action, resource);" } };

describe("policy caveat", () => {
  test("parses cedar and function policies; anything else is a reason", () => {
    assert.deepEqual(parsePolicyCaveat({ cedar: "permit(principal, action, resource);" }), { kind: "cedar", text: "permit(principal, action, resource);" });
    const cid = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";
    assert.deepEqual(parsePolicyCaveat({ function: cid, space: "x" }), { kind: "function", functionCid: cid, space: "x" });
    for (const bad of [null, "permit", {}, { cedar: "" }, { cedar: 1 }, { cedar: "x".repeat(17_000) }, { function: "nope" }, { cedar: "p", function: cid }, { rego: "allow" }]) {
      assert.equal(typeof parsePolicyCaveat(bad), "string", JSON.stringify(bad).slice(0, 40));
    }
  });

  test("attenuation: a child keeps every parent caveat and may add policies, in any order; it may not drop or swap one", () => {
    assert.ok(caveatsContain([A], [A]));
    assert.ok(caveatsContain([A], [A, B]));
    assert.ok(caveatsContain([A], [B, A]));
    assert.ok(caveatsContain([{ maxSize: 4 }, A], [A, { maxSize: 4 }, B]));
    assert.ok(!caveatsContain([A], []));
    assert.ok(!caveatsContain([A], [B]));
    assert.ok(!caveatsContain([A, B], [A]));
    // Besides the policies, the two lists compare by the ordinary rules: where the parent has no other
    // caveat the child may add one (it only narrows); where it has one, the child may not widen it.
    assert.ok(caveatsContain([A], [A, { maxSize: 4 }]));
    assert.ok(!caveatsContain([{ maxSize: 4 }], [{ maxSize: 5 }, A]));
    assert.ok(!caveatsContain([{ maxSize: 4 }, A], [{ maxSize: 5 }, A]));
    // Compute caveats keep their own narrowing next to a policy.
    assert.ok(caveatsContain([{ inputs: ["a/"] }, A], [A, { inputs: ["a/b/"] }]));
    assert.ok(!caveatsContain([{ inputs: ["a/"] }, A], [A, { inputs: ["c/"] }]));
  });
});

describe("attestations", () => {
  const invoker = sessionKey(0x61);
  const issuer = sessionKey(0x62);
  const other = sessionKey(0x63);
  const claim = (by = issuer, about = invoker.did, window: { nbf?: number; exp?: number } = {}) =>
    createUcan({
      issuer: by,
      audience: about,
      capabilities: [],
      expiration: window.exp ?? NOW + 100,
      ...(window.nbf !== undefined ? { notBefore: window.nbf } : {}),
      facts: [{ claim: "kyc" }, { note: 1 }],
    });
  const check = (...jwts: unknown[]) => verifyAttestations([{ [ATTESTATIONS_FACT]: jwts }], invoker.did, NOW, nobleEd25519Verify);

  test("a claim signed by its issuer about the invoker, valid at the signed time, counts", () => {
    assert.deepEqual(check(claim()), { attestations: [{ issuer: issuer.did, claim: "kyc" }], rejected: [] });
  });

  test("forged, borrowed, expired, not yet valid and unsigned claims do not count, and each is named", () => {
    const genuine = claim();
    const forged = `${genuine.split(".").slice(0, 2).join(".")}.${claim(other).split(".")[2]}`;
    const result = check(
      forged,
      claim(issuer, other.did),
      claim(issuer, invoker.did, { exp: NOW - 1 }),
      claim(issuer, invoker.did, { nbf: NOW + 1 }),
      { issuer: issuer.did, claim: "kyc" },
      "not.a.jwt",
    );
    assert.deepEqual(result.attestations, []);
    assert.equal(result.rejected.length, 6);
    assert.match(result.rejected[0] as string, /signature/);
    assert.match(result.rejected[1] as string, /not the invoker/);
    assert.match(result.rejected[2] as string, /expired/);
    assert.match(result.rejected[3] as string, /not yet valid/);
    assert.match(result.rejected[4] as string, /not a signed UCAN/);
  });

  test("facts outside the attestation key are not attestations; more than 16 candidates refuse", () => {
    assert.deepEqual(verifyAttestations([{ claim: "kyc", issuer: issuer.did }], invoker.did, NOW, nobleEd25519Verify), { attestations: [], rejected: [] });
    assert.throws(() => check(...Array.from({ length: 17 }, () => claim())), RangeError);
  });
});

describe("request and verdict", () => {
  test("the request carries the signed time and the resource's parts; its hash is canonical", () => {
    const request = buildPolicyRequest("did:key:z6Mkx", makeCapability(`${SPACE}/kv/docs/a`, "tinycloud.kv/get"), NOW + 0.5, []);
    assert.equal(request.context.now_ms, (NOW + 0.5) * 1000);
    assert.deepEqual(request.resource, { uri: `${SPACE}/kv/docs/a`, space: SPACE, service: "kv", path: "docs/a" });
    assert.equal(policyRequestHash(request), policyRequestHash(JSON.parse(JSON.stringify(request))));
    assert.equal(requireFreshSignedTime(NOW, NOW + 30, 30), undefined);
    assert.match(requireFreshSignedTime(NOW, NOW + 31, 30) as string, /31 s/);
  });

  test("allow only on success + allow with no evaluation error", () => {
    const answer = (decision: string, errors: unknown[] = []) => ({ type: "success", response: { decision, diagnostics: { reason: ["policy0"], errors } } });
    assert.equal(cedarVerdict(answer("allow")).allow, true);
    assert.equal(cedarVerdict(answer("deny")).allow, false);
    assert.equal(cedarVerdict(answer("allow", [{ policyId: "policy1", error: { message: "no attribute" } }])).allow, false);
    assert.equal(cedarVerdict({ type: "failure", errors: [{ message: "bad" }] }).allow, false);
    assert.equal(cedarVerdict(undefined).allow, false);
  });
});
