/**
 * Group commit for KV writes. Writes to one space queue up; one committer at a time (inside the
 * space's ledger lock) takes every queued write, checks replay and preconditions in order against a
 * working view, and commits all accepted writes as ONE signed epoch in ONE atomic level batch. Each
 * write is acknowledged only after that batch is durable. Under load this turns N epoch signatures
 * and N database round trips into one of each, without changing what any single write means: the
 * epoch lists the writes in acceptance order, and that order is their LWW position.
 */
import { randomBytes } from "node:crypto";
import { isPublicSpaceId, SALT_BYTES, saltFromBytes } from "../../core/state/privacy.js";
import { encodeOp, type EventEntry, type KvOp } from "../../core/epoch/epoch.js";
import type { Ucan } from "../../core/auth/ucan.js";
import { utf8ToBytes } from "../../core/encoding.js";
import { Batch, type KvVersion, type NodeStore, type SpaceRecord } from "../store/store.js";
import { HttpError } from "./http-error.js";
import type { Ledger } from "./ledger.js";
import type { StateStager } from "../rollup/sequencer.js";
import { StateError } from "../../core/state/state-tree.js";
import type { StorageQuota } from "./storage-quota.js";

export interface KvWrite {
  readonly ucan: Ucan;
  readonly tokenHash: Uint8Array;
  readonly key: string;
  readonly op: KvOp;
  /** For puts: the content and its blake3 hex. */
  readonly blob?: { readonly etag: string; readonly bytes: Uint8Array };
  readonly value: Pick<KvVersion, "etag" | "size" | "metadata" | "deleted">;
  /** Expected current ETag (If-Match). */
  readonly ifMatch?: string;
  /** Create only (If-None-Match: *). */
  readonly createOnly?: boolean;
  /** A delete needs a live value. */
  readonly requireLive?: boolean;
}

/** What the write replaced (for the delete's ETag) and the version it created. */
export interface KvWriteResult {
  readonly previous: KvVersion | undefined;
  readonly version: KvVersion;
}

interface Pending {
  readonly write: KvWrite;
  resolve(result: KvWriteResult): void;
  reject(error: unknown): void;
}

/** Upper bound on writes per epoch, so one epoch (and one batch) stays small. */
const MAX_GROUP = 256;

export class KvWriter {
  private readonly queues = new Map<string, Pending[]>();

  constructor(
    private readonly store: NodeStore,
    private readonly ledger: Ledger,
    /** Admits each write to the state tree and stages its update in the same atomic batch (the rollup sequencer). */
    private readonly sequencer?: StateStager,
    /** Admission control: throws (429 BACKLOG_FULL) while the proving backlog is full (node/rollup/backlog.ts). */
    private readonly admission?: { admit(): void },
    /** Counts each write's stored bytes against its space's and the node's quota (storage-quota.ts). */
    private readonly quota?: StorageQuota,
  ) {}

  submit(spaceId: string, write: KvWrite): Promise<KvWriteResult> {
    try {
      this.admission?.admit();
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<KvWriteResult>((resolve, reject) => {
      let queue = this.queues.get(spaceId);
      const start = queue === undefined;
      if (queue === undefined) {
        queue = [];
        this.queues.set(spaceId, queue);
      }
      queue.push({ write, resolve, reject });
      if (start) void this.drain(spaceId);
    });
  }

  private async drain(spaceId: string): Promise<void> {
    while (true) {
      const queue = this.queues.get(spaceId);
      if (queue === undefined || queue.length === 0) {
        this.queues.delete(spaceId);
        return;
      }
      const group = queue.splice(0, MAX_GROUP);
      try {
        await this.ledger.withSpace(spaceId, () => this.commit(spaceId, group));
      } catch (error) {
        for (const p of group) p.reject(error);
      }
    }
  }

  private async commit(spaceId: string, group: Pending[]): Promise<void> {
    const space = await this.store.getSpace(spaceId);
    if (space === undefined) throw new HttpError("SPACE_NOT_FOUND", `space ${spaceId} is not hosted on this node`);
    const keys = [...new Set(group.map((p) => p.write.key))];
    // Replays were refused before queuing (ReplayGuard is authoritative); here only preconditions remain.
    const currents = await Promise.all(keys.map((k) => this.store.getCurrent(spaceId, k)));
    const working = new Map<string, KvVersion | undefined>(keys.map((k, i) => [k, currents[i]]));

    const accepted: { pending: Pending; previous: KvVersion | undefined; opCid: ReturnType<typeof encodeOp>["cid"]; opBytes: Uint8Array; stateKey: bigint; cost: number }[] = [];
    for (const pending of group) {
      const { write } = pending;
      const current = working.get(write.key);
      const live = current !== undefined && !current.deleted;
      const failure =
        write.requireLive && !live
          ? new HttpError("KV_NOT_FOUND", `no value at ${write.key}`)
          : write.ifMatch !== undefined && (!live || current.etag !== write.ifMatch)
            ? new HttpError("PRECONDITION_FAILED", `If-Match does not match the current value of ${write.key}`)
            : write.createOnly && live
              ? new HttpError("PRECONDITION_FAILED", `${write.key} already exists (If-None-Match: *)`)
              : undefined;
      if (failure) {
        pending.reject(failure);
        continue;
      }
      const { bytes: opBytes, cid: opCid } = encodeOp(write.op);
      const cost = (write.blob?.bytes.length ?? 0) + write.ucan.jwt.length + opBytes.length;
      const overQuota = this.quota?.reserve(spaceId, cost);
      if (overQuota) {
        pending.reject(overQuota);
        continue;
      }
      // The state tree must be able to take the write BEFORE it is acknowledged: a write it refuses at
      // cut time could never be proven. Cheap (no hashing), and only this write is refused.
      let stateKey = 0n;
      if (this.sequencer !== undefined) {
        try {
          stateKey = this.sequencer.admit(spaceId, write.key);
        } catch (error) {
          this.quota?.release(spaceId, cost);
          pending.reject(stateRefusal(error, write.key));
          continue;
        }
      }
      accepted.push({ pending, previous: current, opCid, opBytes, stateKey, cost });
      // Later writes in the group see this one; the version number is assigned below.
      working.set(write.key, { ...(current ?? placeholder()), ...write.value, version: (current?.version ?? 0) + 1 });
    }
    if (accepted.length === 0) return;

    const batch = new Batch();
    const time = Date.now();
    const events: EventEntry[] = accepted.map((a) => [a.pending.write.ucan.cid, a.opCid]);
    const epoch = this.ledger.appendEpoch(
      batch,
      space as SpaceRecord,
      events,
      accepted.map((a) => a.pending.write.ucan.cid),
      time,
    );
    const results: KvWriteResult[] = [];
    const versions = new Map<string, number>();
    accepted.forEach((a, position) => {
      const { write } = a.pending;
      this.store.putEvent(batch, write.ucan.cid, "invocation", utf8ToBytes(write.ucan.jwt));
      this.store.putBlock(batch, a.opCid, a.opBytes);
      this.store.markOwner(batch, a.opCid, spaceId);
      this.store.putReplay(batch, write.tokenHash, write.ucan.expiration);
      if (write.blob) this.store.putBlob(batch, spaceId, write.blob.etag, write.blob.bytes);
      const number = (versions.get(write.key) ?? a.previous?.version ?? 0) + 1;
      versions.set(write.key, number);
      // A private space's version gets a fresh leaf salt: its state leaf then hides the content (privacy.ts).
      const salt = isPublicSpaceId(spaceId) ? {} : { salt: saltFromBytes(randomBytes(SALT_BYTES)).toString() };
      const version: KvVersion = { version: number, ...write.value, epoch: epoch.cid, seq: epoch.seq, position, invocation: write.ucan.cid, time, ...salt };
      this.store.putVersion(batch, spaceId, write.key, version);
      results.push({ previous: a.previous, version });
    });
    this.sequencer?.stage(
      batch,
      results.map((r, i) => {
        const a = accepted[i] as (typeof accepted)[number];
        return { spaceId, path: a.pending.write.key, key: a.stateKey, version: r.version };
      }),
    );
    this.quota?.stage(batch, spaceId);
    try {
      await this.store.write(batch);
    } catch (error) {
      for (const a of accepted) {
        this.quota?.release(spaceId, a.cost);
        a.pending.reject(error);
      }
      return;
    }
    accepted.forEach((a, i) => a.pending.resolve(results[i] as KvWriteResult));
  }
}

/**
 * The 4xx for a write the state tree cannot take: 409 when the tree is full (a new key; writes to
 * existing keys still succeed), 400 for a key the tree cannot represent. Anything else is a bug.
 */
function stateRefusal(error: unknown, key: string): unknown {
  if (error instanceof StateError) {
    if (error.code === "STATE_TREE_FULL") return new HttpError("STATE_TREE_FULL", `${key} is a new key and the state tree is full: ${error.message}`);
    return new HttpError(error.code, `${key} cannot be stored in the state tree: ${error.message}`);
  }
  // stateKey's TypeErrors: a path the key encoding cannot take injectively (a lone surrogate).
  if (error instanceof TypeError) return new HttpError("STATE_BAD_KEY", `${key} cannot be stored in the state tree: ${error.message}`);
  return error;
}

function placeholder(): KvVersion {
  return { version: 0, etag: "", size: 0, metadata: {}, deleted: true, epoch: undefined as never, seq: 0, position: 0, invocation: undefined as never, time: 0 };
}
