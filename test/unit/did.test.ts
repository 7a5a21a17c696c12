import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ed25519 } from "@noble/curves/ed25519.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { base58btc } from "multiformats/bases/base58";
import { varint } from "multiformats";
import { canonicalDid, canonicalDidOfUrl, checksumAddress, didKeyFromPublicKey, didKeyVerificationMethod, parseDid, parseDidUrl, pkhDid, resolveDidKey } from "../../core/did.js";
import { ed25519Signer } from "../../core/keys.js";
import { hex, loadVectors } from "../helpers/vectors.js";

const wasm = loadVectors("official-wasm.json");
const WALLET: string = wasm.constants.walletAddress; // 0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A
const OTHER_WALLET: string = wasm.constants.otherWalletAddress;
const HOST = wasm.constants.hostPeer;

/** did:key text for an arbitrary multicodec and key body (to build malformed keys). */
function didKeyOf(codec: number, body: Uint8Array): string {
  const prefix = varint.encodeTo(codec, new Uint8Array(varint.encodingLength(codec)));
  const bytes = new Uint8Array(prefix.length + body.length);
  bytes.set(prefix, 0);
  bytes.set(body, prefix.length);
  return `did:key:${base58btc.encode(bytes)}`;
}

/** Swap the case of the first letter (a-f / A-F) in the hex body of a checksummed address. */
function breakChecksum(address: string): string {
  const body = address.slice(2);
  const i = body.search(/[a-fA-F]/);
  const ch = body[i] as string;
  const swapped = ch === ch.toLowerCase() ? ch.toUpperCase() : ch.toLowerCase();
  return `0x${body.slice(0, i)}${swapped}${body.slice(i + 1)}`;
}

describe("did:pkh", () => {
  test("default: a checksummed did:pkh parses to its chain id and EIP-55 address", () => {
    const parsed = parseDid(`did:pkh:eip155:1:${WALLET}`);
    assert.deepEqual(parsed, {
      method: "pkh",
      namespace: "eip155",
      chainId: 1,
      address: WALLET,
      did: `did:pkh:eip155:1:${WALLET}`,
    });
  });

  test("behavior: an all-lowercase address is canonicalized to EIP-55", () => {
    const lower = WALLET.toLowerCase();
    assert.notEqual(lower, WALLET);
    assert.equal(canonicalDid(`did:pkh:eip155:1:${lower}`), `did:pkh:eip155:1:${WALLET}`);
    assert.equal(canonicalDid(`did:pkh:eip155:8453:${OTHER_WALLET.toLowerCase()}`), `did:pkh:eip155:8453:${OTHER_WALLET}`);
    assert.equal(pkhDid(1, lower), `did:pkh:eip155:1:${WALLET}`);
  });

  test("behavior: an all-uppercase address (hex digits only uppercase) is accepted and checksummed", () => {
    const upper = `0x${WALLET.slice(2).toUpperCase()}`;
    assert.equal(parseDid(`did:pkh:eip155:1:${upper}`).did, `did:pkh:eip155:1:${WALLET}`);
    assert.equal(checksumAddress(upper), WALLET);
  });

  test("behavior: chain id is kept as a number and written back without change", () => {
    const parsed = parseDid(`did:pkh:eip155:8453:${WALLET}`);
    assert.equal(parsed.method === "pkh" && parsed.chainId, 8453);
    assert.equal(parsed.did, `did:pkh:eip155:8453:${WALLET}`);
    assert.equal(pkhDid(137, WALLET), `did:pkh:eip155:137:${WALLET}`);
  });

  test("error: chain id 0 is rejected with DID_BAD_CHAIN_ID", () => {
    assert.throws(() => parseDid(`did:pkh:eip155:0:${WALLET}`), { code: "DID_BAD_CHAIN_ID" });
    assert.throws(() => pkhDid(0, WALLET), { code: "DID_BAD_CHAIN_ID" });
  });

  test("error: a chain id with leading zeros is rejected with DID_BAD_CHAIN_ID", () => {
    assert.throws(() => parseDid(`did:pkh:eip155:01:${WALLET}`), { code: "DID_BAD_CHAIN_ID" });
    assert.throws(() => canonicalDid(`did:pkh:eip155:0001:${WALLET}`), { code: "DID_BAD_CHAIN_ID" });
  });

  for (const chain of ["0x1", "one", "-1", "1.5", "1e3", "9007199254740993"]) {
    test(`error: non-decimal or unsafe chain id "${chain}" is rejected with DID_BAD_CHAIN_ID`, () => {
      assert.throws(() => parseDid(`did:pkh:eip155:${chain}:${WALLET}`), { code: "DID_BAD_CHAIN_ID" });
    });
  }

  test("error: an address of the wrong length is rejected with DID_BAD_ADDRESS", () => {
    assert.throws(() => parseDid(`did:pkh:eip155:1:${WALLET.slice(0, -1)}`), { code: "DID_BAD_ADDRESS" });
    assert.throws(() => parseDid(`did:pkh:eip155:1:${WALLET}a`), { code: "DID_BAD_ADDRESS" });
    assert.throws(() => parseDid(`did:pkh:eip155:1:${WALLET.slice(2)}`), { code: "DID_BAD_ADDRESS" });
    assert.throws(() => parseDid(`did:pkh:eip155:1:0x${"g".repeat(40)}`), { code: "DID_BAD_ADDRESS" });
    assert.throws(() => checksumAddress("0x"), { code: "DID_BAD_ADDRESS" });
  });

  test("error: a mixed-case address with a wrong checksum is rejected with DID_BAD_CHECKSUM", () => {
    const broken = breakChecksum(WALLET);
    assert.notEqual(broken, WALLET);
    assert.notEqual(broken, broken.toLowerCase());
    assert.equal(broken.toLowerCase(), WALLET.toLowerCase());
    assert.throws(() => parseDid(`did:pkh:eip155:1:${broken}`), { code: "DID_BAD_CHECKSUM" });
    assert.throws(() => checksumAddress(broken), { code: "DID_BAD_CHECKSUM" });
    assert.throws(() => pkhDid(1, breakChecksum(OTHER_WALLET)), { code: "DID_BAD_CHECKSUM" });
  });

  test("error: a non-eip155 namespace is rejected with DID_UNSUPPORTED_METHOD", () => {
    assert.throws(() => parseDid(`did:pkh:solana:1:${WALLET}`), { code: "DID_UNSUPPORTED_METHOD" });
    assert.throws(() => canonicalDid("did:pkh:bip122:000000000019d6689c085ae165831e93:128Lkh3S7CkDTBZ8W7BbpsN3YYizJMp8p6"), {
      code: "DID_UNSUPPORTED_METHOD",
    });
  });

  test("error: a did:pkh with the wrong number of parts is rejected with DID_MALFORMED", () => {
    assert.throws(() => parseDid("did:pkh:eip155:1"), { code: "DID_MALFORMED" });
    assert.throws(() => parseDid(`did:pkh:eip155:1:${WALLET}:extra`), { code: "DID_MALFORMED" });
  });
});

describe("did:key", () => {
  test("default: Ed25519 did:key from the public key equals the official client's host peer DID", () => {
    const publicKey = hex(HOST.ed25519PublicHex);
    assert.deepEqual(ed25519.getPublicKey(hex(HOST.ed25519SecretHex)), publicKey);
    assert.equal(didKeyFromPublicKey(publicKey), HOST.did);
    assert.equal(didKeyFromPublicKey(publicKey, "ed25519"), HOST.did);
    assert.ok(HOST.did.startsWith("did:key:z6Mk"));
  });

  test("behavior: Ed25519 did:key round trip: parse returns the same key bytes and multibase", () => {
    const parsed = parseDid(HOST.did);
    assert.equal(parsed.method, "key");
    assert.ok(parsed.method === "key");
    assert.equal(parsed.keyType, "ed25519");
    assert.deepEqual(parsed.publicKey, hex(HOST.ed25519PublicHex));
    assert.equal(parsed.multibase, HOST.did.slice("did:key:".length));
    assert.equal(parsed.did, HOST.did);
    assert.equal(canonicalDid(HOST.did), HOST.did);
  });

  test("behavior: the session DIDs of the official client parse as Ed25519 keys of their JWK", () => {
    const jwkX: string = wasm.clientSession.session.jwk.x;
    const parsed = parseDid(wasm.clientSession.did);
    assert.ok(parsed.method === "key");
    assert.equal(Buffer.from(parsed.publicKey).toString("base64url"), jwkX);
    assert.equal(didKeyFromPublicKey(Uint8Array.from(Buffer.from(jwkX, "base64url"))), wasm.clientSession.did);
  });

  test("behavior: secp256k1 did:key (compressed 33 bytes) round trips", () => {
    const secret = new Uint8Array(32).fill(0x11);
    const publicKey = secp256k1.getPublicKey(secret, true);
    assert.equal(publicKey.length, 33);
    const did = didKeyFromPublicKey(publicKey, "secp256k1");
    assert.ok(did.startsWith("did:key:zQ3s"), did);
    const parsed = parseDid(did);
    assert.ok(parsed.method === "key");
    assert.equal(parsed.keyType, "secp256k1");
    assert.deepEqual(parsed.publicKey, publicKey);
    assert.equal(parsed.did, did);
    assert.equal(canonicalDid(did), did);
    // Multicodec 0xe7 is the varint e7 01.
    assert.deepEqual(base58btc.decode(parsed.multibase).subarray(0, 2), Uint8Array.of(0xe7, 0x01));
  });

  test("behavior: mutating a returned public key does not change what a later parse returns", () => {
    const secret = new Uint8Array(32).fill(0x5a);
    const did = didKeyFromPublicKey(ed25519.getPublicKey(secret));
    const first = parseDid(did);
    assert.ok(first.method === "key");
    first.publicKey[0] = (first.publicKey[0] as number) ^ 0xff;
    const again = parseDid(did);
    assert.ok(again.method === "key");
    assert.deepEqual(again.publicKey, ed25519.getPublicKey(secret));
  });

  test("error: didKeyFromPublicKey rejects a key of the wrong length with DID_BAD_KEY", () => {
    assert.throws(() => didKeyFromPublicKey(new Uint8Array(31)), { code: "DID_BAD_KEY" });
    assert.throws(() => didKeyFromPublicKey(new Uint8Array(33), "ed25519"), { code: "DID_BAD_KEY" });
    const uncompressed = secp256k1.getPublicKey(new Uint8Array(32).fill(0x11), false);
    assert.equal(uncompressed.length, 65);
    assert.throws(() => didKeyFromPublicKey(uncompressed, "secp256k1"), { code: "DID_BAD_KEY" });
  });

  test("error: a did:key holding the wrong number of key bytes is rejected with DID_BAD_KEY", () => {
    const publicKey = hex(HOST.ed25519PublicHex);
    assert.throws(() => parseDid(didKeyOf(0xed, publicKey.subarray(0, 31))), { code: "DID_BAD_KEY" });
    assert.throws(() => parseDid(didKeyOf(0xed, new Uint8Array([...publicKey, 0]))), { code: "DID_BAD_KEY" });
    const compressed = secp256k1.getPublicKey(new Uint8Array(32).fill(0x11), true);
    assert.throws(() => parseDid(didKeyOf(0xe7, compressed.subarray(0, 32))), { code: "DID_BAD_KEY" });
    assert.throws(() => parseDid(didKeyOf(0xe7, secp256k1.getPublicKey(new Uint8Array(32).fill(0x11), false))), {
      code: "DID_BAD_KEY",
    });
  });

  test("error: the preparedSession verification method (did:key written twice) is rejected with DID_UNSUPPORTED_KEY_TYPE", () => {
    // base58 is positional, so two concatenated did:key strings do not decode to two concatenated
    // byte strings: the leading varint of the decoded bytes is 0x02, not 0xed.
    const doubled: string = wasm.preparedSession.prepared.verificationMethod;
    assert.equal(doubled, `${wasm.preparedSession.didKeyOfJwk}${wasm.preparedSession.didKeyOfJwk.slice("did:key:".length)}`);
    assert.equal(varint.decode(base58btc.decode(doubled.slice("did:key:".length)))[0], 0x02);
    assert.throws(() => parseDid(doubled), { code: "DID_UNSUPPORTED_KEY_TYPE" });
  });

  test("error: a did:key that is not base58btc is rejected with DID_BAD_KEY", () => {
    // 0, O, I and l are not in the base58 alphabet but pass the DID syntax check.
    assert.throws(() => parseDid("did:key:z6Mk0OIl"), { code: "DID_BAD_KEY" });
    assert.throws(() => parseDid("did:key:z"), { code: "DID_BAD_KEY" });
  });

  test("error: an unsupported multicodec is rejected with DID_UNSUPPORTED_KEY_TYPE", () => {
    // 0x1200 = p256-pub (a did:key:zDn…), 0x1205 = rsa-pub.
    const body = new Uint8Array(33).fill(3);
    assert.throws(() => parseDid(didKeyOf(0x1200, body)), { code: "DID_UNSUPPORTED_KEY_TYPE" });
    assert.throws(() => parseDid(didKeyOf(0x1205, body)), { code: "DID_UNSUPPORTED_KEY_TYPE" });
    assert.throws(() => parseDid(didKeyOf(0xec, new Uint8Array(32).fill(1))), { code: "DID_UNSUPPORTED_KEY_TYPE" });
  });

  test("error: a multibase other than base58btc ('z') is rejected with DID_BAD_KEY", () => {
    const bytes = base58btc.decode(HOST.did.slice("did:key:".length));
    const hexMultibase = `f${Buffer.from(bytes).toString("hex")}`;
    assert.throws(() => parseDid(`did:key:${hexMultibase}`), { code: "DID_BAD_KEY" });
    assert.throws(() => parseDid(`did:key:${HOST.did.slice("did:key:z".length)}`), { code: "DID_BAD_KEY" });
    assert.throws(() => parseDid("did:key:bafkqaaa"), { code: "DID_BAD_KEY" });
  });

  test("error: an Ed25519 key that is not a curve point is rejected with DID_BAD_KEY", () => {
    const notAPoint = new Uint8Array(32).fill(2);
    assert.throws(() => ed25519.Point.fromBytes(notAPoint));
    assert.throws(() => parseDid(didKeyOf(0xed, notAPoint)), { code: "DID_BAD_KEY" });
  });

  test("error: a secp256k1 key that is not a curve point is rejected with DID_BAD_KEY", () => {
    // x = 5 has no y on secp256k1 (x^3 + 7 is not a square).
    const noY = new Uint8Array(33);
    noY[0] = 0x02;
    noY[32] = 5;
    assert.throws(() => secp256k1.Point.fromBytes(noY));
    assert.throws(() => parseDid(didKeyOf(0xe7, noY)), { code: "DID_BAD_KEY" });
    const badPrefix = secp256k1.getPublicKey(new Uint8Array(32).fill(0x11), true);
    badPrefix[0] = 0x05;
    assert.throws(() => parseDid(didKeyOf(0xe7, badPrefix)), { code: "DID_BAD_KEY" });
  });
});

describe("DID URLs", () => {
  const multibase = HOST.did.slice("did:key:".length);

  test("default: parseDidUrl splits off the fragment", () => {
    assert.deepEqual(parseDidUrl(`${HOST.did}#${multibase}`), { did: HOST.did, fragment: multibase });
    assert.deepEqual(parseDidUrl(HOST.did), { did: HOST.did });
  });

  test("behavior: didKeyVerificationMethod is did#multibase and matches the Ed25519 signer's", () => {
    assert.equal(didKeyVerificationMethod(HOST.did), `${HOST.did}#${multibase}`);
    const signer = ed25519Signer(hex(HOST.ed25519SecretHex));
    assert.equal(signer.did, HOST.did);
    assert.equal(signer.verificationMethod, didKeyVerificationMethod(HOST.did));
  });

  test("behavior: resolveDidKey accepts the DID alone and the DID URL whose fragment names the key", () => {
    for (const url of [HOST.did, `${HOST.did}#${multibase}`]) {
      const key = resolveDidKey(url);
      assert.equal(key.did, HOST.did);
      assert.equal(key.keyType, "ed25519");
      assert.deepEqual(key.publicKey, hex(HOST.ed25519PublicHex));
    }
  });

  test("behavior: canonicalDidOfUrl strips the fragment and canonicalizes", () => {
    assert.equal(canonicalDidOfUrl(`${HOST.did}#${multibase}`), HOST.did);
    assert.equal(canonicalDidOfUrl(`did:pkh:eip155:1:${WALLET.toLowerCase()}#blockchainAccountId`), `did:pkh:eip155:1:${WALLET}`);
  });

  test("error: resolveDidKey rejects a fragment that names another key with DID_BAD_FRAGMENT", () => {
    const other = wasm.clientSession.did.slice("did:key:".length);
    assert.throws(() => resolveDidKey(`${HOST.did}#${other}`), { code: "DID_BAD_FRAGMENT" });
    assert.throws(() => resolveDidKey(`${HOST.did}#key-1`), { code: "DID_BAD_FRAGMENT" });
  });

  test("error: empty fragment, a second '#', or whitespace in the fragment is rejected with DID_BAD_FRAGMENT", () => {
    assert.throws(() => parseDidUrl(`${HOST.did}#`), { code: "DID_BAD_FRAGMENT" });
    assert.throws(() => parseDidUrl(`${HOST.did}#a#b`), { code: "DID_BAD_FRAGMENT" });
    assert.throws(() => parseDidUrl(`${HOST.did}#a b`), { code: "DID_BAD_FRAGMENT" });
    assert.throws(() => resolveDidKey(`${HOST.did}#`), { code: "DID_BAD_FRAGMENT" });
  });

  test("error: parseDid rejects a DID URL with a fragment with DID_MALFORMED", () => {
    assert.throws(() => parseDid(`${HOST.did}#${multibase}`), { code: "DID_MALFORMED" });
  });

  test("error: resolveDidKey of a did:pkh or did:web is rejected with DID_UNSUPPORTED_METHOD", () => {
    assert.throws(() => resolveDidKey(`did:pkh:eip155:1:${WALLET}`), { code: "DID_UNSUPPORTED_METHOD" });
    assert.throws(() => resolveDidKey("did:web:example.com"), { code: "DID_UNSUPPORTED_METHOD" });
    assert.throws(() => didKeyVerificationMethod(`did:pkh:eip155:1:${WALLET}`), { code: "DID_UNSUPPORTED_METHOD" });
  });
});

describe("canonicalDid: other methods and syntax", () => {
  for (const did of ["did:web:example.com", "did:web:example.com%3A8443:user:alice", "did:example:123456789abcdefghi", "did:ion:EiA_x-y.z"]) {
    test(`default: ${did} passes through unchanged`, () => {
      assert.equal(canonicalDid(did), did);
    });
  }

  test("error: parseDid of a syntactically valid but unsupported method is rejected with DID_UNSUPPORTED_METHOD", () => {
    assert.throws(() => parseDid("did:web:example.com"), { code: "DID_UNSUPPORTED_METHOD" });
  });

  for (const bad of [
    "web:example.com",
    "DID:web:example.com",
    "did:web",
    "did::example.com",
    "did:web:",
    "did:Web:example.com",
    "did:we-b:example.com",
    "did:web:exa mple.com",
    "did:web:example.com:",
    "did:web:example.com/path",
    "did:web:%zz",
    "did:web:%4",
    "",
  ]) {
    test(`error: syntactically bad DID ${JSON.stringify(bad)} is rejected with DID_MALFORMED`, () => {
      assert.throws(() => canonicalDid(bad), { code: "DID_MALFORMED" });
    });
  }

  test("error: canonicalDid validates did:key and did:pkh (not a pass-through)", () => {
    assert.throws(() => canonicalDid("did:key:z6Mk0OIl"), { code: "DID_BAD_KEY" });
    assert.throws(() => canonicalDid(`did:pkh:eip155:0:${WALLET}`), { code: "DID_BAD_CHAIN_ID" });
  });

  test("error: the errors are DidError instances with a name", () => {
    assert.throws(
      () => canonicalDid("nope"),
      (e: unknown) => e instanceof Error && e.name === "DidError",
    );
  });
});
