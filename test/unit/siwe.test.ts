import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { checkRecapStatement, decodeRecap, encodeRecap, extractRecap, recapStatement } from "../../core/auth/recap.js";
import { eip191Hash, formatSiweMessage, parseRfc3339, recoverEip191Address, type SiweMessageFields } from "../../core/auth/siwe.js";
import { bytesToHex } from "../../core/encoding.js";
import { hex, loadVectors } from "../helpers/vectors.js";

interface SiweVector {
  name: string;
  signer: string;
  address: string;
  chainId: number;
  params: {
    domain: string;
    uri: string;
    nonce: string;
    version: "1";
    issuedAt: string;
    statement: string | null;
    expirationTime: string | null;
    notBefore: string | null;
    requestId: string | null;
    scheme: string | null;
    resources: string[] | null;
  };
  recap: null | { att: Record<string, Record<string, unknown[]>>; prf: string[]; jcsJson: string; resource: string; generatedStatement: string };
  message: string;
  signature: string;
  recoveredAddress: string;
  siweMessage: string;
  viemAndSiweAgree: boolean;
}

const siwe = loadVectors<{ vectors: SiweVector[] }>("siwe-viem.json");
const wasm = loadVectors("official-wasm.json");

/** Vector params → formatter fields; a null param was not passed, so it is omitted. */
function fieldsOf(v: SiweVector, rewrite: (timestamp: string) => string = (t) => t): SiweMessageFields {
  const p = v.params;
  return {
    domain: p.domain,
    address: v.address,
    uri: p.uri,
    version: p.version,
    chainId: v.chainId,
    nonce: p.nonce,
    issuedAt: rewrite(p.issuedAt),
    ...(p.scheme !== null ? { scheme: p.scheme } : {}),
    ...(p.statement !== null ? { statement: p.statement } : {}),
    ...(p.expirationTime !== null ? { expirationTime: rewrite(p.expirationTime) } : {}),
    ...(p.notBefore !== null ? { notBefore: rewrite(p.notBefore) } : {}),
    ...(p.requestId !== null ? { requestId: p.requestId } : {}),
    ...(p.resources !== null ? { resources: p.resources } : {}),
  };
}

/** viem re-renders timestamps through Date.toISOString (always with milliseconds). */
const viemTimestamp = (t: string): string => new Date(t).toISOString();

function withV(signature: Uint8Array, v: number): Uint8Array {
  const out = Uint8Array.from(signature);
  out[64] = v;
  return out;
}

describe("SIWE text: siwe-viem.json", () => {
  test("default: the vector file holds the 9 EIP-4361 messages", () => {
    assert.equal(siwe.vectors.length, 9);
  });

  for (const v of siwe.vectors) {
    test(`${v.name}: formatSiweMessage reproduces the signed text byte for byte`, () => {
      if (v.viemAndSiweAgree) {
        assert.equal(v.message, v.siweMessage);
        assert.equal(formatSiweMessage(fieldsOf(v)), v.message);
      } else {
        // Timestamps are written verbatim (siwe / Rust siwe); viem re-renders them with ".000Z".
        assert.equal(formatSiweMessage(fieldsOf(v)), v.siweMessage);
        assert.equal(formatSiweMessage(fieldsOf(v, viemTimestamp)), v.message);
      }
    });

    test(`${v.name}: recoverEip191Address returns the signer`, () => {
      assert.equal(recoverEip191Address(v.message, hex(v.signature)), v.recoveredAddress);
      assert.equal(v.recoveredAddress, v.signer === "wallet" ? wasm.constants.walletAddress : wasm.constants.otherWalletAddress);
    });
  }

  test("behavior: a lowercase address is written in EIP-55 case", () => {
    const v = siwe.vectors[1] as SiweVector;
    assert.equal(formatSiweMessage({ ...fieldsOf(v), address: v.address.toLowerCase() }), v.message);
  });

  test("behavior: an empty statement still writes its line (distinct from no statement)", () => {
    const v = siwe.vectors[0] as SiweVector;
    const without = formatSiweMessage(fieldsOf(v));
    const empty = formatSiweMessage({ ...fieldsOf(v), statement: "" });
    assert.notEqual(without, empty);
    assert.ok(without.includes(`${v.address}\n\n\nURI:`));
    assert.ok(empty.includes(`${v.address}\n\n\n\nURI:`));
  });

  test("behavior: the official client's CACAO texts are reproduced from their fields", () => {
    const p = wasm.customStatementDelegation.decoded.p;
    const text = formatSiweMessage({
      domain: p.domain,
      address: wasm.constants.walletAddress,
      statement: p.statement,
      uri: p.aud,
      version: "1",
      chainId: 1,
      nonce: p.nonce,
      issuedAt: p.iat,
      expirationTime: p.exp,
      notBefore: p.nbf,
      requestId: p.requestId,
      resources: p.resources,
    });
    assert.equal(text, wasm.customStatementDelegation.siwe);
  });

  test("error: a line break in any field is rejected with CACAO_MALFORMED", () => {
    const v = siwe.vectors[3] as SiweVector;
    const base = fieldsOf(v);
    assert.throws(() => formatSiweMessage({ ...base, statement: "line one\nline two" }), { code: "CACAO_MALFORMED" });
    assert.throws(() => formatSiweMessage({ ...base, statement: "carriage\rreturn" }), { code: "CACAO_MALFORMED" });
    assert.throws(() => formatSiweMessage({ ...base, domain: "example.com\nURI: evil" }), { code: "CACAO_MALFORMED" });
    assert.throws(() => formatSiweMessage({ ...base, nonce: "abc\n" }), { code: "CACAO_MALFORMED" });
    assert.throws(() => formatSiweMessage({ ...base, resources: ["https://ok", "https://bad\n- injected"] }), { code: "CACAO_MALFORMED" });
  });
});

describe("EIP-191 signature recovery", () => {
  const v = siwe.vectors[0] as SiweVector;
  const signature = hex(v.signature);

  test("default: the EIP-191 digest is keccak256 of the prefixed message", () => {
    // keccak256("\x19Ethereum Signed Message:\n5hello"), as viem's hashMessage("hello").
    assert.equal(bytesToHex(eip191Hash("hello")), "50b2c43fd39106bafbba0da34fc430e1f91e3c96ea2acee2bc34119f92b37750");
  });

  test("behavior: v = 0/1 recovers the same address as v = 27/28", () => {
    assert.ok(signature[64] === 27 || signature[64] === 28);
    assert.equal(recoverEip191Address(v.message, withV(signature, (signature[64] as number) - 27)), v.recoveredAddress);
    for (const other of siwe.vectors) {
      const sig = hex(other.signature);
      assert.equal(recoverEip191Address(other.message, withV(sig, (sig[64] as number) - 27)), other.recoveredAddress);
    }
  });

  test("behavior: the other recovery id recovers a different key", () => {
    const flipped = withV(signature, signature[64] === 27 ? 28 : 27);
    const recovered = recoverEip191Address(v.message, flipped);
    assert.notEqual(recovered, v.recoveredAddress);
  });

  test("behavior: a flipped signature byte recovers a different address or none", () => {
    for (const index of [0, 17, 31, 32, 50, 63]) {
      const tampered = Uint8Array.from(signature);
      tampered[index] = (tampered[index] as number) ^ 0x01;
      assert.notEqual(recoverEip191Address(v.message, tampered), v.recoveredAddress, `byte ${index}`);
    }
  });

  test("behavior: a changed message recovers a different address", () => {
    const recovered = recoverEip191Address(v.message.replace("tcVectors0001", "tcVectors0002"), signature);
    assert.notEqual(recovered, undefined);
    assert.notEqual(recovered, v.recoveredAddress);
  });

  test("error: a 64-byte (or 66-byte) signature recovers nothing", () => {
    assert.equal(recoverEip191Address(v.message, signature.subarray(0, 64)), undefined);
    assert.equal(recoverEip191Address(v.message, new Uint8Array([...signature, 0])), undefined);
    assert.equal(recoverEip191Address(v.message, new Uint8Array(0)), undefined);
  });

  test("error: a recovery byte other than 0, 1, 27, 28 recovers nothing", () => {
    for (const bad of [2, 26, 29, 30, 35, 255]) {
      assert.equal(recoverEip191Address(v.message, withV(signature, bad)), undefined, `v=${bad}`);
    }
  });

  test("error: r = 0 or s = 0 recovers nothing", () => {
    const zeroR = Uint8Array.from(signature);
    zeroR.fill(0, 0, 32);
    assert.equal(recoverEip191Address(v.message, zeroR), undefined);
    const zeroS = Uint8Array.from(signature);
    zeroS.fill(0, 32, 64);
    assert.equal(recoverEip191Address(v.message, zeroS), undefined);
  });

  test("error: the high-s twin of a valid signature (s' = n - s, v flipped) recovers nothing", {}, () => {
    const n = secp256k1.Point.CURVE().n;
    const s = BigInt(`0x${bytesToHex(signature.subarray(32, 64))}`);
    const twin = Uint8Array.from(signature);
    twin.set(hex((n - s).toString(16).padStart(64, "0")), 32);
    twin[64] = signature[64] === 27 ? 28 : 27;
    assert.equal(recoverEip191Address(v.message, twin), undefined);
  });
});

describe("RFC 3339 timestamps", () => {
  const base = Date.UTC(2026, 10, 24, 1, 37, 0) / 1000; // 2026-11-24T01:37:00Z

  test("default: Z timestamps with and without milliseconds", () => {
    assert.equal(base, 1795484220);
    assert.equal(parseRfc3339("2026-11-24T01:37:00Z", "t"), base);
    assert.equal(parseRfc3339("2026-11-24T01:37:00.000Z", "t"), base);
    assert.equal(parseRfc3339("2026-11-24t01:37:00z", "t"), base);
  });

  test("behavior: fractional seconds are kept", () => {
    assert.ok(Math.abs(parseRfc3339("2026-11-24T01:37:30.123Z", "t") - 1795484250.123) < 1e-6);
    assert.ok(Math.abs(parseRfc3339("2026-11-24T01:37:00.5Z", "t") - (base + 0.5)) < 1e-9);
    assert.ok(Math.abs(parseRfc3339("2026-11-24T01:37:00.000000001Z", "t") - base) < 1e-6);
    assert.equal(parseRfc3339(wasm.constants.invokeNowIso, "t") * 1000, wasm.constants.invokeNowMs);
  });

  test("behavior: numeric offsets are applied", () => {
    assert.equal(parseRfc3339("2026-11-24T03:37:00+02:00", "t"), base);
    assert.equal(parseRfc3339("2026-11-23T20:07:00-05:30", "t"), base);
    assert.equal(parseRfc3339("2026-11-24T01:37:00+00:00", "t"), base);
    assert.equal(parseRfc3339("2026-11-24T01:37:00-00:00", "t"), base);
    assert.equal(parseRfc3339("2026-11-24T15:22:00.250+13:45", "t"), base + 0.25);
  });

  test("behavior: leap days only in leap years; a leap second reads as :59", () => {
    assert.equal(parseRfc3339("2024-02-29T00:00:00Z", "t"), Date.UTC(2024, 1, 29) / 1000);
    assert.equal(parseRfc3339("2016-12-31T23:59:60Z", "t"), Date.UTC(2016, 11, 31, 23, 59, 59) / 1000);
  });

  for (const bad of [
    "2026-13-01T00:00:00Z",
    "2026-00-01T00:00:00Z",
    "2026-02-30T00:00:00Z",
    "2025-02-29T00:00:00Z",
    "2026-04-31T00:00:00Z",
    "2026-11-00T00:00:00Z",
    "2026-11-32T00:00:00Z",
    "2026-11-24T24:00:00Z",
    "2026-11-24T01:60:00Z",
    "2026-11-24T01:37:61Z",
    "2026-11-24T01:37:00",
    "2026-11-24T01:37:00.123",
    "2026-11-24 01:37:00Z",
    "2026-11-24T01:37Z",
    "2026-11-24T01:37:00.Z",
    "2026-11-24T01:37:00+0200",
    "2026-11-24T01:37:00+02",
    "26-11-24T01:37:00Z",
    "2026-11-24",
    " 2026-11-24T01:37:00Z",
    "",
  ]) {
    test(`error: ${JSON.stringify(bad)} is rejected with CACAO_BAD_TIMESTAMP`, () => {
      assert.throws(() => parseRfc3339(bad, "issuedAt"), { code: "CACAO_BAD_TIMESTAMP" });
    });
  }

  test("error: offsets outside 00:00–23:59 are rejected with CACAO_BAD_TIMESTAMP", () => {
    assert.throws(() => parseRfc3339("2026-11-24T01:37:00+99:99", "t"), { code: "CACAO_BAD_TIMESTAMP" });
    assert.throws(() => parseRfc3339("2026-11-24T01:37:00+24:00", "t"), { code: "CACAO_BAD_TIMESTAMP" });
    assert.throws(() => parseRfc3339("2026-11-24T01:37:00-05:60", "t"), { code: "CACAO_BAD_TIMESTAMP" });
  });

  test("behavior: years 0000–0099 are read as written, not as 19xx", () => {
    const d = new Date(0);
    d.setUTCFullYear(50, 0, 1);
    assert.equal(parseRfc3339("0050-01-01T00:00:00Z", "t"), d.getTime() / 1000);
    assert.notEqual(parseRfc3339("0050-01-01T00:00:00Z", "t"), Date.UTC(1950, 0, 1) / 1000);
  });
});

describe("ReCap vectors in siwe-viem.json", () => {
  const recapVectors = siwe.vectors.filter((v) => v.recap !== null);

  test("default: three vectors carry a ReCap", () => {
    assert.deepEqual(
      recapVectors.map((v) => v.name),
      ["recap-chain-1", "recap-chain-1-custom-statement-and-resources", "recap-chain-8453"],
    );
  });

  for (const v of recapVectors) {
    const recap = v.recap as NonNullable<SiweVector["recap"]>;

    test(`${v.name}: decodeRecap → recapStatement equals the generated statement`, () => {
      const decoded = decodeRecap(recap.resource);
      assert.deepEqual(decoded.att, recap.att);
      assert.deepEqual(decoded.prf, []);
      assert.equal(recapStatement(decoded), recap.generatedStatement);
    });

    test(`${v.name}: encodeRecap reproduces the resource string`, () => {
      assert.equal(encodeRecap(decodeRecap(recap.resource)), recap.resource);
      assert.equal(Buffer.from(recap.resource.slice("urn:recap:".length), "base64url").toString("utf8"), recap.jcsJson);
    });

    test(`${v.name}: the message's statement ends with the ReCap text and the ReCap is the last resource`, () => {
      const extracted = extractRecap(v.params.resources ?? undefined);
      assert.deepEqual(extracted.att, recap.att);
      assert.ok(v.params.statement?.endsWith(recap.generatedStatement));
      assert.doesNotThrow(() => checkRecapStatement(v.params.statement ?? undefined, extracted));
      assert.equal(v.params.resources?.at(-1), recap.resource);
    });
  }
});
