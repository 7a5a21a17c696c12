/**
 * The node's durable state on level (classic-level), behind typed accessors. Values are DAG-CBOR.
 * Every request's changes go into one atomic batch (`Batch`), so a crash leaves either all or none of a
 * write; an acknowledged write has reached the database log and survives `kill -9` of the process.
 */
import * as dagCbor from "@ipld/dag-cbor";
import { ClassicLevel } from "classic-level";
import type { DelegationRecord } from "../../core/auth/authority.js";
import { CID, multihashKey } from "../../core/cid.js";
import { delegationFromCacao, delegationFromUcan } from "../../core/auth/records.js";
import { decodeCacao } from "../../core/auth/cacao.js";
import { extractRecap } from "../../core/auth/recap.js";
import { decodeUcan } from "../../core/auth/ucan.js";
import { bytesToUtf8 } from "../../core/encoding.js";
import { Bucket } from "./buckets.js";
import { isNoSpaceError, StorageFullError } from "./disk-space.js";
import { decodeNumber, encodeKey, type KeyPart, prefixRange, textPrefixRange } from "./keys.js";

export const SCHEMA_VERSION = 1;

export interface SpaceRecord {
  /** Canonical space id in the current form (`tinycloud:pkh:eip155:1:0x…:default`). */
  readonly id: string;
  /** Spelling the space was hosted with; legacy clients get legacy answers. */
  readonly form: "space" | "orbit";
  readonly owner: string;
  readonly name: string;
  /** CID of the host delegation. */
  readonly host: CID;
  readonly created: number;
  readonly heads: CID[];
  readonly seq: number;
}

export interface KvVersion {
  readonly version: number;
  /** blake3 hex of the content ("" for a tombstone). */
  readonly etag: string;
  readonly size: number;
  readonly metadata: Record<string, string>;
  readonly deleted: boolean;
  readonly epoch: CID;
  readonly seq: number;
  readonly position: number;
  readonly invocation: CID;
  readonly time: number;
  /**
   * A private space's leaf salt for this version (decimal; core/state/privacy.ts): its state leaf is
   * H4(contentHash, version, deleted, salt). Served only to readers of the space.
   */
  readonly salt?: string;
}

export interface RevocationInfo {
  readonly revocation: CID;
  readonly revoker: string;
  readonly time: number;
}

export type EventKind = "delegation" | "invocation" | "revocation";

interface StoredEvent {
  readonly kind: EventKind;
  readonly bytes: Uint8Array;
}

type BatchOp = { type: "put"; key: Uint8Array; value: Uint8Array } | { type: "del"; key: Uint8Array };

/** Changes that are written together or not at all. */
export class Batch {
  readonly ops: BatchOp[] = [];
  private readonly afterCommit: (() => void)[] = [];

  put(bucket: Bucket, parts: KeyPart[], value: unknown): this {
    this.ops.push({ type: "put", key: encodeKey(bucket, ...parts), value: value instanceof Uint8Array ? value : dagCbor.encode(value) });
    return this;
  }

  del(bucket: Bucket, parts: KeyPart[]): this {
    this.ops.push({ type: "del", key: encodeKey(bucket, ...parts) });
    return this;
  }

  /** Run after the batch is durable (cache updates). */
  onCommit(fn: () => void): this {
    this.afterCommit.push(fn);
    return this;
  }

  committed(): void {
    for (const fn of this.afterCommit) fn();
  }
}

const RECORD_CACHE_LIMIT = 50_000;

/** How often a store whose disk is full tries a small write to notice freed space. */
const DISK_PROBE_MS = 2_000;
const CURRENT_CACHE_LIMIT = 100_000;

export class NodeStore {
  readonly db: ClassicLevel<Uint8Array, Uint8Array>;
  /** Parsed delegation records by multihash (they are immutable once stored). */
  private readonly records = new Map<string, DelegationRecord>();
  private readonly revoked = new Map<string, boolean>();
  /** Space records and current KV versions: this process is their only writer, so caching is exact. */
  private readonly spaces = new Map<string, SpaceRecord>();
  private readonly currents = new Map<string, KvVersion | null>();
  private fullSince: number | undefined;
  private probe: NodeJS.Timeout | undefined;
  private readonly recoveredListeners: (() => void)[] = [];

  constructor(location: string) {
    this.db = new ClassicLevel<Uint8Array, Uint8Array>(location, { keyEncoding: "view", valueEncoding: "view" });
  }

  async open(): Promise<void> {
    await this.db.open();
    const key = encodeKey(Bucket.meta, "schema");
    const current = await this.db.get(key);
    if (current === undefined) await this.db.put(key, dagCbor.encode(SCHEMA_VERSION));
    else if (dagCbor.decode(current) !== SCHEMA_VERSION) {
      throw new Error(`database schema ${String(dagCbor.decode(current))} is not supported by this node (expects ${SCHEMA_VERSION})`);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.probe);
    await this.db.close();
  }

  async write(batch: Batch): Promise<void> {
    if (batch.ops.length > 0) {
      // Degraded: refused without trying (see markFull), until the probe has seen space and reopened the log.
      if (this.fullSince !== undefined) throw this.fullError();
      try {
        await this.db.batch(batch.ops);
      } catch (error) {
        if (!isNoSpaceError(error)) throw error;
        this.markFull();
        throw this.fullError(error);
      }
    }
    batch.committed();
  }

  /** Since when writes fail for lack of disk space (undefined: they do not). */
  get diskFullSince(): number | undefined {
    return this.fullSince;
  }

  /** Run `fn` whenever writes succeed again after the disk was full. */
  onRecovered(fn: () => void): void {
    this.recoveredListeners.push(fn);
  }

  private fullError(cause?: unknown): StorageFullError {
    return new StorageFullError("INSUFFICIENT_STORAGE", "the node's disk is full: writes are refused until space is freed (reads are still served)", cause !== undefined ? { cause } : {});
  }

  /**
   * The first write that found no space may have left a torn record at the end of LevelDB's log (part of
   * it reached the file), and records appended after a torn one can be skipped when the log is replayed
   * at the next open. So while degraded no write is attempted; a small probe write every few seconds
   * looks for freed space, and once it succeeds the database is reopened (LevelDB recovers the log up to
   * the tear, where only refused writes lie, and starts a fresh log) before writes are accepted again.
   */
  private markFull(): void {
    if (this.fullSince !== undefined) return;
    this.fullSince = Date.now();
    console.error("store: the disk is full: writes answer 507 INSUFFICIENT_STORAGE, reads are served; probing for free space");
    let probing = false;
    this.probe = setInterval(() => {
      if (probing || (this.db.status !== "open" && this.db.status !== "closed")) return;
      probing = true;
      void (async () => {
        if (this.db.status === "open") {
          await this.db.put(encodeKey(Bucket.meta, "probe"), dagCbor.encode(Date.now()));
          await this.db.close();
        }
        // (Also retried when an earlier reopen found no room for LevelDB's recovery.)
        await this.db.open();
        this.markRecovered();
      })()
        .catch((error: unknown) => {
          if (!isNoSpaceError(error)) console.error("store: recovering from a full disk failed:", error);
        })
        .finally(() => {
          probing = false;
        });
    }, DISK_PROBE_MS);
    this.probe.unref();
  }

  private markRecovered(): void {
    if (this.fullSince === undefined) return;
    this.fullSince = undefined;
    clearInterval(this.probe);
    this.probe = undefined;
    console.error("store: writes succeed again: the node is no longer degraded");
    for (const fn of this.recoveredListeners) fn();
  }

  private async getValue<T>(bucket: Bucket, ...parts: KeyPart[]): Promise<T | undefined> {
    const bytes = await this.db.get(encodeKey(bucket, ...parts));
    return bytes === undefined ? undefined : (dagCbor.decode(bytes) as T);
  }

  // Spaces -------------------------------------------------------------------------------------

  async getSpace(id: string): Promise<SpaceRecord | undefined> {
    const cached = this.spaces.get(id);
    if (cached !== undefined) return cached;
    const space = await this.getValue<SpaceRecord>(Bucket.spaces, id);
    if (space !== undefined) this.spaces.set(id, space);
    return space;
  }

  putSpace(batch: Batch, space: SpaceRecord): void {
    batch.put(Bucket.spaces, [space.id], space);
    batch.onCommit(() => this.spaces.set(space.id, space));
  }

  // Events -------------------------------------------------------------------------------------

  putEvent(batch: Batch, cid: CID, kind: EventKind, bytes: Uint8Array): void {
    batch.put(Bucket.events, [multihashKey(cid)], { kind, bytes } satisfies StoredEvent);
  }

  getEvent(cid: CID): Promise<StoredEvent | undefined> {
    return this.getValue<StoredEvent>(Bucket.events, multihashKey(cid));
  }

  putBlock(batch: Batch, cid: CID, bytes: Uint8Array): void {
    batch.put(Bucket.blocks, [cid.bytes], bytes);
  }

  async getBlock(cid: CID): Promise<Uint8Array | undefined> {
    return this.db.get(encodeKey(Bucket.blocks, cid.bytes));
  }

  // Delegations ---------------------------------------------------------------------------------

  async hasDelegation(cid: CID): Promise<boolean> {
    return (await this.db.get(encodeKey(Bucket.delegations, multihashKey(cid)))) !== undefined;
  }

  putDelegation(batch: Batch, record: DelegationRecord, token: Uint8Array): void {
    const key = multihashKey(record.cid);
    batch.put(Bucket.delegations, [key], { token, kind: record.kind });
    batch.onCommit(() => this.cacheRecord(key, record));
  }

  /**
   * The CID under which a delegation with this canonical id (core/auth/canonical.ts) is stored: every
   * re-encoding of one signed delegation names the same stored one, so revoking it revokes them all.
   */
  async delegationCidOf(canonicalId: string): Promise<CID | undefined> {
    const bytes = await this.db.get(encodeKey(Bucket.delegationIds, canonicalId));
    return bytes === undefined ? undefined : CID.decode(bytes);
  }

  putDelegationId(batch: Batch, canonicalId: string, cid: CID): void {
    batch.put(Bucket.delegationIds, [canonicalId], cid.bytes);
  }

  /** A stored delegation's parsed record. Its signature was verified when it was stored, so it is not re-checked. */
  getDelegation(cid: CID): Promise<DelegationRecord | undefined> {
    return this.getDelegationByKey(multihashKey(cid));
  }

  /** By multihash key (hex), as `spaceEventCids` yields them. Non-delegation events give undefined. */
  async getDelegationByKey(key: string): Promise<DelegationRecord | undefined> {
    const cached = this.records.get(key);
    if (cached !== undefined) return cached;
    const stored = await this.getValue<{ token: Uint8Array; kind: "cacao" | "ucan" }>(Bucket.delegations, key);
    if (stored === undefined) return undefined;
    let record: DelegationRecord;
    if (stored.kind === "cacao") {
      const decoded = decodeCacao(stored.token);
      record = delegationFromCacao(decoded, extractRecap(decoded.cacao.siwe.resources));
    } else {
      record = delegationFromUcan(decodeUcan(bytesToUtf8(stored.token)));
    }
    this.cacheRecord(key, record);
    return record;
  }

  private cacheRecord(key: string, record: DelegationRecord): void {
    if (this.records.size >= RECORD_CACHE_LIMIT) this.records.delete(this.records.keys().next().value as string);
    this.records.set(key, record);
  }

  /** All delegations that were registered for a space (its DAG's delegation events). */
  async *spaceEventCids(spaceId: string): AsyncGenerator<{ event: string; epoch: CID }> {
    for await (const [key, value] of this.db.iterator(prefixRange(Bucket.spaceEvents, spaceId))) {
      const text = new TextDecoder().decode(key.subarray(1));
      yield { event: text.slice(text.lastIndexOf("\u0000") + 1), epoch: dagCbor.decode(value) as CID };
    }
  }

  // Revocations ---------------------------------------------------------------------------------

  async isRevoked(cid: CID): Promise<boolean> {
    const key = multihashKey(cid);
    const cached = this.revoked.get(key);
    if (cached !== undefined) return cached;
    const value = (await this.db.get(encodeKey(Bucket.revocations, key))) !== undefined;
    this.revoked.set(key, value);
    return value;
  }

  getRevocation(cid: CID): Promise<RevocationInfo | undefined> {
    return this.getValue<RevocationInfo>(Bucket.revocations, multihashKey(cid));
  }

  putRevocation(batch: Batch, target: CID, info: RevocationInfo): void {
    const key = multihashKey(target);
    batch.put(Bucket.revocations, [key], info);
    batch.onCommit(() => this.revoked.set(key, true));
  }

  // Replay --------------------------------------------------------------------------------------

  async *replayRecords(): AsyncGenerator<{ hash: Uint8Array; expiration: number }> {
    for await (const [key, value] of this.db.iterator(prefixRange(Bucket.replay))) {
      yield { hash: key.subarray(1), expiration: dagCbor.decode(value) as number };
    }
  }

  putReplay(batch: Batch, hash: Uint8Array, expiration: number): void {
    batch.put(Bucket.replay, [hash], expiration);
  }

  /** Replay entries whose token expired before `now` can no longer be replayed; drop them. */
  async pruneReplay(now: number): Promise<number> {
    const batch = new Batch();
    for await (const [key, value] of this.db.iterator(prefixRange(Bucket.replay))) {
      if ((dagCbor.decode(value) as number) < now) batch.ops.push({ type: "del", key });
    }
    await this.write(batch);
    return batch.ops.length;
  }

  // Storage quota ---------------------------------------------------------------------------------

  async *spaceUsages(): AsyncGenerator<{ spaceId: string; bytes: number }> {
    for await (const [key, value] of this.db.iterator(prefixRange(Bucket.spaceUsage))) {
      yield { spaceId: new TextDecoder().decode(key.subarray(1)), bytes: dagCbor.decode(value) as number };
    }
  }

  putSpaceUsage(batch: Batch, spaceId: string, bytes: number): void {
    batch.put(Bucket.spaceUsage, [spaceId], bytes);
  }

  // KV ------------------------------------------------------------------------------------------

  putBlob(batch: Batch, spaceId: string, etag: string, bytes: Uint8Array): void {
    batch.put(Bucket.blobs, [spaceId, etag], bytes);
  }

  async getBlob(spaceId: string, etag: string): Promise<Uint8Array | undefined> {
    return this.db.get(encodeKey(Bucket.blobs, spaceId, etag));
  }

  async getCurrent(spaceId: string, key: string): Promise<KvVersion | undefined> {
    const id = `${spaceId}\u0000${key}`;
    const cached = this.currents.get(id);
    if (cached !== undefined) return cached ?? undefined;
    const current = await this.getValue<KvVersion>(Bucket.kvCurrent, spaceId, key);
    this.cacheCurrent(id, current);
    return current;
  }

  putVersion(batch: Batch, spaceId: string, key: string, version: KvVersion): void {
    batch.put(Bucket.kvVersions, [spaceId, key, version.version], version);
    batch.put(Bucket.kvCurrent, [spaceId, key], version);
    batch.onCommit(() => this.cacheCurrent(`${spaceId}\u0000${key}`, version));
  }

  private cacheCurrent(id: string, version: KvVersion | undefined): void {
    if (this.currents.size >= CURRENT_CACHE_LIMIT) this.currents.delete(this.currents.keys().next().value as string);
    this.currents.set(id, version ?? null);
  }

  getVersion(spaceId: string, key: string, version: number): Promise<KvVersion | undefined> {
    return this.getValue<KvVersion>(Bucket.kvVersions, spaceId, key, version);
  }

  /** Versions of one key, oldest first, starting after `after`. */
  async listVersions(spaceId: string, key: string, after: number, limit: number): Promise<KvVersion[]> {
    const range = prefixRange(Bucket.kvVersions, spaceId, key);
    const out: KvVersion[] = [];
    for await (const [k, value] of this.db.iterator({ gt: after > 0 ? encodeKey(Bucket.kvVersions, spaceId, key, after) : range.gte, lt: range.lt, limit })) {
      void k;
      out.push(dagCbor.decode(value) as KvVersion);
    }
    return out;
  }

  /** Live keys of a space starting with a raw string prefix, in key order, after `after`. */
  async listKeys(spaceId: string, prefix: string, after: string | undefined, limit: number): Promise<{ keys: string[]; more: boolean }> {
    const range = textPrefixRange(Bucket.kvCurrent, [spaceId], prefix);
    const keys: string[] = [];
    const start = after === undefined ? { gte: range.gte } : { gt: encodeKey(Bucket.kvCurrent, spaceId, after) };
    const headLength = encodeKey(Bucket.kvCurrent, spaceId).length + 1;
    for await (const [k, value] of this.db.iterator({ ...start, lt: range.lt })) {
      const current = dagCbor.decode(value) as KvVersion;
      if (current.deleted) continue;
      if (keys.length === limit) return { keys, more: true };
      keys.push(new TextDecoder().decode(k.subarray(headLength)));
    }
    return { keys, more: false };
  }

  // Epochs --------------------------------------------------------------------------------------

  putEpoch(batch: Batch, spaceId: string, cid: CID, seq: number, bytes: Uint8Array): void {
    this.markOwner(batch, cid, spaceId);
    batch.put(Bucket.epochs, [cid.bytes], bytes);
    batch.put(Bucket.spaceEpochs, [spaceId, seq, cid.bytes], new Uint8Array(0));
  }

  async getEpoch(cid: CID): Promise<Uint8Array | undefined> {
    return this.db.get(encodeKey(Bucket.epochs, cid.bytes));
  }

  /** A space's epoch CIDs (as bytes) in seq order, after `afterSeq`. */
  async listEpochs(spaceId: string, afterSeq: number, limit: number): Promise<{ seq: number; cid: Uint8Array }[]> {
    const range = prefixRange(Bucket.spaceEpochs, spaceId);
    const headLength = encodeKey(Bucket.spaceEpochs, spaceId).length + 1;
    const out: { seq: number; cid: Uint8Array }[] = [];
    const gte = afterSeq > 0 ? encodeKey(Bucket.spaceEpochs, spaceId, afterSeq + 1) : range.gte;
    for await (const [k] of this.db.iterator({ gte, lt: range.lt, limit })) {
      out.push({ seq: decodeNumber(k.subarray(headLength, headLength + 8)), cid: k.subarray(headLength + 9) });
    }
    return out;
  }

  async spaceHasEvent(spaceId: string, event: CID): Promise<boolean> {
    return (await this.db.get(encodeKey(Bucket.spaceEvents, spaceId, multihashKey(event)))) !== undefined;
  }

  markSpaceEvent(batch: Batch, spaceId: string, event: CID, epoch: CID): void {
    batch.put(Bucket.spaceEvents, [spaceId, multihashKey(event)], epoch);
    this.markOwner(batch, event, spaceId);
  }

  /** Record that `cid` (an event, epoch or op block) belongs to `spaceId`: who may read it follows from that. */
  markOwner(batch: Batch, cid: CID, spaceId: string): void {
    batch.put(Bucket.cidOwners, [multihashKey(cid), spaceId], true);
  }

  /** The spaces `cid` belongs to (empty: none recorded, which the privacy gate treats as private). */
  async owners(cid: CID): Promise<string[]> {
    const head = encodeKey(Bucket.cidOwners, multihashKey(cid)).length + 1;
    const out: string[] = [];
    for await (const [key] of this.db.iterator({ ...prefixRange(Bucket.cidOwners, multihashKey(cid)), limit: 64 })) out.push(new TextDecoder().decode(key.subarray(head)));
    return out;
  }
}
