/**
 * Attacks against a real node (random loopback port): every rejection is checked for its exact HTTP
 * status AND the error code that prefixes the plain-text body (`<CODE>: <message>`), and where an attack
 * could change state, the state is checked afterwards.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { makeCapability } from "../../core/capability.js";
import { ed25519Signer, generateEd25519SecretKey } from "../../core/keys.js";
import { formatSpaceId, spaceIdFor } from "../../core/resource.js";
import { completeSession, prepareSession, type SessionRequest } from "../../core/auth/session.js";
import { createUcan } from "../../core/auth/ucan.js";
import { openShareLink, signIn, type TinyCloudSession } from "../../node/client/client.js";
import { sessionKey, signSession, signUcan, wallet as actorWallet, type Wallet } from "../helpers/actors.js";
import { type Answer, assertError, clientWallet, post } from "../helpers/http-answer.js";
import { startTestNode, type TestNode } from "../helpers/node.js";

const ALL_KV = ["tinycloud.kv/get", "tinycloud.kv/put", "tinycloud.kv/del", "tinycloud.kv/list", "tinycloud.kv/metadata"];

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

/** The Authorization header of a CACAO for `request` on chain 1, issued now unless it says, signed by `signer` (not necessarily the address it names). */
async function cacaoHeader(signer: Wallet, request: Omit<SessionRequest, "chainId" | "issuedAt"> & { issuedAt?: string }): Promise<string> {
  const prepared = prepareSession({ chainId: 1, issuedAt: iso(nowSeconds()), ...request });
  return completeSession(prepared, await signer.signMessage(prepared.message)).header;
}

describe("security: attacks against a real node", () => {
  let node: TestNode;
  const aliceWallet = clientWallet(0xa1);
  const malloryWallet = clientWallet(0xb2);
  // Same keys, as the actors helper builds them (Uint8Array signatures), for hand-crafted tokens.
  const alice = actorWallet(0xa1);
  const mallory = actorWallet(0xb2);
  let session: TinyCloudSession;
  let spaceId: string;

  /** POST /invoke with a fresh invocation of one capability signed by `s`. */
  function invoke(s: TinyCloudSession, ability: string, path: string, headers: Record<string, string> = {}, body?: Uint8Array | string): Promise<Answer> {
    const jwt = s.invocation([makeCapability(s.resource("kv", path), ability)]);
    return post(node.url, "/invoke", { authorization: jwt, ...headers }, body);
  }

  before(async () => {
    // Exact time bounds: the expiry tests below cross them by seconds (clock-skew tolerance has its own tests, test/e2e/containment.test.ts).
    node = await startTestNode({ clockSkewSeconds: 0 });
    session = await signIn({ url: node.url, wallet: aliceWallet });
    spaceId = session.spaceId;
    assert.equal(spaceId, formatSpaceId(spaceIdFor(aliceWallet.did, "default")));
    await session.kv.put("photos/cat.jpg", "cat");
    await session.kv.put("photos2/x", "not a photo");
    await session.kv.put("other", "other value");
  });
  after(async () => {
    await node.stop();
  });

  describe("escalation", () => {
    let photos: TinyCloudSession;
    before(async () => {
      photos = await signIn({ url: node.url, wallet: aliceWallet, capabilities: [{ resource: `${spaceId}/kv/photos`, abilities: ALL_KV }] });
    });

    test("control: a session for kv/photos reads and writes inside photos", async () => {
      assert.equal((await invoke(photos, "tinycloud.kv/get", "photos/cat.jpg")).status, 200);
      assert.equal((await invoke(photos, "tinycloud.kv/put", "photos/dog.jpg", { "content-type": "text/plain" }, "dog")).status, 200);
    });

    test("a session for kv/photos invoking kv/photos2/x → 401 AUTH_RESOURCE_ESCALATION (no prefix match across segments)", async () => {
      assertError(await invoke(photos, "tinycloud.kv/get", "photos2/x"), 401, "AUTH_RESOURCE_ESCALATION");
      assertError(await invoke(photos, "tinycloud.kv/put", "photos2/x", { "content-type": "text/plain" }, "overwritten"), 401, "AUTH_RESOURCE_ESCALATION");
      assert.equal((await session.kv.get("photos2/x"))?.text(), "not a photo");
    });

    test("a session for kv/photos invoking kv/other → 401 AUTH_RESOURCE_ESCALATION", async () => {
      assertError(await invoke(photos, "tinycloud.kv/get", "other"), 401, "AUTH_RESOURCE_ESCALATION");
      assertError(await invoke(photos, "tinycloud.kv/del", "other"), 401, "AUTH_RESOURCE_ESCALATION");
      assert.equal((await session.kv.get("other"))?.text(), "other value");
    });

    test("a session for kv/photos listing the whole kv service → 401 AUTH_RESOURCE_ESCALATION", async () => {
      const jwt = photos.invocation([makeCapability(photos.resource("kv"), "tinycloud.kv/list")]);
      assertError(await post(node.url, "/invoke", { authorization: jwt }), 401, "AUTH_RESOURCE_ESCALATION");
    });

    test("a session for kv/photos batch-reading photos/cat.jpg AND other → 401 AUTH_RESOURCE_ESCALATION (all or nothing)", async () => {
      const jwt = photos.invocation([makeCapability(photos.resource("kv", "photos/cat.jpg"), "tinycloud.kv/get"), makeCapability(photos.resource("kv", "other"), "tinycloud.kv/get")]);
      assertError(await post(node.url, "/invoke", { authorization: jwt }), 401, "AUTH_RESOURCE_ESCALATION");
    });

    test("attack: kv/* granted on <space>/notkv/photos2 reaches kv key photos2/secret → 400 RESOURCE_WRONG_SERVICE, value unread and unchanged", async () => {
      await session.kv.put("photos2/secret", "kv secret");
      const crossService = await signIn({ url: node.url, wallet: aliceWallet, capabilities: [{ resource: `${spaceId}/notkv/photos2`, abilities: ["tinycloud.kv/get", "tinycloud.kv/put"] }] });
      const as = (ability: string) => crossService.invocation([makeCapability(crossService.resource("notkv", "photos2/secret"), ability)]);
      const read = await post(node.url, "/invoke", { authorization: as("tinycloud.kv/get") });
      assertError(read, 400, "RESOURCE_WRONG_SERVICE");
      assert.doesNotMatch(read.text, /kv secret/);
      assertError(await post(node.url, "/invoke", { authorization: as("tinycloud.kv/put"), "content-type": "text/plain" }, "overwritten"), 400, "RESOURCE_WRONG_SERVICE");
      const batch = crossService.invocation([
        makeCapability(crossService.resource("notkv", "photos2/secret"), "tinycloud.kv/get"),
        makeCapability(crossService.resource("notkv", "photos2/other"), "tinycloud.kv/get"),
      ]);
      assertError(await post(node.url, "/invoke", { authorization: batch }), 400, "RESOURCE_WRONG_SERVICE");
      assert.equal((await session.kv.get("photos2/secret"))?.text(), "kv secret");
      assert.equal((await fetch(`${node.url}/healthz`)).status, 200);
    });

    test("alice's full session on mallory's space → 401 AUTH_RESOURCE_ESCALATION", async () => {
      const mallorySession = await signIn({ url: node.url, wallet: malloryWallet });
      await mallorySession.kv.put("diary", "private");
      const jwt = session.invocation([makeCapability(mallorySession.resource("kv", "diary"), "tinycloud.kv/get")]);
      assertError(await post(node.url, "/invoke", { authorization: jwt }), 401, "AUTH_RESOURCE_ESCALATION");
    });

    test("a read-only session doing kv/put → 401 AUTH_ABILITY_ESCALATION, value unchanged", async () => {
      const readOnly = await signIn({ url: node.url, wallet: aliceWallet, capabilities: [{ resource: `${spaceId}/kv`, abilities: ["tinycloud.kv/get"] }] });
      assert.equal((await invoke(readOnly, "tinycloud.kv/get", "other")).status, 200);
      assertError(await invoke(readOnly, "tinycloud.kv/put", "other", { "content-type": "text/plain" }, "hacked"), 401, "AUTH_ABILITY_ESCALATION");
      assertError(await invoke(readOnly, "tinycloud.kv/del", "other"), 401, "AUTH_ABILITY_ESCALATION");
      assert.equal((await session.kv.get("other"))?.text(), "other value");
    });
  });

  describe("expiry", () => {
    test("a session CACAO that already expired (real time) is rejected at /delegate → 401 AUTH_EXPIRED", async () => {
      const now = nowSeconds();
      const key = sessionKey(0x31);
      const expired = await signSession(alice, key, {
        capabilities: [{ resource: `${spaceId}/kv`, abilities: ALL_KV }],
        issuedAt: iso(now - 7200),
        expirationTime: iso(now - 3600),
      });
      assertError(await post(node.url, "/delegate", { authorization: expired.header }), 401, "AUTH_EXPIRED");
      // Nothing was stored: an invocation citing it finds no proof.
      const jwt = signUcan(key, { audience: key.did, capabilities: [[`${spaceId}/kv/other`, "tinycloud.kv/get"]], proofs: [expired.cid], expiration: now + 60 });
      assertError(await post(node.url, "/invoke", { authorization: jwt }), 401, "AUTH_UNKNOWN_PROOF");
    });

    test("a session that expires 2 s after registration, invoked after it expired → 401 AUTH_EXPIRED", async () => {
      const now = nowSeconds();
      const key = sessionKey(0x32);
      const expiresAtMs = Date.now() + 2000;
      const shortLived = await signSession(alice, key, {
        capabilities: [{ resource: `${spaceId}/kv`, abilities: ALL_KV }],
        issuedAt: iso(now - 10),
        expirationTime: new Date(expiresAtMs).toISOString(),
      });
      const registered = await post(node.url, "/delegate", { authorization: shortLived.header });
      assert.equal(registered.status, 200, registered.text);
      const sign = () => signUcan(key, { audience: key.did, capabilities: [[`${spaceId}/kv/other`, "tinycloud.kv/get"]], proofs: [shortLived.cid], expiration: nowSeconds() + 60 });
      assert.equal((await post(node.url, "/invoke", { authorization: sign() })).status, 200, "valid before it expires");
      await sleep(expiresAtMs - Date.now() + 300);
      assertError(await post(node.url, "/invoke", { authorization: sign() }), 401, "AUTH_EXPIRED");
    });

    test("an invocation that itself already expired → 401 AUTH_EXPIRED", async () => {
      const jwt = createUcan({
        issuer: session.key,
        capabilities: [makeCapability(session.resource("kv", "other"), "tinycloud.kv/get")],
        proofs: session.proofs,
        expiration: nowSeconds() - 5,
        nonce: `urn:uuid:${crypto.randomUUID()}`,
      });
      assertError(await post(node.url, "/invoke", { authorization: jwt }), 401, "AUTH_EXPIRED");
    });

    test("an invocation lifetime over 300 s → 401 AUTH_LIFETIME_TOO_LONG (250 s is fine)", async () => {
      const ok = session.invocation([makeCapability(session.resource("kv", "other"), "tinycloud.kv/get")], 250);
      assert.equal((await post(node.url, "/invoke", { authorization: ok })).status, 200);
      const tooLong = session.invocation([makeCapability(session.resource("kv", "other"), "tinycloud.kv/get")], 400);
      assertError(await post(node.url, "/invoke", { authorization: tooLong }), 401, "AUTH_LIFETIME_TOO_LONG");
      const put = session.invocation([makeCapability(session.resource("kv", "other"), "tinycloud.kv/put")], 3600);
      assertError(await post(node.url, "/invoke", { authorization: put, "content-type": "text/plain" }, "long-lived"), 401, "AUTH_LIFETIME_TOO_LONG");
      assert.equal((await session.kv.get("other"))?.text(), "other value");
    });
  });

  describe("replay", () => {
    test("a replayed put → first 200, second 409 REPLAYED_INVOCATION (the value stays the first one)", async () => {
      const jwt = session.invocation([makeCapability(session.resource("kv", "replay/put"), "tinycloud.kv/put")]);
      const first = await post(node.url, "/invoke", { authorization: jwt, "content-type": "text/plain" }, "first");
      assert.equal(first.status, 200, first.text);
      await session.kv.put("replay/put", "second");
      const replayed = await post(node.url, "/invoke", { authorization: jwt, "content-type": "text/plain" }, "first");
      assertError(replayed, 409, "REPLAYED_INVOCATION");
      const value = await session.kv.get("replay/put");
      assert.equal(value?.text(), "second", "the replay did not roll the value back");
      assert.equal(value?.version, 2);
    });

    test("a replayed get → first 200, second 409 REPLAYED_INVOCATION", async () => {
      const jwt = session.invocation([makeCapability(session.resource("kv", "other"), "tinycloud.kv/get")]);
      const first = await post(node.url, "/invoke", { authorization: jwt });
      assert.equal(first.status, 200, first.text);
      assert.equal(first.text, "other value");
      assertError(await post(node.url, "/invoke", { authorization: jwt }), 409, "REPLAYED_INVOCATION");
    });

    test("two copies of one put sent at the same time: exactly one 200, the other 409", async () => {
      const jwt = session.invocation([makeCapability(session.resource("kv", "replay/race"), "tinycloud.kv/put")]);
      const answers = await Promise.all([0, 1].map(() => post(node.url, "/invoke", { authorization: jwt, "content-type": "text/plain" }, "race")));
      assert.deepEqual(answers.map((a) => a.status).sort(), [200, 409], answers.map((a) => a.text).join(" | "));
      assertError(answers.find((a) => a.status === 409) as Answer, 409, "REPLAYED_INVOCATION");
      assert.equal((await session.kv.get("replay/race"))?.version, 1);
    });
  });

  describe("revocation", () => {
    test("a revoked share works before, then 401 AUTH_REVOKED after session.revoke(share.cid)", async () => {
      await session.kv.put("shared/doc", "shared text");
      const share = await session.share({ path: "shared", abilities: ["tinycloud.kv/get"] });
      const guest = await openShareLink(share.link as string);
      const before = await invoke(guest, "tinycloud.kv/get", "shared/doc");
      assert.equal(before.status, 200, before.text);
      assert.equal(before.text, "shared text");
      await session.revoke(share.cid);
      assertError(await invoke(guest, "tinycloud.kv/get", "shared/doc"), 401, "AUTH_REVOKED");
      const status = await fetch(`${node.url}/delegations/${share.cid.toString()}`).then((r) => r.json());
      assert.deepEqual(status, { cid: share.cid.toString(), exists: true, revoked: true, expired: false, active: false });
      // The revoked share cannot be re-delegated either.
      const reShare = guest.share({ path: "shared", abilities: ["tinycloud.kv/get"] });
      await assert.rejects(reShare, { status: 401, code: "AUTH_REVOKED" });
    });

    test("a revoke by a stranger key → 403 AUTH_UNAUTHORIZED_REVOKER, and the share keeps working", async () => {
      const share = await session.share({ path: "shared", abilities: ["tinycloud.kv/get"] });
      const guest = await openShareLink(share.link as string);
      const stranger = ed25519Signer(generateEd25519SecretKey());
      const revocation = signUcan(stranger, {
        audience: stranger.did,
        capabilities: [[`urn:cid:${share.cid.toString()}`, "tinycloud.delegation/revoke"]],
        expiration: nowSeconds() + 60,
      });
      assertError(await post(node.url, "/revoke", { authorization: revocation }), 403, "AUTH_UNAUTHORIZED_REVOKER");
      // Mallory's own signed-in session (a real wallet, her own space) is a stranger too.
      const mallorySession = await signIn({ url: node.url, wallet: malloryWallet });
      await assert.rejects(mallorySession.revoke(share.cid), { status: 403, code: "AUTH_UNAUTHORIZED_REVOKER" });
      const after = await invoke(guest, "tinycloud.kv/get", "shared/doc");
      assert.equal(after.status, 200, after.text);
    });

    test("a put by a read-only delegate → 401 AUTH_ABILITY_ESCALATION, the value is unchanged", async () => {
      await session.kv.put("readonly/note", "original");
      const share = await session.share({ path: "readonly", abilities: ["tinycloud.kv/get"] });
      const guest = await openShareLink(share.link as string);
      assert.equal((await invoke(guest, "tinycloud.kv/get", "readonly/note")).text, "original");
      assertError(await invoke(guest, "tinycloud.kv/put", "readonly/note", { "content-type": "text/plain" }, "tampered"), 401, "AUTH_ABILITY_ESCALATION");
      assertError(await invoke(guest, "tinycloud.kv/del", "readonly/note"), 401, "AUTH_ABILITY_ESCALATION");
      const value = await session.kv.get("readonly/note");
      assert.equal(value?.text(), "original");
      assert.equal(value?.version, 1);
      // Nor can the delegate widen its share by re-delegating kv/put to itself.
      await assert.rejects(guest.share({ path: "readonly", abilities: ["tinycloud.kv/put"] }), { status: 401, code: "AUTH_ABILITY_ESCALATION" });
    });
  });

  describe("delegation limits", () => {
    test("a sub-delegation that outlives its parent → 401 AUTH_EXPIRY_EXCEEDS_PARENT", async () => {
      const guest = sessionKey(0x51);
      const share = signUcan(session.key, {
        audience: guest.did,
        capabilities: [[`${spaceId}/kv/shared`, "tinycloud.kv/get"]],
        proofs: session.proofs,
        expiration: nowSeconds() + 30 * 24 * 3600,
      });
      assertError(await post(node.url, "/delegate", { authorization: share }), 401, "AUTH_EXPIRY_EXCEEDS_PARENT");
    });

    test("re-delegating a terminal share → 401 AUTH_TERMINAL_DELEGATION", async () => {
      const share = await session.share({ path: "shared", abilities: ["tinycloud.kv/get"], terminal: true });
      const guest = await openShareLink(share.link as string);
      await assert.rejects(guest.share({ path: "shared", abilities: ["tinycloud.kv/get"] }), { status: 401, code: "AUTH_TERMINAL_DELEGATION" });
    });

    test("a share recipient cannot revoke the sharer's own session → 403 AUTH_UNAUTHORIZED_REVOKER", async () => {
      const share = await session.share({ path: "shared", abilities: ["tinycloud.kv/get"] });
      const guest = await openShareLink(share.link as string);
      await assert.rejects(guest.revoke(session.proofs[0] as NonNullable<(typeof session.proofs)[0]>), { status: 403, code: "AUTH_UNAUTHORIZED_REVOKER" });
      assert.equal((await invoke(session, "tinycloud.kv/get", "other")).status, 200, "alice's session still works");
    });
  });

  describe("forgery", () => {
    test("a bad signature (one char flipped in the signature segment) → 401 UCAN_BAD_SIGNATURE", async () => {
      const jwt = session.invocation([makeCapability(session.resource("kv", "other"), "tinycloud.kv/get")]);
      const [h, p, s] = jwt.split(".") as [string, string, string];
      const i = 20;
      const flipped = `${s.slice(0, i)}${s[i] === "A" ? "B" : "A"}${s.slice(i + 1)}`;
      assertError(await post(node.url, "/invoke", { authorization: `${h}.${p}.${flipped}` }), 401, "UCAN_BAD_SIGNATURE");
      // The untouched token still works: the rejection consumed nothing.
      assert.equal((await post(node.url, "/invoke", { authorization: jwt })).status, 200);
    });

    test("a tampered payload (path changed, signature kept) → 401 UCAN_BAD_SIGNATURE", async () => {
      const jwt = session.invocation([makeCapability(session.resource("kv", "other"), "tinycloud.kv/get")]);
      const [h, p, s] = jwt.split(".") as [string, string, string];
      const payload = JSON.parse(Buffer.from(p, "base64url").toString("utf8")) as { att: Record<string, unknown> };
      payload.att = Object.fromEntries(Object.entries(payload.att).map(([k, v]) => [k.replace("/kv/other", "/kv/photos2/x"), v]));
      const forged = `${h}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}.${s}`;
      assertError(await post(node.url, "/invoke", { authorization: forged }), 401, "UCAN_BAD_SIGNATURE");
    });

    test("a forged CACAO (signed by mallory, claiming alice as iss) → 401 CACAO_ISSUER_MISMATCH", async () => {
      const now = nowSeconds();
      const forged = await cacaoHeader(mallory, {
        address: alice.address,
        domain: "evil.example",
        delegatee: sessionKey(0x41).verificationMethod,
        capabilities: [{ resource: `${spaceId}/kv`, abilities: ALL_KV }],
        nonce: "forgednonce01",
        issuedAt: iso(now),
        expirationTime: iso(now + 3600),
      });
      assertError(await post(node.url, "/delegate", { authorization: forged }), 401, "CACAO_ISSUER_MISMATCH");
    });

    test("a UCAN whose embedded jwk is not the issuer's key → 401 UCAN_JWK_MISMATCH", async () => {
      const jwt = session.invocation([makeCapability(session.resource("kv", "other"), "tinycloud.kv/get")]);
      const [h, p] = jwt.split(".") as [string, string, string];
      const header = JSON.parse(Buffer.from(h, "base64url").toString("utf8")) as { jwk: { x: string } };
      const attacker = sessionKey(0x42);
      header.jwk.x = Buffer.from(attacker.publicKey).toString("base64url");
      const h2 = Buffer.from(JSON.stringify(header)).toString("base64url");
      const sig = Buffer.from(attacker.sign(new TextEncoder().encode(`${h2}.${p}`))).toString("base64url");
      assertError(await post(node.url, "/invoke", { authorization: `${h2}.${p}.${sig}` }), 401, "UCAN_JWK_MISMATCH");
    });

    test("an invocation citing alice's session but signed by another key → 401 AUTH_AUDIENCE_MISMATCH", async () => {
      const attacker = sessionKey(0x43);
      const jwt = signUcan(attacker, { audience: attacker.did, capabilities: [[`${spaceId}/kv/other`, "tinycloud.kv/get"]], proofs: session.proofs, expiration: nowSeconds() + 60 });
      assertError(await post(node.url, "/invoke", { authorization: jwt }), 401, "AUTH_AUDIENCE_MISMATCH");
    });
  });

  describe("delegations used as invocations", () => {
    // Every event of a space, delegation JWTs included, is served to the space's readers (GET
    // /spaces/:id/epochs lists them, GET /events/:cid serves the signed bytes), and to anyone for a public
    // space. A delegation is signed by the delegator's session key, so if /invoke accepted a UCAN whose aud
    // is someone else, any reader could replay a short-lived share as the delegator's own invocation.
    async function publicDelegation(cid: { toString(): string }): Promise<string> {
      const headers = { authorization: session.invocation([makeCapability(session.resource("kv"), "tinycloud.kv/get")]) };
      const event = await fetch(`${node.url}/events/${cid.toString()}`, { headers });
      assert.equal(event.status, 200);
      assert.equal(event.headers.get("x-tinycloud-event-kind"), "delegation");
      return event.text();
    }

    test("a stranger replaying a (short-lived) kv/put share from the public history as an invocation → 401, nothing written", async () => {
      const bob = sessionKey(0x55);
      const share = await session.share({ path: "dropbox", abilities: ["tinycloud.kv/put"], to: bob.did, expiresInSeconds: 120 });
      const jwt = await publicDelegation(share.cid);
      assert.equal(jwt, share.delegation);
      const answer = await post(node.url, "/invoke", { authorization: jwt, "content-type": "text/plain" }, "graffiti by a stranger");
      assert.equal(answer.status, 401, `expected 401, got ${answer.status}: ${answer.text}`);
      assert.match(answer.text, /^[A-Z_]+: \S/);
      assert.equal(await session.kv.get("dropbox"), undefined, "nothing was written into alice's space");
    });

    test("a stranger replaying a (short-lived) kv/get share from the public history as an invocation → 401, no data", async () => {
      await session.kv.put("secret-note", "for bob only");
      const share = await session.share({ path: "secret-note", abilities: ["tinycloud.kv/get"], to: sessionKey(0x56).did, expiresInSeconds: 120 });
      const jwt = await publicDelegation(share.cid);
      const answer = await post(node.url, "/invoke", { authorization: jwt });
      assert.equal(answer.status, 401, `expected 401, got ${answer.status}: ${answer.text}`);
      assert.ok(!answer.text.includes("for bob only"), "the shared value leaked to a stranger");
    });

    test("a long-lived share replayed as an invocation is refused: it is not self-addressed → 401 NOT_AN_INVOCATION", async () => {
      const share = await session.share({ path: "dropbox2", abilities: ["tinycloud.kv/put"], to: sessionKey(0x57).did, expiresInSeconds: 1800 });
      const jwt = await publicDelegation(share.cid);
      assertError(await post(node.url, "/invoke", { authorization: jwt, "content-type": "text/plain" }, "graffiti"), 401, "NOT_AN_INVOCATION");
      assert.equal(await session.kv.get("dropbox2"), undefined);
    });
  });

  describe("hosting and foreign spaces", () => {
    test("mallory's wallet hosting alice's space → 401 AUTH_MISSING_PROOF, and the space is not created", async () => {
      const vault = formatSpaceId(spaceIdFor(alice.did, "vault"));
      const hostKey = (await fetch(`${node.url}/peer/generate/${encodeURIComponent(vault)}`).then((r) => r.text())).trim();
      const now = nowSeconds();
      const host = await cacaoHeader(mallory, {
        address: mallory.address,
        domain: "evil.example",
        delegatee: hostKey,
        capabilities: [{ resource: vault, abilities: ["tinycloud.space/host"] }],
        nonce: "hostnonce0001",
        issuedAt: iso(now),
      });
      // The authority check runs before the host gate: mallory holds no proof for alice's space.
      assertError(await post(node.url, "/delegate", { authorization: host }), 401, "AUTH_MISSING_PROOF");
      assert.equal(await node.rollup?.store.getSpace(vault), undefined, "the space was not created");
      // Alice's own session for that space is stored but reports it skipped (not hosted).
      const aliceVault = await signSession(alice, sessionKey(0x44), {
        capabilities: [{ resource: `${vault}/kv`, abilities: ALL_KV }],
        issuedAt: iso(now),
        expirationTime: iso(now + 3600),
      });
      const answer = await post(node.url, "/delegate", { authorization: aliceVault.header });
      assert.equal(answer.status, 200, answer.text);
      const body = JSON.parse(answer.text) as { activated: string[]; skipped: string[] };
      assert.deepEqual(body.skipped, [vault]);
      assert.deepEqual(body.activated, []);
    });

    test("a host delegation addressed to the wrong key (not the node's host key) → 403 HOST_WRONG_NODE", async () => {
      const elsewhere = formatSpaceId(spaceIdFor(alice.did, "elsewhere"));
      const host = await cacaoHeader(alice, {
        address: alice.address,
        domain: "app.example",
        delegatee: sessionKey(0x45).did,
        capabilities: [{ resource: elsewhere, abilities: ["tinycloud.space/host"] }],
        nonce: "hostnonce0002",
      });
      assertError(await post(node.url, "/delegate", { authorization: host }), 403, "HOST_WRONG_NODE");
      assert.equal(await node.rollup?.store.getSpace(elsewhere), undefined, "the space was not created");
    });

    test("a stranger's session on alice's space (mallory signs a CACAO for it) → 401 AUTH_MISSING_PROOF", async () => {
      const now = nowSeconds();
      const key = sessionKey(0x46);
      const stolen = await signSession(mallory, key, {
        capabilities: [{ resource: `${spaceId}/kv`, abilities: ALL_KV }],
        issuedAt: iso(now),
        expirationTime: iso(now + 3600),
      });
      assertError(await post(node.url, "/delegate", { authorization: stolen.header }), 401, "AUTH_MISSING_PROOF");
      const jwt = signUcan(key, { audience: key.did, capabilities: [[`${spaceId}/kv/other`, "tinycloud.kv/get"]], proofs: [stolen.cid], expiration: now + 60 });
      assertError(await post(node.url, "/invoke", { authorization: jwt }), 401, "AUTH_UNKNOWN_PROOF");
    });

    test("a session key invoking on a space with no proof at all → 401 AUTH_MISSING_PROOF", async () => {
      const key = sessionKey(0x47);
      const jwt = signUcan(key, { audience: key.did, capabilities: [[`${spaceId}/kv/other`, "tinycloud.kv/get"]], expiration: nowSeconds() + 60 });
      assertError(await post(node.url, "/invoke", { authorization: jwt }), 401, "AUTH_MISSING_PROOF");
    });
  });

  describe("stored metadata", () => {
    test("Authorization, cookie and other headers are never stored; content-type and x-tinycloud-meta-* are", async () => {
      const jwt = session.invocation([makeCapability(session.resource("kv", "meta/doc"), "tinycloud.kv/put")]);
      const put = await post(
        node.url,
        "/invoke",
        {
          authorization: jwt,
          "content-type": "text/markdown",
          "x-tinycloud-meta-owner": "alice",
          cookie: "session=secret-cookie",
          "x-other": "not-stored",
          "cache-control": "no-store",
          "x-authorization": "also-not-stored",
        },
        "# doc",
      );
      assert.equal(put.status, 200, put.text);

      const get = await invoke(session, "tinycloud.kv/get", "meta/doc");
      assert.equal(get.status, 200, get.text);
      assert.equal(get.text, "# doc");
      assert.equal(get.headers.get("content-type"), "text/markdown");
      assert.equal(get.headers.get("x-tinycloud-meta-owner"), "alice");
      for (const name of ["cookie", "x-other", "authorization", "x-authorization", "set-cookie"]) assert.equal(get.headers.get(name), null, `${name} must not be served back`);
      assert.equal(get.headers.get("cache-control"), "private, no-cache");
      assert.ok(!get.text.includes(jwt));

      const head = await invoke(session, "tinycloud.kv/metadata", "meta/doc");
      assert.equal(head.status, 200);
      assert.equal(head.headers.get("x-tinycloud-meta-owner"), "alice");
      for (const name of ["cookie", "x-other", "authorization"]) assert.equal(head.headers.get(name), null);

      const versions = await invoke(session, "tinycloud.kv/metadata", "meta/doc?versions");
      assert.equal(versions.status, 200, versions.text);
      const history = JSON.parse(versions.text) as { versions: { metadata: Record<string, string> }[] };
      assert.deepEqual(history.versions[0]?.metadata, { "content-type": "text/markdown", "x-tinycloud-meta-owner": "alice" });
      assert.ok(!versions.text.includes("secret-cookie") && !versions.text.includes(jwt));
    });
  });
});
