/**
 * `POST /invoke`: verify the UCAN, authorize it against registered delegations, refuse replays, and
 * dispatch to the KV service (or capabilities/read). Version history is read through the same
 * abilities, addressed by the resource query:
 * - `tinycloud.kv/get` on `<key>?version=N` returns version N;
 * - `tinycloud.kv/metadata` on `<key>?versions` lists the versions of the key (JSON, paged by `after`).
 */
import type { DelegationRecord } from "../../core/auth/authority.js";
import type { Capability } from "../../core/capability.js";
import { blake3Hex, rawBlake3Cid } from "../../core/cid.js";
import type { KvOp } from "../../core/epoch/epoch.js";
import { ucanSignedDigest } from "../../core/auth/canonical.js";
import { verifyInvocationToken } from "./invocation-token.js";
import { type ResourceUri, formatCapabilityResource, formatSpaceId } from "../../core/resource.js";
import type { Ucan } from "../../core/auth/ucan.js";
import type { KvVersion, SpaceRecord } from "../store/store.js";
import { type CaveatLimits, caveatLimits } from "./caveats.js";
import type { NodeConfig } from "./config.js";
import { spaceKeyId } from "./delegation-service.js";
import { HttpError } from "./http-error.js";
import { etagOf, header, ifNoneMatchHits, parseIfMatch, parseVersion, type RequestHeaders, storedMetadata, valueSafetyHeaders } from "./kv-headers.js";
import type { KvWriter } from "./kv-writer.js";
import { decodeCursor, encodeCursor } from "./list-cursor.js";
import { listUnderPath } from "./kv-list.js";
import type { ServiceDeps } from "./service-deps.js";
import type { ReplayGuard, ReplayRecorder } from "./replay-guard.js";
import { type BatchEntry, buildBatchBody } from "./batch-read.js";
import type { Release, ResponseBudget } from "./response-budget.js";
import type { ComputeService } from "../compute/service.js";
import type { PolicyGate } from "../policy/policy-gate.js";
import { SqlManager } from "../sql/manager.js";
import { SqlService } from "../sql/service.js";
import { ReadRunner } from "../sql/read-runner.js";
import type { SqlCaveats } from "../sql/caveats.js";

export interface InvokeRequest {
  readonly authorization: string | undefined;
  readonly headers: RequestHeaders;
  readonly body: Uint8Array;
}

export interface InvokeResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body?: Uint8Array | string | undefined;
  /** Ends the body's reservation in the node-wide response budget: called once the response is done (sent or abandoned). */
  readonly release?: Release;
}

const MAX_BATCH = 100;

export class InvokeService {
  /** Opened on the first SQL request (one file per database under <dataDir>/sql). */
  private sqlService: SqlService | undefined;

  constructor(
    private readonly deps: ServiceDeps,
    private readonly writer: KvWriter,
    private readonly replay: ReplayGuard,
    private readonly replayRecorder: ReplayRecorder,
    private readonly config: NodeConfig,
    private readonly responses: ResponseBudget,
    private readonly policy: PolicyGate,
    /** Deploy and execute of WebAssembly functions (node/compute); absent: compute is 501 SERVICE_NOT_SUPPORTED. */
    private readonly compute?: ComputeService,
  ) {}

  async invoke(request: InvokeRequest): Promise<InvokeResponse> {
    const authorization = request.authorization;
    if (authorization === undefined || authorization.length === 0) throw new HttpError("MISSING_AUTHORIZATION", "missing Authorization header (a UCAN invocation)");
    if (!authorization.includes(".")) throw new HttpError("NOT_A_UCAN", "invocations are UCAN JWTs; CACAOs are delegations (POST /delegate)");
    const { ucan, record, capabilities, ctx, now } = await verifyInvocationToken(this.deps, authorization, this.config.invocationMaxLifetimeSeconds, (held) => {
      for (const capability of held) requireInvocable(capability.ability);
    });
    const limits = capabilities.map((capability) => caveatLimits(capability, record.proofs, ctx));

    // The replay key is blake3 of the signed bytes (core/auth/canonical.ts): every spelling of one signed token is one token.
    const tokenHash = ucanSignedDigest(ucan);
    if (!this.replay.claim(tokenHash, ucan.expiration, now)) {
      throw new HttpError("REPLAYED_INVOCATION", "this invocation was already used; sign a fresh one for every request");
    }
    // Policies last: they cost gas, so a replayed or unauthorized token never runs one.
    for (const [i, capability] of capabilities.entries()) await this.policy.check({ ucan, invoker: record.invoker, tokenHash }, capability, limits[i]?.policies ?? []);
    const context: Invocation = { ucan, invoker: record.invoker, tokenHash, capabilities, limits };
    return this.dispatch(context, request);
  }

  private async dispatch(inv: Invocation, request: InvokeRequest): Promise<InvokeResponse> {
    const abilities = new Set(inv.capabilities.map((c) => c.ability));
    const services = new Set(inv.capabilities.map((c) => c.ability.slice("tinycloud.".length).split("/")[0]));
    if (services.size !== 1) throw new HttpError("MIXED_SERVICES", "one invocation addresses one service");
    const [service] = [...services];
    if (service === "kv") {
      if (inv.capabilities.length > 1) {
        if (abilities.size === 1 && (abilities.has("tinycloud.kv/get") || abilities.has("tinycloud.kv/metadata")) && inv.capabilities.length <= MAX_BATCH) return this.batchRead(inv, request.headers);
        throw new HttpError("BAD_BATCH", `a KV invocation carries one capability, or 2–${MAX_BATCH} kv/get or kv/metadata capabilities`);
      }
      const capability = inv.capabilities[0] as Capability;
      const target = await this.kvTarget(capability, "kv");
      switch (capability.ability) {
        case "tinycloud.kv/get":
          return this.get(inv, target, request.headers);
        case "tinycloud.kv/metadata":
          return this.metadata(inv, target);
        case "tinycloud.kv/put":
          return this.put(inv, target, request);
        case "tinycloud.kv/del":
          return this.del(inv, target, request.headers);
        case "tinycloud.kv/list":
          return this.list(inv, target, request.headers);
      }
    }
    if (service === "compute" && this.compute !== undefined && inv.capabilities.length === 1 && (abilities.has("tinycloud.compute/deploy") || abilities.has("tinycloud.compute/execute"))) {
      return this.computeInvoke(this.compute, inv, request);
    }
    if (service === "sql") return this.sql(inv, request);
    if (abilities.size === 1 && abilities.has("tinycloud.capabilities/read") && inv.capabilities.length === 1) {
      return this.capabilitiesRead(inv, await this.kvTarget(inv.capabilities[0] as Capability));
    }
    throw new HttpError("SERVICE_NOT_SUPPORTED", `this node does not serve ${[...abilities].join(", ")} yet`);
  }

  /** `tinycloud.compute/deploy|execute` on `<space>/compute/<name>` (node/compute/service.ts). */
  private async computeInvoke(compute: ComputeService, inv: Invocation, request: InvokeRequest): Promise<InvokeResponse> {
    const capability = inv.capabilities[0] as Capability;
    const target = await this.kvTarget(capability, "compute");
    if (target.query.size > 0) throw new HttpError("BAD_RESOURCE", `${capability.ability} takes no query on its resource`);
    const computeInv = { ucan: inv.ucan, invoker: inv.invoker, tokenHash: inv.tokenHash, limits: inv.limits[0] ?? {} };
    if (capability.ability === "tinycloud.compute/deploy") return json(200, await compute.deploy(computeInv, target.space, target.key, request.body));
    return json(200, await compute.execute(computeInv, target.space, target.key, request.body));
  }

  /**
   * The space and key a capability addresses. A service's abilities act only on that service's resources
   * (`<space>/kv/…` for kv/*): without this check a kv/get grant on `<space>/notkv/x` would read kv key `x`.
   */
  private async kvTarget(capability: Capability, service?: string): Promise<Target> {
    const resource = capability.resource;
    if (resource.kind !== "tinycloud") throw new HttpError("BAD_RESOURCE", `${capability.ability} needs a tinycloud: resource`);
    if (service !== undefined && resource.service !== service) {
      throw new HttpError("RESOURCE_WRONG_SERVICE", `${capability.ability} acts on <space>/${service}/… resources, not on the ${resource.service ?? "(no)"} service`);
    }
    const spaceId = spaceKeyId(resource);
    const space = await this.deps.store.getSpace(spaceId);
    if (space === undefined) throw new HttpError("SPACE_NOT_FOUND", `space ${formatSpaceId(resource.space)} is not hosted on this node`);
    return { resource, space, key: resource.path, query: parseQuery(resource.query) };
  }

  /** tinycloud.sql/* (node/sql/service.ts): every capability names the same database, `<space>/sql/<db>`. */
  private async sql(inv: Invocation, request: InvokeRequest): Promise<InvokeResponse> {
    const targets = new Set(inv.capabilities.map((c) => formatCapabilityResource(c.resource)));
    if (targets.size !== 1) throw new HttpError("BAD_RESOURCE", "the SQL capabilities of one invocation address one database");
    const target = await this.kvTarget(inv.capabilities[0] as Capability, "sql");
    this.sqlService ??= new SqlService(new SqlManager(this.config.dataDir), new ReadRunner(Number(process.env["TINYCLOUD_SQL_QUERY_TIMEOUT_MS"] ?? 5000)));
    // One select and one execute caveat set per request (several select capabilities: the last one binds, never a union).
    const caveats = Object.assign({}, ...inv.limits.map((limit) => limit.sql ?? {})) as SqlCaveats;
    const db = target.key === undefined || target.key === "" ? "default" : (target.key.split("/").at(-1) as string);
    await this.recordRead(inv);
    const out = await this.sqlService.handle({ spaceId: target.space.id, db, abilities: inv.capabilities.map((c) => c.ability), caveats, body: request.body });
    return { status: 200, headers: { "content-type": out.contentType, "cache-control": "no-store" }, body: out.body };
  }

  private recordRead(inv: Invocation): Promise<void> {
    return this.replayRecorder.record(inv.tokenHash, inv.ucan.expiration);
  }

  private async get(inv: Invocation, target: Target, headers: RequestHeaders): Promise<InvokeResponse> {
    const key = requireKey(target, "kv/get");
    await this.recordRead(inv);
    const versionParam = target.query.get("version");
    const current = versionParam !== undefined ? await this.deps.store.getVersion(target.space.id, key, parseVersion(versionParam)) : await this.deps.store.getCurrent(target.space.id, key);
    if (current === undefined || current.deleted) {
      throw new HttpError("KV_NOT_FOUND", current?.deleted ? `${key} was deleted in version ${current.version}` : `no value at ${key}${versionParam !== undefined ? ` version ${versionParam}` : ""}`);
    }
    const out = { ...metadataHeaders(current), ...valueSafetyHeaders(current.metadata), "cache-control": "private, no-cache" };
    const inm = header(headers, "if-none-match");
    if (inm !== undefined && ifNoneMatchHits(inm, current.etag)) return { status: 304, headers: out };
    // Sizes are stored: the limits are checked, and the memory reserved, before the value is read.
    this.responses.check(current.size, headers, "the value", "KV_TOO_LARGE");
    const release = await this.responses.reserve(current.size);
    const bytes = await this.deps.store.getBlob(target.space.id, current.etag).catch((error: unknown) => {
      release();
      throw error;
    });
    if (bytes === undefined) {
      release();
      throw new Error(`blob ${current.etag} of ${key} is missing`);
    }
    return { status: 200, headers: out, body: bytes, release };
  }

  private async metadata(inv: Invocation, target: Target): Promise<InvokeResponse> {
    const key = requireKey(target, "kv/metadata");
    await this.recordRead(inv);
    if (target.query.has("versions")) {
      const after = target.query.get("after");
      const limitText = target.query.get("limit");
      const limit = limitText === undefined ? 100 : Number(limitText);
      if (!Number.isInteger(limit) || limit < 1 || limit > this.config.listLimitMax) {
        throw new HttpError("BAD_LIMIT", `limit must be an integer from 1 to ${this.config.listLimitMax}`);
      }
      const versions = await this.deps.store.listVersions(target.space.id, key, after === undefined ? 0 : parseVersion(after), limit + 1);
      const page = versions.slice(0, limit);
      const body = {
        key,
        versions: page.map((v) => ({
          version: v.version,
          deleted: v.deleted,
          etag: v.deleted ? null : etagOf(v.etag),
          size: v.size,
          metadata: v.metadata,
          epoch: v.epoch.toString(),
          seq: v.seq,
          invocation: v.invocation.toString(),
          time: v.time,
        })),
        ...(versions.length > limit ? { next: String((page[page.length - 1] as KvVersion).version) } : {}),
      };
      if (page.length === 0 && after === undefined) throw new HttpError("KV_NOT_FOUND", `${key} has no versions`);
      return json(200, body);
    }
    const versionParam = target.query.get("version");
    const current = versionParam !== undefined ? await this.deps.store.getVersion(target.space.id, key, parseVersion(versionParam)) : await this.deps.store.getCurrent(target.space.id, key);
    if (current === undefined || current.deleted) throw new HttpError("KV_NOT_FOUND", `no value at ${key}`);
    return { status: 200, headers: metadataHeaders(current) };
  }

  private async put(inv: Invocation, target: Target, request: InvokeRequest): Promise<InvokeResponse> {
    const key = requireKey(target, "kv/put");
    if (target.query.size > 0) throw new HttpError("BAD_RESOURCE", "kv/put takes no query on its resource");
    if (header(request.headers, "x-tinycloud-expected-version") !== undefined) {
      throw new HttpError("UNSUPPORTED_HEADER", "x-tinycloud-expected-version is not supported; use If-Match with the ETag");
    }
    const ifMatch = header(request.headers, "if-match");
    const expected = ifMatch === undefined ? undefined : parseIfMatch(ifMatch);
    const ifNoneMatch = header(request.headers, "if-none-match");
    if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== "*") throw new HttpError("BAD_IF_NONE_MATCH", "on kv/put, If-None-Match may only be * (create only)");
    const body = request.body;
    const maxSize = inv.limits[0]?.maxSize;
    if (maxSize !== undefined && body.length > maxSize) throw new HttpError("CAVEAT_MAX_SIZE", `the value is ${body.length} bytes; the grant's maxSize caveat allows ${maxSize}`);
    const etag = blake3Hex(body);
    const metadata = storedMetadata(request.headers);
    const op: KvOp = { op: "put", key, value: rawBlake3Cid(body), metadata };
    const { version } = await this.writer.submit(target.space.id, {
      ucan: inv.ucan,
      tokenHash: inv.tokenHash,
      key,
      op,
      blob: { etag, bytes: body },
      value: { etag, size: body.length, metadata, deleted: false },
      ...(expected !== undefined ? { ifMatch: expected } : {}),
      ...(ifNoneMatch !== undefined ? { createOnly: true } : {}),
    });
    return { status: 200, headers: { etag: etagOf(etag), "x-tinycloud-version": String(version.version), "x-tinycloud-epoch": version.epoch.toString() } };
  }

  private async del(inv: Invocation, target: Target, headers: RequestHeaders): Promise<InvokeResponse> {
    const key = requireKey(target, "kv/del");
    const ifMatch = header(headers, "if-match");
    const expected = ifMatch === undefined ? undefined : parseIfMatch(ifMatch);
    const { previous, version } = await this.writer.submit(target.space.id, {
      ucan: inv.ucan,
      tokenHash: inv.tokenHash,
      key,
      op: { op: "del", key },
      value: { etag: "", size: 0, metadata: {}, deleted: true },
      requireLive: true,
      ...(expected !== undefined ? { ifMatch: expected } : {}),
    });
    return { status: 200, headers: { etag: etagOf(previous?.etag ?? ""), "x-tinycloud-version": String(version.version), "x-tinycloud-epoch": version.epoch.toString() } };
  }

  private async list(inv: Invocation, target: Target, headers: RequestHeaders): Promise<InvokeResponse> {
    await this.recordRead(inv);
    const prefix = target.key ?? "";
    const limitHeader = header(headers, "x-tinycloud-limit");
    const limit = limitHeader === undefined ? this.config.listLimitMax : Number(limitHeader);
    if (!Number.isInteger(limit) || limit < 1 || limit > this.config.listLimitMax) {
      throw new HttpError("BAD_LIMIT", `x-tinycloud-limit must be an integer from 1 to ${this.config.listLimitMax}`);
    }
    const scope = { invoker: inv.invoker, space: target.space.id, prefix, limit };
    const cursor = header(headers, "x-tinycloud-cursor");
    const after = cursor === undefined ? undefined : decodeCursor(this.deps.keys.cursorKey, scope, cursor);
    const { keys, more } = await listUnderPath(this.deps.store, target.space.id, prefix, after, limit);
    const out: Record<string, string> = { "content-type": "application/json", "x-tinycloud-truncated": String(more) };
    if (more) out["x-tinycloud-next-cursor"] = encodeCursor(this.deps.keys.cursorKey, scope, keys[keys.length - 1] as string);
    return { status: 200, headers: out, body: JSON.stringify(keys) };
  }

  /**
   * Several kv/get or kv/metadata capabilities at once (`?version=N` honoured, as for one). Every entry is
   * resolved from stored metadata first; batch-read.ts then refuses a body over the limits (413) or naming
   * one entry twice (400), and only then reads values, into one buffer of the planned size.
   */
  private async batchRead(inv: Invocation, headers: RequestHeaders): Promise<InvokeResponse> {
    await this.recordRead(inv);
    const entries: BatchEntry[] = [];
    for (const capability of inv.capabilities) {
      const target = await this.kvTarget(capability, "kv");
      const key = target.key ?? "";
      const versionParam = target.query.get("version");
      const stored =
        target.key === undefined
          ? undefined
          : versionParam !== undefined
            ? await this.deps.store.getVersion(target.space.id, key, parseVersion(versionParam))
            : await this.deps.store.getCurrent(target.space.id, key);
      const found = stored === undefined || stored.deleted ? undefined : { version: stored.version, etag: stored.etag, size: stored.size, headers: metadataHeaders(stored) };
      entries.push({ spaceId: target.space.id, key, requestedVersion: versionParam, withValue: capability.ability === "tinycloud.kv/get", ...(found !== undefined ? { found } : {}) });
    }
    const { body, release } = await buildBatchBody(entries, headers, this.responses, (spaceId, etag) => this.deps.store.getBlob(spaceId, etag));
    return { status: 200, headers: { "content-type": "application/json" }, body, release };
  }

  /** `tinycloud.capabilities/read` on `<space>/capabilities/all`: the space's active delegations. */
  private async capabilitiesRead(inv: Invocation, target: Target): Promise<InvokeResponse> {
    await this.recordRead(inv);
    const out: Record<string, unknown> = {};
    const now = this.deps.now();
    for (const record of await this.delegationsOf(target.space.id)) {
      if ((record.expiration !== undefined && now > record.expiration + this.deps.clockSkewSeconds) || (await this.deps.store.isRevoked(record.cid))) continue;
      out[record.cid.toString()] = {
        capabilities: record.capabilities.map((c) => ({ resource: formatCapabilityResource(c.resource), action: c.ability })),
        delegator: record.issuer,
        delegate: record.audience,
        parents: record.proofs.map(String),
        raw: record.kind,
      };
    }
    return json(200, out);
  }

  private async delegationsOf(spaceId: string): Promise<DelegationRecord[]> {
    const records: DelegationRecord[] = [];
    for await (const { event } of this.deps.store.spaceEventCids(spaceId)) {
      const record = await this.deps.store.getDelegationByKey(event);
      if (record !== undefined) records.push(record);
    }
    return records;
  }
}

interface Invocation {
  readonly ucan: Ucan;
  readonly invoker: string;
  readonly tokenHash: Uint8Array;
  readonly capabilities: readonly Capability[];
  /** What the caveats on each capability (and on its chain) allow, in the order of `capabilities`. */
  readonly limits: readonly CaveatLimits[];
}

interface Target {
  readonly resource: ResourceUri;
  readonly space: SpaceRecord;
  readonly key: string | undefined;
  readonly query: Map<string, string>;
}

/**
 * Abilities this node serves on another route: an invocation carrying one is a request sent to the wrong
 * endpoint (400, saying where it belongs), not a missing feature (501 SERVICE_NOT_SUPPORTED).
 */
const OTHER_ENDPOINTS: Readonly<Record<string, string>> = {
  "tinycloud.space/host": "space/host is a delegation: the space owner delegates it to the node's host key (GET /peer/generate/<spaceId>) with POST /delegate",
  "tinycloud.delegation/revoke": "delegation/revoke is a revocation: POST /revoke with a UCAN on urn:cid:<delegation>",
  "tinycloud.delegation/status": "delegation/status is a public read: GET /delegations/<cid>",
};

function requireInvocable(ability: string): void {
  const where = Object.hasOwn(OTHER_ENDPOINTS, ability) ? OTHER_ENDPOINTS[ability] : undefined;
  if (where !== undefined) throw new HttpError("WRONG_ENDPOINT", `${where}, not POST /invoke`);
}

function requireKey(target: Target, ability: string): string {
  if (target.key === undefined) throw new HttpError("MISSING_KEY", `${ability} needs a key: <space>/kv/<key>`);
  return target.key;
}

function parseQuery(query: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (query === undefined || query === "") return out;
  for (const part of query.split("&")) {
    const eq = part.indexOf("=");
    const name = eq === -1 ? part : part.slice(0, eq);
    if (!["version", "versions", "after", "limit"].includes(name)) throw new HttpError("BAD_QUERY", `unknown resource query parameter "${name.slice(0, 40)}" (version, versions, after, limit)`);
    out.set(name, eq === -1 ? "" : part.slice(eq + 1));
  }
  return out;
}

/** Stored metadata plus ETag, version and size. `x-tinycloud-size` carries the size where the body is empty (metadata). */
function metadataHeaders(version: KvVersion): Record<string, string> {
  return { ...version.metadata, etag: etagOf(version.etag), "x-tinycloud-version": String(version.version), "x-tinycloud-size": String(version.size) };
}

function json(status: number, body: unknown): InvokeResponse {
  return { status, headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}
