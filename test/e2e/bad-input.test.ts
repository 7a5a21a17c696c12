/**
 * Bad input against a real node: never a 500, never a crash. Each case names the exact 4xx status and
 * the error code that prefixes the plain-text body (`<CODE>: <message>`); after all cases the node still
 * answers `GET /healthz` with 200.
 *
 * Malformed requests go through raw `fetch` (or `node:http` where fetch would refuse or hide the
 * answer); valid-but-wrong tokens are built with the client and the test actors.
 */
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { after, before, describe, test } from "node:test";
import * as dagCbor from "@ipld/dag-cbor";
import { privateKeyToAccount } from "viem/accounts";
import { makeCapability } from "../../core/capability.js";
import { ed25519PublicJwk, type Ed25519Signer } from "../../core/keys.js";
import { signIn, type TinyCloudSession, type WalletSigner } from "../../node/client/client.js";
import { sessionKey, signSession, wallet as actorWallet } from "../helpers/actors.js";
import { startTestNode, type TestNode } from "../helpers/node.js";

const ALL_KV = ["tinycloud.kv/get", "tinycloud.kv/put", "tinycloud.kv/del", "tinycloud.kv/list", "tinycloud.kv/metadata"];
const MAX_BODY = 1024;

function clientWallet(seedByte: number): WalletSigner {
  const account = privateKeyToAccount(`0x${seedByte.toString(16).padStart(2, "0").repeat(32)}`);
  return { address: account.address, chainId: 1, signMessage: (message: string) => account.signMessage({ message }) };
}

interface Answer {
  readonly status: number;
  readonly text: string;
  readonly headers: Headers;
}

async function call(url: string, method: string, path: string, headers: Record<string, string> = {}, body?: Uint8Array | string): Promise<Answer> {
  const response = await fetch(`${url}${path}`, { method, headers, ...(body !== undefined ? { body: body as unknown as BodyInit } : {}) });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

/** A request through node:http: sends what fetch would refuse, and reads answers fetch would turn into errors. */
function rawHttp(url: string, method: string, path: string, headers: Record<string, string | string[]>, body?: Uint8Array | string[]): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname, port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    if (Array.isArray(body)) for (const piece of body) req.write(piece);
    else if (body !== undefined) req.write(body);
    req.end();
  });
}

/** Assert a `<CODE>: <message>` plain-text 4xx with this status and code. */
function assertError(answer: { status: number; text: string }, status: number, code: string): void {
  assert.equal(answer.status, status, `expected ${status} ${code}, got ${answer.status}: ${answer.text.slice(0, 300)}`);
  assert.ok(answer.text.startsWith(`${code}: `), `expected body to start with "${code}: ", got ${JSON.stringify(answer.text.slice(0, 200))}`);
  assert.ok(answer.text.length > code.length + 2, "the error carries a message");
}

const b64 = (data: string | Uint8Array): string => Buffer.from(data).toString("base64url");
const b64Padded = (data: Uint8Array): string => {
  const text = Buffer.from(data).toString("base64url");
  return text + "=".repeat((4 - (text.length % 4)) % 4);
};

function standardHeader(key: Ed25519Signer): Record<string, unknown> {
  return { alg: "EdDSA", jwk: ed25519PublicJwk(key.publicKey), typ: "JWT", ucv: "0.10.0" };
}

/** A JWT from raw segments, correctly signed by `key`. */
function signSegments(key: Ed25519Signer, headerSegment: string, payloadSegment: string): string {
  const input = `${headerSegment}.${payloadSegment}`;
  return `${input}.${b64(key.sign(new TextEncoder().encode(input)))}`;
}

/** A JWT with any header and payload JSON (nothing validated on this side), correctly signed. */
function craft(key: Ed25519Signer, header: unknown, payload: unknown): string {
  return signSegments(key, b64(JSON.stringify(header)), b64(JSON.stringify(payload)));
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

describe("bad input: never a 500, never a crash", () => {
  let node: TestNode;
  let bigHeaders: TestNode;
  let session: TinyCloudSession;
  let spaceId: string;
  const fiveHundreds: string[] = [];

  /** A correctly signed 0.10 invocation payload for the session key with an arbitrary `att`. */
  function payload(att: Record<string, Record<string, unknown[]>>, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      iss: session.key.verificationMethod,
      aud: session.key.did,
      exp: nowSeconds() + 60,
      nnc: `urn:uuid:${crypto.randomUUID()}`,
      prf: session.proofs.map(String),
      att,
      ...extra,
    };
  }

  function invocationFor(resource: string, ability: string, extra: Record<string, unknown> = {}): string {
    return craft(session.key, standardHeader(session.key), payload({ [resource]: { [ability]: [{}] } }, extra));
  }

  async function invoke(authorization: string, headers: Record<string, string> = {}, body?: Uint8Array | string): Promise<Answer> {
    const answer = await call(node.url, "POST", "/invoke", { authorization, ...headers }, body);
    if (answer.status >= 500) fiveHundreds.push(`/invoke → ${answer.status} ${answer.text}`);
    return answer;
  }

  async function delegate(authorization: string): Promise<Answer> {
    const answer = await call(node.url, "POST", "/delegate", { authorization });
    if (answer.status >= 500) fiveHundreds.push(`/delegate → ${answer.status} ${answer.text}`);
    return answer;
  }

  /** One fresh KV invocation through the session (a valid token), with extra headers. */
  function kv(ability: string, path: string | undefined, headers: Record<string, string> = {}, body?: Uint8Array | string): Promise<Answer> {
    return invoke(session.invocation([makeCapability(session.resource("kv", path), ability)]), headers, body);
  }

  before(async () => {
    node = await startTestNode({ maxBodyBytes: MAX_BODY });
    bigHeaders = await startTestNode({ maxHeaderBytes: 512 * 1024 });
    session = await signIn({ url: node.url, wallet: clientWallet(0xc3) });
    spaceId = session.spaceId;
    await session.kv.put("exists", "present");
  });
  after(async () => {
    await node.stop();
    await bigHeaders.stop();
  });

  describe("malformed tokens", () => {
    test("no Authorization header → 401 MISSING_AUTHORIZATION", async () => {
      assertError(await call(node.url, "POST", "/delegate"), 401, "MISSING_AUTHORIZATION");
      assertError(await call(node.url, "POST", "/invoke"), 401, "MISSING_AUTHORIZATION");
      assertError(await call(node.url, "POST", "/revoke"), 401, "MISSING_AUTHORIZATION");
    });

    test("an empty Authorization → 401 MISSING_AUTHORIZATION", async () => {
      assertError(await delegate(""), 401, "MISSING_AUTHORIZATION");
      assertError(await invoke(""), 401, "MISSING_AUTHORIZATION");
      assertError(await call(node.url, "POST", "/revoke", { authorization: "" }), 401, "MISSING_AUTHORIZATION");
    });

    test('"a.b.c" → 401 ENCODING_BAD_BASE64', async () => {
      assertError(await delegate("a.b.c"), 401, "ENCODING_BAD_BASE64");
      assertError(await invoke("a.b.c"), 401, "ENCODING_BAD_BASE64");
    });

    test("a JWT with the wrong number of parts → 401 UCAN_MALFORMED", async () => {
      assertError(await invoke("eyJhIjoxfQ.eyJhIjoxfQ"), 401, "UCAN_MALFORMED");
      assertError(await invoke("a.b.c.d"), 401, "UCAN_MALFORMED");
      assertError(await invoke("...."), 401, "UCAN_MALFORMED");
    });

    test("garbage base64 (no dot: read as a CACAO) → 401 ENCODING_BAD_BASE64 / ENCODING_BAD_PADDING; /invoke → 401 NOT_A_UCAN", async () => {
      assertError(await delegate("!!!!garbage$$$$$"), 401, "ENCODING_BAD_BASE64");
      assertError(await delegate("abcde"), 401, "ENCODING_BAD_PADDING");
      assertError(await invoke("!!!!garbage$$$$$"), 401, "NOT_A_UCAN");
    });

    test("valid base64 of non-CBOR bytes → 401 ENCODING_BAD_CBOR", async () => {
      assertError(await delegate(b64Padded(new Uint8Array([0xff, 0xfe, 0xfd, 0xfc]))), 401, "ENCODING_BAD_CBOR");
      assertError(await delegate(b64Padded(new TextEncoder().encode("hello, this is not cbor at all"))), 401, "ENCODING_BAD_CBOR");
    });

    test("CBOR that is not a CACAO map → 401 CACAO_MALFORMED", async () => {
      assertError(await delegate(b64Padded(dagCbor.encode([1, 2, 3]))), 401, "CACAO_MALFORMED");
      assertError(await delegate(b64Padded(dagCbor.encode("a string"))), 401, "CACAO_MALFORMED");
      assertError(await delegate(b64Padded(dagCbor.encode({ h: 1, p: 2, s: 3 }))), 401, "CACAO_MALFORMED");
      assertError(await delegate(b64Padded(dagCbor.encode({ a: { b: new Uint8Array(4) } }))), 401, "CACAO_MALFORMED");
    });

    test("a CACAO with an unsupported type or a bad timestamp → 401 CACAO_UNSUPPORTED_TYPE / CACAO_BAD_TIMESTAMP", async () => {
      const now = nowSeconds();
      const real = await signSession(actorWallet(0xc3), sessionKey(0x61), { capabilities: [{ resource: `${spaceId}/kv`, abilities: ALL_KV }], issuedAt: iso(now), expirationTime: iso(now + 600) });
      const value = dagCbor.decode(Buffer.from(real.header, "base64url")) as { h: { t: string }; p: Record<string, unknown>; s: unknown };
      assertError(await delegate(b64Padded(dagCbor.encode({ ...value, h: { t: "eip712" } }))), 401, "CACAO_UNSUPPORTED_TYPE");
      assertError(await delegate(b64Padded(dagCbor.encode({ ...value, p: { ...value.p, exp: "next tuesday" } }))), 401, "CACAO_BAD_TIMESTAMP");
      assertError(await delegate(b64Padded(dagCbor.encode({ ...value, p: { ...value.p, exp: "2026-02-30T00:00:00Z" } }))), 401, "CACAO_BAD_TIMESTAMP");
      // The same CACAO without its canonical "=" padding.
      if (real.header.endsWith("=")) assertError(await delegate(real.header.replace(/=+$/, "")), 401, "ENCODING_BAD_PADDING");
    });

    test("a JWT whose payload is not JSON → 401 ENCODING_BAD_JSON", async () => {
      const jwt = signSegments(session.key, b64(JSON.stringify(standardHeader(session.key))), b64("this is not json"));
      assertError(await invoke(jwt), 401, "ENCODING_BAD_JSON");
      assertError(await delegate(jwt), 401, "ENCODING_BAD_JSON");
    });

    test("a JWT with a JSON array payload → 401 UCAN_MALFORMED", async () => {
      const jwt = craft(session.key, standardHeader(session.key), [payload({ [`${spaceId}/kv/exists`]: { "tinycloud.kv/get": [{}] } })]);
      assertError(await invoke(jwt), 401, "UCAN_MALFORMED");
      assertError(await delegate(jwt), 401, "UCAN_MALFORMED");
      assertError(await invoke(craft(session.key, standardHeader(session.key), null)), 401, "UCAN_MALFORMED");
      assertError(await invoke(craft(session.key, standardHeader(session.key), "a string")), 401, "UCAN_MALFORMED");
    });

    test('a header with ucv "9.9.9" → 401 UCAN_UNSUPPORTED_VERSION', async () => {
      const jwt = craft(session.key, { ...standardHeader(session.key), ucv: "9.9.9" }, payload({ [`${spaceId}/kv/exists`]: { "tinycloud.kv/get": [{}] } }));
      assertError(await invoke(jwt), 401, "UCAN_UNSUPPORTED_VERSION");
      assertError(await delegate(jwt), 401, "UCAN_UNSUPPORTED_VERSION");
    });

    test('alg "none" or a missing typ → 401 UCAN_UNSUPPORTED_ALGORITHM / UCAN_MALFORMED', async () => {
      const body = payload({ [`${spaceId}/kv/exists`]: { "tinycloud.kv/get": [{}] } });
      assertError(await invoke(craft(session.key, { ...standardHeader(session.key), alg: "none" }, body)), 401, "UCAN_UNSUPPORTED_ALGORITHM");
      assertError(await invoke(craft(session.key, { alg: "EdDSA", ucv: "0.10.0" }, body)), 401, "UCAN_MALFORMED");
    });

    test("non-ASCII bytes in the Authorization header → 401 ENCODING_BAD_BASE64", async () => {
      const jwt = session.invocation([makeCapability(session.resource("kv", "exists"), "tinycloud.kv/get")]);
      const [h, p, s] = jwt.split(".") as [string, string, string];
      // Latin-1 bytes on the wire (fetch sends a ByteString as is).
      assertError(await invoke(`${h}\u00e9.${p}.${s}`), 401, "ENCODING_BAD_BASE64");
      assertError(await invoke(`\u00ff\u00fe.\u00e9.\u00fc`), 401, "ENCODING_BAD_BASE64");
      assertError(await delegate(`\u00e9\u00e9\u00e9\u00e9`), 401, "ENCODING_BAD_BASE64");
      // Raw UTF-8 bytes through node:http.
      assertError(await rawHttp(node.url, "POST", "/invoke", { authorization: Buffer.from(`ü${h}.${p}.${s}`, "utf8").toString("latin1") }), 401, "ENCODING_BAD_BASE64");
    });

    test("a JWT header segment that decodes to invalid UTF-8 → 401 ENCODING_BAD_UTF8", async () => {
      const badHeader = b64(new Uint8Array([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d])); // {"\xC3(":1}
      const jwt = signSegments(session.key, badHeader, b64(JSON.stringify(payload({ [`${spaceId}/kv/exists`]: { "tinycloud.kv/get": [{}] } }))));
      assertError(await invoke(jwt), 401, "ENCODING_BAD_UTF8");
    });

    test("/delegate with a UCAN JWT whose JSON is malformed → 401 ENCODING_BAD_JSON", async () => {
      const jwt = signSegments(session.key, b64(JSON.stringify(standardHeader(session.key))), b64(`{"iss":"${session.key.verificationMethod}","aud":`));
      assertError(await delegate(jwt), 401, "ENCODING_BAD_JSON");
      const badHeader = signSegments(session.key, b64('{"alg":"EdDSA",'), b64(JSON.stringify(payload({}))));
      assertError(await delegate(badHeader), 401, "ENCODING_BAD_JSON");
    });

    test("/invoke with a CACAO (a valid session delegation) → 401 NOT_A_UCAN", async () => {
      const now = nowSeconds();
      const cacao = await signSession(actorWallet(0xc3), sessionKey(0x62), { capabilities: [{ resource: `${spaceId}/kv`, abilities: ALL_KV }], issuedAt: iso(now), expirationTime: iso(now + 600) });
      assertError(await invoke(cacao.header), 401, "NOT_A_UCAN");
    });

    test("/revoke with a CACAO → 400 REVOCATION_FORMAT; with a non-revocation UCAN → 400 ABILITY_UNKNOWN; of an unknown delegation → 404", async () => {
      const now = nowSeconds();
      const cacao = await signSession(actorWallet(0xc3), sessionKey(0x63), { capabilities: [{ resource: `${spaceId}/kv`, abilities: ALL_KV }], issuedAt: iso(now), expirationTime: iso(now + 600) });
      assertError(await call(node.url, "POST", "/revoke", { authorization: cacao.header }), 400, "REVOCATION_FORMAT");
      assertError(await call(node.url, "POST", "/revoke", { authorization: invocationFor(`${spaceId}/kv/exists`, "tinycloud.kv/get") }), 400, "ABILITY_UNKNOWN");
      assertError(await call(node.url, "POST", "/revoke", { authorization: invocationFor(`urn:cid:${cacao.cid.toString()}`, "tinycloud.delegation/revoke") }), 404, "DELEGATION_NOT_FOUND");
      assertError(await call(node.url, "POST", "/revoke", { authorization: invocationFor("urn:cid:not-a-cid", "tinycloud.delegation/revoke") }), 400, "URI_BAD_URN");
    });

    test("broken UCAN fields → 401 with a precise code", async () => {
      const resource = `${spaceId}/kv/exists`;
      const att = { [resource]: { "tinycloud.kv/get": [{}] } };
      const header = standardHeader(session.key);
      assertError(await invoke(craft(session.key, header, payload(att, { exp: "tomorrow" }))), 401, "UCAN_MALFORMED");
      assertError(await invoke(craft(session.key, header, payload(att, { exp: undefined }))), 401, "UCAN_MALFORMED");
      assertError(await invoke(craft(session.key, header, payload(att, { exp: -1 }))), 401, "UCAN_MALFORMED");
      assertError(await invoke(craft(session.key, header, payload(att, { exp: 1e300 }))), 401, "AUTH_LIFETIME_TOO_LONG");
      assertError(await invoke(craft(session.key, header, payload(att, { nbf: nowSeconds() + 600 }))), 401, "AUTH_NOT_YET_VALID");
      assertError(await invoke(craft(session.key, header, payload(att, { nnc: 42 }))), 401, "UCAN_MALFORMED");
      assertError(await invoke(craft(session.key, header, payload(att, { prf: ["not-a-cid"] }))), 401, "UCAN_BAD_PROOF_LINK");
      assertError(await invoke(craft(session.key, header, payload(att, { prf: "bafk" }))), 401, "UCAN_MALFORMED");
      assertError(await invoke(craft(session.key, header, payload(att, { fct: 7 }))), 401, "UCAN_MALFORMED");
      assertError(await invoke(craft(session.key, header, payload({ [resource]: { "tinycloud.kv/get": [] } }))), 401, "UCAN_EMPTY_CAVEATS");
      assertError(await invoke(craft(session.key, header, payload({ [resource]: { "tinycloud.kv/get": "all" } } as never))), 401, "UCAN_MALFORMED");
      assertError(await invoke(craft(session.key, header, payload(att, { att: [] }))), 401, "UCAN_MALFORMED");
      assertError(await invoke(craft(session.key, header, payload({}))), 401, "AUTH_NO_CAPABILITIES");
      assertError(await invoke(craft(session.key, header, payload(att, { iss: "not a did" }))), 401, "UCAN_MALFORMED");
      assertError(await invoke(craft(session.key, header, payload(att, { aud: `${session.key.did}#frag` }))), 401, "UCAN_MALFORMED");
      assertError(await invoke(craft(session.key, header, payload(att, { iss: "did:key:z0OIl#z0OIl" }))), 401, "DID_BAD_KEY");
      assertError(await invoke(craft(session.key, header, payload(att, { iss: "did:key:z6MkAAAA#z6MkAAAA" }))), 401, "DID_UNSUPPORTED_KEY_TYPE");
      assertError(await invoke(craft(session.key, header, payload(att, { iss: actorWallet(0xc3).did }))), 401, "DID_UNSUPPORTED_METHOD");
    });

    test("a signature segment of the wrong length → 401 UCAN_MALFORMED", async () => {
      const jwt = session.invocation([makeCapability(session.resource("kv", "exists"), "tinycloud.kv/get")]);
      const [h, p] = jwt.split(".") as [string, string, string];
      assertError(await invoke(`${h}.${p}.${b64(new Uint8Array(63))}`), 401, "UCAN_MALFORMED");
      assertError(await invoke(`${h}.${p}.${b64(new Uint8Array(65))}`), 401, "UCAN_MALFORMED");
    });
  });

  describe("abilities", () => {
    test("an unknown ability (tinycloud.kv/explode) → 400 ABILITY_UNKNOWN", async () => {
      assertError(await invoke(invocationFor(`${spaceId}/kv/exists`, "tinycloud.kv/explode")), 400, "ABILITY_UNKNOWN");
    });

    test("an ability of a service TinyCloud does not have (tinycloud.email/send) → 400 ABILITY_UNKNOWN", async () => {
      assertError(await invoke(invocationFor(`${spaceId}/email/inbox`, "tinycloud.email/send")), 400, "ABILITY_UNKNOWN");
    });

    test("a syntactically malformed ability → 400 ABILITY_MALFORMED", async () => {
      assertError(await invoke(invocationFor(`${spaceId}/kv/exists`, "tinycloud.kv")), 400, "ABILITY_MALFORMED");
      assertError(await invoke(invocationFor(`${spaceId}/kv/exists`, "tinycloud.kv/get/more")), 400, "ABILITY_MALFORMED");
    });

    test("a UCAN ability without the tinycloud. prefix (kv/get, ipfs.dag/get) → 400 ABILITY_BAD_NAMESPACE", async () => {
      assertError(await invoke(invocationFor(`${spaceId}/kv/exists`, "kv/get")), 400, "ABILITY_BAD_NAMESPACE");
      assertError(await invoke(invocationFor(`${spaceId}/kv/exists`, "ipfs.dag/get")), 400, "ABILITY_BAD_NAMESPACE");
    });

    test("a known ability of a service this node does not serve (tinycloud.hooks/list) → 501 SERVICE_NOT_SUPPORTED, not a 500", async () => {
      const hooks = await signIn({ url: node.url, wallet: clientWallet(0xc3), capabilities: [{ resource: `${spaceId}/hooks/all`, abilities: ["tinycloud.hooks/list"] }] });
      // Not through invoke(): a 501 is this node's deliberate answer, not an internal error.
      const answer = await call(node.url, "POST", "/invoke", { authorization: hooks.invocation([makeCapability(hooks.resource("hooks", "all"), "tinycloud.hooks/list")]) });
      assertError(answer, 501, "SERVICE_NOT_SUPPORTED");
    });

    test("one invocation mixing services → 400 MIXED_SERVICES; two kv/put → 400 BAD_BATCH", async () => {
      const mixed = session.invocation([makeCapability(session.resource("kv", "exists"), "tinycloud.kv/get"), makeCapability(session.resource("capabilities", "all"), "tinycloud.capabilities/read")]);
      assertError(await invoke(mixed), 400, "MIXED_SERVICES");
      const twoPuts = session.invocation([makeCapability(session.resource("kv", "a"), "tinycloud.kv/put"), makeCapability(session.resource("kv", "b"), "tinycloud.kv/put")]);
      assertError(await invoke(twoPuts, { "content-type": "text/plain" }, "x"), 400, "BAD_BATCH");
    });
  });

  describe("paths", () => {
    test('".." raw → 400 URI_DOT_SEGMENT', async () => {
      assertError(await invoke(invocationFor(`${spaceId}/kv/a/../exists`, "tinycloud.kv/get")), 400, "URI_DOT_SEGMENT");
      assertError(await invoke(invocationFor(`${spaceId}/kv/..`, "tinycloud.kv/get")), 400, "URI_DOT_SEGMENT");
      assertError(await invoke(invocationFor(`${spaceId}/kv/./exists`, "tinycloud.kv/put"), { "content-type": "text/plain" }, "x"), 400, "URI_DOT_SEGMENT");
    });

    test('"%2E%2E" → 400 URI_DOT_SEGMENT', async () => {
      assertError(await invoke(invocationFor(`${spaceId}/kv/a/%2E%2E/exists`, "tinycloud.kv/get")), 400, "URI_DOT_SEGMENT");
      assertError(await invoke(invocationFor(`${spaceId}/kv/%2e%2e`, "tinycloud.kv/get")), 400, "URI_DOT_SEGMENT");
      assertError(await invoke(invocationFor(`${spaceId}/kv/%2E`, "tinycloud.kv/get")), 400, "URI_DOT_SEGMENT");
    });

    test('bad percent-encoding "%zz" → 400 URI_BAD_PERCENT_ENCODING', async () => {
      assertError(await invoke(invocationFor(`${spaceId}/kv/%zz`, "tinycloud.kv/get")), 400, "URI_BAD_PERCENT_ENCODING");
      assertError(await invoke(invocationFor(`${spaceId}/kv/a%2`, "tinycloud.kv/get")), 400, "URI_BAD_PERCENT_ENCODING");
      assertError(await invoke(invocationFor(`${spaceId}/kv/%C3%28`, "tinycloud.kv/get")), 400, "URI_BAD_PERCENT_ENCODING");
    });

    test('an empty path ".../kv/" → 400 URI_BAD_PATH', async () => {
      assertError(await invoke(invocationFor(`${spaceId}/kv/`, "tinycloud.kv/get")), 400, "URI_BAD_PATH");
    });

    test("encoded slash, NUL and raw spaces in a path → 400 URI_BAD_PATH", async () => {
      assertError(await invoke(invocationFor(`${spaceId}/kv/a%2Fb`, "tinycloud.kv/get")), 400, "URI_BAD_PATH");
      assertError(await invoke(invocationFor(`${spaceId}/kv/a%00b`, "tinycloud.kv/get")), 400, "URI_BAD_PATH");
      assertError(await invoke(invocationFor(`${spaceId}/kv/a b`, "tinycloud.kv/get")), 400, "URI_BAD_PATH");
    });

    test("kv/get on the whole service (no key) → 400 MISSING_KEY", async () => {
      assertError(await kv("tinycloud.kv/get", undefined), 400, "MISSING_KEY");
    });

    test("a resource that is not a tinycloud URI → 400", async () => {
      assertError(await invoke(invocationFor(`https://example.com/kv/x`, "tinycloud.kv/get")), 400, "URI_BAD_SCHEME");
      assertError(await invoke(invocationFor(`urn:isbn:12345`, "tinycloud.kv/get")), 400, "URI_BAD_URN");
      assertError(await invoke(invocationFor(`tinycloud:pkh:eip155:1:0xnotanaddress:default/kv/x`, "tinycloud.kv/get")), 400, "URI_BAD_DID");
    });
  });

  describe("sizes", () => {
    test("a 64 KiB header value → 431 (Node's HTTP parser)", async () => {
      const answer = await rawHttp(node.url, "GET", "/healthz", { "x-huge": "a".repeat(64 * 1024) });
      assert.equal(answer.status, 431);
    });

    test("a body above maxBodyBytes → 413, and nothing is written", async () => {
      const jwt = session.invocation([makeCapability(session.resource("kv", "big"), "tinycloud.kv/put")]);
      const answer = await invoke(jwt, { "content-type": "application/octet-stream" }, new Uint8Array(MAX_BODY + 1));
      assert.equal(answer.status, 413, answer.text);
      assert.match(answer.text, /^[A-Z0-9_]+: \S/, "a plain-text <CODE>: <message> body");
      // Chunked, without a Content-Length.
      const jwt2 = session.invocation([makeCapability(session.resource("kv", "big"), "tinycloud.kv/put")]);
      const chunked = await rawHttp(node.url, "POST", "/invoke", { authorization: jwt2, "content-type": "application/octet-stream", "transfer-encoding": "chunked" }, [
        "x".repeat(800),
        "y".repeat(800),
      ]);
      assert.equal(chunked.status, 413, chunked.text);
      assert.equal(await session.kv.get("big"), undefined);
      // At the limit is fine.
      const ok = await kv("tinycloud.kv/put", "big", { "content-type": "application/octet-stream" }, new Uint8Array(MAX_BODY));
      assert.equal(ok.status, 200, ok.text);
    });

    test("a huge (60 KB) JWT-looking Authorization → 431 on a default node", async () => {
      const huge = `eyJ${"a".repeat(30_000)}.eyJ${"b".repeat(30_000)}.${"c".repeat(86)}`;
      const answer = await rawHttp(node.url, "POST", "/invoke", { authorization: huge });
      assert.equal(answer.status, 431);
    });

    test("a huge JWT-looking Authorization that passes the HTTP parser → 401 from the decoder, not 500", async () => {
      /** A well-formed JWT of about `size` bytes whose iss is not a DID. */
      const jwtOf = (size: number) =>
        `${b64(JSON.stringify({ alg: "EdDSA", typ: "JWT", ucv: "0.10.0", pad: "x".repeat((size * 3) / 8) }))}.${b64(JSON.stringify({ iss: "y".repeat((size * 3) / 8), aud: "did:example:x" }))}.${b64(new Uint8Array(64))}`;
      const sixty = jwtOf(60_000);
      assert.ok(sixty.length > 55_000 && sixty.length < 64 * 1024, String(sixty.length));
      const a = await call(bigHeaders.url, "POST", "/invoke", { authorization: sixty });
      assertError(a, 401, "UCAN_MALFORMED");
      assert.match(a.text, /iss must be a DID/);
      const seventy = jwtOf(75_000);
      assert.ok(seventy.length > 64 * 1024, String(seventy.length));
      const b = await call(bigHeaders.url, "POST", "/invoke", { authorization: seventy });
      assertError(b, 401, "UCAN_MALFORMED");
      assert.match(b.text, /above the 65536-byte limit/);
      assertError(await call(bigHeaders.url, "POST", "/delegate", { authorization: seventy }), 401, "UCAN_MALFORMED");
      // Padding characters that are not base64 at all, and a 200 KB "CACAO".
      assertError(await call(bigHeaders.url, "POST", "/invoke", { authorization: `eyJ${"a".repeat(30_000)}.eyJ${"b".repeat(30_000)}.${"c".repeat(86)}` }), 401, "ENCODING_BAD_PADDING");
      assertError(await call(bigHeaders.url, "POST", "/delegate", { authorization: "A".repeat(200_000) }), 401, "CACAO_MALFORMED");
      assert.equal((await call(bigHeaders.url, "GET", "/healthz")).status, 200);
    });
  });

  describe("routes", () => {
    test("/peer/generate/not-a-space → 400 BAD_SPACE_ID", async () => {
      assertError(await call(node.url, "GET", "/peer/generate/not-a-space"), 400, "BAD_SPACE_ID");
      assertError(await call(node.url, "GET", `/peer/generate/${encodeURIComponent(`${spaceId}/kv/x`)}`), 400, "BAD_SPACE_ID");
    });

    test("/epochs/not-a-cid → 400 BAD_CID (also /events and /blocks)", async () => {
      assertError(await call(node.url, "GET", "/epochs/not-a-cid"), 400, "BAD_CID");
      assertError(await call(node.url, "GET", "/events/not-a-cid"), 400, "BAD_CID");
      assertError(await call(node.url, "GET", "/blocks/not-a-cid"), 400, "BAD_CID");
      // A CIDv0 is refused too (only CIDv1 is accepted).
      assertError(await call(node.url, "GET", "/epochs/QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"), 400, "BAD_CID");
    });

    test("/delegations/not-a-cid → 400 BAD_CID", async () => {
      assertError(await call(node.url, "GET", "/delegations/not-a-cid"), 400, "BAD_CID");
    });

    test("a URL with bad percent-encoding (/epochs/%zz) → 400 with a plain-text <CODE>: body and CORS headers", async () => {
      for (const path of ["/epochs/%zz", "/spaces/%zz/epochs", "/delegations/%E0%A4%A"]) {
        const answer = await call(node.url, "GET", path);
        assert.equal(answer.status, 400, `${path}: ${answer.status}`);
        assert.match(answer.text, /^[A-Z_]+: \S/, `${path}: ${answer.text}`);
        assert.equal(answer.headers.get("access-control-allow-origin"), "*");
      }
    });

    test("a URL with bad percent-encoding is a 400 (never a 500)", async () => {
      const answer = await call(node.url, "GET", "/epochs/%zz");
      assert.equal(answer.status, 400);
      assert.match(answer.text, /BAD_URL/, "the answer names the problem");
    });

    test("a path parameter above maxParamLength (/peer/generate/<5000 chars>) → 414 with a plain-text <CODE>: body and CORS headers", async () => {
      const answer = await call(node.url, "GET", `/peer/generate/${"a".repeat(5000)}`);
      assert.equal(answer.status, 414);
      assert.match(answer.text, /^[A-Z_]+: \S/, answer.text.slice(0, 200));
      assert.equal(answer.headers.get("access-control-allow-origin"), "*");
    });

    test("a path parameter above maxParamLength is a 4xx (never a 500)", async () => {
      const answer = await call(node.url, "GET", `/peer/generate/${"a".repeat(5000)}`);
      assert.equal(answer.status, 414);
    });

    test("/spaces/<bad>/epochs → 400; bad paging → 400 BAD_QUERY; unknown private space → 403 PRIVATE_SPACE (as a hosted one); unknown public space → 404", async () => {
      assertError(await call(node.url, "GET", "/spaces/not-a-space/epochs"), 400, "URI_BAD_SCHEME");
      const space = encodeURIComponent(spaceId);
      assertError(await call(node.url, "GET", `/spaces/${space}/epochs?limit=0`), 400, "BAD_QUERY");
      assertError(await call(node.url, "GET", `/spaces/${space}/epochs?after=-1`), 400, "BAD_QUERY");
      assertError(await call(node.url, "GET", `/spaces/${space}/epochs?limit=abc`), 400, "BAD_QUERY");
      assertError(await call(node.url, "GET", `/spaces/${encodeURIComponent(`${spaceId}x`)}/epochs`), 403, "PRIVATE_SPACE");
      assertError(await call(node.url, "GET", `/spaces/${encodeURIComponent(spaceId.replace(/:[^:]*$/, ":public"))}/epochs`), 404, "SPACE_NOT_FOUND");
    });

    test("an unknown route → 404 NOT_FOUND", async () => {
      assertError(await call(node.url, "GET", "/no/such/route"), 404, "NOT_FOUND");
      assertError(await call(node.url, "DELETE", "/invoke"), 404, "NOT_FOUND");
      assertError(await call(node.url, "GET", "/invoke"), 404, "NOT_FOUND");
    });

    test("an OPTIONS preflight → 200 with access-control-allow-origin: *", async () => {
      const answer = await call(node.url, "OPTIONS", "/invoke", { origin: "https://app.example", "access-control-request-method": "POST", "access-control-request-headers": "authorization" });
      assert.equal(answer.status, 200);
      assert.equal(answer.headers.get("access-control-allow-origin"), "*");
      const anywhere = await call(node.url, "OPTIONS", "/anything/at/all");
      assert.equal(anywhere.status, 200);
      assert.equal(anywhere.headers.get("access-control-allow-origin"), "*");
    });

    test("error answers carry CORS headers too", async () => {
      const answer = await call(node.url, "POST", "/invoke", { authorization: "a.b.c" });
      assert.equal(answer.status, 401);
      assert.equal(answer.headers.get("access-control-allow-origin"), "*");
      assert.match(answer.headers.get("content-type") ?? "", /^text\/plain/);
    });
  });

  describe("KV headers and queries", () => {
    test("If-Match that is not a strong blake3 ETag → 400 BAD_IF_MATCH", async () => {
      const current = await session.kv.get("exists");
      const etag = current?.etag as string;
      for (const value of [`W/${etag}`, '"abc"', "*", etag.slice(1, -1), `"blake3-${"0".repeat(63)}"`, `${etag}, ${etag}`]) {
        assertError(await kv("tinycloud.kv/put", "exists", { "content-type": "text/plain", "if-match": value }, "changed"), 400, "BAD_IF_MATCH");
      }
      assertError(await kv("tinycloud.kv/del", "exists", { "if-match": '"abc"' }), 400, "BAD_IF_MATCH");
      assert.equal((await session.kv.get("exists"))?.text(), "present");
    });

    test("If-Match mismatch → 412 PRECONDITION_FAILED", async () => {
      const stale = `"blake3-${"0".repeat(64)}"`;
      assertError(await kv("tinycloud.kv/put", "exists", { "content-type": "text/plain", "if-match": stale }, "changed"), 412, "PRECONDITION_FAILED");
      assertError(await kv("tinycloud.kv/del", "exists", { "if-match": stale }), 412, "PRECONDITION_FAILED");
      assertError(await kv("tinycloud.kv/put", "missing", { "content-type": "text/plain", "if-match": stale }, "new"), 412, "PRECONDITION_FAILED");
      assert.equal((await session.kv.get("exists"))?.text(), "present");
    });

    test("If-None-Match: * on an existing key → 412 PRECONDITION_FAILED; any other If-None-Match on put → 400", async () => {
      assertError(await kv("tinycloud.kv/put", "exists", { "content-type": "text/plain", "if-none-match": "*" }, "changed"), 412, "PRECONDITION_FAILED");
      assertError(await kv("tinycloud.kv/put", "exists", { "content-type": "text/plain", "if-none-match": '"blake3-abc"' }, "changed"), 400, "BAD_IF_NONE_MATCH");
      assert.equal((await session.kv.get("exists"))?.text(), "present");
    });

    test("x-tinycloud-expected-version → 400 UNSUPPORTED_HEADER", async () => {
      assertError(await kv("tinycloud.kv/put", "exists", { "content-type": "text/plain", "x-tinycloud-expected-version": "1" }, "changed"), 400, "UNSUPPORTED_HEADER");
    });

    test("x-tinycloud-limit: 0 and 5000 → 400 BAD_LIMIT", async () => {
      for (const limit of ["0", "5000", "-1", "1.5", "abc", ""]) {
        assertError(await kv("tinycloud.kv/list", undefined, { "x-tinycloud-limit": limit }), 400, "BAD_LIMIT");
      }
      assert.equal((await kv("tinycloud.kv/list", undefined, { "x-tinycloud-limit": "1000" })).status, 200);
    });

    test("a forged list cursor → 400 BAD_CURSOR", async () => {
      await session.kv.put("list/a", "1");
      await session.kv.put("list/b", "2");
      await session.kv.put("list/c", "3");
      const page = await session.kv.list({ prefix: "list/", limit: 1 });
      assert.ok(page.cursor !== undefined);
      const forgedJson = b64(JSON.stringify({ after: "list/z", mac: "0".repeat(32) }));
      for (const cursor of ["!!!not-base64!!!", b64("not json"), b64("[1,2]"), forgedJson, b64(JSON.stringify({ after: 7, mac: "x" }))]) {
        assertError(await kv("tinycloud.kv/list", "list/", { "x-tinycloud-limit": "1", "x-tinycloud-cursor": cursor }), 400, "BAD_CURSOR");
      }
      // A real cursor replayed with another limit or prefix is refused as well.
      assertError(await kv("tinycloud.kv/list", "list/", { "x-tinycloud-limit": "2", "x-tinycloud-cursor": page.cursor }), 400, "BAD_CURSOR");
      assertError(await kv("tinycloud.kv/list", "lis", { "x-tinycloud-limit": "1", "x-tinycloud-cursor": page.cursor }), 400, "BAD_CURSOR");
      const next = await kv("tinycloud.kv/list", "list/", { "x-tinycloud-limit": "1", "x-tinycloud-cursor": page.cursor });
      assert.equal(next.status, 200, next.text);
      assert.deepEqual(JSON.parse(next.text), ["list/b"]);
    });

    test("?version=abc → 400 BAD_VERSION", async () => {
      for (const version of ["abc", "0", "-1", "1.5", "", "99999999999999999999"]) {
        assertError(await kv("tinycloud.kv/get", `exists?version=${version}`), 400, "BAD_VERSION");
      }
      assertError(await kv("tinycloud.kv/metadata", "exists?versions&after=abc"), 400, "BAD_VERSION");
      assertError(await kv("tinycloud.kv/get", "exists?version=99"), 404, "KV_NOT_FOUND");
    });

    test("an unknown query ?foo=1 → 400 BAD_QUERY", async () => {
      assertError(await kv("tinycloud.kv/get", "exists?foo=1"), 400, "BAD_QUERY");
      assertError(await kv("tinycloud.kv/metadata", "exists?versions&foo"), 400, "BAD_QUERY");
    });

    test("a query on kv/put → 400 BAD_RESOURCE", async () => {
      assertError(await kv("tinycloud.kv/put", "exists?version=1", { "content-type": "text/plain" }, "changed"), 400, "BAD_RESOURCE");
    });

    test("x-tinycloud-max-response-bytes below the value size → 413 KV_TOO_LARGE", async () => {
      assertError(await kv("tinycloud.kv/get", "exists", { "x-tinycloud-max-response-bytes": "1" }), 413, "KV_TOO_LARGE");
    });

    test("a missing key → 404 KV_NOT_FOUND (get, metadata, del)", async () => {
      assertError(await kv("tinycloud.kv/get", "nope"), 404, "KV_NOT_FOUND");
      assertError(await kv("tinycloud.kv/metadata", "nope"), 404, "KV_NOT_FOUND");
      assertError(await kv("tinycloud.kv/del", "nope"), 404, "KV_NOT_FOUND");
    });

    test("kv/metadata ?versions with a negative or fractional limit → 400, not 500", async () => {
      await session.kv.put("history", "v1");
      for (const limit of ["-1", "-5", "0.5", "-Infinity"]) {
        const jwt = session.invocation([makeCapability(session.resource("kv", `history?versions&limit=${limit}`), "tinycloud.kv/metadata")]);
        const answer = await call(node.url, "POST", "/invoke", { authorization: jwt });
        assert.equal(answer.status, 400, `limit=${limit}: ${answer.status} ${answer.text}`);
        assert.match(answer.text, /^BAD_(QUERY|LIMIT): /);
      }
    });

    test("a malformed Content-Type on put → a plain-text 4xx (never 500), and nothing is written", async () => {
      for (const type of ["a/b/c", "not a media type", ""]) {
        const answer = await kv("tinycloud.kv/put", "bad-type", { "content-type": type }, "x");
        assert.ok(answer.status >= 400 && answer.status < 500, `${JSON.stringify(type)}: ${answer.status} ${answer.text}`);
        assert.match(answer.text, /^[A-Z_]+: \S/);
      }
      assert.equal(await session.kv.get("bad-type"), undefined);
    });

    test("a put without a content-type is stored (the body is opaque bytes)", async () => {
      const answer = await kv("tinycloud.kv/put", "no-type", {}, new Uint8Array([0, 1, 2, 255]));
      assert.equal(answer.status, 200, answer.text);
      assert.deepEqual([...((await session.kv.get("no-type"))?.bytes ?? [])], [0, 1, 2, 255]);
    });
  });

  test("after all of it: no 500 was seen and GET /healthz still answers 200", async () => {
    assert.deepEqual(fiveHundreds, []);
    const health = await call(node.url, "GET", "/healthz");
    assert.equal(health.status, 200);
    assert.equal(health.text, "ok");
    assert.equal((await session.kv.get("exists"))?.text(), "present", "the node still serves requests");
  });
});
