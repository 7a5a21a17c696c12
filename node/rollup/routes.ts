/**
 * Rollup read API: status, batch records, verification keys, and state proofs for a TinyCloud URI at the
 * latest, the anchored or any batch. Everything here is public and untrusted by design: a light client
 * re-checks it against the chain and its own pinned verification keys.
 */
import { readFile } from "node:fs/promises";
import type { FastifyInstance } from "fastify";
import { formatResourceUri, formatSpaceId, parseResourceUri, type ResourceUri } from "../../core/resource.js";
import { contentHashFromDigestHex, stateKey, stateProofToJson } from "../../core/state/state-tree.js";
import { HttpError } from "../server/http-error.js";
import type { NodeStore } from "../store/store.js";
import type { RollupStore } from "./rollup-store.js";
import type { Sequencer } from "./sequencer.js";
import type { StateViews } from "./state-views.js";
import type { BatchRecord } from "./types.js";
import { expectWire, type ProofEntry, type ProofResponse, type PublishedBatch, PublishedBatchSchema } from "../../core/rollup/wire.js";
import { isPublicSpaceId, spaceSaltKey } from "../../core/state/privacy.js";
import { privateSpace, type ReadGate } from "../server/read-gate.js";
import type { LeafItem } from "./tree-protocol.js";

/** What the anchoring side reports (absent when the node runs without a chain). */
export interface ChainStatusSource {
  status(): Record<string, unknown>;
}

export interface RollupServices {
  readonly rollup: RollupStore;
  readonly sequencer: Sequencer;
  readonly views: StateViews;
  readonly store: NodeStore;
  readonly chain?: ChainStatusSource;
  /** The proving keys' build (absent when the node does not prove). */
  readonly keys?: { status(): object | null };
  /** Who may read a private space's entries and batch updates. */
  readonly reads: ReadGate;
  /** The un-proven backlog and its admission control (absent when the node does not prove). */
  readonly backlog?: { status(): object };
}

const CIRCUIT_NAME = /^[a-z0-9_]{1,64}$/;

export function registerRollupRoutes(app: FastifyInstance, { rollup, sequencer, views, store, chain, keys, reads, backlog }: RollupServices): void {
  app.get("/rollup/status", async () => {
    const latest = sequencer.latestBatch;
    // Maintained as batch statuses change: no scan of the batch records.
    const proven = rollup.provenBatch;
    const anchored = views.anchoredBatch;
    const anchoredRecord = anchored > 0 ? await rollup.batch(anchored) : undefined;
    return {
      latestBatch: latest,
      provenBatch: proven,
      anchoredBatch: anchored,
      root: sequencer.root.toString(),
      anchoredRoot: views.anchoredRoot.toString(),
      anchorTx: anchoredRecord?.anchorTx ?? null,
      pending: sequencer.pendingUpdates,
      failedBatches: sequencer.failures.list(),
      keys: keys?.status() ?? null,
      backlog: backlog?.status() ?? null,
      chain: chain?.status() ?? null,
    };
  });

  app.get<{ Params: { n: string } }>("/rollup/batches/:n", async (request) => {
    const n = parseBatchNumber(request.params.n);
    if (n < 1) throw new HttpError("BAD_BATCH_NUMBER", "batch numbers start at 1 (batch 0 is the genesis root)");
    const record = await rollup.batch(n);
    if (record === undefined) throw new HttpError("BATCH_NOT_FOUND", `no batch ${n} (latest is ${sequencer.latestBatch})`);
    // Private updates are sealed unless the caller reads their space. Served through the schema clients
    // parse it with: the node never publishes a record they would refuse.
    const grant = await reads.grant(request.headers.authorization);
    return expectWire(
      PublishedBatchSchema,
      publishedBatch(record, (spaceId) => reads.canReadSpace(grant, spaceId)),
      `batch ${n}`,
    );
  });

  /** The node's copy of a circuit's verification key. Untrusted: clients pin their own and compare. */
  app.get<{ Params: { circuit: string } }>("/rollup/vkeys/:circuit", async (request, reply) => {
    const name = request.params.circuit;
    if (!CIRCUIT_NAME.test(name)) throw new HttpError("BAD_CIRCUIT", "circuit names are lowercase letters, digits and _");
    const text = await readFile(new URL(`../../circuits/keys/${name}.vkey.json`, import.meta.url), "utf8").catch(() => undefined);
    if (text === undefined) throw new HttpError("VKEY_NOT_FOUND", `no verification key for circuit ${name}`);
    return reply.type("application/json").send(text);
  });

  /**
   * The most recently written entries of PUBLIC spaces (newest first): what a light client can pick from.
   * A private space's entries are never listed: their key names are private.
   */
  app.get<{ Querystring: { limit?: string } }>("/rollup/entries", async (request) => {
    const limit = request.query.limit === undefined ? 50 : Number(request.query.limit);
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 500) throw new HttpError("BAD_LIMIT", "limit must be an integer in [1, 500]");
    const entries: unknown[] = [];
    // The entries index holds each key's latest write, newest first: O(limit) reads, not a scan of every batch.
    for await (const { batch: n, update: u, record } of rollup.latestEntries()) {
      // The index holds public kv entries only (rollup-store.ts); checked again here, where privacy is decided.
      if (u.service !== "kv" || !isPublicSpaceId(u.spaceId)) continue;
      const space = parseResourceUri(u.spaceId).space;
      entries.push({
        uri: formatResourceUri({ kind: "tinycloud", space, service: u.service, path: u.path }),
        spaceId: u.spaceId,
        path: u.path,
        version: u.version,
        deleted: u.deleted,
        batch: n,
        status: record.status,
        public: true,
      });
      if (entries.length >= limit) break;
    }
    return { entries };
  });

  /**
   * Inclusion or non-inclusion proof of a KV entry against the root after a batch:
   * `?batch=latest` (default), `anchored` (the root the chain stores) or a number. With an inclusion
   * proof comes the entry the leaf commits to (version, content hash), so the client can fetch exactly
   * those bytes and check them.
   *
   * A private space's entry is proven only to a holder of `tinycloud.kv/get` on the uri (read-gate.ts):
   * its key is salted with the space salt, so the answer carries the salt, the proof of the salt's leaf
   * against the same root, and the entry's leaf salt. Anyone else gets 403 PRIVATE_SPACE, whether or not
   * the entry exists.
   */
  app.get<{ Querystring: { uri?: string; batch?: string } }>("/rollup/proof", async (request) => {
    const uri = request.query.uri;
    if (uri === undefined || uri === "") throw new HttpError("MISSING_URI", "pass ?uri=<tinycloud URI of a KV entry>");
    const resource = parseResourceUri(uri);
    if (resource.service !== "kv" || resource.path === undefined) throw new HttpError("BAD_URI", "the URI must name a KV entry: <space>/kv/<key>");
    const which = request.query.batch ?? "latest";
    const batch = which === "latest" ? sequencer.latestBatch : which === "anchored" ? views.anchoredBatch : parseBatchNumber(which);
    if (batch > sequencer.latestBatch) throw new HttpError("BATCH_NOT_FOUND", `no batch ${batch} (latest is ${sequencer.latestBatch})`);
    const spaceId = formatSpaceId({ ...resource.space, form: "space" });
    if (!reads.canReadEntry(await reads.grant(request.headers.authorization), spaceId, resource)) throw privateSpace("this entry", spaceId);
    const isPublic = isPublicSpaceId(spaceId);
    const spaceSalt = isPublic ? undefined : sequencer.committedSpaceSalt(spaceId);
    const key = stateKey(spaceId, "kv", resource.path, spaceSalt);
    const { root, proof } = await views.proveAt(batch, key);
    // The salt leaf, proven against the same root: at that root the space has this one salt, hence this one key.
    const salted = isPublic ? undefined : await views.proveAt(batch, spaceSaltKey(spaceId));
    const record = batch > 0 ? await rollup.batch(batch) : undefined;
    const entry = proof.kind === "inclusion" && proof.value !== undefined ? await entryFor(store, spaceId, resource, proof.value, (items) => sequencer.leafValues(items)) : undefined;
    const body: ProofResponse = {
      uri,
      spaceId,
      path: resource.path,
      key: key.toString(),
      batch,
      status: record?.status ?? "genesis",
      root: root.toString(),
      proof: stateProofToJson(proof),
      ...(entry !== undefined ? { entry } : {}),
      ...(salted !== undefined ? { saltProof: stateProofToJson(salted.proof), ...(spaceSalt !== undefined ? { spaceSalt: spaceSalt.toString() } : {}) } : {}),
    };
    return body;
  });
}

type LeafValues = (items: readonly LeafItem[]) => Promise<readonly bigint[]>;

/**
 * A stored batch record as `canRead` lets the caller see it: a private space's update in full only to a
 * reader of that space, else sealed to the opaque (salted) key and (hiding) leaf value the commitment binds.
 */
export function publishedBatch(record: BatchRecord, canRead: (spaceId: string) => boolean): PublishedBatch {
  const verdicts = new Map<string, boolean>();
  const readable = (spaceId: string): boolean => {
    let verdict = verdicts.get(spaceId);
    if (verdict === undefined) verdicts.set(spaceId, (verdict = isPublicSpaceId(spaceId) || canRead(spaceId)));
    return verdict;
  };
  return { ...record, updates: record.updates.map((u) => (readable(u.spaceId) ? u : { seq: u.seq, sealed: true as const, key: u.key, value: u.value })) };
}

/**
 * The stored version whose leaf value is `value` (the leaf commits to content hash, version, tombstone).
 * Leaf values are Poseidon hashes: `leafValues` computes them in the tree worker, a page at a time.
 */
async function entryFor(store: NodeStore, spaceId: string, resource: ResourceUri, value: bigint, leafValues: LeafValues): Promise<ProofEntry | undefined> {
  const path = resource.path as string;
  for (let after = 0; ; ) {
    const page = await store.listVersions(spaceId, path, after, 256);
    const items = page.map(
      (v): LeafItem => ({ contentHash: v.deleted ? 0n : contentHashFromDigestHex(v.etag), version: v.version, deleted: v.deleted, ...(v.salt !== undefined ? { salt: BigInt(v.salt) } : {}) }),
    );
    const values = await leafValues(items);
    const at = values.indexOf(value);
    const v = page[at];
    if (v !== undefined) {
      return {
        version: v.version,
        deleted: v.deleted,
        contentHash: (items[at] as { contentHash: bigint }).contentHash.toString(),
        etag: v.etag,
        size: v.size,
        ...(v.salt !== undefined ? { salt: v.salt } : {}),
      };
    }
    if (page.length < 256) return undefined;
    after = (page[page.length - 1] as { version: number }).version;
  }
}

function parseBatchNumber(text: string): number {
  const n = Number(text);
  if (!/^(0|[1-9][0-9]{0,15})$/.test(text) || !Number.isSafeInteger(n)) throw new HttpError("BAD_BATCH_NUMBER", `batch must be "latest", "anchored" or a number, got "${text.slice(0, 20)}"`);
  return n;
}
