/**
 * The pure compute definitions (core/compute): CIDs are sha2-256 CIDv1 that any IPFS tool recomputes, the
 * seed is the documented hash, the records' schemas accept what the node writes and name the bad field of
 * what they refuse, and every compute code has its HTTP status.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import * as dagCbor from "@ipld/dag-cbor";
import * as v from "valibot";
import { isKnownAbility } from "../../core/abilities.js";
import { COMPUTE_ABI } from "../../core/compute/abi.js";
import { encodeComputeRecord, functionCid } from "../../core/compute/cid.js";
import { ComputeError, EXEC_FAILURES, execFailureCode } from "../../core/compute/errors.js";
import { currentMeterInfo, type DeployRecord, DeployRecordSchema, ExecutionRecordSchema, ExecutionResultSchema, sameMeter } from "../../core/compute/records.js";
import { executionSeed } from "../../core/compute/seed.js";
import { HTTP_STATUS, isHttpErrorCode } from "../../core/http-errors.js";
import { toHttpError } from "../../node/server/http-error.js";

test("default: function_cid is CIDv1 raw sha2-256 (the empty module's is the well-known bafkreihdwdce…)", () => {
  assert.equal(functionCid(new Uint8Array()), "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
  assert.match(functionCid(new TextEncoder().encode("x")), /^bafkrei[a-z2-7]{52}$/);
});

test("default: a record's CID is dag-cbor sha2-256 over its DAG-CBOR bytes", () => {
  const { bytes, cid } = encodeComputeRecord({ a: 1 });
  assert.deepEqual(bytes, dagCbor.encode({ a: 1 }));
  assert.match(cid, /^bafyrei/);
});

test("default: the seed is sha256('tc:compute/seed@1' ‖ invocation hash)", () => {
  const hash = new Uint8Array(32).fill(7);
  const expected = createHash("sha256").update("tc:compute/seed@1").update(hash).digest();
  assert.deepEqual(Buffer.from(executionSeed(hash)), expected);
});

test("default: tinycloud.compute/deploy and /execute are known abilities", () => {
  assert.ok(isKnownAbility("tinycloud.compute/deploy"));
  assert.ok(isKnownAbility("tinycloud.compute/execute"));
});

const deploy: DeployRecord = {
  abi: COMPUTE_ABI,
  function_cid: functionCid(new Uint8Array([0, 97, 115, 109])),
  size: 4,
  metered_cid: functionCid(new Uint8Array([1])),
  meter: currentMeterInfo(256, 1000),
  name: "summarize",
  space: "tinycloud:pkh:eip155:1:0x0000000000000000000000000000000000000001:default",
  deployer: "did:pkh:eip155:1:0x0000000000000000000000000000000000000001",
  time: 1_700_000_000_000,
  invocation: "ab".repeat(32),
};

test("default: a deploy record round-trips through DAG-CBOR and its schema", () => {
  const decoded = dagCbor.decode(encodeComputeRecord(deploy).bytes);
  assert.deepEqual(v.parse(DeployRecordSchema, decoded), deploy);
  assert.ok(sameMeter(deploy.meter, currentMeterInfo(256, 1000)));
  assert.ok(!sameMeter(deploy.meter, currentMeterInfo(128, 1000)));
  assert.ok(!sameMeter(deploy.meter, { ...deploy.meter, costs: { ...deploy.meter.costs, node: 2 } }));
});

test("error: schemas refuse a bad ABI, name, gas or seed, naming the field", () => {
  const issue = (schema: v.GenericSchema, value: unknown) => v.safeParse(schema, value).issues?.[0];
  assert.equal(issue(DeployRecordSchema, { ...deploy, abi: "tc:compute/abi@2" })?.path?.[0]?.key, "abi");
  assert.equal(issue(DeployRecordSchema, { ...deploy, name: "../etc" })?.path?.[0]?.key, "name");
  const result = { function_cid: deploy.function_cid, output_cid: deploy.function_cid, gas_used: "12", status: 0 };
  assert.ok(v.safeParse(ExecutionResultSchema, result).success);
  assert.equal(issue(ExecutionResultSchema, { ...result, gas_used: "012" })?.path?.[0]?.key, "gas_used");
  assert.equal(issue(ExecutionResultSchema, { ...result, gas_used: (2n ** 64n).toString() })?.path?.[0]?.key, "gas_used");
  const record = {
    deploy: encodeComputeRecord(deploy).cid,
    function_cid: deploy.function_cid,
    invocation: "ab",
    inputs: [{ key: "journal/1", version: 1, etag: "x" }],
    time_ms: 1,
    seed: "00".repeat(32),
    gas_limit: "1000",
    output_cid: deploy.function_cid,
    gas_used: "10",
    status: 0,
  };
  assert.ok(v.safeParse(ExecutionRecordSchema, record).success);
  assert.equal(issue(ExecutionRecordSchema, { ...record, seed: "00" })?.path?.[0]?.key, "seed");
});

test("default: every compute code has its status (deploy 400, failures 422, output 413, busy 503)", () => {
  for (const reason of EXEC_FAILURES) assert.ok(isHttpErrorCode(execFailureCode(reason)), reason);
  assert.equal(HTTP_STATUS.COMPUTE_OUT_OF_GAS, 422);
  assert.equal(HTTP_STATUS.COMPUTE_OUTPUT_TOO_LARGE, 413);
  assert.equal(HTTP_STATUS.COMPUTE_MODULE_TOO_LARGE, 413);
  assert.equal(toHttpError(new ComputeError("WASM_IMPORT_FORBIDDEN", "x"))?.status, 400);
  assert.equal(toHttpError(new ComputeError("COMPUTE_BUSY", "x"))?.status, 503);
});
