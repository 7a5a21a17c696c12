/**
 * A small typed client for the current TinyCloud protocol (space form, UCAN 0.10), used by apps, the
 * CLI and the tests. It runs in Node and in browsers (fetch + the pure core only).
 *
 *   const session = await signIn({ url, wallet });           // wallet signs one SIWE+ReCap
 *   await session.kv.put("photos/a.jpg", bytes);              // session key signs a UCAN per request
 *   const link = await session.share({ path: "photos", abilities: ["tinycloud.kv/get"] });
 *   const guest = await openShareLink(link);                  // another party, no wallet
 */
import { type Capability, makeCapability } from "../../core/capability.js";
import type { CID } from "../../core/cid.js";
import { parseCid } from "../../core/cid.js";
import { bytesToHex, bytesToUtf8, decodeBase64UrlUnpadded, encodeBase64UrlUnpadded, hexToBytes, parseJson, utf8ToBytes, isPlainObject } from "../../core/encoding.js";
import { ed25519Signer, type Ed25519Signer, generateEd25519SecretKey } from "../../core/keys.js";
import { formatSpaceId, spaceIdFor } from "../../core/resource.js";
import { completeSession, prepareSession, type RequestedCapability } from "../../core/auth/session.js";
import { createUcan, decodeUcan } from "../../core/auth/ucan.js";
import { TinyCloudError } from "../../core/errors.js";
import { parseErrorBody, type ReceivedErrorCode } from "../../core/http-errors.js";
import { ComputeApi } from "./compute.js";
import { SqlApi } from "./sql.js";

/** What the client needs from a wallet: EIP-191 `personal_sign` of a text message. */
export interface WalletSigner {
  readonly address: string;
  readonly chainId: number;
  signMessage(message: string): Promise<Uint8Array | `0x${string}`>;
}

/** A non-2xx answer: the node's plain-text `<CODE>: <message>` split into parts. */
export class TinyCloudHttpError extends TinyCloudError<ReceivedErrorCode> {
  override readonly name = "TinyCloudHttpError" as const;
  constructor(
    readonly status: number,
    code: ReceivedErrorCode,
    message: string,
  ) {
    super(code, `${status} ${code}: ${message}`);
  }
}

export interface SignInOptions {
  readonly url: string;
  readonly wallet: WalletSigner;
  /** Space name (default "default"). */
  readonly space?: string;
  /** Capabilities for the session; default: every KV ability on the whole space, plus capabilities/read. */
  readonly capabilities?: readonly RequestedCapability[];
  /** Session lifetime (default 1 h). */
  readonly expiresInSeconds?: number;
  readonly domain?: string;
  /** Host the space on the node if it does not exist yet (default true; the wallet signs a second message). */
  readonly host?: boolean;
  readonly fetch?: typeof fetch;
  readonly sessionSecretKey?: Uint8Array;
}

const ALL_KV = ["tinycloud.kv/get", "tinycloud.kv/put", "tinycloud.kv/del", "tinycloud.kv/list", "tinycloud.kv/metadata"];

export async function signIn(options: SignInOptions): Promise<TinyCloudSession> {
  const fetchImpl = options.fetch ?? fetch;
  const wallet = options.wallet;
  const ownerDid = `did:pkh:eip155:${wallet.chainId}:${wallet.address}`;
  const spaceId = formatSpaceId(spaceIdFor(ownerDid, options.space ?? "default"));
  const sessionKey = ed25519Signer(options.sessionSecretKey ?? generateEd25519SecretKey());
  const now = Date.now();
  const capabilities = options.capabilities ?? [
    { resource: `${spaceId}/kv`, abilities: ALL_KV },
    { resource: `${spaceId}/capabilities/all`, abilities: ["tinycloud.capabilities/read"] },
  ];
  const prepared = prepareSession({
    address: wallet.address,
    chainId: wallet.chainId,
    domain: options.domain ?? "localhost",
    delegatee: sessionKey.verificationMethod,
    capabilities,
    nonce: randomNonce(),
    issuedAt: new Date(now).toISOString(),
    expirationTime: new Date(Math.floor(now / 1000) * 1000 + (options.expiresInSeconds ?? 3600) * 1000).toISOString(),
  });
  const delegation = completeSession(prepared, toBytes(await wallet.signMessage(prepared.message)));
  const http = new NodeHttp(options.url, fetchImpl);
  let answer = await http.delegate(delegation.header);
  if (answer.skipped.includes(spaceId) && options.host !== false) {
    await hostSpace(http, wallet, spaceId, options.domain ?? "localhost");
    answer = await http.delegate(delegation.header);
  }
  const expiresAt = Math.floor(now / 1000) + (options.expiresInSeconds ?? 3600);
  return new TinyCloudSession(http, spaceId, sessionKey, [delegation.cid], expiresAt);
}

/** Host a space: the owner wallet delegates `tinycloud.space/host` to the node's per-space host key. */
async function hostSpace(http: NodeHttp, wallet: WalletSigner, spaceId: string, domain: string): Promise<void> {
  const hostKey = await http.text("GET", `/peer/generate/${encodeURIComponent(spaceId)}`);
  const now = Date.now();
  const prepared = prepareSession({
    address: wallet.address,
    chainId: wallet.chainId,
    domain,
    delegatee: hostKey.trim(),
    capabilities: [{ resource: spaceId, abilities: ["tinycloud.space/host"] }],
    nonce: randomNonce(),
    issuedAt: new Date(now).toISOString(),
  });
  const host = completeSession(prepared, toBytes(await wallet.signMessage(prepared.message)));
  await http.delegate(host.header);
}

export interface PutOptions {
  readonly contentType?: string;
  /** Stored as `x-tinycloud-meta-<name>`. */
  readonly metadata?: Record<string, string>;
  readonly ifMatch?: string;
  readonly ifNoneMatch?: "*";
}

export interface KvValue {
  readonly bytes: Uint8Array;
  readonly etag: string;
  readonly version: number;
  readonly contentType: string | undefined;
  readonly headers: Headers;
  text(): string;
  json(): unknown;
}

export interface KvVersionInfo {
  readonly version: number;
  readonly deleted: boolean;
  readonly etag: string | null;
  readonly size: number;
  readonly metadata: Record<string, string>;
  readonly epoch: string;
  readonly seq: number;
  readonly invocation: string;
  readonly time: number;
}

export interface ShareOptions {
  /** Key or prefix inside the space's KV service. */
  readonly path: string;
  readonly abilities?: readonly string[];
  readonly expiresInSeconds?: number;
  /** Delegate to an existing DID; by default a fresh key is made and put in the link. */
  readonly to?: string;
  /** Forbid re-delegation. */
  readonly terminal?: boolean;
}

export interface Share {
  readonly cid: CID;
  readonly delegation: string;
  /** `tc1:` link carrying the share key's secret; whoever holds it can use the share. */
  readonly link: string | undefined;
}

/** A signed-in session: a session key plus the delegations (proofs) that empower it. */
export class TinyCloudSession {
  readonly kv: KvApi;
  readonly compute: ComputeApi;
  readonly sql: SqlApi;

  constructor(
    readonly http: NodeHttp,
    readonly spaceId: string,
    readonly key: Ed25519Signer,
    readonly proofs: readonly CID[],
    /** When the session's own delegation ends (seconds); shares and invocations never outlive it. */
    readonly expiresAt?: number,
  ) {
    this.kv = new KvApi(this);
    this.compute = new ComputeApi(this);
    this.sql = new SqlApi(this);
  }

  private capExpiration(seconds: number): number {
    const wanted = Math.floor(Date.now() / 1000) + seconds;
    return this.expiresAt === undefined ? wanted : Math.min(wanted, this.expiresAt);
  }

  /** Sign a fresh invocation (UCAN 0.10, 60 s lifetime, new nonce; `notBefore` signs a time, as compute's time_ms reads it). */
  invocation(capabilities: readonly Capability[], lifetimeSeconds = 60, options: { notBefore?: number } = {}): string {
    return createUcan({
      ...(options.notBefore !== undefined ? { notBefore: options.notBefore } : {}),
      issuer: this.key,
      audience: this.key.did,
      capabilities,
      proofs: this.proofs,
      expiration: this.capExpiration(lifetimeSeconds),
      nonce: `urn:uuid:${crypto.randomUUID()}`,
    });
  }

  resource(service: string, path?: string): string {
    return path === undefined || path === "" ? `${this.spaceId}/${service}` : `${this.spaceId}/${service}/${path}`;
  }

  /** Delegate part of this session to another key (a UCAN signed by the session key, registered with the node). */
  async share(options: ShareOptions): Promise<Share> {
    const shareSecret = options.to === undefined ? generateEd25519SecretKey() : undefined;
    const audience = options.to ?? ed25519Signer(shareSecret as Uint8Array).did;
    const abilities = options.abilities ?? ["tinycloud.kv/get", "tinycloud.kv/metadata"];
    const delegation = createUcan({
      issuer: this.key,
      audience,
      capabilities: abilities.map((a) => makeCapability(this.resource("kv", options.path), a)),
      proofs: this.proofs,
      expiration: this.capExpiration(options.expiresInSeconds ?? 3600),
      nonce: `urn:uuid:${crypto.randomUUID()}`,
      ...(options.terminal ? { facts: [{ "xyz.tinycloud.policy/delegationMode": "terminal" }] } : {}),
    });
    const { cid } = await this.http.delegate(delegation);
    const link =
      shareSecret === undefined
        ? undefined
        : `tc1:${encodeBase64UrlUnpadded(utf8ToBytes(JSON.stringify({ v: 1, url: this.http.url, spaceId: this.spaceId, key: bytesToHex(shareSecret), delegation })))}`;
    return { cid, delegation, link };
  }

  /** Revoke a delegation this session made (or received). */
  async revoke(cid: CID | string): Promise<void> {
    const jwt = createUcan({
      issuer: this.key,
      audience: this.key.did,
      capabilities: [makeCapability(`urn:cid:${cid.toString()}`, "tinycloud.delegation/revoke")],
      expiration: Math.floor(Date.now() / 1000) + 60,
      nonce: `urn:uuid:${crypto.randomUUID()}`,
    });
    await this.http.request("POST", "/revoke", { authorization: jwt });
  }
}

/** Open a `tc1:` share link made by `session.share()`: a session for the share key, no wallet needed. */
export async function openShareLink(link: string, options: { fetch?: typeof fetch; url?: string } = {}): Promise<TinyCloudSession> {
  if (!link.startsWith("tc1:")) throw new TypeError('share links start with "tc1:"');
  const value = parseJson(bytesToUtf8(decodeBase64UrlUnpadded(link.slice(4), "share link")), "share link");
  if (!isPlainObject(value) || typeof value["key"] !== "string" || typeof value["delegation"] !== "string" || typeof value["spaceId"] !== "string" || typeof value["url"] !== "string") {
    throw new TypeError("not a TinyCloud share link");
  }
  const http = new NodeHttp(options.url ?? value["url"], options.fetch ?? fetch);
  const { cid } = await http.delegate(value["delegation"]);
  const record = decodeUcan(value["delegation"]);
  return new TinyCloudSession(http, value["spaceId"], ed25519Signer(hexToBytes(value["key"])), [cid], record.expiration);
}

export class KvApi {
  constructor(private readonly session: TinyCloudSession) {}

  private async invoke(ability: string, path: string | undefined, init: { body?: Uint8Array; headers?: Record<string, string> } = {}): Promise<Response> {
    const jwt = this.session.invocation([makeCapability(this.session.resource("kv", path), ability)]);
    return this.session.http.request("POST", "/invoke", { authorization: jwt, ...(init.headers ?? {}) }, init.body);
  }

  async put(key: string, value: Uint8Array | string | object, options: PutOptions = {}): Promise<{ etag: string; version: number }> {
    const body = value instanceof Uint8Array ? value : utf8ToBytes(typeof value === "string" ? value : JSON.stringify(value));
    const contentType = options.contentType ?? (value instanceof Uint8Array ? "application/octet-stream" : typeof value === "string" ? "text/plain; charset=utf-8" : "application/json");
    const headers: Record<string, string> = { "content-type": contentType };
    for (const [name, v] of Object.entries(options.metadata ?? {})) headers[`x-tinycloud-meta-${name}`] = v;
    if (options.ifMatch !== undefined) headers["if-match"] = options.ifMatch;
    if (options.ifNoneMatch !== undefined) headers["if-none-match"] = options.ifNoneMatch;
    const response = await this.invoke("tinycloud.kv/put", key, { body, headers });
    return { etag: response.headers.get("etag") ?? "", version: Number(response.headers.get("x-tinycloud-version")) };
  }

  /** The current value, or a given version. Undefined when missing or deleted. */
  async get(key: string, options: { version?: number } = {}): Promise<KvValue | undefined> {
    const path = options.version === undefined ? key : `${key}?version=${options.version}`;
    const response = await this.invoke("tinycloud.kv/get", path).catch(notFoundAsUndefined);
    if (response === undefined) return undefined;
    const bytes = new Uint8Array(await response.arrayBuffer());
    return {
      bytes,
      etag: response.headers.get("etag") ?? "",
      version: Number(response.headers.get("x-tinycloud-version")),
      contentType: response.headers.get("content-type") ?? undefined,
      headers: response.headers,
      text: () => bytesToUtf8(bytes),
      json: () => JSON.parse(bytesToUtf8(bytes)) as unknown,
    };
  }

  async head(key: string): Promise<Headers | undefined> {
    const response = await this.invoke("tinycloud.kv/metadata", key).catch(notFoundAsUndefined);
    return response?.headers;
  }

  async del(key: string, options: { ifMatch?: string } = {}): Promise<{ etag: string; version: number }> {
    const response = await this.invoke("tinycloud.kv/del", key, options.ifMatch === undefined ? {} : { headers: { "if-match": options.ifMatch } });
    return { etag: response.headers.get("etag") ?? "", version: Number(response.headers.get("x-tinycloud-version")) };
  }

  /** Keys at and under a path (contained on "/" boundaries: `photos` lists `photos/…`, not `photos2/…`), one page. */
  async list(options: { prefix?: string; limit?: number; cursor?: string } = {}): Promise<{ keys: string[]; cursor: string | undefined }> {
    const headers: Record<string, string> = {};
    if (options.limit !== undefined) headers["x-tinycloud-limit"] = String(options.limit);
    if (options.cursor !== undefined) headers["x-tinycloud-cursor"] = options.cursor;
    const response = await this.invoke("tinycloud.kv/list", options.prefix, { headers });
    return { keys: (await response.json()) as string[], cursor: response.headers.get("x-tinycloud-next-cursor") ?? undefined };
  }

  /** The version history of a key, oldest first (tombstones included). */
  async versions(key: string, options: { after?: number; limit?: number } = {}): Promise<{ versions: KvVersionInfo[]; next: number | undefined }> {
    const query = ["versions", ...(options.after !== undefined ? [`after=${options.after}`] : []), ...(options.limit !== undefined ? [`limit=${options.limit}`] : [])].join("&");
    const response = await this.invoke("tinycloud.kv/metadata", `${key}?${query}`);
    const body = (await response.json()) as { versions: KvVersionInfo[]; next?: string };
    return { versions: body.versions, next: body.next === undefined ? undefined : Number(body.next) };
  }
}

function notFoundAsUndefined(error: unknown): undefined {
  if (error instanceof TinyCloudHttpError && error.status === 404) return undefined;
  throw error;
}

/** HTTP transport to one node. */
export class NodeHttp {
  constructor(
    readonly url: string,
    private readonly fetchImpl: typeof fetch,
  ) {}

  async request(method: string, path: string, headers: Record<string, string> = {}, body?: Uint8Array): Promise<Response> {
    const response = await this.fetchImpl(`${this.url}${path}`, { method, headers, ...(body !== undefined ? { body: body as unknown as BodyInit } : {}) });
    if (!response.ok && response.status !== 304) {
      const { code, message } = parseErrorBody(await response.text());
      throw new TinyCloudHttpError(response.status, code, message);
    }
    return response;
  }

  async text(method: string, path: string): Promise<string> {
    return (await this.request(method, path)).text();
  }

  async delegate(authorization: string): Promise<{ cid: CID; activated: string[]; skipped: string[] }> {
    const response = await this.request("POST", "/delegate", { authorization });
    const body = (await response.json()) as { cid: string; activated: string[]; skipped: string[] };
    return { cid: parseCid(body.cid), activated: body.activated, skipped: body.skipped };
  }
}

function toBytes(signature: Uint8Array | `0x${string}`): Uint8Array {
  return typeof signature === "string" ? hexToBytes(signature) : signature;
}

function randomNonce(): string {
  return bytesToHex(crypto.getRandomValues(new Uint8Array(12)));
}
