/**
 * What the compute service stores and answers (compute-design.md "Names and formats"). CIDs are kept as
 * text so the records read the same in DAG-CBOR and JSON. A record's own CID is CIDv1 dag-cbor sha2-256.
 */
import * as dagCbor from "@ipld/dag-cbor";
import { sha256 } from "@noble/hashes/sha2.js";
import { CID } from "multiformats/cid";
import * as Digest from "multiformats/hashes/digest";
import type { MeterInfo } from "./meter.js";

export interface DeployRecord {
  readonly abi: string;
  readonly function_cid: string;
  readonly size: number;
  readonly metered_cid: string;
  readonly meter: MeterInfo;
  readonly name: string;
  readonly space: string;
  /** The invoker's DID. */
  readonly deployer: string;
  /** When the node accepted the deploy (Unix ms). */
  readonly time: number;
  /** The deploy invocation's CID. */
  readonly invocation: string;
}

export interface ExecutionInput {
  readonly key: string;
  readonly version: number;
  /** blake3 hex of the input bytes (the KV etag). */
  readonly etag: string;
}

export interface StoredResult {
  readonly key: string;
  readonly version: number;
  /** The epoch CID the write is in. */
  readonly epoch: string;
}

export interface ExecutionRecord {
  /** The deploy record's CID. */
  readonly deploy: string;
  readonly function_cid: string;
  /** blake3 hex of the invocation's signed bytes (its replay key; the seed derives from it). */
  readonly invocation: string;
  readonly inputs: readonly ExecutionInput[];
  readonly time_ms: string;
  readonly seed: string;
  readonly gas_limit: string;
  readonly output_cid: string;
  readonly gas_used: string;
  readonly status: number;
  readonly stored?: StoredResult;
}

export interface ExecutionResult {
  readonly function_cid: string;
  readonly output_cid: string;
  readonly gas_used: string;
  readonly status: number;
  readonly output?: string;
  readonly stored?: StoredResult;
  /** The execution's number in the space's execution log. */
  readonly execution: number;
}

const SHA2_256 = 0x12;

export function encodeRecord(value: DeployRecord | ExecutionRecord): { bytes: Uint8Array; cid: CID } {
  const bytes = dagCbor.encode(value);
  return { bytes, cid: CID.createV1(dagCbor.code, Digest.create(SHA2_256, sha256(bytes))) };
}
