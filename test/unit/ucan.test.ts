import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { makeCapability } from "../../core/capability.js";
import { parseCid, rawBlake3Cid, sameMultihash } from "../../core/cid.js";
import { didKeyFromPublicKey } from "../../core/did.js";
import { bytesToHex, bytesToUtf8, decodeBase64UrlUnpadded, encodeBase64UrlPadded, encodeBase64UrlUnpadded, utf8ToBytes } from "../../core/encoding.js";
import { ed25519PublicJwk, ed25519Signer } from "../../core/keys.js";
import { MAX_UCAN_LENGTH, createUcan, decodeUcan, verifyUcanSignature } from "../../core/auth/ucan.js";
import { hex, loadVectors } from "../helpers/vectors.js";

const wasm = loadVectors("official-wasm.json");
const invocations: any[] = wasm.invocations;
const WALLET: string = wasm.constants.walletAddress;
const SPACE = `tinycloud:pkh:eip155:1:${WALLET}:default`;
const ORBIT = `tinycloud:pkh:eip155:1:${WALLET}://default`;
const EXP = 1795484310.123;

const alice = ed25519Signer(new Uint8Array(32).fill(0x07));
const bob = ed25519Signer(new Uint8Array(32).fill(0x08));

const b64 = (text: string): string => encodeBase64UrlUnpadded(utf8ToBytes(text));
const segments = (jwt: string): [string, string, string] => jwt.split(".") as [string, string, string];
const segmentText = (segment: string): string => bytesToUtf8(decodeBase64UrlUnpadded(segment));

/** Header and payload of a valid 0.10.0 invocation by `alice`; each negative test changes one thing. */
function baseHeader(signer = alice): Record<string, unknown> {
  return { alg: "EdDSA", jwk: ed25519PublicJwk(signer.publicKey), typ: "JWT", ucv: "0.10.0" };
}
function basePayload(signer = alice): Record<string, unknown> {
  return {
    iss: signer.verificationMethod,
    aud: signer.did,
    exp: EXP,
    prf: [wasm.clientSession.cidRaw],
    att: { [`${SPACE}/kv/photos`]: { "tinycloud.kv/get": [{}] } },
  };
}

/** Serialize (objects with JSON.stringify, strings verbatim), base64url them and sign with `signer`. */
function craft(header: unknown, payload: unknown, signer = alice): string {
  const text = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v));
  const signingInput = `${b64(text(header))}.${b64(text(payload))}`;
  return `${signingInput}.${encodeBase64UrlUnpadded(signer.sign(utf8ToBytes(signingInput)))}`;
}

describe("UCAN: official client 0.2.1 invocations", () => {
  test("default: the vector file holds 12 invocations, 6 per session flow", () => {
    assert.equal(invocations.length, 12);
    assert.equal(invocations.filter((i) => i.session === "clientSession").length, 6);
    assert.equal(invocations.filter((i) => i.session === "preparedSession").length, 6);
  });

  for (const [index, v] of invocations.entries()) {
    const label = `${index} ${v.session} ${v.service}/${v.action}`;

    test(`${label}: decodes as a 0.9.0 UCAN with the vector's fields`, () => {
      const ucan = decodeUcan(v.authorization);
      assert.equal(ucan.version, "0.9.0");
      assert.deepEqual(ucan.header, v.header);
      assert.deepEqual(ucan.payload, v.payload);
      assert.equal(ucan.issuer, v.payload.iss);
      assert.equal(ucan.audience, v.payload.aud);
      assert.equal(ucan.expiration, v.exp);
      assert.equal(ucan.notBefore, undefined);
      assert.equal(ucan.nonce, v.payload.nnc);
      assert.deepEqual(ucan.facts, []);
      assert.equal(bytesToHex(ucan.signature), v.signatureHex);
      assert.equal(segmentText(segments(v.authorization)[1]), v.payloadJsonText);
      assert.equal(ucan.capabilities.length, 1);
      const [cap] = ucan.capabilities;
      assert.equal(cap?.ability, `tinycloud.${v.service}/${v.action}`);
      assert.equal(cap?.resource.kind, "tinycloud");
      if (cap?.resource.kind === "tinycloud") {
        assert.equal(cap.resource.space.form, "orbit");
        assert.equal(cap.resource.service, v.service);
        assert.equal(cap.resource.path, v.path);
      }
      assert.deepEqual(cap?.caveats, []);
      assert.deepEqual(
        ucan.proofs.map((p) => p.toString()),
        v.payload.prf.map((p: { "/": string }) => p["/"]),
      );
    });

    test(`${label}: the CID is the raw blake3 CID of the JWT text`, () => {
      const ucan = decodeUcan(v.authorization);
      assert.equal(ucan.cid.toString(), v.cidRaw);
      assert.ok(ucan.cid.equals(rawBlake3Cid(utf8ToBytes(v.authorization))));
      assert.deepEqual(ucan.signingInput, utf8ToBytes(segments(v.authorization).slice(0, 2).join(".")));
    });

    if (v.session === "clientSession") {
      test(`${label}: the signature verifies against the did:key issuer`, () => {
        assert.doesNotThrow(() => verifyUcanSignature(decodeUcan(v.authorization)));
      });

      test(`${label}: proofs[0] has the multihash of the session delegation`, () => {
        const ucan = decodeUcan(v.authorization);
        assert.equal(ucan.proofs.length, 1);
        assert.ok(sameMultihash(ucan.proofs[0] as never, parseCid(wasm.clientSession.cidRaw)));
        assert.equal(ucan.proofs[0]?.toString(), wasm.clientSession.cidDagCbor);
      });
    } else {
      test(`${label}: the broken issuer (did:key written twice) fails verification with a DID error`, () => {
        const ucan = decodeUcan(v.authorization);
        assert.equal(ucan.issuer, wasm.preparedSession.prepared.verificationMethod);
        // base58 of the doubled text decodes to a leading varint 0x02, so the key type is reported unsupported.
        assert.throws(() => verifyUcanSignature(ucan), { name: "DidError", code: "DID_UNSUPPORTED_KEY_TYPE" });
        assert.ok(sameMultihash(ucan.proofs[0] as never, parseCid(wasm.preparedSession.cidRaw)));
      });
    }
  }

  test("behavior: a clientSession invocation with one payload character changed fails with UCAN_BAD_SIGNATURE", () => {
    const v = invocations[0];
    const [h, p, s] = segments(v.authorization);
    const nonce: string = v.payload.nnc;
    const tamperedPayload = b64(
      segmentText(p).replace(
        nonce,
        nonce.replace(/.$/, (c) => (c === "0" ? "1" : "0")),
      ),
    );
    assert.notEqual(tamperedPayload, p);
    assert.throws(() => verifyUcanSignature(decodeUcan(`${h}.${tamperedPayload}.${s}`)), { code: "UCAN_BAD_SIGNATURE" });
  });
});

describe("UCAN: createUcan 0.10.0", () => {
  const capabilities = [
    makeCapability(`${SPACE}/kv/photos`, "tinycloud.kv/put", [{ maxSize: 1024 }]),
    makeCapability(`${SPACE}/kv/photos`, "tinycloud.kv/get"),
    makeCapability(`${ORBIT}/capabilities/all`, "tinycloud.capabilities/read"),
  ];
  const proof = parseCid(wasm.clientSession.cidRaw);

  test("default: decode returns the fields that were written, and the signature verifies", () => {
    const jwt = createUcan({ issuer: alice, capabilities, proofs: [proof], expiration: EXP, nonce: "n-1" });
    const ucan = decodeUcan(jwt);
    assert.equal(ucan.version, "0.10.0");
    assert.equal(ucan.issuer, alice.verificationMethod);
    assert.equal(ucan.audience, alice.did);
    assert.equal(ucan.expiration, EXP);
    assert.equal(ucan.notBefore, undefined);
    assert.equal(ucan.nonce, "n-1");
    assert.deepEqual(ucan.facts, []);
    assert.equal(ucan.proofs.length, 1);
    assert.ok(ucan.proofs[0]?.equals(proof));
    // att is written in (resource, ability) byte order.
    assert.deepEqual(ucan.capabilities, [capabilities[2], capabilities[1], capabilities[0]]);
    assert.ok(ucan.cid.equals(rawBlake3Cid(utf8ToBytes(jwt))));
    assert.doesNotThrow(() => verifyUcanSignature(ucan));
  });

  test("behavior: nbf, audience and facts round trip", () => {
    const jwt = createUcan({
      issuer: alice,
      audience: bob.did,
      capabilities,
      expiration: EXP,
      notBefore: 1795484000,
      nonce: "n-2",
      facts: [{ requestId: "r-1" }],
    });
    const ucan = decodeUcan(jwt);
    assert.equal(ucan.audience, bob.did);
    assert.equal(ucan.notBefore, 1795484000);
    assert.deepEqual(ucan.facts, [{ requestId: "r-1" }]);
    assert.deepEqual(ucan.proofs, []);
    assert.doesNotThrow(() => verifyUcanSignature(ucan));
  });

  test("behavior: the header is {alg, jwk{alg, kty, crv, x}, typ, ucv} in that order", () => {
    const jwt = createUcan({ issuer: alice, capabilities, expiration: EXP });
    const header = segmentText(segments(jwt)[0]);
    assert.ok(header.startsWith('{"alg":"EdDSA","jwk":{"alg":"EdDSA","kty":"OKP","crv":"Ed25519","x":'), header);
    assert.equal(header, `{"alg":"EdDSA","jwk":{"alg":"EdDSA","kty":"OKP","crv":"Ed25519","x":"${encodeBase64UrlUnpadded(alice.publicKey)}"},"typ":"JWT","ucv":"0.10.0"}`);
  });

  test("behavior: payload members are in the order iss, aud, [nbf], exp, [nnc], [fct], prf, att", () => {
    const full = createUcan({ issuer: alice, capabilities, proofs: [proof], expiration: EXP, notBefore: 1, nonce: "n", facts: [{ a: 1 }] });
    assert.deepEqual(Object.keys(JSON.parse(segmentText(segments(full)[1])) as object), ["iss", "aud", "nbf", "exp", "nnc", "fct", "prf", "att"]);
    const minimal = createUcan({ issuer: alice, capabilities, expiration: EXP });
    assert.deepEqual(Object.keys(JSON.parse(segmentText(segments(minimal)[1])) as object), ["iss", "aud", "exp", "prf", "att"]);
    const noFacts = createUcan({ issuer: alice, capabilities, expiration: EXP, facts: [] });
    assert.deepEqual(Object.keys(JSON.parse(segmentText(segments(noFacts)[1])) as object), ["iss", "aud", "exp", "prf", "att"]);
  });

  test("behavior: empty caveats are written [{}], others verbatim; prf entries are CID strings", () => {
    const jwt = createUcan({ issuer: alice, capabilities, proofs: [proof, "bafkr4ihkr4ld3m4gqkjf4reryxsy2s5tkbxprqkow6fin2iiyvreuzzab4"], expiration: EXP });
    const payload = JSON.parse(segmentText(segments(jwt)[1])) as { att: Record<string, Record<string, unknown>>; prf: unknown };
    assert.deepEqual(payload.att, {
      [`${ORBIT}/capabilities/all`]: { "tinycloud.capabilities/read": [{}] },
      [`${SPACE}/kv/photos`]: { "tinycloud.kv/get": [{}], "tinycloud.kv/put": [{ maxSize: 1024 }] },
    });
    assert.deepEqual(payload.prf, [proof.toString(), "bafkr4ihkr4ld3m4gqkjf4reryxsy2s5tkbxprqkow6fin2iiyvreuzzab4"]);
  });

  test("behavior: segments are unpadded base64url", () => {
    const jwt = createUcan({ issuer: alice, capabilities, expiration: EXP });
    assert.equal(jwt.split(".").length, 3);
    assert.match(jwt, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    assert.equal(decodeBase64UrlUnpadded(segments(jwt)[2]).length, 64);
  });
});

describe("UCAN: createUcan 0.9.0", () => {
  const capabilities = [makeCapability(`${ORBIT}/kv/default/hello.txt`, "tinycloud.kv/get")];
  const proof = parseCid(wasm.clientSession.cidDagCbor);

  test('default: header has no jwk and payload keys are sorted; prf entries are {"/": cid}', () => {
    const jwt = createUcan({ version: "0.9.0", issuer: alice, capabilities, proofs: [proof], expiration: EXP, nonce: "urn:uuid:x", notBefore: 5, facts: [{ a: 1 }] });
    const [h, p] = segments(jwt);
    assert.equal(segmentText(h), '{"alg":"EdDSA","typ":"JWT","ucv":"0.9.0"}');
    const payloadText = segmentText(p);
    const payload = JSON.parse(payloadText) as Record<string, unknown>;
    assert.deepEqual(Object.keys(payload), ["att", "aud", "exp", "fct", "iss", "nbf", "nnc", "prf"]);
    assert.deepEqual(payload["prf"], [{ "/": proof.toString() }]);
    assert.deepEqual(payload["att"], [{ can: "tinycloud.kv/get", with: `${ORBIT}/kv/default/hello.txt` }]);
    assert.ok(payloadText.startsWith('{"att":[{"can":"tinycloud.kv/get","with":'), payloadText);
  });

  test("behavior: a 0.9.0 UCAN decodes to the same capabilities and verifies", () => {
    const jwt = createUcan({ version: "0.9.0", issuer: alice, capabilities, proofs: [proof], expiration: EXP });
    const ucan = decodeUcan(jwt);
    assert.equal(ucan.version, "0.9.0");
    assert.deepEqual(ucan.capabilities, capabilities);
    assert.ok(ucan.proofs[0]?.equals(proof));
    assert.doesNotThrow(() => verifyUcanSignature(ucan));
  });

  test("behavior: it has the shape of the official client's invocations", () => {
    const official = invocations[0];
    const jwt = createUcan({ version: "0.9.0", issuer: alice, capabilities, proofs: [proof], expiration: EXP, nonce: official.payload.nnc });
    const payload = JSON.parse(segmentText(segments(jwt)[1])) as Record<string, unknown>;
    assert.deepEqual(Object.keys(payload), Object.keys(official.payload));
    assert.deepEqual(payload["att"], official.payload.att);
    assert.deepEqual(payload["prf"], official.payload.prf);
  });
});

describe("UCAN: crafted tokens (one defect each)", () => {
  test("default: the undamaged crafted token decodes and verifies (so each defect below is the only one)", () => {
    const ucan = decodeUcan(craft(baseHeader(), basePayload()));
    assert.equal(ucan.version, "0.10.0");
    assert.doesNotThrow(() => verifyUcanSignature(ucan));
    const v09 = decodeUcan(craft({ alg: "EdDSA", typ: "JWT", ucv: "0.9.0" }, { ...basePayload(), att: [{ with: `${SPACE}/kv/x`, can: "tinycloud.kv/get" }] }));
    assert.doesNotThrow(() => verifyUcanSignature(v09));
  });

  test("error: a payload with one base64 character changed fails with UCAN_BAD_SIGNATURE", () => {
    const jwt = craft(baseHeader(), { ...basePayload(), nnc: "AAAAAAAAAAAAAAAAAAAAAAAA" });
    const [h, p, s] = segments(jwt);
    // Change one character of the payload segment, from the end (where nnc is), and keep the first
    // change that still decodes with the same issuer: only the signed bytes differ.
    let tampered: string | undefined;
    for (let i = p.length - 1; i >= 0 && tampered === undefined; i--) {
      const replacement = p[i] === "A" ? "B" : "A";
      const candidate = `${h}.${p.slice(0, i)}${replacement}${p.slice(i + 1)}.${s}`;
      try {
        if (decodeUcan(candidate).issuer === alice.verificationMethod) tampered = candidate;
      } catch {
        // this position breaks the JSON: try the next one
      }
    }
    assert.ok(tampered !== undefined && tampered !== jwt);
    assert.notEqual(decodeUcan(tampered).nonce, "AAAAAAAAAAAAAAAAAAAAAAAA");
    assert.throws(() => verifyUcanSignature(decodeUcan(tampered)), { code: "UCAN_BAD_SIGNATURE" });
  });

  test("error: a payload re-encoded with a later exp fails with UCAN_BAD_SIGNATURE", () => {
    const [h, , s] = segments(craft(baseHeader(), basePayload()));
    const forged = `${h}.${b64(JSON.stringify({ ...basePayload(), exp: EXP + 3600 }))}.${s}`;
    assert.equal(decodeUcan(forged).expiration, EXP + 3600);
    assert.throws(() => verifyUcanSignature(decodeUcan(forged)), { code: "UCAN_BAD_SIGNATURE" });
  });

  test("error: a signature by another key fails with UCAN_BAD_SIGNATURE", () => {
    assert.throws(() => verifyUcanSignature(decodeUcan(craft(baseHeader(), basePayload(), bob))), { code: "UCAN_BAD_SIGNATURE" });
    // Without a jwk, as in 0.9.0.
    const v09 = craft({ alg: "EdDSA", typ: "JWT", ucv: "0.9.0" }, { ...basePayload(), att: [{ with: `${SPACE}/kv/x`, can: "tinycloud.kv/get" }] }, bob);
    assert.throws(() => verifyUcanSignature(decodeUcan(v09)), { code: "UCAN_BAD_SIGNATURE" });
  });

  test("error: a verifier that says no fails with UCAN_BAD_SIGNATURE", () => {
    const ucan = decodeUcan(craft(baseHeader(), basePayload()));
    assert.throws(() => verifyUcanSignature(ucan, () => false), { code: "UCAN_BAD_SIGNATURE" });
  });

  test("error: a header jwk of another key fails with UCAN_JWK_MISMATCH", () => {
    assert.throws(() => verifyUcanSignature(decodeUcan(craft(baseHeader(bob), basePayload()))), { code: "UCAN_JWK_MISMATCH" });
    // Signed by the key the jwk names, but iss names alice.
    assert.throws(() => verifyUcanSignature(decodeUcan(craft(baseHeader(bob), basePayload(), bob))), { code: "UCAN_JWK_MISMATCH" });
  });

  test("error: a header jwk that is not an Ed25519 OKP key fails with UCAN_JWK_MISMATCH", () => {
    const jwk = ed25519PublicJwk(alice.publicKey);
    for (const bad of [{ ...jwk, kty: "EC" }, { ...jwk, crv: "X25519" }, { alg: "EdDSA", kty: "OKP", crv: "Ed25519" }, "jwk"]) {
      assert.throws(() => verifyUcanSignature(decodeUcan(craft({ ...baseHeader(), jwk: bad }, basePayload()))), { code: "UCAN_JWK_MISMATCH" });
    }
  });

  test("error: ucv 0.8.1 (or none) fails with UCAN_UNSUPPORTED_VERSION", () => {
    assert.throws(() => decodeUcan(craft({ ...baseHeader(), ucv: "0.8.1" }, basePayload())), { code: "UCAN_UNSUPPORTED_VERSION" });
    assert.throws(() => decodeUcan(craft({ alg: "EdDSA", typ: "JWT" }, basePayload())), { code: "UCAN_UNSUPPORTED_VERSION" });
    assert.throws(() => decodeUcan(craft({ ...baseHeader(), ucv: "1.0.0" }, basePayload())), { code: "UCAN_UNSUPPORTED_VERSION" });
  });

  test("error: alg ES256 (or none) fails with UCAN_UNSUPPORTED_ALGORITHM", () => {
    assert.throws(() => decodeUcan(craft({ ...baseHeader(), alg: "ES256" }, basePayload())), { code: "UCAN_UNSUPPORTED_ALGORITHM" });
    assert.throws(() => decodeUcan(craft({ ...baseHeader(), alg: "none" }, basePayload())), { code: "UCAN_UNSUPPORTED_ALGORITHM" });
  });

  test("error: a secp256k1 did:key issuer fails with UCAN_UNSUPPORTED_ALGORITHM", () => {
    const k1 = didKeyFromPublicKey(secp256k1.getPublicKey(new Uint8Array(32).fill(0x11), true), "secp256k1");
    const { jwk: _jwk, ...noJwk } = baseHeader();
    assert.throws(() => verifyUcanSignature(decodeUcan(craft(noJwk, { ...basePayload(), iss: k1 }))), { code: "UCAN_UNSUPPORTED_ALGORITHM" });
  });

  test("error: typ other than JWT fails with UCAN_MALFORMED", () => {
    assert.throws(() => decodeUcan(craft({ ...baseHeader(), typ: "JOSE" }, basePayload())), { code: "UCAN_MALFORMED" });
  });

  test("error: 0.10 caveats [] fail with UCAN_EMPTY_CAVEATS", () => {
    const payload = { ...basePayload(), att: { [`${SPACE}/kv/photos`]: { "tinycloud.kv/get": [] } } };
    assert.throws(() => decodeUcan(craft(baseHeader(), payload)), { code: "UCAN_EMPTY_CAVEATS" });
  });

  test("error: a JWT with two or four parts fails with UCAN_MALFORMED", () => {
    const jwt = craft(baseHeader(), basePayload());
    const [h, p, s] = segments(jwt);
    assert.throws(() => decodeUcan(`${h}.${p}`), { code: "UCAN_MALFORMED" });
    assert.throws(() => decodeUcan(`${h}.${p}.${s}.${s}`), { code: "UCAN_MALFORMED" });
    assert.throws(() => decodeUcan(`${jwt}.`), { code: "UCAN_MALFORMED" });
    assert.throws(() => decodeUcan(""), { code: "UCAN_MALFORMED" });
  });

  test("error: a padded segment fails with ENCODING_BAD_PADDING", () => {
    // Grow the header until its JSON length is not a multiple of 3, so padded base64url really ends in '='.
    let header = baseHeader();
    for (let n = 0; utf8ToBytes(JSON.stringify(header)).length % 3 === 0; n++) header = { ...baseHeader(), kid: "k".repeat(n) };
    const headerText = JSON.stringify(header);
    const paddedHeader = encodeBase64UrlPadded(utf8ToBytes(headerText));
    assert.ok(paddedHeader.endsWith("="));
    const p = b64(JSON.stringify(basePayload()));
    const signingInput = `${paddedHeader}.${p}`;
    const jwt = `${signingInput}.${encodeBase64UrlUnpadded(alice.sign(utf8ToBytes(signingInput)))}`;
    assert.throws(() => decodeUcan(jwt), { code: "ENCODING_BAD_PADDING" });
    const [h, , s] = segments(craft(header, basePayload()));
    assert.throws(() => decodeUcan(`${h}.${p}.${s}=`), { code: "ENCODING_BAD_PADDING" });
  });

  test("error: a segment in the standard base64 alphabet fails with ENCODING_BAD_BASE64", () => {
    const [h, p, s] = segments(craft(baseHeader(), basePayload()));
    assert.throws(() => decodeUcan(`${h}.${p}+.${s}`), { code: "ENCODING_BAD_BASE64" });
    assert.throws(() => decodeUcan(`${h}/.${p}.${s}`), { code: "ENCODING_BAD_BASE64" });
    assert.throws(() => decodeUcan(`${h}..${s}`), { code: "ENCODING_BAD_BASE64" });
  });

  test("error: a payload that is not JSON fails with ENCODING_BAD_JSON", () => {
    assert.throws(() => decodeUcan(craft(baseHeader(), "{not json")), { code: "ENCODING_BAD_JSON" });
    assert.throws(() => decodeUcan(craft("header", basePayload())), { code: "ENCODING_BAD_JSON" });
  });

  test("error: a payload that is not UTF-8 fails with ENCODING_BAD_UTF8", () => {
    const signingInput = `${b64(JSON.stringify(baseHeader()))}.${encodeBase64UrlUnpadded(Uint8Array.of(0x7b, 0xff, 0x7d))}`;
    const jwt = `${signingInput}.${encodeBase64UrlUnpadded(alice.sign(utf8ToBytes(signingInput)))}`;
    assert.throws(() => decodeUcan(jwt), { code: "ENCODING_BAD_UTF8" });
  });

  test("error: a payload or header that is a JSON array (or scalar) fails with UCAN_MALFORMED", () => {
    assert.throws(() => decodeUcan(craft(baseHeader(), [basePayload()])), { code: "UCAN_MALFORMED" });
    assert.throws(() => decodeUcan(craft(baseHeader(), "42")), { code: "UCAN_MALFORMED" });
    assert.throws(() => decodeUcan(craft([baseHeader()], basePayload())), { code: "UCAN_MALFORMED" });
    assert.throws(() => decodeUcan(craft(baseHeader(), "null")), { code: "UCAN_MALFORMED" });
  });

  test("error: a missing or invalid exp fails with UCAN_MALFORMED", () => {
    const { exp: _exp, ...noExp } = basePayload();
    assert.throws(() => decodeUcan(craft(baseHeader(), noExp)), { code: "UCAN_MALFORMED" });
    for (const exp of ["1795484310", -1, null]) {
      assert.throws(() => decodeUcan(craft(baseHeader(), { ...basePayload(), exp })), { code: "UCAN_MALFORMED" }, String(exp));
    }
    assert.throws(() => decodeUcan(craft(baseHeader(), { ...basePayload(), nbf: "soon" })), { code: "UCAN_MALFORMED" });
  });

  test("error: an aud with a fragment (or not a DID) fails with UCAN_MALFORMED", () => {
    assert.throws(() => decodeUcan(craft(baseHeader(), { ...basePayload(), aud: alice.verificationMethod })), { code: "UCAN_MALFORMED" });
    assert.throws(() => decodeUcan(craft(baseHeader(), { ...basePayload(), aud: "https://example.com" })), { code: "UCAN_MALFORMED" });
    assert.throws(() => decodeUcan(craft(baseHeader(), { ...basePayload(), aud: "" })), { code: "UCAN_MALFORMED" });
    const { aud: _aud, ...noAud } = basePayload();
    assert.throws(() => decodeUcan(craft(baseHeader(), noAud)), { code: "UCAN_MALFORMED" });
  });

  test("error: a missing iss fails with UCAN_MALFORMED; a bad iss fragment with DID_BAD_FRAGMENT", () => {
    const { iss: _iss, ...noIss } = basePayload();
    assert.throws(() => decodeUcan(craft(baseHeader(), noIss)), { code: "UCAN_MALFORMED" });
    assert.throws(() => decodeUcan(craft(baseHeader(), { ...basePayload(), iss: 7 })), { code: "UCAN_MALFORMED" });
    assert.throws(() => decodeUcan(craft(baseHeader(), { ...basePayload(), iss: `${alice.did}#` })), { code: "DID_BAD_FRAGMENT" });
    // A fragment naming another key decodes, but does not resolve.
    const otherFragment = decodeUcan(craft(baseHeader(), { ...basePayload(), iss: `${alice.did}#${bob.did.slice("did:key:".length)}` }));
    assert.throws(() => verifyUcanSignature(otherFragment), { code: "DID_BAD_FRAGMENT" });
  });

  test("error: a did:pkh issuer cannot sign a UCAN (DID_UNSUPPORTED_METHOD)", () => {
    const { jwk: _jwk, ...noJwk } = baseHeader();
    const ucan = decodeUcan(craft(noJwk, { ...basePayload(), iss: `did:pkh:eip155:1:${WALLET}` }));
    assert.throws(() => verifyUcanSignature(ucan), { code: "DID_UNSUPPORTED_METHOD" });
  });

  test("error: a malformed nnc or fct fails with UCAN_MALFORMED", () => {
    assert.throws(() => decodeUcan(craft(baseHeader(), { ...basePayload(), nnc: 5 })), { code: "UCAN_MALFORMED" });
    assert.throws(() => decodeUcan(craft(baseHeader(), { ...basePayload(), fct: "x" })), { code: "UCAN_MALFORMED" });
    assert.throws(() => decodeUcan(craft(baseHeader(), { ...basePayload(), fct: [1] })), { code: "UCAN_MALFORMED" });
    assert.deepEqual(decodeUcan(craft(baseHeader(), { ...basePayload(), fct: { a: 1 } })).facts, [{ a: 1 }]);
  });

  test("error: a signature that is not 64 bytes fails with UCAN_MALFORMED", () => {
    const [h, p, s] = segments(craft(baseHeader(), basePayload()));
    const short = encodeBase64UrlUnpadded(decodeBase64UrlUnpadded(s).subarray(0, 63));
    assert.throws(() => decodeUcan(`${h}.${p}.${short}`), { code: "UCAN_MALFORMED" });
  });

  test("error: a token above MAX_UCAN_LENGTH fails with UCAN_MALFORMED", () => {
    const payload = { ...basePayload(), fct: [{ pad: "x".repeat(MAX_UCAN_LENGTH) }] };
    assert.throws(() => decodeUcan(craft(baseHeader(), payload)), { code: "UCAN_MALFORMED" });
  });

  test("error: a garbage prf entry fails with UCAN_BAD_PROOF_LINK", () => {
    for (const prf of [["garbage"], [{ "/": "garbage" }], [42], [{ cid: wasm.clientSession.cidRaw }], ["QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"]]) {
      assert.throws(() => decodeUcan(craft(baseHeader(), { ...basePayload(), prf })), { code: "UCAN_BAD_PROOF_LINK" }, JSON.stringify(prf));
    }
  });

  test("error: a prf that is not an array fails with UCAN_MALFORMED", () => {
    assert.throws(() => decodeUcan(craft(baseHeader(), { ...basePayload(), prf: wasm.clientSession.cidRaw })), { code: "UCAN_MALFORMED" });
  });

  test("error: an ability without the tinycloud. prefix fails with ABILITY_BAD_NAMESPACE", () => {
    const v010 = { ...basePayload(), att: { [`${SPACE}/kv/photos`]: { "kv/get": [{}] } } };
    assert.throws(() => decodeUcan(craft(baseHeader(), v010)), { code: "ABILITY_BAD_NAMESPACE" });
    const v09 = { ...basePayload(), att: [{ with: `${SPACE}/kv/x`, can: "kv/get" }] };
    assert.throws(() => decodeUcan(craft({ alg: "EdDSA", typ: "JWT", ucv: "0.9.0" }, v09)), { code: "ABILITY_BAD_NAMESPACE" });
  });

  test("error: a malformed tinycloud ability fails with ABILITY_MALFORMED; a bad resource with its URI code", () => {
    const badAbility = { ...basePayload(), att: { [`${SPACE}/kv/photos`]: { "tinycloud.kv/get/x": [{}] } } };
    assert.throws(() => decodeUcan(craft(baseHeader(), badAbility)), { code: "ABILITY_MALFORMED" });
    const badResource = { ...basePayload(), att: { [`${SPACE}/kv/../x`]: { "tinycloud.kv/get": [{}] } } };
    assert.throws(() => decodeUcan(craft(baseHeader(), badResource)), { code: "URI_DOT_SEGMENT" });
  });

  test("error: att of the wrong shape for its version fails with UCAN_MALFORMED", () => {
    assert.throws(() => decodeUcan(craft(baseHeader(), { ...basePayload(), att: [{ with: `${SPACE}/kv/x`, can: "tinycloud.kv/get" }] })), { code: "UCAN_MALFORMED" });
    assert.throws(() => decodeUcan(craft({ alg: "EdDSA", typ: "JWT", ucv: "0.9.0" }, basePayload())), { code: "UCAN_MALFORMED" });
    assert.throws(() => decodeUcan(craft(baseHeader(), { ...basePayload(), att: { [`${SPACE}/kv/x`]: { "tinycloud.kv/get": {} } } })), { code: "UCAN_MALFORMED" });
    assert.throws(() => decodeUcan(craft(baseHeader(), { ...basePayload(), att: { [`${SPACE}/kv/x`]: { "tinycloud.kv/get": ["x"] } } })), { code: "UCAN_MALFORMED" });
    assert.throws(() => decodeUcan(craft(baseHeader(), { ...basePayload(), att: { [`${SPACE}/kv/x`]: [] } })), { code: "UCAN_MALFORMED" });
  });

  test("behavior: the invocation vectors were signed by the key their JWK names", () => {
    const jwkX: string = wasm.clientSession.session.jwk.x;
    const ucan = decodeUcan(invocations[0].authorization);
    assert.equal(ucan.issuer, didKeyFromPublicKey(hex(Buffer.from(jwkX, "base64url").toString("hex"))));
  });
});
