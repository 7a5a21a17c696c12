/**
 * Revocation holds (issue 12 §1) and skipped delegations are not stored (§3), against a real node.
 *
 * The attack: a revoked session CACAO is re-encoded without touching the signed SIWE text (version
 * text ↔ integer, signature bytes ↔ 65 integers, recovery byte 27/28 → 0/1, CBOR map keys reordered)
 * and posted again under its new CID, then used for get and put. Each variant must be refused, and the
 * revoked session must stay revoked.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as dagCbor from "@ipld/dag-cbor";
import { decodeCacao, encodeCacao, encodeCacaoHeader, LEGACY_CACAO_FORM } from "../../core/auth/cacao.js";
import { cacaoCanonicalId } from "../../core/auth/canonical.js";
import { Bucket } from "../../node/store/buckets.js";
import { encodeKey } from "../../node/store/keys.js";
import { type CID, parseCid } from "../../core/cid.js";
import { decodeBase64UrlPadded, encodeBase64UrlUnpadded, utf8ToBytes } from "../../core/encoding.js";
import { ed25519Signer, generateEd25519SecretKey, type Ed25519Signer } from "../../core/keys.js";
import { formatSpaceId, spaceIdFor } from "../../core/resource.js";
import { signIn } from "../../node/client/client.js";
import { iso, sessionKey, signSession, signUcan, wallet } from "../helpers/actors.js";
import { startTestNode, type TestNode } from "../helpers/node.js";
import { testWallet } from "../helpers/wallets.js";

interface Answer {
  readonly status: number;
  readonly text: string;
}

const ALL_KV = ["tinycloud.kv/get", "tinycloud.kv/put", "tinycloud.kv/del", "tinycloud.kv/list", "tinycloud.kv/metadata"];

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

async function call(url: string, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  const response = await fetch(`${url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  return { status: response.status, text: await response.text() };
}

function assertError(answer: Answer, status: number, code: string): void {
  assert.equal(answer.status, status, `expected ${status} ${code}, got ${answer.status}: ${answer.text}`);
  assert.ok(answer.text.startsWith(`${code}: `), `expected body to start with "${code}: ", got ${JSON.stringify(answer.text.slice(0, 200))}`);
}

/** The CACAO's top-level map {h, p, s} written in another key order (DAG-CBOR requires h, p, s). */
function reorderTopLevel(header: string): string {
  const value = dagCbor.decode(decodeBase64UrlPadded(header)) as Record<string, unknown>;
  const parts: Uint8Array[] = [Uint8Array.of(0xa3)];
  for (const key of ["s", "p", "h"]) parts.push(dagCbor.encode(key), dagCbor.encode(value[key]));
  return encodeCacaoHeader(Buffer.concat(parts));
}

/** Re-encode the CACAO's DAG-CBOR with one change to its decoded value (dag-cbor sorts the keys again). */
function mutate(header: string, change: (value: { p: Record<string, unknown>; s: { s: unknown } }) => void): string {
  const value = dagCbor.decode(decodeBase64UrlPadded(header)) as { p: Record<string, unknown>; s: { s: unknown } };
  change(value);
  return encodeCacaoHeader(dagCbor.encode(value));
}

describe("revocation holds under any re-encoding", () => {
  let node: TestNode;
  const alice = wallet(0x61);
  const spaceId = formatSpaceId(spaceIdFor(alice.did, "default"));

  async function session(key: Ed25519Signer, nonce: string): Promise<{ header: string; cid: CID }> {
    const now = nowSeconds();
    return signSession(alice, key, {
      capabilities: [{ resource: `${spaceId}/kv`, abilities: ALL_KV }],
      nonce,
      issuedAt: iso(now - 60),
      expirationTime: iso(now + 3600),
    });
  }

  /** A session CACAO, posted and registered. */
  async function registered(key: Ed25519Signer, nonce: string): Promise<{ header: string; cid: CID }> {
    const delegation = await session(key, nonce);
    const answer = await call(node.url, "POST", "/delegate", { authorization: delegation.header });
    assert.equal(answer.status, 200, answer.text);
    return delegation;
  }

  /** A UCAN share of kv/get on `path` from `key` (holding `base`) to a fresh guest key, posted and registered. */
  async function share(key: Ed25519Signer, base: CID, path: string): Promise<{ jwt: string; cid: CID }> {
    const guest = ed25519Signer(generateEd25519SecretKey());
    const jwt = signUcan(key, { audience: guest.did, capabilities: [[`${spaceId}/kv/${path}`, "tinycloud.kv/get"]], proofs: [base], expiration: nowSeconds() + 600 });
    const answer = await call(node.url, "POST", "/delegate", { authorization: jwt });
    assert.equal(answer.status, 200, answer.text);
    return { jwt, cid: parseCid(JSON.parse(answer.text).cid) };
  }

  function invoke(key: Ed25519Signer, proofs: readonly CID[], ability: string, path: string, body?: string): Promise<Answer> {
    const jwt = signUcan(key, { audience: key.did, capabilities: [[`${spaceId}/kv/${path}`, ability]], proofs, expiration: nowSeconds() + 60 });
    return call(node.url, "POST", "/invoke", { authorization: jwt, ...(body !== undefined ? { "content-type": "text/plain" } : {}) }, body);
  }

  function revoke(key: Ed25519Signer, target: CID, proofs: readonly CID[] = []): Promise<Answer> {
    const jwt = signUcan(key, { audience: key.did, capabilities: [[`urn:cid:${target.toString()}`, "tinycloud.delegation/revoke"]], proofs, expiration: nowSeconds() + 60 });
    return call(node.url, "POST", "/revoke", { authorization: jwt });
  }

  async function healthy(): Promise<void> {
    assert.equal((await call(node.url, "GET", "/healthz")).status, 200);
  }

  before(async () => {
    node = await startTestNode();
    // Hosting goes through the typed client; the sessions under attack are built by hand below.
    await signIn({ url: node.url, wallet: testWallet(0x61) });
  });
  after(async () => {
    await node.stop();
  });

  test("attack: each re-encoding of a revoked session CACAO is refused, and get/put stay refused", async () => {
    const key = sessionKey(0x71);
    const original = await registered(key, "revokedsession01");
    assert.equal((await invoke(key, [original.cid], "tinycloud.kv/put", "doc", "before")).status, 200);
    assert.equal((await invoke(key, [original.cid], "tinycloud.kv/get", "doc")).text, "before");

    const revoked = await revoke(key, original.cid);
    assert.equal(revoked.status, 200, revoked.text);

    const legacy = encodeCacaoHeader(encodeCacao({ ...decodeCacao(decodeBase64UrlPadded(original.header)).cacao, form: LEGACY_CACAO_FORM }));
    const variants: [string, string, number, string][] = [
      ['p.version 1 → "1"', mutate(original.header, (v) => void (v.p["version"] = "1")), 400, "CACAO_NON_CANONICAL"],
      ['legacy form, p.version "1" → 1', mutate(legacy, (v) => void (v.p["version"] = 1)), 400, "CACAO_NON_CANONICAL"],
      ["signature as 65 integers", mutate(original.header, (v) => void (v.s.s = Array.from(v.s.s as Uint8Array))), 400, "CACAO_NON_CANONICAL"],
      [
        "recovery byte 27/28 → 0/1",
        mutate(original.header, (v) => {
          const s = Uint8Array.from(v.s.s as Uint8Array);
          s[64] = (s[64] as number) - 27;
          v.s.s = s;
        }),
        400,
        "CACAO_NON_CANONICAL",
      ],
      ["CBOR map keys in another order", reorderTopLevel(original.header), 400, "CACAO_NON_CANONICAL"],
      // A consistent encoding of the other wire form is canonical: it is refused as the revoked delegation it is.
      ["the whole CACAO in the legacy wire form", legacy, 401, "AUTH_REVOKED"],
      ["the original bytes again", original.header, 401, "AUTH_REVOKED"],
    ];
    for (const [name, header, status, code] of variants) {
      const answer = await call(node.url, "POST", "/delegate", { authorization: header });
      assert.equal(answer.status, status, `${name}: ${answer.status} ${answer.text}`);
      assertError(answer, status, code);
      const cid = decodeCacao(decodeBase64UrlPadded(header)).cid;
      assert.equal((await call(node.url, "GET", `/delegations/${cid.toString()}`)).status, header === original.header ? 200 : 404, `${name}: no second delegation`);
      for (const proofs of [[cid], [original.cid]]) {
        assert.notEqual((await invoke(key, proofs, "tinycloud.kv/get", "doc")).status, 200, `${name}: get after revocation`);
        assert.notEqual((await invoke(key, proofs, "tinycloud.kv/put", "doc", "after")).status, 200, `${name}: put after revocation`);
      }
    }
    assertError(await invoke(key, [original.cid], "tinycloud.kv/get", "doc"), 401, "AUTH_REVOKED");
    await healthy();
  });

  test("a re-encoding of an active delegation is not a second delegation: the node answers the stored CID", async () => {
    const key = sessionKey(0x72);
    const original = await registered(key, "activesession001");
    const legacy = encodeCacaoHeader(encodeCacao({ ...decodeCacao(decodeBase64UrlPadded(original.header)).cacao, form: LEGACY_CACAO_FORM }));
    const answer = await call(node.url, "POST", "/delegate", { authorization: legacy });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(JSON.parse(answer.text).cid, original.cid.toString());
    const variantCid = decodeCacao(decodeBase64UrlPadded(legacy)).cid;
    assertError(await call(node.url, "GET", `/delegations/${variantCid.toString()}`), 404, "DELEGATION_NOT_FOUND");
    // Still refused in mixed forms even while active.
    assertError(await call(node.url, "POST", "/delegate", { authorization: reorderTopLevel(original.header) }), 400, "CACAO_NON_CANONICAL");
    // Revoking the one stored delegation revokes the variant too.
    assert.equal((await revoke(key, original.cid)).status, 200);
    assertError(await call(node.url, "POST", "/delegate", { authorization: legacy }), 401, "AUTH_REVOKED");
    await healthy();
  });

  test("a delegation stored before canonical ids existed gets its id when revoked: its re-encoding is refused", async () => {
    const key = sessionKey(0x76);
    const original = await registered(key, "olddelegation001");
    const decoded = decodeCacao(decodeBase64UrlPadded(original.header));
    // As an older node left it: the delegation stored, no canonical-id mapping.
    const store = node.rollup?.store;
    assert.ok(store !== undefined);
    await store.db.del(encodeKey(Bucket.delegationIds, cacaoCanonicalId(decoded.cacao)));
    assert.equal(await store.delegationCidOf(cacaoCanonicalId(decoded.cacao)), undefined);
    assert.equal((await revoke(key, original.cid)).status, 200);
    const legacy = encodeCacaoHeader(encodeCacao({ ...decoded.cacao, form: LEGACY_CACAO_FORM }));
    assertError(await call(node.url, "POST", "/delegate", { authorization: legacy }), 401, "AUTH_REVOKED");
    await healthy();
  });

  test("attack: a revoked UCAN share re-encoded (JSON payload rewritten, signature kept or re-spelled) is refused", async () => {
    const key = sessionKey(0x73);
    const base = await registered(key, "ucansession00001");
    const shared = await share(key, base.cid, "shared");
    assert.equal((await revoke(key, shared.cid)).status, 200);

    const [h, p, s] = shared.jwt.split(".") as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, "base64url").toString("utf8")) as Record<string, unknown>;
    const reordered = Object.fromEntries(Object.entries(payload).reverse());
    const rewritten = `${h}.${encodeBase64UrlUnpadded(utf8ToBytes(JSON.stringify(reordered, null, 1)))}.${s}`;
    assertError(await call(node.url, "POST", "/delegate", { authorization: rewritten }), 401, "UCAN_BAD_SIGNATURE");
    // The signature's last character carries 4 unused bits: setting one is refused by strict base64url.
    const last = s.at(-1) as string;
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const respelled = `${h}.${p}.${s.slice(0, -1)}${alphabet[alphabet.indexOf(last) ^ 1]}`;
    assertError(await call(node.url, "POST", "/delegate", { authorization: respelled }), 401, "ENCODING_BAD_PADDING");
    assertError(await call(node.url, "POST", "/delegate", { authorization: shared.jwt }), 401, "AUTH_REVOKED");
    await healthy();
  });

  test("a delegator revokes its own delegation even when the revocation cites an irrelevant proof", async () => {
    const key = sessionKey(0x74);
    const base = await registered(key, "selfrevoke000001");
    const other = await registered(sessionKey(0x75), "otherdelegation1");
    const shares = [(await share(key, base.cid, "a")).cid, (await share(key, base.cid, "b")).cid];
    // Cites a registered delegation that grants no revoke right and is not even addressed to the revoker.
    const withIrrelevant = await revoke(key, shares[0] as CID, [other.cid]);
    assert.equal(withIrrelevant.status, 200, withIrrelevant.text);
    // Cites its own session (registered, addressed to it, grants no revoke right) and an unregistered CID.
    const withOwnSession = await revoke(key, shares[1] as CID, [base.cid, other.cid]);
    assert.equal(withOwnSession.status, 200, withOwnSession.text);
    for (const cid of shares) assert.equal(JSON.parse((await call(node.url, "GET", `/delegations/${cid.toString()}`)).text).revoked, true);
    // A stranger's proofs do not make a stranger a revoker.
    const stranger = ed25519Signer(generateEd25519SecretKey());
    assertError(await revoke(stranger, base.cid, [other.cid]), 403, "AUTH_UNAUTHORIZED_REVOKER");
    await healthy();
  });
});

describe("storage abuse: what is skipped is not stored", () => {
  let node: TestNode;

  before(async () => {
    node = await startTestNode();
  });
  after(async () => {
    await node.stop();
  });

  test("attack: a delegation for a space not hosted here is answered skipped, and not served afterwards", async () => {
    const bob = wallet(0x62);
    const now = nowSeconds();
    const spaceId = formatSpaceId(spaceIdFor(bob.did, "default"));
    const delegation = await signSession(bob, sessionKey(0x76), {
      capabilities: [{ resource: `${spaceId}/kv`, abilities: ["tinycloud.kv/get"] }],
      issuedAt: iso(now - 60),
      expirationTime: iso(now + 3600),
    });
    const answer = await call(node.url, "POST", "/delegate", { authorization: delegation.header });
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(JSON.parse(answer.text), { cid: delegation.cid.toString(), activated: [], skipped: [spaceId], stored: false });
    assertError(await call(node.url, "GET", `/delegations/${delegation.cid.toString()}`), 404, "DELEGATION_NOT_FOUND");
    // An event no space's history holds has no owner: the privacy gate answers it like a private one.
    assertError(await call(node.url, "GET", `/events/${delegation.cid.toString()}`), 403, "PRIVATE_SPACE");
    // A fresh did:key may delegate what it controls itself (an encryption network named after it), but
    // that touches nothing hosted here: answered, not stored, not served.
    const stranger = ed25519Signer(generateEd25519SecretKey());
    const own = signUcan(stranger, { audience: sessionKey(0x77).did, capabilities: [[`urn:tinycloud:encryption:${stranger.did}:net1`, "tinycloud.encryption/decrypt"]], expiration: now + 600 });
    const ownAnswer = await call(node.url, "POST", "/delegate", { authorization: own });
    assert.equal(ownAnswer.status, 200, ownAnswer.text);
    const ownBody = JSON.parse(ownAnswer.text) as { cid: string; stored: boolean };
    assert.equal(ownBody.stored, false);
    assertError(await call(node.url, "GET", `/delegations/${ownBody.cid}`), 404, "DELEGATION_NOT_FOUND");
    assertError(await call(node.url, "GET", `/events/${ownBody.cid}`), 403, "PRIVATE_SPACE");
    assert.equal((await call(node.url, "GET", "/healthz")).status, 200);
  });
});
