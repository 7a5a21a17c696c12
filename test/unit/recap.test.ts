import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { decodeCacaoHeader } from "../../core/auth/cacao.js";
import { parseCid, rawBlake3Cid, toBase58 } from "../../core/cid.js";
import { encodeBase64UrlPadded, encodeBase64UrlUnpadded, utf8ToBytes } from "../../core/encoding.js";
import { RECAP_PREFIX, RECAP_STATEMENT_PREFIX, type Recap, checkRecapStatement, decodeRecap, encodeRecap, extractRecap, recapStatement, statementWithRecap } from "../../core/auth/recap.js";
import { loadVectors } from "../helpers/vectors.js";

const wasm = loadVectors("official-wasm.json");
const WALLET: string = wasm.constants.walletAddress;
const R1 = `tinycloud:pkh:eip155:1:${WALLET}:default/kv/photos`;
const R2 = `tinycloud:pkh:eip155:1:${WALLET}:default/sql/main`;

/** urn:recap: of exactly this JSON text (no canonicalization), unpadded base64url. */
const recapUrnOfJson = (json: string): string => RECAP_PREFIX + encodeBase64UrlUnpadded(utf8ToBytes(json));

const recapOf = (att: Recap["att"], prf: Recap["prf"] = []): Recap => ({ att, prf });

describe("ReCap statement", () => {
  test("default: one resource, one namespace: abilities in byte order, quoted and comma-separated", () => {
    const recap = recapOf({ [R1]: { "tinycloud.kv/put": [{}], "tinycloud.kv/get": [{}] } });
    assert.equal(recapStatement(recap), `${RECAP_STATEMENT_PREFIX} (1) 'tinycloud.kv': 'get', 'put' for '${R1}'.`);
  });

  test("behavior: grouping order trap: with kv.a/y and kv/x, the group kv comes first", () => {
    // Byte order of the abilities puts "kv.a/y" first ('.' < '/'), but groups follow namespace order: "kv" < "kv.a".
    assert.ok("kv.a/y" < "kv/x");
    const recap = recapOf({ [R1]: { "kv/x": [{}], "kv.a/y": [{}] } });
    assert.equal(recapStatement(recap), `${RECAP_STATEMENT_PREFIX} (1) 'kv': 'x' for '${R1}'. (2) 'kv.a': 'y' for '${R1}'.`);
  });

  test("behavior: several resources are numbered in resource byte order, one clause per (resource, namespace)", () => {
    const recap = recapOf({
      [R2]: { "tinycloud.sql/read": [{}] },
      [R1]: { "tinycloud.kv/get": [{}], "tinycloud.capabilities/read": [{}], "tinycloud.kv/list": [{}] },
    });
    assert.ok(R1 < R2);
    assert.equal(
      recapStatement(recap),
      `${RECAP_STATEMENT_PREFIX}` + ` (1) 'tinycloud.capabilities': 'read' for '${R1}'.` + ` (2) 'tinycloud.kv': 'get', 'list' for '${R1}'.` + ` (3) 'tinycloud.sql': 'read' for '${R2}'.`,
    );
  });

  test("behavior: legacy abilities group by the text before the last '/' (official client form)", () => {
    const orbit = `tinycloud:pkh:eip155:1:${WALLET}://default/kv/default/obj.json`;
    const recap = recapOf({ [orbit]: { "kv/metadata": [{}], "kv/get": [{}] } });
    const expected = `${RECAP_STATEMENT_PREFIX} (1) 'kv': 'get', 'metadata' for '${orbit}'.`;
    assert.equal(recapStatement(recap), expected);
    assert.ok((wasm.customStatementDelegation.decoded.p.statement as string).endsWith(expected));
  });

  test("behavior: an empty att gives the bare prefix", () => {
    assert.equal(recapStatement(recapOf({})), RECAP_STATEMENT_PREFIX);
  });

  test("behavior: statementWithRecap joins a custom statement with exactly one space", () => {
    const recap = recapOf({ [R1]: { "tinycloud.kv/get": [{}] } });
    const generated = recapStatement(recap);
    assert.equal(statementWithRecap(recap, "I am giving permission to read this data."), `I am giving permission to read this data. ${generated}`);
    assert.equal(statementWithRecap(recap), generated);
    assert.equal(statementWithRecap(recap, ""), generated);
    assert.doesNotThrow(() => checkRecapStatement(statementWithRecap(recap, "Custom."), recap));
  });

  test("behavior: the official custom-statement CACAO is custom text + space + generated text", () => {
    const p = wasm.customStatementDelegation.decoded.p;
    const recap = extractRecap(p.resources);
    assert.equal(statementWithRecap(recap, wasm.customStatementDelegation.siweConfig.statement), p.statement);
  });

  test("error: checkRecapStatement rejects a tampered or missing statement with CACAO_STATEMENT_MISMATCH", () => {
    const recap = recapOf({ [R1]: { "tinycloud.kv/get": [{}], "tinycloud.kv/put": [{}] } });
    const good = statementWithRecap(recap, "Hello.");
    assert.doesNotThrow(() => checkRecapStatement(good, recap));
    assert.throws(() => checkRecapStatement(good.replace("'put'", "'del'"), recap), { code: "CACAO_STATEMENT_MISMATCH" });
    assert.throws(() => checkRecapStatement(good.replace("(1)", "(2)"), recap), { code: "CACAO_STATEMENT_MISMATCH" });
    assert.throws(() => checkRecapStatement(`${good} Trailing text.`, recap), { code: "CACAO_STATEMENT_MISMATCH" });
    assert.throws(() => checkRecapStatement(good.slice(0, -1), recap), { code: "CACAO_STATEMENT_MISMATCH" });
    assert.throws(() => checkRecapStatement(undefined, recap), { code: "CACAO_STATEMENT_MISMATCH" });
    // The statement of one ReCap does not fit a wider ReCap.
    const wider = recapOf({ [R1]: { "tinycloud.kv/get": [{}], "tinycloud.kv/put": [{}], "tinycloud.kv/del": [{}] } });
    assert.throws(() => checkRecapStatement(good, wider), { code: "CACAO_STATEMENT_MISMATCH" });
  });
});

describe("ReCap encoding", () => {
  test("default: encodeRecap writes JCS JSON, unpadded base64url, with [{}] for no caveats", () => {
    const uri = encodeRecap(recapOf({ [R1]: { "tinycloud.kv/put": [], "tinycloud.kv/get": [{}] } }));
    assert.ok(uri.startsWith(RECAP_PREFIX));
    assert.ok(!uri.includes("="));
    const json = Buffer.from(uri.slice(RECAP_PREFIX.length), "base64url").toString("utf8");
    assert.equal(json, `{"att":{"${R1}":{"tinycloud.kv/get":[{}],"tinycloud.kv/put":[{}]}},"prf":[]}`);
  });

  test("behavior: decode ∘ encode round trips, prf CIDs written in base58btc", () => {
    const proof = rawBlake3Cid(utf8ToBytes("parent delegation"));
    const recap = recapOf({ [R1]: { "tinycloud.kv/get": [{ maxSize: 10 }] }, [R2]: { "tinycloud.sql/read": [{}] } }, [proof]);
    const uri = encodeRecap(recap);
    const json = Buffer.from(uri.slice(RECAP_PREFIX.length), "base64url").toString("utf8");
    assert.ok(json.endsWith(`"prf":["${toBase58(proof)}"]}`), json);
    const decoded = decodeRecap(uri);
    assert.deepEqual(decoded.att, recap.att);
    assert.equal(decoded.prf.length, 1);
    assert.ok(decoded.prf[0]?.equals(proof));
    assert.equal(encodeRecap(decoded), uri);
  });

  test("behavior: the official client's ReCaps decode and re-encode unchanged", () => {
    for (const name of ["host", "otherWalletHost", "preparedSession", "clientSession", "customStatementDelegation"]) {
      const v = wasm[name];
      const resources: string[] = v.decoded.p.resources;
      const uri = resources.at(-1) as string;
      const recap = decodeRecap(uri);
      assert.deepEqual({ att: recap.att, prf: recap.prf.map(toBase58) }, JSON.parse(v.recapJson), name);
      assert.equal(encodeRecap(recap), uri, name);
      assert.ok((v.decoded.p.statement as string).endsWith(recapStatement(recap)), name);
    }
  });

  test("behavior: prf may be omitted (decodes as no proofs)", () => {
    const decoded = decodeRecap(recapUrnOfJson(`{"att":{"${R1}":{"tinycloud.kv/get":[{}]}}}`));
    assert.deepEqual(decoded.prf, []);
    assert.deepEqual(decoded.att, { [R1]: { "tinycloud.kv/get": [{}] } });
  });

  test("behavior: the official wasm CACAO header's ReCap is reachable through decodeCacaoHeader", () => {
    const decoded = decodeCacaoHeader(wasm.host.authorization);
    const recap = extractRecap(decoded.cacao.siwe.resources);
    assert.deepEqual(
      Object.values(recap.att).map((a) => Object.keys(a)),
      [["orbit/host"]],
    );
  });
});

describe("extractRecap: position", () => {
  const recapUri = encodeRecap(recapOf({ [R1]: { "tinycloud.kv/get": [{}] } }));

  test("default: the ReCap as the last (or only) resource is found", () => {
    assert.deepEqual(extractRecap([recapUri]).att, { [R1]: { "tinycloud.kv/get": [{}] } });
    assert.deepEqual(extractRecap(["https://example.com/terms", recapUri]).att, { [R1]: { "tinycloud.kv/get": [{}] } });
  });

  test("error: no ReCap is rejected with CACAO_MISSING_RECAP", () => {
    assert.throws(() => extractRecap(undefined), { code: "CACAO_MISSING_RECAP" });
    assert.throws(() => extractRecap([]), { code: "CACAO_MISSING_RECAP" });
    assert.throws(() => extractRecap(["https://example.com/terms"]), { code: "CACAO_MISSING_RECAP" });
    assert.throws(() => extractRecap(["URN:RECAP:eyJ9"]), { code: "CACAO_MISSING_RECAP" });
  });

  test("error: a ReCap that is not last is rejected with CACAO_RECAP_NOT_LAST", () => {
    assert.throws(() => extractRecap([recapUri, "https://example.com/terms"]), { code: "CACAO_RECAP_NOT_LAST" });
  });

  test("error: two ReCaps are rejected with CACAO_RECAP_NOT_LAST", () => {
    assert.throws(() => extractRecap([recapUri, recapUri]), { code: "CACAO_RECAP_NOT_LAST" });
    assert.throws(() => extractRecap([recapUri, "https://example.com/terms", recapUri]), { code: "CACAO_RECAP_NOT_LAST" });
  });
});

describe("decodeRecap: errors", () => {
  const att = `{"${R1}":{"tinycloud.kv/get":[{}]}}`;

  test("default: the canonical JSON decodes", () => {
    assert.deepEqual(decodeRecap(recapUrnOfJson(`{"att":${att},"prf":[]}`)).att, { [R1]: { "tinycloud.kv/get": [{}] } });
  });

  test("error: members out of order are rejected with CACAO_RECAP_NOT_CANONICAL", () => {
    assert.throws(() => decodeRecap(recapUrnOfJson(`{"prf":[],"att":${att}}`)), { code: "CACAO_RECAP_NOT_CANONICAL" });
    const abilitiesOutOfOrder = `{"att":{"${R1}":{"tinycloud.kv/put":[{}],"tinycloud.kv/get":[{}]}},"prf":[]}`;
    assert.throws(() => decodeRecap(recapUrnOfJson(abilitiesOutOfOrder)), { code: "CACAO_RECAP_NOT_CANONICAL" });
    const resourcesOutOfOrder = `{"att":{"${R2}":{"tinycloud.sql/read":[{}]},"${R1}":{"tinycloud.kv/get":[{}]}},"prf":[]}`;
    assert.throws(() => decodeRecap(recapUrnOfJson(resourcesOutOfOrder)), { code: "CACAO_RECAP_NOT_CANONICAL" });
  });

  test("error: extra whitespace, non-canonical numbers or escapes are rejected with CACAO_RECAP_NOT_CANONICAL", () => {
    assert.throws(() => decodeRecap(recapUrnOfJson(`{"att": ${att},"prf":[]}`)), { code: "CACAO_RECAP_NOT_CANONICAL" });
    assert.throws(() => decodeRecap(recapUrnOfJson(`{"att":${att},"prf":[]}\n`)), { code: "CACAO_RECAP_NOT_CANONICAL" });
    const number = `{"att":{"${R1}":{"tinycloud.kv/get":[{"max":1.0}]}},"prf":[]}`;
    assert.throws(() => decodeRecap(recapUrnOfJson(number)), { code: "CACAO_RECAP_NOT_CANONICAL" });
    const escaped = `{"att":{"${R1}":{"tinycloud.kv/g\\u0065t":[{}]}},"prf":[]}`;
    assert.throws(() => decodeRecap(recapUrnOfJson(escaped)), { code: "CACAO_RECAP_NOT_CANONICAL" });
    const duplicate = `{"att":${att},"att":${att},"prf":[]}`;
    assert.throws(() => decodeRecap(recapUrnOfJson(duplicate)), { code: "CACAO_RECAP_NOT_CANONICAL" });
  });

  test("error: a padded payload is rejected with ENCODING_BAD_PADDING", () => {
    // Choose a JSON length that is not a multiple of 3, so the padded form really has '='.
    let json = `{"att":${att},"prf":[]}`;
    if (utf8ToBytes(json).length % 3 === 0) json = `{"att":{"${R1}x":{"tinycloud.kv/get":[{}]}},"prf":[]}`;
    const padded = RECAP_PREFIX + encodeBase64UrlPadded(utf8ToBytes(json));
    assert.ok(padded.endsWith("="));
    assert.doesNotThrow(() => decodeRecap(recapUrnOfJson(json)));
    assert.throws(() => decodeRecap(padded), { code: "ENCODING_BAD_PADDING" });
  });

  test("error: the standard base64 alphabet is rejected with ENCODING_BAD_BASE64", () => {
    // A caveat value of '~' and '?' bytes makes the URL alphabet's '-' / '_' appear at some alignment.
    const uri = ["", "a", "aa"].map((pad) => recapUrnOfJson(`{"att":{"${R1}":{"tinycloud.kv/get":[{"v":"${pad}~~~???"}]}},"prf":[]}`)).find((u) => /[-_]/.test(u.slice(RECAP_PREFIX.length))) as string;
    assert.doesNotThrow(() => decodeRecap(uri));
    const standard = RECAP_PREFIX + Buffer.from(uri.slice(RECAP_PREFIX.length), "base64url").toString("base64").replace(/=+$/, "");
    assert.notEqual(standard, uri);
    assert.throws(() => decodeRecap(standard), { code: "ENCODING_BAD_BASE64" });
    assert.throws(() => decodeRecap(`${RECAP_PREFIX}eyJh+dHQ`), { code: "ENCODING_BAD_BASE64" });
  });

  test("error: a payload that is not JSON or not UTF-8 is rejected with ENCODING_BAD_JSON / ENCODING_BAD_UTF8", () => {
    assert.throws(() => decodeRecap(recapUrnOfJson("not json")), { code: "ENCODING_BAD_JSON" });
    assert.throws(() => decodeRecap(RECAP_PREFIX + encodeBase64UrlUnpadded(Uint8Array.of(0x7b, 0xff, 0x7d))), { code: "ENCODING_BAD_UTF8" });
  });

  test("error: empty caveats [] are rejected with CACAO_RECAP_MALFORMED", () => {
    assert.throws(() => decodeRecap(recapUrnOfJson(`{"att":{"${R1}":{"tinycloud.kv/get":[]}},"prf":[]}`)), { code: "CACAO_RECAP_MALFORMED" });
  });

  test("error: caveats that are not a list of objects are rejected with CACAO_RECAP_MALFORMED", () => {
    for (const caveats of ["{}", "[1]", "[[]]", '["x"]', "null", "[null]"]) {
      assert.throws(() => decodeRecap(recapUrnOfJson(`{"att":{"${R1}":{"tinycloud.kv/get":${caveats}}},"prf":[]}`)), { code: "CACAO_RECAP_MALFORMED" }, caveats);
    }
  });

  test("error: a resource mapped to no abilities is rejected with CACAO_RECAP_MALFORMED", () => {
    assert.throws(() => decodeRecap(recapUrnOfJson(`{"att":{"${R1}":{}},"prf":[]}`)), { code: "CACAO_RECAP_MALFORMED" });
    assert.throws(() => decodeRecap(recapUrnOfJson(`{"att":{"${R1}":[]},"prf":[]}`)), { code: "CACAO_RECAP_MALFORMED" });
  });

  test("error: a non-base58 prf entry is rejected with CACAO_RECAP_MALFORMED", () => {
    const base32 = rawBlake3Cid(utf8ToBytes("x")).toString();
    assert.throws(() => decodeRecap(recapUrnOfJson(`{"att":${att},"prf":["${base32}"]}`)), { code: "CACAO_RECAP_MALFORMED" });
    assert.throws(() => decodeRecap(recapUrnOfJson(`{"att":${att},"prf":[{"/":"${base32}"}]}`)), { code: "CACAO_RECAP_MALFORMED" });
    assert.throws(() => decodeRecap(recapUrnOfJson(`{"att":${att},"prf":[42]}`)), { code: "CACAO_RECAP_MALFORMED" });
  });

  test("error: a base58 prf entry that is not a CID is rejected with ENCODING_BAD_CID", () => {
    assert.throws(() => decodeRecap(recapUrnOfJson(`{"att":${att},"prf":["zzzz"]}`)), { code: "ENCODING_BAD_CID" });
    // sanity: the base58 form of a real CID is accepted
    const cid = parseCid("zb38SMkuhxoyDCgRqFrDo3oseWnmQByCDaaRzXrTvZtonYFDx");
    assert.equal(decodeRecap(recapUrnOfJson(`{"att":${att},"prf":["${toBase58(cid)}"]}`)).prf[0]?.toString(), cid.toString());
  });

  test("error: an unknown top-level member is rejected with CACAO_RECAP_MALFORMED", () => {
    assert.throws(() => decodeRecap(recapUrnOfJson(`{"att":${att},"ext":1,"prf":[]}`)), { code: "CACAO_RECAP_MALFORMED" });
    assert.throws(() => decodeRecap(recapUrnOfJson(`{"att":${att},"prf":[],"zzz":{}}`)), { code: "CACAO_RECAP_MALFORMED" });
  });

  test("error: a missing or non-object att, a non-array prf, or a non-object payload is rejected with CACAO_RECAP_MALFORMED", () => {
    assert.throws(() => decodeRecap(recapUrnOfJson(`{"prf":[]}`)), { code: "CACAO_RECAP_MALFORMED" });
    assert.throws(() => decodeRecap(recapUrnOfJson(`{"att":[],"prf":[]}`)), { code: "CACAO_RECAP_MALFORMED" });
    assert.throws(() => decodeRecap(recapUrnOfJson(`{"att":${att},"prf":{}}`)), { code: "CACAO_RECAP_MALFORMED" });
    assert.throws(() => decodeRecap(recapUrnOfJson(`[${att}]`)), { code: "CACAO_RECAP_MALFORMED" });
  });

  test("error: a URI without the urn:recap: prefix is rejected with CACAO_RECAP_MALFORMED", () => {
    assert.throws(() => decodeRecap("urn:recaps:eyJ9"), { code: "CACAO_RECAP_MALFORMED" });
    assert.throws(() => decodeRecap("https://example.com"), { code: "CACAO_RECAP_MALFORMED" });
  });

  test("error: a malformed ability inside the ReCap is rejected with ABILITY_MALFORMED", () => {
    assert.throws(() => decodeRecap(recapUrnOfJson(`{"att":{"${R1}":{"kv get":[{}]}},"prf":[]}`)), { code: "ABILITY_MALFORMED" });
    assert.throws(() => decodeRecap(recapUrnOfJson(`{"att":{"${R1}":{"kv/get/x":[{}]}},"prf":[]}`)), { code: "ABILITY_MALFORMED" });
  });
});
