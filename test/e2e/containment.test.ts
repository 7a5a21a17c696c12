/**
 * Containment and the rules around authorization (issue 12 §4), against a real node on loopback:
 * - kv/list on `photos` lists `photos` and `photos/…`, never `photos2/…` ("/" boundaries);
 * - caveats are enforced (kv/put maxSize → 413) and a caveat the node does not know refuses the
 *   invocation (400 UNSUPPORTED_CAVEAT), wherever it sits in the chain;
 * - an ability served on another route, sent to /invoke, gets 400 WRONG_ENDPOINT naming the route;
 * - `clockSkewSeconds` widens every token window (invocations, UCAN delegations, SIWE nbf/exp) by the
 *   configured tolerance and no more, and a token accepted inside the tolerance still cannot be replayed.
 * Every refusal checks the status and the `CODE: ` body, and the node's health afterwards.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { makeCapability } from "../../core/capability.js";
import { createUcan } from "../../core/auth/ucan.js";
import { signIn, type TinyCloudSession } from "../../node/client/client.js";
import { iso, sessionKey, signSession, signUcan, wallet as actorWallet } from "../helpers/actors.js";
import { type Answer, assertError, assertHealthy, clientWallet, post } from "../helpers/http-answer.js";
import { startTestNode, type TestNode } from "../helpers/node.js";
import { ReplayGuard } from "../../node/server/replay-guard.js";
import { NodeStore } from "../../node/store/store.js";

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

const ALL_KV = ["tinycloud.kv/get", "tinycloud.kv/put", "tinycloud.kv/del", "tinycloud.kv/list", "tinycloud.kv/metadata"];

describe("containment and caveats", () => {
  let node: TestNode;
  const aliceWallet = clientWallet(0xa1);
  let owner: TinyCloudSession;
  let spaceId: string;

  before(async () => {
    node = await startTestNode();
    owner = await signIn({ url: node.url, wallet: aliceWallet });
    spaceId = owner.spaceId;
    for (const [key, value] of [
      ["photos", "the key itself"],
      ["photos/a", "a"],
      ["photos/b", "b"],
      ["photos-old/x", "sorts between photos and photos/"],
      ["photos2/secret", "secret"],
    ] as const) {
      await owner.kv.put(key, value);
    }
  });
  after(() => node.stop());

  describe("kv/list", () => {
    async function list(session: TinyCloudSession, path: string, headers: Record<string, string> = {}): Promise<Answer> {
      const jwt = session.invocation([makeCapability(session.resource("kv", path), "tinycloud.kv/list")]);
      return post(node.url, "/invoke", { authorization: jwt, ...headers });
    }

    test("attack: kv/list granted on photos never lists photos2/… or photos-old/… (containment on / boundaries)", async () => {
      const photos = await signIn({ url: node.url, wallet: aliceWallet, capabilities: [{ resource: `${spaceId}/kv/photos`, abilities: ["tinycloud.kv/list"] }] });
      const answer = await list(photos, "photos");
      assert.equal(answer.status, 200, answer.text);
      assert.deepEqual(JSON.parse(answer.text), ["photos", "photos/a", "photos/b"]);
      assert.doesNotMatch(answer.text, /photos2|secret|photos-old/);
      await assertHealthy(node.url);
    });

    test("paging a contained listing one key at a time visits exactly photos, photos/a, photos/b", async () => {
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 10; page++) {
        const answer = await list(owner, "photos", { "x-tinycloud-limit": "1", ...(cursor !== undefined ? { "x-tinycloud-cursor": cursor } : {}) });
        assert.equal(answer.status, 200, answer.text);
        seen.push(...(JSON.parse(answer.text) as string[]));
        cursor = answer.headers.get("x-tinycloud-next-cursor") ?? undefined;
        if (answer.headers.get("x-tinycloud-truncated") !== "true") break;
      }
      assert.deepEqual(seen, ["photos", "photos/a", "photos/b"]);
    });

    test("a path ending in / lists below it; the whole service lists everything", async () => {
      assert.deepEqual(JSON.parse((await list(owner, "photos/")).text), ["photos/a", "photos/b"]);
      const all = owner.invocation([makeCapability(owner.resource("kv"), "tinycloud.kv/list")]);
      assert.deepEqual(JSON.parse((await post(node.url, "/invoke", { authorization: all })).text), ["photos", "photos-old/x", "photos/a", "photos/b", "photos2/secret"]);
    });
  });

  describe("caveats", () => {
    const limited = [{ maxSize: 4 }];
    async function put(session: TinyCloudSession, key: string, body: string, caveats: readonly Record<string, unknown>[]): Promise<Answer> {
      const jwt = session.invocation([makeCapability(session.resource("kv", key), "tinycloud.kv/put", caveats)]);
      return post(node.url, "/invoke", { authorization: jwt, "content-type": "text/plain" }, body);
    }

    test("attack: a put that restates {maxSize: 4} and sends 1000 bytes → 413 CAVEAT_MAX_SIZE, nothing stored; 4 bytes pass", async () => {
      const small = await signIn({ url: node.url, wallet: aliceWallet, capabilities: [{ resource: `${spaceId}/kv/small`, abilities: ["tinycloud.kv/put"], caveats: limited }] });
      assertError(await put(small, "small/big", "x".repeat(1000), limited), 413, "CAVEAT_MAX_SIZE");
      assertError(await put(small, "small/big", "12345", limited), 413, "CAVEAT_MAX_SIZE");
      assert.equal(await owner.kv.get("small/big"), undefined);
      const ok = await put(small, "small/ok", "1234", limited);
      assert.equal(ok.status, 200, ok.text);
      assert.equal((await owner.kv.get("small/ok"))?.text(), "1234");
      // Dropping the caveat from the invocation is an escalation (the core's containment rule).
      assertError(await put(small, "small/big", "x".repeat(1000), []), 401, "AUTH_CAVEAT_ESCALATION");
      await assertHealthy(node.url);
    });

    test("maxSize deeper in the chain binds too: a UCAN sub-delegation with {maxSize: 4} under an unconstrained session", async () => {
      const delegate = sessionKey(0x41);
      const share = createUcan({
        issuer: owner.key,
        audience: delegate.did,
        capabilities: [makeCapability(owner.resource("kv", "shared"), "tinycloud.kv/put", limited)],
        proofs: owner.proofs,
        expiration: nowSeconds() + 600,
        nonce: `urn:uuid:${crypto.randomUUID()}`,
      });
      const registered = await post(node.url, "/delegate", { authorization: share });
      assert.equal(registered.status, 200, registered.text);
      const shareCid = (JSON.parse(registered.text) as { cid: string }).cid;
      const { parseCid } = await import("../../core/cid.js");
      const invoke = (body: string) =>
        post(
          node.url,
          "/invoke",
          {
            authorization: signUcan(delegate, {
              audience: delegate.did,
              capabilities: [makeCapability(`${spaceId}/kv/shared/x`, "tinycloud.kv/put", limited)],
              proofs: [parseCid(shareCid)],
              expiration: nowSeconds() + 60,
            }),
            "content-type": "text/plain",
          },
          body,
        );
      assertError(await invoke("too long"), 413, "CAVEAT_MAX_SIZE");
      assert.equal((await invoke("ok!")).status, 200);
      assert.equal((await owner.kv.get("shared/x"))?.text(), "ok!");
    });

    test("attack: a caveat the node does not understand → 400 UNSUPPORTED_CAVEAT (fail closed), nothing stored", async () => {
      const odd = [{ contentTypeMustBe: "image/png" }];
      const session = await signIn({ url: node.url, wallet: aliceWallet, capabilities: [{ resource: `${spaceId}/kv/odd`, abilities: ["tinycloud.kv/put", "tinycloud.kv/get"], caveats: odd }] });
      const answer = await put(session, "odd/x", "not a png", odd);
      assertError(answer, 400, "UNSUPPORTED_CAVEAT");
      assert.match(answer.text, /contentTypeMustBe/);
      assert.equal(await owner.kv.get("odd/x"), undefined);
      // maxSize means nothing on a read: refused there too, instead of being silently ignored.
      const reader = await signIn({ url: node.url, wallet: aliceWallet, capabilities: [{ resource: `${spaceId}/kv/photos`, abilities: ["tinycloud.kv/get"], caveats: limited }] });
      const read = reader.invocation([makeCapability(reader.resource("kv", "photos/a"), "tinycloud.kv/get", limited)]);
      assertError(await post(node.url, "/invoke", { authorization: read }), 400, "UNSUPPORTED_CAVEAT");
      const badValue = [{ maxSize: "4" }];
      const typed = await signIn({ url: node.url, wallet: aliceWallet, capabilities: [{ resource: `${spaceId}/kv/typed`, abilities: ["tinycloud.kv/put"], caveats: badValue }] });
      assertError(await put(typed, "typed/x", "12345678", badValue), 400, "UNSUPPORTED_CAVEAT");
      assert.equal(await owner.kv.get("typed/x"), undefined);
      await assertHealthy(node.url);
    });
  });

  describe("abilities sent to the wrong endpoint", () => {
    test("space/host on /invoke → 400 WRONG_ENDPOINT naming POST /delegate; delegation/revoke → POST /revoke", async () => {
      const host = owner.invocation([makeCapability(spaceId, "tinycloud.space/host")]);
      const answer = await post(node.url, "/invoke", { authorization: host });
      assertError(answer, 400, "WRONG_ENDPOINT");
      assert.match(answer.text, /space\/host is a delegation: .*POST \/delegate/);
      const revoke = owner.invocation([makeCapability(`urn:cid:${owner.proofs[0]?.toString()}`, "tinycloud.delegation/revoke")]);
      const revoked = await post(node.url, "/invoke", { authorization: revoke });
      assertError(revoked, 400, "WRONG_ENDPOINT");
      assert.match(revoked.text, /POST \/revoke/);
      // The session was not revoked by it.
      assert.equal((await owner.kv.get("photos/a"))?.text(), "a");
      await assertHealthy(node.url);
    });
  });
});

describe("clock skew tolerance", () => {
  let node: TestNode;
  let strict: TestNode;
  let session: TinyCloudSession;
  const alice = actorWallet(0xa1);

  before(async () => {
    node = await startTestNode({ clockSkewSeconds: 30 });
    strict = await startTestNode({ clockSkewSeconds: 0 });
    session = await signIn({ url: node.url, wallet: clientWallet(0xa1) });
    await signIn({ url: strict.url, wallet: clientWallet(0xa1) });
    await session.kv.put("k", "v");
  });
  after(async () => {
    await node.stop();
    await strict.stop();
  });

  function get(target: TestNode, window: { notBefore?: number; expiration: number }, s: TinyCloudSession = session): Promise<Answer> {
    const jwt = createUcan({
      issuer: s.key,
      audience: s.key.did,
      capabilities: [makeCapability(s.resource("kv", "k"), "tinycloud.kv/get")],
      proofs: s.proofs,
      ...window,
      nonce: `urn:uuid:${crypto.randomUUID()}`,
    });
    return post(target.url, "/invoke", { authorization: jwt });
  }

  test("invocation nbf 10 s ahead passes with skew 30; 60 s ahead → 401 AUTH_NOT_YET_VALID", async () => {
    const now = nowSeconds();
    assert.equal((await get(node, { notBefore: now + 10, expiration: now + 60 })).status, 200);
    assertError(await get(node, { notBefore: now + 60, expiration: now + 120 }), 401, "AUTH_NOT_YET_VALID");
    await assertHealthy(node.url);
  });

  test("invocation exp 10 s past passes with skew 30; 60 s past → 401 AUTH_EXPIRED", async () => {
    const now = nowSeconds();
    assert.equal((await get(node, { expiration: now - 10 })).status, 200);
    assertError(await get(node, { expiration: now - 60 }), 401, "AUTH_EXPIRED");
    await assertHealthy(node.url);
  });

  test("skew 0 is exact: nbf 10 s ahead → 401 AUTH_NOT_YET_VALID, exp 10 s past → 401 AUTH_EXPIRED", async () => {
    const strictSession = await signIn({ url: strict.url, wallet: clientWallet(0xa1) });
    const now = nowSeconds();
    assertError(await get(strict, { notBefore: now + 10, expiration: now + 60 }, strictSession), 401, "AUTH_NOT_YET_VALID");
    assertError(await get(strict, { expiration: now - 10 }, strictSession), 401, "AUTH_EXPIRED");
  });

  test("attack: a token accepted inside the tolerance (exp 10 s past) replayed → 409 REPLAYED_INVOCATION", async () => {
    const now = nowSeconds();
    const jwt = createUcan({
      issuer: session.key,
      audience: session.key.did,
      capabilities: [makeCapability(session.resource("kv", "k"), "tinycloud.kv/get")],
      proofs: session.proofs,
      expiration: now - 10,
      nonce: `urn:uuid:${crypto.randomUUID()}`,
    });
    assert.equal((await post(node.url, "/invoke", { authorization: jwt })).status, 200);
    assertError(await post(node.url, "/invoke", { authorization: jwt }), 409, "REPLAYED_INVOCATION");
  });

  test("attack: the replay guard remembers a token skew seconds past its exp, across its periodic prune", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tinycloud-replay-"));
    const store = new NodeStore(join(dir, "db"));
    await store.open();
    try {
      const now = 1_000_000;
      const guard = await ReplayGuard.load(store, now, 30);
      const token = new Uint8Array(32).fill(7);
      assert.equal(guard.claim(token, now + 5, now), true);
      // 31 s later the guard prunes; the token (exp now+5) is still inside exp + skew, so still accepted by the
      // time check, so it must still be refused as a replay.
      assert.equal(guard.claim(new Uint8Array(32).fill(8), now + 60, now + 31), true);
      assert.equal(guard.claim(token, now + 5, now + 31), false);
      // Past exp + skew it is forgotten (the time check refuses it from then on).
      assert.equal(guard.claim(new Uint8Array(32).fill(9), now + 90, now + 70), true);
      assert.equal(guard.claim(token, now + 5, now + 70), true);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("invocation lifetime cap widens by the skew: exp now+320 passes (cap 300 + 30), now+400 → 401 AUTH_LIFETIME_TOO_LONG", async () => {
    const now = nowSeconds();
    assert.equal((await get(node, { expiration: now + 320 })).status, 200);
    assertError(await get(node, { expiration: now + 400 }), 401, "AUTH_LIFETIME_TOO_LONG");
  });

  test("SIWE Not Before 10 s ahead registers with skew 30; 60 s ahead → 401 AUTH_NOT_YET_VALID; Expiration Time likewise", async () => {
    const now = nowSeconds();
    const caps = [{ resource: `${session.spaceId}/kv`, abilities: ALL_KV }];
    const soon = await signSession(alice, sessionKey(0x51), { capabilities: caps, issuedAt: iso(now), notBefore: iso(now + 10), expirationTime: iso(now + 3600) });
    const answer = await post(node.url, "/delegate", { authorization: soon.header });
    assert.equal(answer.status, 200, answer.text);
    const later = await signSession(alice, sessionKey(0x52), { capabilities: caps, issuedAt: iso(now), notBefore: iso(now + 60), expirationTime: iso(now + 3600) });
    assertError(await post(node.url, "/delegate", { authorization: later.header }), 401, "AUTH_NOT_YET_VALID");
    const justExpired = await signSession(alice, sessionKey(0x53), { capabilities: caps, issuedAt: iso(now - 3600), expirationTime: iso(now - 10) });
    assert.equal((await post(node.url, "/delegate", { authorization: justExpired.header })).status, 200);
    const longExpired = await signSession(alice, sessionKey(0x54), { capabilities: caps, issuedAt: iso(now - 3600), expirationTime: iso(now - 60) });
    assertError(await post(node.url, "/delegate", { authorization: longExpired.header }), 401, "AUTH_EXPIRED");
    await assertHealthy(node.url);
  });
});
