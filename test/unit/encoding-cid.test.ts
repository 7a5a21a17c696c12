import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BLAKE3_CODE, CID, DAG_CBOR_CODE, RAW_CODE, blake3Hex, dagCborBlake3Cid, encodeDagCborBlock, multihashKey, parseCid, rawBlake3Cid, sameMultihash, toBase58 } from "../../core/cid.js";
import {
  bytesToHex,
  bytesToUtf8,
  canonicalJson,
  compareBytes,
  decodeBase64UrlPadded,
  decodeBase64UrlUnpadded,
  encodeBase64UrlPadded,
  encodeBase64UrlUnpadded,
  equalBytes,
  hexToBytes,
  parseJson,
  utf8ToBytes,
} from "../../core/encoding.js";
import { hex, loadVectors } from "../helpers/vectors.js";

interface CidVector {
  name: string;
  inputLength: number;
  inputHex: string;
  blake3Hex: string;
  multihashHex: string;
  cidRawBase32: string;
  cidRawBase58btc: string;
  cidRawBytesHex: string;
  cidDagCborBase32: string;
  cidDagCborBase58btc: string;
}

interface DagCborVector {
  name: string;
  object: unknown;
  encodedHex: string;
  cid: string;
  cidBase58btc: string;
}

const cids = loadVectors<{ vectors: CidVector[]; dagCbor: DagCborVector[] }>("cids.json");

/** DAG-JSON links `{"/": "<cid>"}` → CID objects, recursively. */
function withLinks(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withLinks);
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value);
    if (entries.length === 1 && entries[0]?.[0] === "/" && typeof entries[0][1] === "string") return CID.parse(entries[0][1]);
    return Object.fromEntries(entries.map(([k, v]) => [k, withLinks(v)]));
  }
  return value;
}

describe("CIDs: cids.json (multiformats + noble blake3)", () => {
  test("default: the vector file holds the six inputs and two dag-cbor objects", () => {
    assert.deepEqual(
      cids.vectors.map((v) => v.name),
      ["empty", "hello", "pattern-1000", "host-cacao", "session-cacao", "ucan-jwt"],
    );
    assert.equal(cids.dagCbor.length, 2);
  });

  for (const v of cids.vectors) {
    test(`${v.name}: rawBlake3Cid is the raw base32 CID, toBase58 the base58btc one`, () => {
      const input = hex(v.inputHex);
      assert.equal(input.length, v.inputLength);
      assert.equal(blake3Hex(input), v.blake3Hex);
      const cid = rawBlake3Cid(input);
      assert.equal(cid.toString(), v.cidRawBase32);
      assert.equal(toBase58(cid), v.cidRawBase58btc);
      assert.equal(bytesToHex(cid.bytes), v.cidRawBytesHex);
      assert.equal(bytesToHex(cid.multihash.bytes), v.multihashHex);
      assert.equal(multihashKey(cid), v.multihashHex);
      assert.equal(cid.code, RAW_CODE);
      assert.equal(cid.multihash.code, BLAKE3_CODE);
      assert.equal(cid.version, 1);
    });

    test(`${v.name}: dagCborBlake3Cid is the dag-cbor CID in base32 and base58btc`, () => {
      const cid = dagCborBlake3Cid(hex(v.inputHex));
      assert.equal(cid.toString(), v.cidDagCborBase32);
      assert.equal(toBase58(cid), v.cidDagCborBase58btc);
      assert.equal(cid.code, DAG_CBOR_CODE);
    });

    test(`${v.name}: parseCid reads all four spellings back to equal CIDs`, () => {
      const raw = rawBlake3Cid(hex(v.inputHex));
      const dag = dagCborBlake3Cid(hex(v.inputHex));
      assert.ok(parseCid(v.cidRawBase32).equals(raw));
      assert.ok(parseCid(v.cidRawBase58btc).equals(raw));
      assert.ok(parseCid(v.cidDagCborBase32).equals(dag));
      assert.ok(parseCid(v.cidDagCborBase58btc).equals(dag));
    });

    test(`${v.name}: raw and dag-cbor CIDs of the same bytes share the multihash`, () => {
      const raw = parseCid(v.cidRawBase32);
      const dag = parseCid(v.cidDagCborBase58btc);
      assert.equal(raw.equals(dag), false);
      assert.equal(sameMultihash(raw, dag), true);
      assert.equal(multihashKey(raw), multihashKey(dag));
    });
  }

  test("behavior: CIDs of different inputs do not share the multihash", () => {
    const [a, b] = cids.vectors;
    assert.equal(sameMultihash(parseCid(a?.cidRawBase32 as string), parseCid(b?.cidDagCborBase32 as string)), false);
  });

  test("behavior: the official vectors name sessions by dag-cbor CID and the node by raw CID of the same bytes", () => {
    const wasm = loadVectors("official-wasm.json");
    const header = wasm.clientSession.cacaoHex as string;
    assert.equal(rawBlake3Cid(hex(header)).toString(), wasm.clientSession.cidRaw);
    assert.equal(dagCborBlake3Cid(hex(header)).toString(), wasm.clientSession.session.delegationCid);
    assert.ok(sameMultihash(parseCid(wasm.clientSession.cidRaw), parseCid(wasm.clientSession.session.delegationCid)));
  });

  for (const v of cids.dagCbor) {
    test(`${v.name}: encodeDagCborBlock reproduces the encoding and CID`, () => {
      const { bytes, cid } = encodeDagCborBlock(withLinks(v.object));
      assert.equal(bytesToHex(bytes), v.encodedHex);
      assert.equal(cid.toString(), v.cid);
      assert.equal(toBase58(cid), v.cidBase58btc);
      assert.ok(dagCborBlake3Cid(hex(v.encodedHex)).equals(cid));
    });
  }

  test("behavior: dag-cbor encoding is independent of key insertion order", () => {
    const v = cids.dagCbor[0] as DagCborVector;
    const object = withLinks(v.object) as { parents: unknown; events: unknown };
    const reordered = { parents: object.parents, events: object.events };
    const swapped = { events: object.events, parents: object.parents };
    assert.equal(bytesToHex(encodeDagCborBlock(reordered).bytes), v.encodedHex);
    assert.equal(bytesToHex(encodeDagCborBlock(swapped).bytes), v.encodedHex);
  });
});

describe("parseCid: errors", () => {
  for (const [what, text] of [
    ["garbage", "garbage"],
    ["empty string", ""],
    ["base32 with a bad character", "bafkr4ifpcne3t5pzugtkaqcn5i3nzskjtpfslsnnyejlpte2spfoihzsm1"],
    ["truncated base32", "bafkr4ifpcne3t5pzugtkaqcn5i3nzskjtpf"],
    ["base58 with a bad character", "zb38SHkiAVjwXfC2XSPkt592PtH3rfC4cJYpm5sDCysjY9QA0"],
    ["CIDv0", "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"],
    ["CIDv0 with a base58btc multibase prefix", "zQmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"],
    ["unknown multibase", "fhello"],
  ] as const) {
    test(`error: ${what} is rejected with ENCODING_BAD_CID`, () => {
      assert.throws(() => parseCid(text), { code: "ENCODING_BAD_CID" });
    });
  }

  test("error: a non-string is rejected with ENCODING_BAD_CID", () => {
    assert.throws(() => parseCid(undefined as unknown as string), { code: "ENCODING_BAD_CID" });
  });
});

describe("base64url: strict padded and unpadded decoders", () => {
  const samples = [new Uint8Array(0), Uint8Array.of(0x41), Uint8Array.of(0xfb, 0xff), Uint8Array.of(0xfb, 0xff, 0xbf), hex("00010203fcfdfeff")];

  test("default: encoders write the URL alphabet; padded pads to a multiple of 4, unpadded never pads", () => {
    assert.equal(encodeBase64UrlPadded(Uint8Array.of(0x41)), "QQ==");
    assert.equal(encodeBase64UrlUnpadded(Uint8Array.of(0x41)), "QQ");
    assert.equal(encodeBase64UrlPadded(Uint8Array.of(0xfb, 0xff)), "-_8=");
    assert.equal(encodeBase64UrlUnpadded(Uint8Array.of(0xfb, 0xff)), "-_8");
    assert.equal(encodeBase64UrlPadded(Uint8Array.of(0xfb, 0xff, 0xbf)), "-_-_");
    assert.equal(encodeBase64UrlPadded(new Uint8Array(0)), "");
  });

  test("behavior: both decoders round trip their encoder's output", () => {
    for (const bytes of samples) {
      assert.deepEqual(decodeBase64UrlPadded(encodeBase64UrlPadded(bytes)), bytes);
      assert.deepEqual(decodeBase64UrlUnpadded(encodeBase64UrlUnpadded(bytes)), bytes);
    }
  });

  test("error: the padded decoder rejects missing padding with ENCODING_BAD_PADDING", () => {
    assert.throws(() => decodeBase64UrlPadded("QQ"), { code: "ENCODING_BAD_PADDING" });
    assert.throws(() => decodeBase64UrlPadded("QUI"), { code: "ENCODING_BAD_PADDING" });
    assert.throws(() => decodeBase64UrlPadded("QQ="), { code: "ENCODING_BAD_PADDING" });
    assert.throws(() => decodeBase64UrlPadded("Q==="), { code: "ENCODING_BAD_PADDING" });
  });

  test("error: the unpadded decoder rejects any '=' with ENCODING_BAD_PADDING", () => {
    assert.throws(() => decodeBase64UrlUnpadded("QQ=="), { code: "ENCODING_BAD_PADDING" });
    assert.throws(() => decodeBase64UrlUnpadded("QUI="), { code: "ENCODING_BAD_PADDING" });
    assert.throws(() => decodeBase64UrlUnpadded("QQ=Q"), { code: "ENCODING_BAD_PADDING" });
  });

  test("error: both decoders reject the standard alphabet ('+', '/') with ENCODING_BAD_BASE64", () => {
    for (const text of ["ab+/", "+_8=", "/_-_"]) {
      assert.throws(() => decodeBase64UrlPadded(text), { code: "ENCODING_BAD_BASE64" }, text);
    }
    for (const text of ["ab+/", "+_8", "/_-_"]) {
      assert.throws(() => decodeBase64UrlUnpadded(text), { code: "ENCODING_BAD_BASE64" }, text);
    }
  });

  test("error: both decoders reject other characters with ENCODING_BAD_BASE64", () => {
    assert.throws(() => decodeBase64UrlPadded("QU I"), { code: "ENCODING_BAD_BASE64" });
    assert.throws(() => decodeBase64UrlUnpadded("QU.I"), { code: "ENCODING_BAD_BASE64" });
    assert.throws(() => decodeBase64UrlPadded("=QQQ"), { code: "ENCODING_BAD_BASE64" });
  });

  test("error: both decoders reject non-zero trailing (pad) bits with ENCODING_BAD_PADDING", () => {
    // "QQ" is 0x41; "QR" spells the same byte with a non-zero low bit in the last character.
    assert.deepEqual(decodeBase64UrlUnpadded("QQ"), Uint8Array.of(0x41));
    assert.throws(() => decodeBase64UrlPadded("QR=="), { code: "ENCODING_BAD_PADDING" });
    assert.throws(() => decodeBase64UrlUnpadded("QR"), { code: "ENCODING_BAD_PADDING" });
    // Two bytes: "QUI" is 0x41 0x42; "QUJ" sets a trailing bit.
    assert.deepEqual(decodeBase64UrlUnpadded("QUI"), Uint8Array.of(0x41, 0x42));
    assert.throws(() => decodeBase64UrlUnpadded("QUJ"), { code: "ENCODING_BAD_PADDING" });
    assert.throws(() => decodeBase64UrlPadded("QUJ="), { code: "ENCODING_BAD_PADDING" });
  });

  test("error: a length of 1 mod 4 (a dangling 6 bits) is rejected as impossible base64", () => {
    assert.throws(() => decodeBase64UrlUnpadded("QUJDR"), { code: "ENCODING_BAD_BASE64" });
    assert.throws(() => decodeBase64UrlPadded("QUJDR==="), { code: "ENCODING_BAD_PADDING" });
  });
});

describe("canonicalJson (RFC 8785) and JSON/UTF-8/hex helpers", () => {
  test("default: object keys are sorted at every level, arrays keep their order, no whitespace", () => {
    assert.equal(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }, 3], c: { z: null, y: true } }), '{"a":[{"c":2,"d":1},3],"b":1,"c":{"y":true,"z":null}}');
  });

  test("behavior: keys sort by UTF-16 code units (RFC 8785 §3.2.3 example)", () => {
    const value = {
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis",
    };
    // Read the member order from the text: JSON.parse would move the integer-like key "1" first.
    const text = canonicalJson(value);
    const keys = [...text.matchAll(/"((?:[^"\\]|\\.)*)":/g)].map((m) => JSON.parse(`"${m[1]}"`) as string);
    assert.deepEqual(keys, ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\ud83d\ude00", "\ufb33"]);
    assert.ok(text.startsWith('{"\\r":"Carriage Return","1":"One",'), text);
  });

  test("behavior: numbers are written in ECMAScript shortest form", () => {
    // biome-ignore lint/correctness/noPrecisionLoss: 333333333.33333329 rounds on purpose (RFC 8785's example)
    assert.equal(canonicalJson([1.0, 1e21, 1e-7, 0.000001, -0, 333333333.33333329, 1795484310.123]), "[1,1e+21,1e-7,0.000001,0,333333333.3333333,1795484310.123]");
  });

  test("behavior: strings escape only what JSON requires", () => {
    assert.equal(canonicalJson({ s: '\u2028é"\\\n\u001f/' }), '{"s":"\u2028é\\"\\\\\\n\\u001f/"}');
  });

  test("error: a value that is not JSON (undefined) throws TypeError", () => {
    assert.throws(() => canonicalJson(undefined), TypeError);
  });

  test("error: parseJson rejects invalid JSON with ENCODING_BAD_JSON", () => {
    assert.deepEqual(parseJson('{"a":[1]}'), { a: [1] });
    assert.throws(() => parseJson("{a:1}"), { code: "ENCODING_BAD_JSON" });
    assert.throws(() => parseJson(""), { code: "ENCODING_BAD_JSON" });
  });

  test("error: bytesToUtf8 rejects invalid UTF-8 with ENCODING_BAD_UTF8", () => {
    assert.equal(bytesToUtf8(utf8ToBytes("café")), "café");
    assert.throws(() => bytesToUtf8(Uint8Array.of(0xe0, 0x80)), { code: "ENCODING_BAD_UTF8" });
    assert.throws(() => bytesToUtf8(Uint8Array.of(0xff)), { code: "ENCODING_BAD_UTF8" });
  });

  test("error: hexToBytes rejects invalid hex with ENCODING_BAD_HEX", () => {
    assert.deepEqual(hexToBytes("0x00fF"), Uint8Array.of(0, 255));
    assert.deepEqual(hexToBytes("ABCD"), Uint8Array.of(0xab, 0xcd));
    assert.throws(() => hexToBytes("0xabc"), { code: "ENCODING_BAD_HEX" });
    assert.throws(() => hexToBytes("zz"), { code: "ENCODING_BAD_HEX" });
  });
});

describe("compareBytes and equalBytes", () => {
  test("default: lexicographic order, shorter prefix first", () => {
    assert.ok(compareBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 3)) < 0);
    assert.ok(compareBytes(Uint8Array.of(1, 3), Uint8Array.of(1, 2)) > 0);
    assert.ok(compareBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2, 0)) < 0);
    assert.ok(compareBytes(Uint8Array.of(1, 2, 0), Uint8Array.of(1, 2)) > 0);
    assert.ok(compareBytes(Uint8Array.of(2), Uint8Array.of(1, 255)) > 0);
    assert.equal(compareBytes(Uint8Array.of(7, 8, 9), Uint8Array.of(7, 8, 9)), 0);
    assert.equal(compareBytes(new Uint8Array(0), new Uint8Array(0)), 0);
    assert.ok(compareBytes(new Uint8Array(0), Uint8Array.of(0)) < 0);
  });

  test("behavior: bytes compare unsigned (0xff after 0x7f)", () => {
    assert.ok(compareBytes(Uint8Array.of(0xff), Uint8Array.of(0x7f)) > 0);
    assert.ok(compareBytes(Uint8Array.of(0x00, 0xff), Uint8Array.of(0x01)) < 0);
  });

  test("behavior: sorting with compareBytes gives byte order", () => {
    const list = [Uint8Array.of(2), Uint8Array.of(1, 255), Uint8Array.of(1), Uint8Array.of(), Uint8Array.of(1, 0), Uint8Array.of(255)];
    const sorted = [...list].sort(compareBytes).map((b) => bytesToHex(b));
    assert.deepEqual(sorted, ["", "01", "0100", "01ff", "02", "ff"]);
  });

  test("behavior: equalBytes compares length and content", () => {
    assert.equal(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2)), true);
    assert.equal(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 3)), false);
    assert.equal(equalBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2, 3)), false);
  });
});
