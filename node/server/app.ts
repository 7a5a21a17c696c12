/**
 * The HTTP API (wire-compatible with the reference node and with the official 0.2.1 client), on Fastify.
 * All bodies are taken as raw bytes (a KV value is opaque, whatever its content-type). Every error is a
 * plain-text `<CODE>: <message>` with a 4xx status; a 500 means a bug and is logged.
 */
import { createServer } from "node:http";
import cors, { type FastifyCorsOptions } from "@fastify/cors";
import Fastify, { type FastifyInstance, type FastifyReply } from "fastify";
import { CID, parseCid } from "../../core/cid.js";
import { decodeEpoch } from "../../core/epoch/epoch.js";
import { isPlainObject } from "../../core/encoding.js";
import { formatSpaceId, parseSpaceId } from "../../core/resource.js";
import { formatErrorBody } from "../../core/http-errors.js";
import type { NodeStore } from "../store/store.js";
import { type NodeConfig, NODE_VERSION, PROTOCOL_VERSION } from "./config.js";
import type { DelegationService } from "./delegation-service.js";
import { HttpError, toHttpError } from "./http-error.js";
import { INERT_HEADERS } from "./kv-headers.js";
import type { InvokeService } from "./invoke-service.js";
import { installAdminGuard } from "./admin-guard.js";
import { clientErrorHandler } from "./client-error.js";
import type { NodeKeys } from "./node-keys.js";
import { privateSpace, type ReadGate } from "./read-gate.js";
import { releaseWhenDone } from "./response-budget.js";

export interface AppServices {
  readonly config: NodeConfig;
  readonly store: NodeStore;
  readonly keys: NodeKeys;
  readonly delegations: DelegationService;
  readonly invocations: InvokeService;
  /** Who may read a private space's history (events, epochs, op blocks). */
  readonly reads: ReadGate;
}

export const FEATURES = ["kv", "kv-versions", "delegation", "revocation", "epochs"] as const;

/**
 * CORS, deliberately open: the API is meant to be called from any web app (the official client, the
 * light-client page on another origin). No request is authorized by ambient credentials (no cookies,
 * no TLS client certificates): every write carries its own UCAN/SIWE `Authorization` header, so any
 * origin may call any route, and `credentials` stays off, which is what makes the `*` wildcards valid.
 * The exception: the operator routes (/metrics, /admin/…) carry no CORS header at all (admin-guard.ts).
 * - methods: the verbs the API uses (GET/HEAD reads, POST invocations and delegations, PUT/DELETE
 *   are kept for clients of the reference node).
 * - allowedHeaders: any request header (KV metadata travels in `x-tinycloud-meta-*` and standard
 *   content headers), plus `Authorization`, which the `*` wildcard does not cover.
 * - exposedHeaders: likewise any response header (ETag, `x-tinycloud-version`, stored metadata).
 * - strictPreflight off and status 200: an OPTIONS request to any path answers 200 with these headers,
 *   with or without Origin / Access-Control-Request-Method (as the reference node does).
 */
const CORS_OPTIONS = {
  origin: "*",
  methods: ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"],
  allowedHeaders: ["*", "Authorization"],
  exposedHeaders: ["*", "Authorization"],
  credentials: false,
  strictPreflight: false,
  optionsSuccessStatus: 200,
} as const satisfies FastifyCorsOptions;

export function buildApp(services: AppServices): FastifyInstance {
  const { config, store, keys, delegations, invocations, reads } = services;
  const app = Fastify({
    logger: config.logRequests ? { level: "info" } : false,
    bodyLimit: config.maxBodyBytes,
    serverFactory: (handler) => {
      // Slow clients (issue 12, "slow bodies"): a request, headers and body, must arrive within
      // requestTimeoutMs, or the connection is answered 408 and closed; Node checks open requests every
      // connectionsCheckingInterval (30 s by default, far coarser than the limit). Connections beyond
      // maxConnections are closed as they arrive, so trickling sockets cannot exhaust file descriptors.
      const requestTimeout = config.requestTimeoutMs;
      const server = createServer(
        {
          maxHeaderSize: config.maxHeaderBytes,
          requestTimeout,
          headersTimeout: Math.min(60_000, requestTimeout),
          connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(requestTimeout / 4))),
        },
        handler,
      );
      server.maxConnections = config.maxConnections;
      return server;
    },
    // The HTTP parser's own rejections (bad request line, header overflow, timeout) answer `CODE: reason` too.
    clientErrorHandler,
    // Paths like /peer/generate/<percent-encoded space id> hold ":" and "/" once decoded.
    routerOptions: { maxParamLength: 4096 },
    // Router-level failures (bad percent-encoding, over-long parameters) answer like every other error.
    frameworkErrors: (error, _request, reply) => {
      const code = (error as { code?: string }).code === "FST_ERR_MAX_PARAM_LENGTH" ? "URL_TOO_LONG" : "BAD_URL";
      const message = code === "URL_TOO_LONG" ? "a path parameter is longer than 4096 characters" : "the URL is not valid (bad percent-encoding?)";
      const fastifyReply = reply as unknown as FastifyReply;
      // Router-level failures run no hooks, so @fastify/cors never sees them: allow the origin here.
      fastifyReply.header("access-control-allow-origin", CORS_OPTIONS.origin);
      void sendError(fastifyReply, new HttpError(code, message));
    },
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_req, body, done) => done(null, body));

  void app.register(cors, CORS_OPTIONS);
  // /metrics and /admin/… (mounted later, with proving): authenticated off loopback, never CORS.
  installAdminGuard(app, { host: config.host, adminToken: config.adminToken });

  app.setErrorHandler((error, request, reply) => {
    const known = toHttpError(error);
    if (known) return sendError(reply, known);
    const status = (error as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      // Fastify's own 4xx (body too large 413, bad Content-Length 400, …) keep Fastify's status and code:
      // the one answer whose status does not come from HTTP_STATUS.
      return sendError(reply, { status, code: (error as { code?: string }).code ?? "BAD_REQUEST", message: error instanceof Error ? error.message : String(error) });
    }
    request.log.error(error);
    console.error(`internal error on ${request.method} ${request.url}:`, error);
    return sendError(reply, new HttpError("INTERNAL", "internal error"));
  });
  app.setNotFoundHandler((request, reply) => sendError(reply, new HttpError("NOT_FOUND", `no route ${request.method} ${(request.url.split("?")[0] ?? "").slice(0, 200)}`)));

  app.get("/healthz", async (_req, reply) => {
    if (store.db.status !== "open") throw new HttpError("STORE_CLOSED", `store is ${store.db.status}`);
    // 503, so a load balancer stops sending this node writes it would refuse; reads are still served here.
    const full = store.diskFullSince;
    if (full !== undefined) throw new HttpError("DEGRADED", `disk full since ${new Date(full).toISOString()}: writes answer 507 until space is freed, reads are served`);
    return reply.type("text/plain").send("ok");
  });

  const info = async () => ({ protocol: PROTOCOL_VERSION, version: NODE_VERSION, features: FEATURES, nodeId: keys.identity.did, inTEE: false });
  app.get("/info", info);
  app.get("/version", info);

  app.get<{ Params: { spaceId: string } }>("/peer/generate/:spaceId", async (request, reply) => {
    let spaceId: string;
    try {
      spaceId = formatSpaceId(parseSpaceId(request.params.spaceId));
    } catch (error) {
      throw new HttpError("BAD_SPACE_ID", `Invalid orbit ID: ${error instanceof Error ? error.message : String(error)}`);
    }
    return reply.type("text/plain").send(keys.hostKey(spaceId).did);
  });

  app.post("/delegate", async (request, reply) => {
    const result = await delegations.delegate(authorizationOf(request.headers));
    if (result.legacy) return reply.type("text/plain").send(result.cid.toString());
    return { cid: result.cid.toString(), activated: result.activated, skipped: result.skipped, stored: result.stored };
  });

  app.post("/revoke", async (request) => {
    const result = await delegations.revoke(authorizationOf(request.headers));
    return { revoked: result.revoked, cid: result.cid.toString() };
  });

  app.post("/invoke", async (request, reply) => {
    const body = request.body instanceof Uint8Array ? request.body : new Uint8Array(0);
    const result = await invocations.invoke({ authorization: request.headers.authorization, headers: request.headers, body });
    // The body's memory stays reserved until the response is done: sent, or its client gone.
    if (result.release !== undefined) releaseWhenDone(reply.raw, result.release);
    reply.code(result.status).headers(result.headers);
    // A view, not a copy (Buffer.from(Uint8Array) would copy a value of up to the response limit).
    const out = result.body instanceof Uint8Array ? Buffer.from(result.body.buffer, result.body.byteOffset, result.body.byteLength) : result.body;
    return reply.send(out ?? "");
  });

  app.get<{ Params: { cid: string } }>("/delegations/:cid", async (request) => delegations.status(request.params.cid));

  // History: a space's signed epochs and the raw signed events and op blocks, to re-verify. A public
  // space's history is served to anyone; a private space's only to a holder of a read capability on the
  // whole space (node/server/read-gate.ts): it names every key, grant and session key of the space.
  app.get<{ Params: { spaceId: string }; Querystring: { after?: string; limit?: string } }>("/spaces/:spaceId/epochs", async (request) => {
    const spaceId = formatSpaceId({ ...parseSpaceId(request.params.spaceId), form: "space" });
    const after = Number(request.query.after ?? 0);
    const limit = Number(request.query.limit ?? 100);
    if (!Number.isSafeInteger(after) || after < 0 || !Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw new HttpError("BAD_QUERY", "after must be a non-negative integer and limit 1–1000");
    }
    // The gate before the lookup: an outsider gets the same 403 for a hosted private space and an absent one.
    if (!reads.canReadSpace(await reads.grant(request.headers.authorization), spaceId)) throw privateSpace(`the history of ${spaceId}`, spaceId);
    const space = await store.getSpace(spaceId);
    if (space === undefined) throw new HttpError("SPACE_NOT_FOUND", `space ${spaceId} is not hosted on this node`);
    const epochs = await store.listEpochs(spaceId, after, limit);
    return { space: spaceId, heads: space.heads.map(String), seq: space.seq, epochs: epochs.map((e) => ({ seq: e.seq, cid: CID.decode(e.cid).toString() })) };
  });

  app.get<{ Params: { cid: string }; Querystring: { format?: string } }>("/epochs/:cid", async (request, reply) => {
    const cid = parseCidParam(request.params.cid);
    await requireOwnerRead(cid, "this epoch", request.headers.authorization);
    const bytes = await store.getEpoch(cid);
    if (bytes === undefined) throw new HttpError("EPOCH_NOT_FOUND", `no epoch ${cid.toString()}`);
    if (request.query.format === "json") return jsonView(decodeEpoch(bytes).epoch);
    reply.headers(INERT_HEADERS);
    return reply.type("application/vnd.ipld.dag-cbor").send(Buffer.from(bytes));
  });

  app.get<{ Params: { cid: string } }>("/events/:cid", async (request, reply) => {
    const cid = parseCidParam(request.params.cid);
    await requireOwnerRead(cid, "this event", request.headers.authorization);
    const event = await store.getEvent(cid);
    if (event === undefined) throw new HttpError("EVENT_NOT_FOUND", `no event ${cid.toString()}`);
    reply.headers({ ...INERT_HEADERS, "x-tinycloud-event-kind": event.kind });
    // JWTs start with "ey" (base64url of `{"`); CACAOs are DAG-CBOR maps.
    const isJwt = event.bytes[0] === 0x65 && event.bytes[1] === 0x79;
    return reply.type(isJwt ? "application/jwt" : "application/vnd.ipld.dag-cbor").send(Buffer.from(event.bytes));
  });

  app.get<{ Params: { cid: string } }>("/blocks/:cid", async (request, reply) => {
    const cid = parseCidParam(request.params.cid);
    await requireOwnerRead(cid, "this block", request.headers.authorization);
    const bytes = await store.getBlock(cid);
    if (bytes === undefined) throw new HttpError("BLOCK_NOT_FOUND", `no block ${cid.toString()}`);
    reply.headers(INERT_HEADERS);
    return reply.type("application/vnd.ipld.dag-cbor").send(Buffer.from(bytes));
  });

  /**
   * A CID's bytes are served if the caller may read one of the spaces they belong to. Checked before the
   * lookup, and an unknown CID has no owner: a private CID and an absent one answer alike (403), so the
   * gate does not tell an outsider which CIDs a private space holds.
   */
  async function requireOwnerRead(cid: CID, what: string, authorization: string | undefined): Promise<void> {
    reads.requireAnyOwner(await reads.grant(authorization), await store.owners(cid), what);
  }

  return app;
}

function authorizationOf(headers: Record<string, string | string[] | undefined>): string {
  const value = headers["authorization"];
  if (typeof value !== "string" || value.length === 0) throw new HttpError("MISSING_AUTHORIZATION", "missing Authorization header");
  return value;
}

function parseCidParam(text: string) {
  try {
    return parseCid(text);
  } catch (error) {
    throw new HttpError("BAD_CID", error instanceof Error ? error.message : "not a CID");
  }
}

function sendError(reply: FastifyReply, error: { readonly status: number; readonly code: string; readonly message: string; readonly headers?: Readonly<Record<string, string>> }): FastifyReply {
  if (error.headers !== undefined) reply.headers(error.headers);
  return reply.code(error.status).type("text/plain; charset=utf-8").send(formatErrorBody(error.code, error.message));
}

/** JSON view of a DAG-CBOR value: CIDs as strings, bytes as base64. */
function jsonView(value: unknown): unknown {
  if (value instanceof Uint8Array) return { bytes: Buffer.from(value).toString("base64") };
  if (Array.isArray(value)) return value.map(jsonView);
  const cid = CID.asCID(value);
  if (cid) return cid.toString();
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonView(v)]));
  return value;
}
