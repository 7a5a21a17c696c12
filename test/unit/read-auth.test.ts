/**
 * The reader's authorization for private spaces (lightclient/transports/read-auth.ts) and the CLI's
 * --auth-key / --proof parsing (cli/reader-key.ts): the invocation is what the node's read gate expects
 * (iss = aud = the reader, tinycloud.kv/get on the resource, prf, a short lifetime, a nonce), and bad
 * input is a clear usage error.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { decodeUcan, verifyUcanSignature } from "../../core/auth/ucan.js";
import { formatCapabilityResource } from "../../core/resource.js";
import { bytesToHex } from "../../core/encoding.js";
import { ed25519Signer } from "../../core/keys.js";
import { MAX_READ_TOKEN_SECONDS, readAuthorization, signReadInvocation, spacesAuthorization } from "../../lightclient/transports/read-auth.js";
import { parseProofList, ReaderKeyError, readerKeyOf, readSessionKey } from "../../cli/reader-key.js";

const SECRET = new Uint8Array(32).fill(0x33);
const signer = ed25519Signer(SECRET);
const SPACE = "tinycloud:pkh:eip155:1:0x6a12C8594c5c850D57612cA58810aBB8aEba5c8A:notes";
const OTHER = "tinycloud:pkh:eip155:1:0x6a12C8594c5c850D57612cA58810aBB8aEba5c8A:diary";
const PROOF = "bafkr4icypdlzkdj35ekwtfiqa5btrlnkf3i4ahgzjmodaqgyevojl4nxqq";
const NOW = 1_800_000_000_000;
const dir = await mkdtemp(join(tmpdir(), "read-auth-"));
after(() => rm(dir, { recursive: true, force: true }));

test("a read invocation: iss = aud = the reader, kv/get on each resource, the proofs, exp within 300 s, a nonce", () => {
  const jwt = signReadInvocation({ signer, proofs: [PROOF], now: () => NOW }, [`${SPACE}/kv/a?version=2`]);
  const ucan = decodeUcan(jwt);
  verifyUcanSignature(ucan);
  assert.equal(ucan.issuer.split("#")[0], signer.did);
  assert.equal(ucan.audience, signer.did);
  assert.deepEqual(
    ucan.capabilities.map((c) => [formatCapabilityResource(c.resource), c.ability]),
    [[`${SPACE}/kv/a?version=2`, "tinycloud.kv/get"]],
  );
  assert.deepEqual(ucan.proofs.map(String), [PROOF]);
  assert.equal(ucan.expiration, NOW / 1000 + 120);
  assert.match(ucan.nonce ?? "", /^urn:uuid:/);
  // A fresh token per call (POST /invoke consumes one).
  const fresh = readAuthorization({ signer, proofs: [] });
  assert.notEqual(fresh(`${SPACE}/kv/a`), fresh(`${SPACE}/kv/a`));
  assert.throws(() => readAuthorization({ signer, proofs: [], lifetimeSeconds: MAX_READ_TOKEN_SECONDS + 1 }), RangeError);
});

test("the auditor's token: one invocation for every space's kv service, reused, re-signed before it expires", () => {
  let now = NOW;
  const header = spacesAuthorization({ signer, proofs: [PROOF], now: () => now, lifetimeSeconds: 300 }, [SPACE, OTHER]);
  const first = header();
  assert.deepEqual(
    decodeUcan(first)
      .capabilities.map((c) => formatCapabilityResource(c.resource))
      .sort(),
    [`${OTHER}/kv`, `${SPACE}/kv`],
  );
  now += 150_000;
  assert.equal(header(), first, "reused within its lifetime");
  now += 60_000;
  const second = header();
  assert.notEqual(second, first, "re-signed in the last third of its lifetime");
  assert.ok(decodeUcan(second).expiration > decodeUcan(first).expiration);
  assert.throws(() => spacesAuthorization({ signer, proofs: [] }, []), RangeError);
  assert.throws(() => spacesAuthorization({ signer, proofs: [] }, ["not a space"]));
});

test("--auth-key reads `tinycloud keygen` JSON or bare hex; garbage is a ReaderKeyError", async () => {
  const json = join(dir, "key.json");
  await writeFile(json, JSON.stringify({ did: signer.did, secretKeyHex: bytesToHex(SECRET) }));
  assert.equal((await readSessionKey(json)).did, signer.did);
  const hex = join(dir, "key.hex");
  await writeFile(hex, `${bytesToHex(SECRET)}\n`);
  assert.equal((await readSessionKey(hex)).did, signer.did);
  for (const [name, body] of [
    ["short", "abcd"],
    ["json-no-secret", "{}"],
    ["bad-json", "{nope"],
  ] as const) {
    const file = join(dir, name);
    await writeFile(file, body);
    await assert.rejects(readSessionKey(file), ReaderKeyError);
  }
  await assert.rejects(readSessionKey(join(dir, "missing")), ReaderKeyError);
});

test("--proof is a comma-separated CID list; --proof needs --auth-key", async () => {
  assert.deepEqual(parseProofList(`${PROOF}, ${PROOF}`), [PROOF, PROOF]);
  assert.deepEqual(parseProofList(undefined), []);
  assert.throws(() => parseProofList("not-a-cid"), ReaderKeyError);
  await assert.rejects(readerKeyOf({ proof: PROOF }), ReaderKeyError);
  assert.equal(await readerKeyOf({}), undefined);
});
