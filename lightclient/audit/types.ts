/**
 * Types of a batch audit: what the auditor reads (through `AuditSource` / `AuditChain`, so tests can feed
 * recorded data) and what it reports (a verdict per event plus batch-level checks, each with a stable code).
 */

import type { DecodedPublishedBatch, DecodedSealedUpdate, DecodedUpdate } from "../../core/rollup/wire.js";

/** A state update of a published batch record, in full (a public space's, or a private one the auditor may read), decoded once. */
export type PublishedUpdate = DecodedUpdate;

/** A private space's update as the node serves it to a caller who cannot read that space: only its key and leaf value. */
export type SealedUpdate = DecodedSealedUpdate;

/**
 * A batch record as published at GET /rollup/batches/:n, once it passed its schema (core/rollup/wire.ts),
 * decoded: each update in full, or sealed.
 */
export type PublishedBatch = DecodedPublishedBatch;

/** A raw signed event (GET /events/:cid): JWT ASCII or CACAO DAG-CBOR bytes, and the kind the node claims. */
export interface FetchedEvent {
  readonly bytes: Uint8Array;
  /** `x-tinycloud-event-kind` (informational only: the auditor classifies events by their bytes). */
  readonly kind?: string;
}

/** One entry of GET /spaces/:spaceId/epochs. */
export interface EpochListing {
  readonly seq: number;
  readonly cid: string;
}

/**
 * Everything the auditor reads from a node. All of it is untrusted: every byte string is checked against
 * the CID it was asked for, every signature re-verified. `undefined` = the node does not have it (404).
 */
export interface AuditSource {
  /** Where the data comes from (for the report). */
  readonly label: string;
  batch(n: number): Promise<unknown>;
  event(cid: string): Promise<FetchedEvent | undefined>;
  epoch(cid: string): Promise<Uint8Array | undefined>;
  block(cid: string): Promise<Uint8Array | undefined>;
  /** A space's epochs in seq order; stop once `maxSeq` is passed (the node may return a few more). */
  spaceEpochs(spaceId: string, maxSeq?: number): Promise<readonly EpochListing[] | undefined>;
  /** The node's identity (`/info` nodeId): the key its epochs must be signed with. */
  nodeId(): Promise<string | undefined>;
}

/** A BatchAnchored event as read from the chain. */
export interface AnchoredEvent {
  readonly batchNumber: bigint;
  readonly newRoot: bigint;
  readonly commitment: bigint;
  readonly verifierId: string;
  readonly transactionHash: string;
  readonly blockNumber: bigint;
}

/** Reads from the anchor contract (viem in the CLI; recorded values in tests). */
export interface AuditChain {
  /** The anchor contract address (as the user gave it). */
  readonly anchor: `0x${string}`;
  chainId(): Promise<number>;
  latestBatch(): Promise<bigint>;
  /** anchor.roots(n): 0 for batches that were never anchored; roots(0) is the genesis root. */
  root(n: bigint): Promise<bigint>;
  /** anchor.header(n), as the contract computes it. */
  header(n: bigint): Promise<bigint>;
  /** The BatchAnchored events for batch n (at most one can exist). `txHint` is the node's claim, only a hint. */
  anchoredEvents(n: bigint, txHint?: string): Promise<readonly AnchoredEvent[]>;
  /** Route of a verifier id in the anchor's router: (verifier, kind, removed). */
  route?(verifierId: `0x${string}`): Promise<{ verifier: string; kind: number; removed: boolean } | undefined>;
}

/** Groth16 verification, injected (snarkjs in Node). */
export type Groth16Verify = (vkey: object, publicSignals: readonly string[], proof: unknown) => Promise<boolean>;

export type CheckStatus = "pass" | "fail" | "skip";

/** One check. `code` is stable ("OK" on a pass); `reason` is for people. */
export interface Check {
  readonly name: string;
  readonly status: CheckStatus;
  readonly code: string;
  readonly reason: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

/** Names of the per-event checks, in the order they run. */
export const EVENT_CHECKS = ["event", "invocation", "epoch", "authority", "update"] as const;
export type EventCheckName = (typeof EVENT_CHECKS)[number];

/** Names of the batch-level checks. */
export const BATCH_CHECKS = ["record", "roots", "events", "header", "commitment", "history", "proof", "chain-root", "chain-event"] as const;
export type BatchCheckName = (typeof BATCH_CHECKS)[number];

/**
 * The verdict on one update of the batch and the invocation behind it. A sealed update (a private space
 * the auditor holds no read capability for) is not event-checked: `sealed`, ok, code "SEALED", and empty
 * event / epoch / space / path (it still counts in the roots and the commitment).
 */
export interface EventVerdict {
  /** Position of the update in the batch. */
  readonly index: number;
  readonly seq: number;
  readonly event: string;
  readonly epoch: string;
  readonly spaceId: string;
  readonly path: string;
  /** "salt": a private space's salt leaf (inserted with the space's first write). */
  readonly op: "put" | "del" | "salt" | "?";
  readonly ok: boolean;
  readonly sealed?: boolean;
  /** The first failing check's code and reason ("OK" / a one-line summary on success). */
  readonly code: string;
  readonly reason: string;
  readonly checks: readonly Check[];
  /** The authority chain, invoker first, ending at the space owner (when it verified). */
  readonly chain?: readonly { readonly cid: string; readonly kind: string; readonly issuer: string; readonly audience: string }[];
  readonly invoker?: string;
  readonly warnings: readonly string[];
}

export interface AuditReport {
  readonly batch: number;
  readonly source: string;
  readonly ok: boolean;
  readonly status?: string;
  readonly circuit?: string;
  readonly depth: number;
  /** Values the auditor computed itself. */
  readonly recomputed: {
    readonly oldRoot?: string;
    readonly newRoot?: string;
    readonly header?: string;
    readonly eventsHash?: string;
    readonly updatesHash?: string;
    readonly commitment?: string;
    readonly chainId?: number;
    readonly anchor?: string;
  };
  readonly events: readonly EventVerdict[];
  readonly checks: readonly Check[];
  readonly warnings: readonly string[];
  readonly summary: {
    readonly events: number;
    readonly eventsPassed: number;
    readonly eventsFailed: number;
    /** Updates of private spaces the auditor cannot read: not event-checked. */
    readonly eventsSealed: number;
    readonly checksPassed: number;
    readonly checksFailed: number;
    readonly checksSkipped: number;
  };
}

export function pass(name: string, reason: string, data?: Record<string, unknown>): Check {
  return { name, status: "pass", code: "OK", reason, ...(data !== undefined ? { data } : {}) };
}

export function fail(name: string, code: string, reason: string, data?: Record<string, unknown>): Check {
  return { name, status: "fail", code, reason, ...(data !== undefined ? { data } : {}) };
}

export function skip(name: string, code: string, reason: string): Check {
  return { name, status: "skip", code, reason };
}
