/**
 * The compute service's durable state, in the node's level store (buckets 23–26): which deploy record a
 * function name points to, the deployed modules and records by CID, the execution log, and the quota
 * counters. Writes go into the caller's `Batch`, so each request's changes land atomically.
 */
import * as dagCbor from "@ipld/dag-cbor";
import { parseCid } from "../../core/cid.js";
import type { ExecutionRecord } from "../../core/compute/records.js";
import { Bucket } from "../store/buckets.js";
import { decodeNumber, encodeKey, type KeyPart, prefixRange } from "../store/keys.js";
import type { Batch, NodeStore } from "../store/store.js";

export class ComputeStore {
  constructor(private readonly store: NodeStore) {}

  private async get<T>(bucket: Bucket, ...parts: KeyPart[]): Promise<T | undefined> {
    const bytes = await this.store.db.get(encodeKey(bucket, ...parts));
    return bytes === undefined ? undefined : (dagCbor.decode(bytes) as T);
  }

  /** The deploy record CID (text) a function name in a space points to. */
  functionRecord(spaceId: string, name: string): Promise<string | undefined> {
    return this.get<string>(Bucket.computeFunctions, spaceId, name);
  }

  /** The deploy record CIDs of every function name in a space (a space holds few: its deployed bytes are under quota). */
  async functionRecords(spaceId: string): Promise<string[]> {
    const out: string[] = [];
    for await (const [, value] of this.store.db.iterator(prefixRange(Bucket.computeFunctions, spaceId))) out.push(dagCbor.decode(value) as string);
    return out;
  }

  putFunction(batch: Batch, spaceId: string, name: string, recordCid: string): void {
    batch.put(Bucket.computeFunctions, [spaceId, name], recordCid);
  }

  /** Raw bytes stored under a CID (a module, a metered module, a DAG-CBOR deploy record). */
  async block(cid: string): Promise<Uint8Array | undefined> {
    return this.store.db.get(encodeKey(Bucket.computeModules, parseCid(cid).bytes));
  }

  async hasBlock(cid: string): Promise<boolean> {
    return (await this.block(cid)) !== undefined;
  }

  putBlock(batch: Batch, cid: string, bytes: Uint8Array): void {
    batch.put(Bucket.computeModules, [parseCid(cid).bytes], bytes);
  }

  async deployedBytes(spaceId: string): Promise<number> {
    return (await this.get<number>(Bucket.computeGas, spaceId, "bytes")) ?? 0;
  }

  putDeployedBytes(batch: Batch, spaceId: string, bytes: number): void {
    batch.put(Bucket.computeGas, [spaceId, "bytes"], bytes);
  }

  async gasUsed(spaceId: string, period: number): Promise<bigint> {
    return BigInt((await this.get<string>(Bucket.computeGas, spaceId, "gas", period)) ?? "0");
  }

  putGasUsed(batch: Batch, spaceId: string, period: number, gas: bigint): void {
    batch.put(Bucket.computeGas, [spaceId, "gas", period], gas.toString());
  }

  /** The last execution's number in a space (0: none yet). */
  async lastExecution(spaceId: string): Promise<number> {
    const range = prefixRange(Bucket.computeExecutions, spaceId);
    const head = encodeKey(Bucket.computeExecutions, spaceId).length + 1;
    for await (const [key] of this.store.db.iterator({ ...range, reverse: true, limit: 1 })) return decodeNumber(key.subarray(head, head + 8));
    return 0;
  }

  putExecution(batch: Batch, spaceId: string, seq: number, record: ExecutionRecord): void {
    batch.put(Bucket.computeExecutions, [spaceId, seq], record);
  }

  execution(spaceId: string, seq: number): Promise<ExecutionRecord | undefined> {
    return this.get<ExecutionRecord>(Bucket.computeExecutions, spaceId, seq);
  }

  /** Executions after `after`, oldest first, with their numbers. */
  async executions(spaceId: string, after: number, limit: number): Promise<{ seq: number; record: ExecutionRecord }[]> {
    const range = prefixRange(Bucket.computeExecutions, spaceId);
    const head = encodeKey(Bucket.computeExecutions, spaceId).length + 1;
    const gte = after > 0 ? encodeKey(Bucket.computeExecutions, spaceId, after + 1) : range.gte;
    const out: { seq: number; record: ExecutionRecord }[] = [];
    for await (const [key, value] of this.store.db.iterator({ gte, lt: range.lt, limit })) {
      out.push({ seq: decodeNumber(key.subarray(head, head + 8)), record: dagCbor.decode(value) as ExecutionRecord });
    }
    return out;
  }
}
