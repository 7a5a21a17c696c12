/**
 * Review of issue 14: `GET /spaces/<id>/compute/<name>` (a private space's deploy record) also opens to a
 * holder of compute/execute or compute/deploy on the function. That check ignored the grant's `policy`
 * caveat, so a grant whose policy denies everything still read the record (deployer, invocation, module
 * CIDs). A GET runs no policy, so a policy-gated grant opens nothing here (as for the read gate).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { sessionKey } from "../helpers/actors.js";
import { assertError, clientWallet } from "../helpers/http-answer.js";
import { startTestNode, type TestNode } from "../helpers/node.js";
import { cedar, type Caveats, delegateTo, nowSeconds } from "../helpers/policy.js";
import { SHOUT, wat } from "../helpers/compute-modules.js";
import { computeOwner } from "../helpers/compute-session.js";
import type { TinyCloudSession } from "../../node/client/client.js";
import type { CID } from "../../core/cid.js";
import { makeCapability } from "../../core/capability.js";
import { createUcan } from "../../core/auth/ucan.js";
import type { Ed25519Signer } from "../../core/keys.js";

const EXECUTE = "tinycloud.compute/execute";

describe("review: the deploy-record route honours policy caveats", () => {
  let node: TestNode;
  let owner: TinyCloudSession;

  before(async () => {
    node = await startTestNode();
    owner = await computeOwner(node.url, clientWallet(0xca));
    await owner.compute.deploy("shout", wat(SHOUT));
  });
  after(() => node.stop());

  async function record(key: Ed25519Signer, proof: CID, caveats: Caveats): Promise<{ status: number; text: string; headers: Headers }> {
    const token = createUcan({
      issuer: key,
      audience: key.did,
      capabilities: [makeCapability(owner.resource("compute", "shout"), EXECUTE, caveats)],
      proofs: [proof],
      expiration: nowSeconds() + 60,
      notBefore: nowSeconds(),
      nonce: `urn:uuid:${crypto.randomUUID()}`,
    });
    const response = await fetch(`${node.url}/spaces/${encodeURIComponent(owner.spaceId)}/compute/shout`, { headers: { authorization: token } });
    return { status: response.status, text: await response.text(), headers: response.headers };
  }

  test("an execute grant reads the record; the same grant under a policy that forbids everything does not", async () => {
    const plain = sessionKey(0x73);
    const granted = await delegateTo(node.url, owner, plain, owner.resource("compute", "shout"), EXECUTE, []);
    assert.equal(granted.answer.status, 200, granted.answer.text);
    const read = await record(plain, granted.cid as CID, []);
    assert.equal(read.status, 200, read.text);

    const gated = sessionKey(0x74);
    const caveats = cedar("forbid(principal, action, resource);");
    const denied = await delegateTo(node.url, owner, gated, owner.resource("compute", "shout"), EXECUTE, caveats);
    assert.equal(denied.answer.status, 200, denied.answer.text);
    assertError(await record(gated, denied.cid as CID, caveats), 403, "PRIVATE_SPACE");
  });
});
