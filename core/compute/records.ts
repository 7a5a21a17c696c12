/**
 * The compute service's records, one valibot schema each (the node stores them, an auditor parses them as
 * untrusted input with `parseWire` from core/rollup/wire.ts):
 *
 *   - `MeterInfoSchema`: how a module was metered (tool and pass versions, cost table, limits);
 *   - `DeployRecordSchema`: a deployed function (DAG-CBOR; its CID is what an execution record links);
 *   - `ExecutionResultSchema`: what `execute` answers;
 *   - `ExecutionRecordSchema`: what the node logs per execution, enough for an auditor to re-run it.
 *
 * Gas amounts are decimal strings (they are 64-bit); DAG-CBOR has no `undefined`, so optional fields are
 * absent, never undefined (`exactOptional`).
 */
import * as v from "valibot";
import { COMPUTE_ABI, METER_COSTS, METER_PASS, METER_TOOL, METER_TOOL_VERSION } from "./abi.js";

const Nat = v.pipe(v.number(), v.safeInteger("is not an integer"), v.minValue(0, "is negative"));
const Text = v.pipe(v.string(), v.minLength(1, "is empty"), v.maxLength(8192, "is longer than 8192 characters"));
/** A CIDv1 string in base32 (`bafk…` raw, `bafy…` dag-cbor); parsed for real with core/cid.ts parseCid where it matters. */
const CidText = v.pipe(v.string(), v.regex(/^b[a-z2-7]{20,200}$/, "is not a base32 CIDv1"));
/** A non-negative 64-bit amount as a canonical decimal string. */
export const GasDecimal = v.pipe(
  v.string(),
  v.regex(/^(0|[1-9][0-9]{0,19})$/, "is not a canonical decimal number"),
  v.check((s) => BigInt(s) < 2n ** 64n, "is not below 2^64"),
);
const Hex = (bytes: number) => v.pipe(v.string(), v.regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `is not ${bytes} bytes of lowercase hex`));
/** A function's name inside a space: one path segment of `<space>/compute/<name>`. */
export const FunctionName = v.pipe(v.string(), v.regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, "is not a function name (1-128 of A-Z a-z 0-9 . _ -, not starting with . _ -)"));

const CostTable = v.object({
  node: Nat,
  bulkBytesPerGas: Nat,
  memoryGrowPage: Nat,
  hostCall: Nat,
  hostBytesPerGas: Nat,
});

export const MeterInfoSchema = v.object({
  tool: v.literal(METER_TOOL),
  version: v.string(),
  pass: v.string(),
  costs: CostTable,
  memory_pages_max: Nat,
  call_depth_max: Nat,
});
export type MeterInfo = v.InferOutput<typeof MeterInfoSchema>;

/** The meter info of this build (what `meterModule` pins into every deploy record). */
export function currentMeterInfo(memoryPagesMax: number, callDepthMax: number): MeterInfo {
  return { tool: METER_TOOL, version: METER_TOOL_VERSION, pass: METER_PASS, costs: { ...METER_COSTS }, memory_pages_max: memoryPagesMax, call_depth_max: callDepthMax };
}

/** Whether a record was metered by this build (same tool, pass and cost table): otherwise re-execution may differ in gas. */
export function sameMeter(a: MeterInfo, b: MeterInfo): boolean {
  return (
    a.tool === b.tool &&
    a.version === b.version &&
    a.pass === b.pass &&
    a.memory_pages_max === b.memory_pages_max &&
    a.call_depth_max === b.call_depth_max &&
    (Object.keys(METER_COSTS) as (keyof MeterInfo["costs"])[]).every((k) => a.costs[k] === b.costs[k])
  );
}

export const DeployRecordSchema = v.object({
  abi: v.literal(COMPUTE_ABI),
  /** CID of the uploaded module bytes. */
  function_cid: CidText,
  /** Byte length of the uploaded module. */
  size: Nat,
  /** CID of the metered binary the runtime executes. */
  metered_cid: CidText,
  meter: MeterInfoSchema,
  name: FunctionName,
  /** The space id (`tinycloud:pkh:eip155:1:0x…:default`). */
  space: Text,
  /** DID of the invoker that deployed it. */
  deployer: Text,
  /** Deploy time, ms since the epoch (the invocation's signed time). */
  time: Nat,
  /** The deploy invocation (token hash hex or CID, as the node names invocations). */
  invocation: Text,
});
export type DeployRecord = v.InferOutput<typeof DeployRecordSchema>;

const StoredSchema = v.object({ key: Text, version: Nat, epoch: Text });

export const ExecutionResultSchema = v.object({
  function_cid: CidText,
  output_cid: CidText,
  gas_used: GasDecimal,
  /** What `run()` returned: 0 ok, anything else the function's own failure code. */
  status: v.pipe(v.number(), v.integer(), v.minValue(-(2 ** 31)), v.maxValue(2 ** 31 - 1)),
  /** The output, base64 (absent when only stored). */
  output: v.exactOptional(v.string()),
  stored: v.exactOptional(StoredSchema),
});
/** @public The node service answers this (issue 14, h-service). */
export type ExecutionResult = v.InferOutput<typeof ExecutionResultSchema>;

export const ExecutionRecordSchema = v.object({
  /** CID of the deploy record executed. */
  deploy: CidText,
  function_cid: CidText,
  /** The execute invocation's token hash (hex). */
  invocation: Text,
  inputs: v.array(v.object({ key: Text, version: Nat, etag: Text })),
  time_ms: Nat,
  seed: Hex(32),
  gas_limit: GasDecimal,
  output_cid: CidText,
  gas_used: GasDecimal,
  status: v.pipe(v.number(), v.integer()),
  stored: v.exactOptional(StoredSchema),
});
/** @public The node service logs this for audits (issue 14, h-service). */
export type ExecutionRecord = v.InferOutput<typeof ExecutionRecordSchema>;
