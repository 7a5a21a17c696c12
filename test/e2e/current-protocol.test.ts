/**
 * The current protocol (space form, UCAN 0.10, CACAO 1.0) end to end through our typed client against a
 * real node: sign in (hosting the space), KV, version history, sharing, revocation, and the public
 * epoch history, which anyone can re-verify.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { openShareLink, signIn, TinyCloudHttpError, type TinyCloudSession } from "../../node/client/client.js";
import { makeCapability } from "../../core/capability.js";
import { parseCid } from "../../core/cid.js";
import { decodeEpoch, verifyEpoch } from "../../core/epoch/epoch.js";
import { startTestNode, type TestNode } from "../helpers/node.js";
import { testWallet } from "../helpers/wallets.js";

describe("current protocol through the typed client", () => {
  let node: TestNode;
  let alice: TinyCloudSession;

  before(async () => {
    node = await startTestNode();
    alice = await signIn({ url: node.url, wallet: testWallet(0x11) });
  });
  after(async () => {
    await node.stop();
  });

  test("default: sign in hosts the space; signing in again does not re-host", async () => {
    assert.match(alice.spaceId, /^tinycloud:pkh:eip155:1:0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A:default$/);
    const again = await signIn({ url: node.url, wallet: testWallet(0x11), host: false });
    await again.kv.put("probe", "x");
    assert.equal((await alice.kv.get("probe"))?.text(), "x");
  });

  test("default: put, get, head, list and delete", async () => {
    const put = await alice.kv.put("photos/a.jpg", new Uint8Array([1, 2, 3]), { contentType: "image/jpeg", metadata: { album: "2024" } });
    assert.match(put.etag, /^"blake3-[0-9a-f]{64}"$/);
    const value = await alice.kv.get("photos/a.jpg");
    assert.deepEqual(value?.bytes, new Uint8Array([1, 2, 3]));
    assert.equal(value?.contentType, "image/jpeg");
    assert.equal(value?.headers.get("x-tinycloud-meta-album"), "2024");
    assert.equal(value?.etag, put.etag);
    const head = await alice.kv.head("photos/a.jpg");
    assert.equal(head?.get("etag"), put.etag);
    assert.equal(head?.get("x-tinycloud-size"), "3");
    await alice.kv.put("photos/b.jpg", "b");
    await alice.kv.put("photos2/c.jpg", "c");
    assert.deepEqual((await alice.kv.list({ prefix: "photos/" })).keys, ["photos/a.jpg", "photos/b.jpg"]);
    // The listed path is contained on "/" boundaries like every resource (unlike the reference node's raw
    // prefix): "photos" lists photos/…, never photos2/… (issue 12 §4).
    assert.deepEqual((await alice.kv.list({ prefix: "photos" })).keys, ["photos/a.jpg", "photos/b.jpg"]);
    await alice.kv.del("photos/b.jpg");
    assert.equal(await alice.kv.get("photos/b.jpg"), undefined);
    assert.deepEqual((await alice.kv.list({ prefix: "photos/" })).keys, ["photos/a.jpg"]);
  });

  test("default: list pages with a limit and an opaque cursor", async () => {
    for (let i = 0; i < 7; i++) await alice.kv.put(`page/${i}`, String(i));
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await alice.kv.list({ prefix: "page/", limit: 3, ...(cursor !== undefined ? { cursor } : {}) });
      assert.ok(page.keys.length <= 3);
      seen.push(...page.keys);
      cursor = page.cursor;
    } while (cursor !== undefined);
    assert.deepEqual(seen, ["page/0", "page/1", "page/2", "page/3", "page/4", "page/5", "page/6"]);
  });

  test("behavior: conditional writes with If-Match and If-None-Match", async () => {
    const first = await alice.kv.put("cond", "v1", { ifNoneMatch: "*" });
    await assert.rejects(alice.kv.put("cond", "again", { ifNoneMatch: "*" }), (e: unknown) => e instanceof TinyCloudHttpError && e.status === 412);
    const second = await alice.kv.put("cond", "v2", { ifMatch: first.etag });
    await assert.rejects(alice.kv.put("cond", "v3", { ifMatch: first.etag }), (e: unknown) => e instanceof TinyCloudHttpError && e.status === 412);
    await assert.rejects(alice.kv.del("cond", { ifMatch: first.etag }), (e: unknown) => e instanceof TinyCloudHttpError && e.status === 412);
    await alice.kv.del("cond", { ifMatch: second.etag });
  });

  test("default: version history lists every version and serves any of them, tombstones included", async () => {
    const v1 = await alice.kv.put("doc", "one");
    const v2 = await alice.kv.put("doc", "two");
    const v3 = await alice.kv.del("doc");
    const v4 = await alice.kv.put("doc", "four");
    assert.deepEqual([v1.version, v2.version, v3.version, v4.version], [1, 2, 3, 4]);
    const { versions } = await alice.kv.versions("doc");
    assert.deepEqual(
      versions.map((v) => [v.version, v.deleted]),
      [
        [1, false],
        [2, false],
        [3, true],
        [4, false],
      ],
    );
    assert.equal((await alice.kv.get("doc", { version: 1 }))?.text(), "one");
    assert.equal((await alice.kv.get("doc", { version: 2 }))?.text(), "two");
    assert.equal(await alice.kv.get("doc", { version: 3 }), undefined, "a tombstone has no value");
    assert.equal((await alice.kv.get("doc"))?.text(), "four");
    const paged = await alice.kv.versions("doc", { limit: 2 });
    assert.equal(paged.versions.length, 2);
    assert.equal(paged.next, 2);
    assert.deepEqual(
      (await alice.kv.versions("doc", { after: 2 })).versions.map((v) => v.version),
      [3, 4],
    );
  });

  test("default: a share link opens for a fresh client; revoking it cuts access", async () => {
    await alice.kv.put("shared/note.txt", "hi bob");
    const share = await alice.share({ path: "shared", abilities: ["tinycloud.kv/get", "tinycloud.kv/list"] });
    assert.ok(share.link?.startsWith("tc1:"));
    const bob = await openShareLink(share.link as string);
    assert.equal((await bob.kv.get("shared/note.txt"))?.text(), "hi bob");
    assert.deepEqual((await bob.kv.list({ prefix: "shared" })).keys, ["shared/note.txt"]);
    await assert.rejects(bob.kv.get("photos/a.jpg"), (e: unknown) => e instanceof TinyCloudHttpError && e.status === 401 && e.code === "AUTH_RESOURCE_ESCALATION");
    await assert.rejects(bob.kv.put("shared/note.txt", "mine"), (e: unknown) => e instanceof TinyCloudHttpError && e.status === 401 && e.code === "AUTH_ABILITY_ESCALATION");
    await alice.revoke(share.cid);
    await assert.rejects(bob.kv.get("shared/note.txt"), (e: unknown) => e instanceof TinyCloudHttpError && e.status === 401 && e.code === "AUTH_REVOKED");
    const status = await (await fetch(`${node.url}/delegations/${share.cid.toString()}`)).json();
    assert.deepEqual(status, { cid: share.cid.toString(), exists: true, revoked: true, expired: false, active: false });
  });

  test("default: the space's history is served to its readers (private space), signed by the node, hash-linked, and re-verifiable", async () => {
    const info = (await (await fetch(`${node.url}/info`)).json()) as { nodeId: string };
    // A read capability on the whole space (README, "Privacy"): one token for the walk, reusable for reads.
    const headers = { authorization: alice.invocation([makeCapability(alice.resource("kv"), "tinycloud.kv/get")], 300) };
    assert.equal((await fetch(`${node.url}/spaces/${encodeURIComponent(alice.spaceId)}/epochs`)).status, 403, "not to anyone else");
    const listing = (await (await fetch(`${node.url}/spaces/${encodeURIComponent(alice.spaceId)}/epochs?limit=1000`, { headers })).json()) as {
      heads: string[];
      seq: number;
      epochs: { seq: number; cid: string }[];
    };
    assert.ok(listing.epochs.length > 20);
    assert.deepEqual(listing.heads, [listing.epochs[listing.epochs.length - 1]?.cid]);
    let previous: string | undefined;
    for (const { seq, cid } of listing.epochs) {
      const bytes = new Uint8Array(await (await fetch(`${node.url}/epochs/${cid}`, { headers })).arrayBuffer());
      const { epoch, cid: computed } = decodeEpoch(bytes, parseCid(cid));
      assert.equal(computed.toString(), cid);
      verifyEpoch(epoch);
      assert.equal(epoch.signer, info.nodeId);
      assert.equal(epoch.seq, seq);
      assert.deepEqual(epoch.parents.map(String), previous === undefined ? [] : [previous]);
      for (const entry of epoch.events) {
        const eventCid = Array.isArray(entry) ? entry[0] : entry;
        const event = await fetch(`${node.url}/events/${String(eventCid)}`, { headers });
        assert.equal(event.status, 200, `event ${String(eventCid)} is published`);
      }
      previous = cid;
    }
    assert.equal(listing.seq, listing.epochs.length);
  });
});
