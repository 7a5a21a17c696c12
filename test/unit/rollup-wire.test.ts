/**
 * core/rollup: the wire schemas the node serves and the light client and auditor parse, the proof
 * calldata encoder (byte for byte against viem, an independent ABI encoder) and the header codec
 * (against the contract's formula written out independently here).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { encodeAbiParameters } from "viem";
import { encodeGroth16Proof } from "../../core/rollup/calldata.js";
import { batchHeader, decodeHeader, describeContext, epochContext } from "../../core/rollup/header.js";
import { BatchRecordSchema, expectWire, parseWire, ProofEntrySchema, WireError, type BatchRecord } from "../../core/rollup/wire.js";
import { FIELD_MODULUS, fieldFromDecimal, toField } from "../../core/state/field.js";

const V = JSON.parse(readFileSync(new URL("../vectors/lightclient/recording.json", import.meta.url), "utf8")) as { recording: { node: { batches: Record<string, BatchRecord> } } };
const recorded = Object.values(V.recording.node.batches);
const proven = recorded.find((r) => r.proof !== undefined)!;

describe("core/rollup wire schemas", () => {
  test("default: every recorded batch record passes BatchRecordSchema unchanged", () => {
    assert.ok(recorded.length >= 3);
    for (const r of recorded) {
      const parsed = parseWire(BatchRecordSchema, r, "batch");
      assert.ok(parsed.ok, parsed.ok ? "" : parsed.error);
      assert.deepEqual(parsed.value, r);
    }
  });

  const bad: [string, (r: Record<string, unknown>) => void, RegExp][] = [
    ["a root at the field modulus", (r) => (r["newRoot"] = FIELD_MODULUS.toString()), /newRoot is not below the field modulus/],
    ["a root with a leading zero", (r) => (r["oldRoot"] = `0${r["oldRoot"] as string}`), /oldRoot is not a canonical decimal/],
    ["a negative batch number", (r) => (r["number"] = -1), /number is negative/],
    ["no cut time", (r) => delete r["cutAt"], /cutAt is missing/],
    ["an unknown status", (r) => (r["status"] = "final"), /status is not a batch status/],
    ["a proof whose pi_b is not a G2 point", (r) => ((r["proof"] as Record<string, unknown>)["pi_b"] = [["1", "2"]]), /proof\.pi_b is not a G2 point/],
    ["an anchor tx that is not a hash", (r) => (r["anchorTx"] = "0x12"), /anchorTx is not a 32-byte hex string/],
    ["an update key that is a number", (r) => ((r["updates"] as Record<string, unknown>[])[0]!["key"] = 5), /updates\[0\]\.key/],
    ["a circuit name with a path", (r) => (r["circuit"] = "../etc"), /circuit is not a circuit name/],
  ];
  for (const [what, mutate, message] of bad) {
    test(`error: ${what} fails with a message naming the field`, () => {
      const r = structuredClone(proven) as unknown as Record<string, unknown>;
      mutate(r);
      const parsed = parseWire(BatchRecordSchema, r, "the batch record");
      assert.equal(parsed.ok, false);
      assert.match((parsed as { error: string }).error, message);
      assert.throws(
        () => expectWire(BatchRecordSchema, r, "the batch record"),
        (e: unknown) => e instanceof WireError && e.code === "WIRE_MALFORMED" && e.name === "WireError",
      );
    });
  }

  test("error: an entry with version 0 is refused", () => {
    assert.equal(parseWire(ProofEntrySchema, { version: 0, deleted: false, contentHash: "1" }, "entry").ok, false);
    assert.equal(parseWire(ProofEntrySchema, { version: 1, deleted: false, contentHash: "1" }, "entry").ok, true);
  });
});

describe("core/rollup calldata", () => {
  test("default: encodeGroth16Proof is byte-identical to viem's abi.encode(uint256[2], uint256[2][2], uint256[2])", () => {
    for (const r of recorded.filter((x) => x.proof !== undefined)) {
      const p = r.proof!;
      const n = (s: string | undefined) => BigInt(s!);
      const expected = encodeAbiParameters(
        [{ type: "uint256[2]" }, { type: "uint256[2][2]" }, { type: "uint256[2]" }],
        [
          [n(p.pi_a[0]), n(p.pi_a[1])],
          [
            [n(p.pi_b[0]![1]), n(p.pi_b[0]![0])],
            [n(p.pi_b[1]![1]), n(p.pi_b[1]![0])],
          ],
          [n(p.pi_c[0]), n(p.pi_c[1])],
        ],
      );
      assert.equal(encodeGroth16Proof(p), expected);
    }
  });

  test("error: a malformed proof is a WireError, never a wrong encoding", () => {
    assert.throws(() => encodeGroth16Proof({ pi_a: ["1", "2"], pi_c: ["1", "2"] }), WireError);
    assert.throws(() => encodeGroth16Proof({ ...proven.proof!, pi_a: ["9".repeat(78), "1", "1"] }), WireError);
  });
});

describe("core/rollup header", () => {
  test("default: batchHeader is the contract's uint256(batch) << 192 | chainid << 160 | address, and decodeHeader inverts it", () => {
    const anchor = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
    const context = epochContext(31337, anchor);
    const header = batchHeader(7, context);
    assert.equal(header, (7n << 192n) + (31337n << 160n) + BigInt(anchor));
    assert.deepEqual(decodeHeader(header), { batch: 7n, context, chainId: 31337n, anchor: anchor.toLowerCase() });
    assert.equal(describeContext(context), `chain 31337, anchor ${anchor.toLowerCase()}`);
    assert.equal(describeContext(0n), "no chain (anchoring off)");
  });

  test("error: out-of-range batch numbers, chain ids and addresses are RangeErrors", () => {
    assert.throws(() => batchHeader(1n << 61n, 0n), RangeError);
    assert.throws(() => epochContext(1n << 32n, 0n), RangeError);
    assert.throws(() => epochContext(1, "0x12"), RangeError);
  });

  test("default: field elements are checked once where they enter", () => {
    assert.equal(fieldFromDecimal("01"), undefined);
    assert.equal(fieldFromDecimal(FIELD_MODULUS.toString()), undefined);
    assert.equal(fieldFromDecimal("42"), 42n);
    assert.throws(() => toField(-1n), RangeError);
    assert.throws(() => toField(0.5), RangeError);
  });
});
