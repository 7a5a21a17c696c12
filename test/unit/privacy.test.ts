/**
 * Private-space commitments (core/state/privacy.ts): salted keys and hiding leaves. The attack each
 * property stops: an outsider who guesses a key name or a value and looks for it among the published
 * keys and leaves of a private space.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { blake3 } from "@noble/hashes/blake3.js";
import { poseidon2 } from "poseidon-lite/poseidon2";
import { poseidon4 } from "poseidon-lite/poseidon4";
import { isPublicSpaceId, saltFromBytes, spaceSaltKey, spaceSaltLeafValue } from "../../core/state/privacy.js";
import { contentHashField, leafValue, stateKey } from "../../core/state/state-tree.js";

const SPACE = "tinycloud:pkh:eip155:1:0x6a12c8594c5c850d57612ca58810abb8aeba5c8a:default";
const PUBLIC = "tinycloud:pkh:eip155:1:0x6a12c8594c5c850d57612ca58810abb8aeba5c8a:public";
const SALT = saltFromBytes(Uint8Array.from({ length: 31 }, (_, i) => i + 1));

test("public and private spaces are told apart by the space name; what does not parse is private", () => {
  assert.equal(isPublicSpaceId(PUBLIC), true);
  assert.equal(isPublicSpaceId(SPACE), false);
  assert.equal(isPublicSpaceId("tinycloud:pkh:eip155:1:0x6a12c8594c5c850d57612ca58810abb8aeba5c8a:publicx"), false);
  assert.equal(isPublicSpaceId("not a space id"), false);
});

test("a salted key is blake3(0x00 ‖ salt ‖ the public preimage), first 31 bytes (independent recomputation)", () => {
  const utf8 = new TextEncoder();
  const tail = utf8.encode(`${SPACE}\u0000kv\u0000medical/hiv-test`);
  const salt = Uint8Array.from({ length: 31 }, (_, i) => i + 1);
  const preimage = new Uint8Array([0, ...salt, ...tail]);
  const digest = blake3(preimage);
  const expected = BigInt(`0x${Buffer.from(digest.subarray(0, 31)).toString("hex")}`);
  assert.equal(stateKey(SPACE, "kv", "medical/hiv-test", SALT), expected);
  // The guess attack: the unsalted key of the guessed name is not the published one.
  assert.notEqual(stateKey(SPACE, "kv", "medical/hiv-test"), expected);
  // Another salt, another key.
  assert.notEqual(stateKey(SPACE, "kv", "medical/hiv-test", SALT + 1n), expected);
});

test("a hiding leaf is Poseidon4(contentHash, version, deleted, salt); without the salt a guessed value does not match", () => {
  const content = contentHashField(new TextEncoder().encode("positive"));
  const leaf = leafValue(content, 3, false, SALT);
  assert.equal(leaf, poseidon4([content, 3n, 0n, SALT]));
  assert.notEqual(leafValue(content, 3, false), leaf);
  assert.notEqual(leafValue(contentHashField(new TextEncoder().encode("negative")), 3, false, SALT), leaf);
  assert.equal(leafValue(0n, 4, true, SALT), poseidon4([0n, 4n, 1n, SALT]));
});

test("the space salt is committed at a public key as Poseidon2(salt, 0)", () => {
  assert.equal(spaceSaltKey(SPACE), stateKey(SPACE, "space", "salt"));
  assert.equal(spaceSaltLeafValue(SALT), poseidon2([SALT, 0n]));
});

test("salts are 248-bit: a salt at or above 2^248 is refused", () => {
  assert.throws(() => saltFromBytes(new Uint8Array(32)), TypeError);
  assert.throws(() => stateKey(SPACE, "kv", "x", 1n << 248n), /below 2\^248/);
  assert.throws(() => leafValue(1n, 1, false, 1n << 248n), /below 2\^248/);
});
