/**
 * Where the auditor's data comes from. `HttpAuditSource` reads a node's public API with fetch (Node or a
 * browser); `CachingSource` fetches each thing once; `RecordingSource` keeps a JSON fixture of everything
 * read, which `FixtureSource` replays (tests, and tampering experiments: edit the fixture, re-audit).
 */
import { bytesToHex, hexToBytes, isPlainObject } from "../../core/encoding.js";
import { TinyCloudError } from "../../core/errors.js";
import { networkReason } from "../transports/net-error.js";
import type { AuditSource, EpochListing, FetchedEvent } from "./types.js";

/** The node answered something other than data or a 404. */
export type AuditSourceErrorCode = "SOURCE_HTTP" | "SOURCE_BAD_RESPONSE" | "SOURCE_UNREACHABLE";

export class AuditSourceError extends TinyCloudError<AuditSourceErrorCode> {
  override readonly name = "AuditSourceError" as const;
}

const PAGE = 1000;

/** The node's API: /rollup/batches, /events, /epochs, /blocks, /spaces/:id/epochs, /info (with a read authorization for private spaces). */
export class HttpAuditSource implements AuditSource {
  readonly label: string;
  private readonly base: string;

  /**
   * `authorization`: the `Authorization` header value for every request (a UCAN invocation holding
   * tinycloud.kv/get on `<space>/kv` of each private space the auditor may read; see
   * lightclient/transports/read-auth.ts spacesAuthorization). Without it, private spaces are sealed.
   */
  constructor(
    url: string,
    private readonly fetchImpl: typeof fetch = fetch,
    private readonly authorization?: () => string | Promise<string>,
  ) {
    this.base = url.replace(/\/+$/, "");
    this.label = this.base;
  }

  private async get(path: string): Promise<Response | undefined> {
    let response: Response;
    try {
      const authorization = await this.authorization?.();
      response = await this.fetchImpl(`${this.base}${path}`, authorization === undefined ? {} : { headers: { authorization } });
    } catch (error) {
      throw new AuditSourceError("SOURCE_UNREACHABLE", `cannot reach ${this.base}: ${networkReason(error) ?? (error instanceof Error ? error.message : String(error))} (GET ${path})`);
    }
    if (response.status === 404) {
      await response.body?.cancel();
      return undefined;
    }
    if (!response.ok) {
      const text = (await response.text()).slice(0, 200);
      throw new AuditSourceError("SOURCE_HTTP", `GET ${path} answered ${response.status}: ${text}`);
    }
    return response;
  }

  private async bytes(path: string): Promise<Uint8Array | undefined> {
    const response = await this.get(path);
    return response === undefined ? undefined : new Uint8Array(await response.arrayBuffer());
  }

  private async json(path: string): Promise<unknown> {
    const response = await this.get(path);
    if (response === undefined) return undefined;
    const text = await response.text();
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new AuditSourceError("SOURCE_BAD_RESPONSE", `GET ${path} did not answer JSON`);
    }
  }

  batch(n: number): Promise<unknown> {
    return this.json(`/rollup/batches/${n}`);
  }

  async event(cid: string): Promise<FetchedEvent | undefined> {
    const response = await this.get(`/events/${encodeURIComponent(cid)}`);
    if (response === undefined) return undefined;
    const kind = response.headers.get("x-tinycloud-event-kind") ?? undefined;
    return { bytes: new Uint8Array(await response.arrayBuffer()), ...(kind !== undefined ? { kind } : {}) };
  }

  epoch(cid: string): Promise<Uint8Array | undefined> {
    return this.bytes(`/epochs/${encodeURIComponent(cid)}`);
  }

  block(cid: string): Promise<Uint8Array | undefined> {
    return this.bytes(`/blocks/${encodeURIComponent(cid)}`);
  }

  async spaceEpochs(spaceId: string, maxSeq?: number): Promise<readonly EpochListing[] | undefined> {
    const out: EpochListing[] = [];
    for (let after = 0; ; ) {
      const page = await this.json(`/spaces/${encodeURIComponent(spaceId)}/epochs?after=${after}&limit=${PAGE}`);
      if (page === undefined) return out.length === 0 ? undefined : out;
      if (!isPlainObject(page) || !Array.isArray(page["epochs"])) throw new AuditSourceError("SOURCE_BAD_RESPONSE", `epoch listing of ${spaceId} is not {epochs: [...]}`);
      const entries = page["epochs"] as unknown[];
      for (const entry of entries) {
        if (!isPlainObject(entry) || typeof entry["seq"] !== "number" || typeof entry["cid"] !== "string") {
          throw new AuditSourceError("SOURCE_BAD_RESPONSE", `epoch listing of ${spaceId} has a malformed entry`);
        }
        out.push({ seq: entry["seq"], cid: entry["cid"] });
      }
      const last = out[out.length - 1];
      if (entries.length < PAGE || last === undefined || (maxSeq !== undefined && last.seq >= maxSeq)) return out;
      if (last.seq <= after) throw new AuditSourceError("SOURCE_BAD_RESPONSE", `epoch listing of ${spaceId} does not advance`);
      after = last.seq;
    }
  }

  async nodeId(): Promise<string | undefined> {
    const info = await this.json("/info").catch(() => undefined);
    return isPlainObject(info) && typeof info["nodeId"] === "string" ? info["nodeId"] : undefined;
  }
}

/** Fetches each item once (an audit asks for the same delegation or epoch many times). */
export class CachingSource implements AuditSource {
  private readonly cache = new Map<string, Promise<unknown>>();
  readonly label: string;

  constructor(private readonly inner: AuditSource) {
    this.label = inner.label;
  }

  private once<T>(key: string, load: () => Promise<T>): Promise<T> {
    let hit = this.cache.get(key) as Promise<T> | undefined;
    if (hit === undefined) {
      hit = load();
      this.cache.set(key, hit);
      // A transient failure is not cached.
      hit.catch(() => this.cache.delete(key));
    }
    return hit;
  }

  batch(n: number): Promise<unknown> {
    return this.once(`batch:${n}`, () => this.inner.batch(n));
  }
  event(cid: string): Promise<FetchedEvent | undefined> {
    return this.once(`event:${cid}`, () => this.inner.event(cid));
  }
  epoch(cid: string): Promise<Uint8Array | undefined> {
    return this.once(`epoch:${cid}`, () => this.inner.epoch(cid));
  }
  block(cid: string): Promise<Uint8Array | undefined> {
    return this.once(`block:${cid}`, () => this.inner.block(cid));
  }
  spaceEpochs(spaceId: string, maxSeq?: number): Promise<readonly EpochListing[] | undefined> {
    return this.once(`space:${spaceId}:${maxSeq ?? ""}`, () => this.inner.spaceEpochs(spaceId, maxSeq));
  }
  nodeId(): Promise<string | undefined> {
    return this.once("nodeId", () => this.inner.nodeId());
  }
}

/** A recorded audit input: JSON (bytes as hex), so it can be stored, edited and replayed. */
export interface AuditFixture {
  label: string;
  nodeId?: string;
  batches: Record<string, unknown>;
  events: Record<string, { hex: string; kind?: string }>;
  epochs: Record<string, string>;
  blocks: Record<string, string>;
  spaceEpochs: Record<string, EpochListing[]>;
}

export function emptyFixture(label = "fixture"): AuditFixture {
  return { label, batches: {}, events: {}, epochs: {}, blocks: {}, spaceEpochs: {} };
}

/** Passes everything through and records it in `fixture`. */
export class RecordingSource implements AuditSource {
  readonly fixture: AuditFixture;
  readonly label: string;

  constructor(private readonly inner: AuditSource) {
    this.label = inner.label;
    this.fixture = emptyFixture(inner.label);
  }

  async batch(n: number): Promise<unknown> {
    const value = await this.inner.batch(n);
    if (value !== undefined) this.fixture.batches[String(n)] = structuredClone(value);
    return value;
  }
  async event(cid: string): Promise<FetchedEvent | undefined> {
    const value = await this.inner.event(cid);
    if (value !== undefined) this.fixture.events[cid] = { hex: bytesToHex(value.bytes), ...(value.kind !== undefined ? { kind: value.kind } : {}) };
    return value;
  }
  async epoch(cid: string): Promise<Uint8Array | undefined> {
    const value = await this.inner.epoch(cid);
    if (value !== undefined) this.fixture.epochs[cid] = bytesToHex(value);
    return value;
  }
  async block(cid: string): Promise<Uint8Array | undefined> {
    const value = await this.inner.block(cid);
    if (value !== undefined) this.fixture.blocks[cid] = bytesToHex(value);
    return value;
  }
  async spaceEpochs(spaceId: string, maxSeq?: number): Promise<readonly EpochListing[] | undefined> {
    const value = await this.inner.spaceEpochs(spaceId, maxSeq);
    if (value !== undefined) {
      // Keep the longest listing seen (an audit of a later batch reads further).
      const known = this.fixture.spaceEpochs[spaceId];
      if (known === undefined || known.length < value.length) this.fixture.spaceEpochs[spaceId] = value.map((e) => ({ ...e }));
    }
    return value;
  }
  async nodeId(): Promise<string | undefined> {
    const value = await this.inner.nodeId();
    if (value !== undefined) this.fixture.nodeId = value;
    return value;
  }
}

/** Replays a recorded fixture; anything not recorded is absent (404). */
export class FixtureSource implements AuditSource {
  readonly label: string;

  constructor(private readonly fixture: AuditFixture) {
    this.label = fixture.label;
  }

  async batch(n: number): Promise<unknown> {
    const value = this.fixture.batches[String(n)];
    return value === undefined ? undefined : structuredClone(value);
  }
  async event(cid: string): Promise<FetchedEvent | undefined> {
    const value = this.fixture.events[cid];
    return value === undefined ? undefined : { bytes: hexToBytes(value.hex), ...(value.kind !== undefined ? { kind: value.kind } : {}) };
  }
  async epoch(cid: string): Promise<Uint8Array | undefined> {
    const value = this.fixture.epochs[cid];
    return value === undefined ? undefined : hexToBytes(value);
  }
  async block(cid: string): Promise<Uint8Array | undefined> {
    const value = this.fixture.blocks[cid];
    return value === undefined ? undefined : hexToBytes(value);
  }
  async spaceEpochs(spaceId: string, maxSeq?: number): Promise<readonly EpochListing[] | undefined> {
    const value = this.fixture.spaceEpochs[spaceId];
    void maxSeq; // the auditor ignores entries past the seq it asked for
    return value;
  }
  async nodeId(): Promise<string | undefined> {
    return this.fixture.nodeId;
  }
}
