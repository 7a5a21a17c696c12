/**
 * The node's per-space host keys (node/server/node-keys.ts). Attack: anyone can ask
 * `GET /peer/generate/:spaceId` for any number of distinct names; each was cached forever. The cache is
 * now an LRU of HOST_KEY_CACHE_SIZE entries, and a key that left it is derived again, identical.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { HOST_KEY_CACHE_SIZE, NodeKeys } from "../../node/server/node-keys.js";

const name = (i: number) => `tinycloud:pkh:eip155:1:0x${i.toString(16).padStart(40, "0")}:default`;

describe("NodeKeys host-key cache", () => {
  test("10,000 distinct names leave at most HOST_KEY_CACHE_SIZE keys cached", () => {
    const keys = new NodeKeys(new Uint8Array(32).fill(1));
    for (let i = 0; i < 10_000; i++) {
      keys.hostKey(name(i));
      assert.ok(keys.hostKeyCacheSize <= HOST_KEY_CACHE_SIZE, `cache grew to ${keys.hostKeyCacheSize} after ${i + 1} names`);
    }
    assert.equal(keys.hostKeyCacheSize, HOST_KEY_CACHE_SIZE);
  });

  test("an evicted key is derived again, identical; a recently used key is kept", () => {
    const keys = new NodeKeys(new Uint8Array(32).fill(2));
    const first = keys.hostKey(name(0));
    const kept = keys.hostKey(name(1));
    for (let i = 2; i < HOST_KEY_CACHE_SIZE + 10; i++) {
      keys.hostKey(name(i));
      if (i % 100 === 0) keys.hostKey(name(1)); // name(1) stays recently used
    }
    assert.equal(keys.hostKey(name(1)), kept, "a recently used key is the cached object");
    const again = keys.hostKey(name(0));
    assert.notEqual(again, first, "name(0) was evicted and derived again");
    assert.equal(again.did, first.did);
    assert.deepEqual(again.publicKey, first.publicKey);
    assert.equal(new NodeKeys(new Uint8Array(32).fill(2)).hostKey(name(0)).did, first.did, "derivation depends only on the secret and the name");
  });
});
