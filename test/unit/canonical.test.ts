/**
 * One identity per signed delegation (core/auth/canonical.ts): equal across every re-encoding of one
 * signed message, different for anything else; and exactly one accepted CACAO encoding per wire form.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as dagCbor from "@ipld/dag-cbor";
import { assertCanonicalCacao, cacaoCanonicalId, ucanCanonicalId, ucanSignedDigest } from "../../core/auth/canonical.js";
import { CURRENT_CACAO_FORM, decodeCacao, decodeCacaoHeader, encodeCacao, LEGACY_CACAO_FORM, type DecodedCacao } from "../../core/auth/cacao.js";
import { decodeUcan } from "../../core/auth/ucan.js";
import { decodeAuthorization, delegationCanonicalId } from "../../core/auth/verify.js";
import { equalBytes } from "../../core/encoding.js";
import { NOW, sessionKey, signSession, signUcan, wallet } from "../helpers/actors.js";
import { loadVectors } from "../helpers/vectors.js";

const wasm = loadVectors("official-wasm.json");
const alice = wallet(0x41);
const space = alice.space();

async function current(nonce = "canonicalnonce1"): Promise<DecodedCacao> {
  const { header } = await signSession(alice, sessionKey(0x42), { capabilities: [{ resource: `${space}/kv`, abilities: ["tinycloud.kv/get"] }], nonce });
  return decodeCacaoHeader(header);
}

function reencode(decoded: DecodedCacao, change: (value: { p: Record<string, unknown>; s: { s: unknown } }) => void): DecodedCacao {
  const value = dagCbor.decode(decoded.bytes) as { p: Record<string, unknown>; s: { s: unknown } };
  change(value);
  return decodeCacao(dagCbor.encode(value));
}

describe("canonical identity of a delegation", () => {
  test("default: a CACAO's id is the same under every encoding of its signed message, and its CIDs differ", async () => {
    const original = await current();
    const legacy = decodeCacao(encodeCacao({ ...original.cacao, form: LEGACY_CACAO_FORM }));
    const recovery = reencode(original, (v) => {
      const s = Uint8Array.from(v.s.s as Uint8Array);
      s[64] = (s[64] as number) - 27;
      v.s.s = s;
    });
    const asArray = reencode(original, (v) => void (v.s.s = Array.from(v.s.s as Uint8Array)));
    const lowercaseIss = reencode(original, (v) => void (v.p["iss"] = (v.p["iss"] as string).toLowerCase()));
    for (const variant of [legacy, recovery, asArray, lowercaseIss]) {
      assert.notEqual(variant.cid.toString(), original.cid.toString());
      assert.equal(cacaoCanonicalId(variant.cacao), cacaoCanonicalId(original.cacao));
    }
    assert.match(cacaoCanonicalId(original.cacao), /^cacao:[0-9a-f]{64}$/);
  });

  test("behavior: another message or another signer is another id", async () => {
    const a = await current("canonicalnonce1");
    const b = await current("canonicalnonce2");
    assert.notEqual(cacaoCanonicalId(a.cacao), cacaoCanonicalId(b.cacao));
    const official = decodeCacaoHeader(wasm.host.authorization);
    const otherSigner = decodeCacaoHeader(wasm.otherWalletHost.authorization);
    assert.notEqual(cacaoCanonicalId(official.cacao), cacaoCanonicalId(otherSigner.cacao));
  });

  test("default: a UCAN's id is its signed bytes: a different signature spelling keeps it, another payload changes it", () => {
    const key = sessionKey(0x43);
    const jwt = signUcan(key, { audience: sessionKey(0x44).did, capabilities: [[`${space}/kv/x`, "tinycloud.kv/get"]], expiration: NOW + 60 });
    const ucan = decodeUcan(jwt);
    const [h, p] = jwt.split(".") as [string, string, string];
    // Same signed bytes, a different (here: invalid) signature: same identity, different CID.
    const resigned = decodeUcan(`${h}.${p}.${"A".repeat(85)}A`);
    assert.notEqual(resigned.cid.toString(), ucan.cid.toString());
    assert.equal(ucanCanonicalId(resigned), ucanCanonicalId(ucan));
    assert.ok(equalBytes(ucanSignedDigest(resigned), ucanSignedDigest(ucan)));
    const other = decodeUcan(signUcan(key, { audience: sessionKey(0x44).did, capabilities: [[`${space}/kv/y`, "tinycloud.kv/get"]], expiration: NOW + 60 }));
    assert.notEqual(ucanCanonicalId(other), ucanCanonicalId(ucan));
    assert.equal(delegationCanonicalId(decodeAuthorization(jwt)), ucanCanonicalId(ucan));
    assert.match(ucanCanonicalId(ucan), /^ucan:[0-9a-f]{64}$/);
  });
});

describe("one accepted CACAO encoding per wire form", () => {
  test("default: the official client's CACAOs (legacy form) and ours (current form) are canonical", async () => {
    for (const name of ["host", "otherWalletHost", "customStatementDelegation"] as const) assertCanonicalCacao(decodeCacaoHeader(wasm[name].authorization));
    assertCanonicalCacao(decodeCacaoHeader(wasm.clientSession.session.delegationHeader.Authorization));
    const ours = await current();
    assert.equal(ours.cacao.form.versionAsText, CURRENT_CACAO_FORM.versionAsText);
    assert.equal(ours.cacao.form.signatureAsArray, CURRENT_CACAO_FORM.signatureAsArray);
    assertCanonicalCacao(ours);
    assertCanonicalCacao(decodeCacao(encodeCacao({ ...ours.cacao, form: LEGACY_CACAO_FORM })));
  });

  test("error: every other encoding is CACAO_NON_CANONICAL, with what is wrong", async () => {
    const ours = await current();
    const legacy = decodeCacaoHeader(wasm.customStatementDelegation.authorization);
    const cases: [string, DecodedCacao, RegExp][] = [
      ["version text in the current form", reencode(ours, (v) => void (v.p["version"] = "1")), /signature must be a 65-byte string|list of 65 integers/],
      ["version integer in the legacy form", reencode(legacy, (v) => void (v.p["version"] = 1)), /signature must be a 65-byte string/],
      ["signature as integers in the current form", reencode(ours, (v) => void (v.s.s = Array.from(v.s.s as Uint8Array))), /list of 65 integers|65-byte string/],
      [
        "request_id in the legacy form",
        reencode(legacy, (v) => {
          v.p["request_id"] = v.p["requestId"];
          delete v.p["requestId"];
        }),
        /requestId/,
      ],
      ["lower-case iss", reencode(ours, (v) => void (v.p["iss"] = (v.p["iss"] as string).toLowerCase())), /EIP-55/],
      [
        "recovery byte 0/1",
        reencode(ours, (v) => {
          const s = Uint8Array.from(v.s.s as Uint8Array);
          s[64] = (s[64] as number) - 27;
          v.s.s = s;
        }),
        /recovery byte must be 27 or 28/,
      ],
      ["map keys out of order", decodeCacao(Uint8Array.from([0xa3, ...reorder(ours.bytes)])), /canonical form/],
    ];
    for (const [name, decoded, message] of cases) {
      assert.throws(
        () => assertCanonicalCacao(decoded),
        (e: unknown) => (e as { code?: string }).code === "CACAO_NON_CANONICAL" && message.test((e as Error).message),
        name,
      );
    }
  });
});

/** The entries of a CACAO's top-level map {h, p, s} written s, p, h (without the map header). */
function reorder(bytes: Uint8Array): number[] {
  const value = dagCbor.decode(bytes) as Record<string, unknown>;
  return ["s", "p", "h"].flatMap((key) => [...dagCbor.encode(key), ...dagCbor.encode(value[key])]);
}
