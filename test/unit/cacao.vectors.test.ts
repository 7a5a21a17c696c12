import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { decodeCacaoHeader, encodeCacao, encodeCacaoHeader, cacaoMessage, verifyCacao } from "../../core/auth/cacao.js";
import { delegationFromCacao } from "../../core/auth/records.js";
import { recapStatement } from "../../core/auth/recap.js";
import { hex, loadVectors } from "../helpers/vectors.js";

const wasm = loadVectors("official-wasm.json");
const delegations = ["host", "otherWalletHost", "preparedSession", "clientSession", "customStatementDelegation"] as const;

describe("CACAO: official client 0.2.1 wasm vectors", () => {
  for (const name of delegations) {
    const v = wasm[name];
    const authorization: string = v.authorization ?? v.session?.delegationHeader?.Authorization;

    test(`${name}: decodes, rebuilds the signed SIWE text, verifies, and re-encodes byte-for-byte`, () => {
      const decoded = decodeCacaoHeader(authorization);
      assert.deepEqual(decoded.bytes, hex(v.cacaoHex));
      const signedText: string = v.siwe ?? v.prepared.siwe;
      assert.equal(cacaoMessage(decoded.cacao), signedText);
      const recap = verifyCacao(decoded.cacao);
      assert.deepEqual(JSON.parse(v.recapJson).att, recap.att);
      assert.ok(decoded.cacao.siwe.statement?.endsWith(recapStatement(recap)));
      assert.deepEqual(encodeCacao(decoded.cacao), decoded.bytes);
      assert.equal(encodeCacaoHeader(decoded.bytes), authorization);
      assert.equal(decoded.cid.toString(), v.cidRaw);
      assert.equal(decoded.cacao.siwe.address, v.recoveredAddress);
    });
  }

  test("legacy wire form: version text, requestId, signature as an integer array", () => {
    const decoded = decodeCacaoHeader(wasm.customStatementDelegation.authorization);
    assert.deepEqual(decoded.cacao.form, { versionAsText: true, requestIdKey: "requestId", signatureAsArray: true });
    assert.equal(decoded.cacao.siwe.requestId, "req-0001");
    assert.equal(decoded.cacao.siwe.notBefore, wasm.constants.notBefore);
  });

  test("session delegation record: wallet → session key, legacy abilities canonicalized", () => {
    const decoded = decodeCacaoHeader(wasm.clientSession.session.delegationHeader.Authorization);
    const record = delegationFromCacao(decoded, verifyCacao(decoded.cacao));
    assert.equal(record.issuer, `did:pkh:eip155:1:${wasm.constants.walletAddress}`);
    assert.equal(record.audience, wasm.clientSession.did);
    assert.deepEqual(record.capabilities.map((c) => c.ability).sort(), [
      "tinycloud.capabilities/read",
      "tinycloud.kv/del",
      "tinycloud.kv/get",
      "tinycloud.kv/list",
      "tinycloud.kv/metadata",
      "tinycloud.kv/put",
    ]);
    // The client names its session by the dag-cbor CID; the node by the raw CID. Same multihash.
    assert.equal(wasm.clientSession.session.delegationCid, wasm.clientSession.cidDagCbor);
  });

  test("error: unpadded header is rejected with ENCODING_BAD_PADDING", () => {
    const unpadded = wasm.negative.unpaddedHeaders.find((n: any) => n.originalHadPadding);
    assert.throws(() => decodeCacaoHeader(unpadded.authorization), { code: "ENCODING_BAD_PADDING" });
  });

  test("error: standard base64 alphabet is rejected with ENCODING_BAD_BASE64", () => {
    assert.throws(() => decodeCacaoHeader(wasm.negative.hostStandardBase64Alphabet.authorization), { code: "ENCODING_BAD_BASE64" });
  });

  test("error: a CACAO whose signer is not its issuer is rejected with CACAO_ISSUER_MISMATCH", () => {
    const decoded = decodeCacaoHeader(wasm.negative.hostSignedByOtherWallet.authorization);
    assert.throws(() => verifyCacao(decoded.cacao), { code: "CACAO_ISSUER_MISMATCH" });
  });
});
