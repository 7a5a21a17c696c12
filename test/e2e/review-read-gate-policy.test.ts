/**
 * Review of issue 14 (regression guard, no finding): a `policy` caveat must bind every way a grant is used.
 * The GET routes of a private space (history, compute log and bundles with their input bytes, policy
 * decisions) take a read token (node/server/read-gate.ts) and never run policies. They stay closed to a
 * policy-gated grant because the gate asks for a caveat-free kv/get on `<space>/kv` (capabilityCovers
 * compares caveats), and a token cannot leave its parent's policy out (the containment rule).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { sessionKey } from "../helpers/actors.js";
import { assertError, clientWallet } from "../helpers/http-answer.js";
import { startTestNode, type TestNode } from "../helpers/node.js";
import { cedar, type Caveats, delegateTo, nowSeconds } from "../helpers/policy.js";
import { signIn, type TinyCloudSession } from "../../node/client/client.js";
import type { CID } from "../../core/cid.js";
import { makeCapability } from "../../core/capability.js";
import { createUcan } from "../../core/auth/ucan.js";
import type { Ed25519Signer } from "../../core/keys.js";

const GET = "tinycloud.kv/get";

describe("review: the read gate honours policy caveats", () => {
  let node: TestNode;
  let owner: TinyCloudSession;
  const reader = sessionKey(0x71);

  before(async () => {
    node = await startTestNode();
    owner = await signIn({ url: node.url, wallet: clientWallet(0xc7) });
    await owner.kv.put("docs/a", "secret");
  });
  after(() => node.stop());

  function readToken(key: Ed25519Signer, proof: CID, caveats: Caveats): string {
    return createUcan({
      issuer: key,
      audience: key.did,
      capabilities: [makeCapability(owner.resource("kv"), GET, caveats)],
      proofs: [proof],
      expiration: nowSeconds() + 60,
      notBefore: nowSeconds(),
      nonce: `urn:uuid:${crypto.randomUUID()}`,
    });
  }

  async function history(authorization: string): Promise<{ status: number; text: string; headers: Headers }> {
    const response = await fetch(`${node.url}/spaces/${encodeURIComponent(owner.spaceId)}/epochs`, { headers: { authorization } });
    return { status: response.status, text: await response.text(), headers: response.headers };
  }

  test("a kv/get grant on <space>/kv without a policy reads the history (control)", async () => {
    const { answer, cid } = await delegateTo(node.url, owner, reader, owner.resource("kv"), GET, []);
    assert.equal(answer.status, 200, answer.text);
    const read = await history(readToken(reader, cid as CID, []));
    assert.equal(read.status, 200, read.text);
  });

  test("the same grant under a policy that forbids everything does not open the history", async () => {
    const caveats = cedar("forbid(principal, action, resource);");
    const key = sessionKey(0x72);
    const { answer, cid } = await delegateTo(node.url, owner, key, owner.resource("kv"), GET, caveats);
    assert.equal(answer.status, 200, answer.text);
    assertError(await history(readToken(key, cid as CID, caveats)), 403, "PRIVATE_SPACE");
    // Nor may a token leave the parent's policy out (the containment rule).
    assertError(await history(readToken(key, cid as CID, [])), 401, "AUTH_CAVEAT_ESCALATION");
  });
});
