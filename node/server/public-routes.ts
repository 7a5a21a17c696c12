/**
 * Public spaces (reference protocol, Appendix K): a space named `public` is readable without
 * authorization; writes still need normal invocations. This is also how a light client, which holds no
 * session, fetches the bytes whose inclusion it checks against the anchored root (`?version=N` picks the
 * version a state-tree leaf commits to).
 *
 *   GET /public/<spaceId>/kv/<key>[?version=N]  (HEAD too: fastify derives it from GET)   → the bytes, ETag "blake3-…", x-tinycloud-version
 *   GET      /public/<spaceId>/kv?prefix=&limit=       → {keys: [...]} of live keys
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import { formatSpaceId, parseSpaceId } from "../../core/resource.js";
import { PUBLIC_SPACE_NAME } from "../../core/state/privacy.js";
import { isProtocolError } from "../../core/errors.js";
import type { NodeStore } from "../store/store.js";
import { HttpError } from "./http-error.js";
import { etagOf, ifNoneMatchHits, parseVersion, valueSafetyHeaders } from "./kv-headers.js";
import { releaseWhenDone, type ResponseBudget } from "./response-budget.js";

export function registerPublicRoutes(app: FastifyInstance, store: NodeStore, responses: ResponseBudget): void {
  const resolveSpace = async (text: string) => {
    let id: string;
    try {
      const space = parseSpaceId(decodeURIComponent(text));
      if (space.name !== PUBLIC_SPACE_NAME) throw new HttpError("SPACE_NOT_PUBLIC", `only spaces named "${PUBLIC_SPACE_NAME}" are readable without authorization`);
      id = formatSpaceId({ ...space, form: "space" });
    } catch (error) {
      if (error instanceof HttpError) throw error;
      if (isProtocolError(error) || error instanceof URIError) throw new HttpError("BAD_SPACE_ID", `not a space id: ${error.message}`);
      throw error;
    }
    const record = await store.getSpace(id);
    if (record === undefined) throw new HttpError("SPACE_NOT_FOUND", `no space ${id}`);
    return record.id;
  };

  const read = async (params: { spaceId: string; "*": string }, query: { version?: string }, headers: Record<string, unknown>, reply: FastifyReply) => {
    const spaceId = await resolveSpace(params.spaceId);
    const key = params["*"];
    if (key === "") throw new HttpError("MISSING_KEY", "name a key: /public/<spaceId>/kv/<key>");
    const version = query.version === undefined ? undefined : parseVersion(query.version);
    const current = version === undefined ? await store.getCurrent(spaceId, key) : await store.getVersion(spaceId, key, version);
    if (current === undefined || current.deleted) {
      throw new HttpError("KV_NOT_FOUND", current?.deleted ? `${key} was deleted in version ${current.version}` : `no value at ${key}${version !== undefined ? ` version ${version}` : ""}`);
    }
    reply.header("etag", etagOf(current.etag));
    reply.header("x-tinycloud-version", String(current.version));
    // A pinned version never changes; the current one may.
    reply.header("cache-control", version === undefined ? "public, max-age=60" : "public, max-age=31536000, immutable");
    // Stored headers first, then the rules that keep the bytes inert in the node's origin (README, HTTP API).
    reply.headers({ ...current.metadata, ...valueSafetyHeaders(current.metadata) });
    const inm = headers["if-none-match"];
    if (typeof inm === "string" && ifNoneMatchHits(inm, current.etag)) return reply.code(304).send();
    // Anyone may read a public value: its memory counts in the node-wide response budget like any read.
    responses.check(current.size, headers as Record<string, string>, "the value", "KV_TOO_LARGE");
    const release = await responses.reserve(current.size);
    releaseWhenDone(reply.raw, release);
    const bytes = await store.getBlob(spaceId, current.etag).catch((error: unknown) => {
      release();
      throw error;
    });
    if (bytes === undefined) {
      release();
      throw new Error(`blob ${current.etag} of ${key} is missing`);
    }
    return reply.code(200).send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  };

  app.get<{ Params: { spaceId: string; "*": string }; Querystring: { version?: string } }>("/public/:spaceId/kv/*", (request, reply) => read(request.params, request.query, request.headers, reply));
  app.get<{ Params: { spaceId: string }; Querystring: { prefix?: string; limit?: string } }>("/public/:spaceId/kv", async (request) => {
    const spaceId = await resolveSpace(request.params.spaceId);
    const limit = request.query.limit === undefined ? 100 : Number(request.query.limit);
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000) throw new HttpError("BAD_LIMIT", "limit must be an integer in [1, 1000]");
    const { keys, more } = await store.listKeys(spaceId, request.query.prefix ?? "", undefined, limit);
    return { spaceId, keys, more };
  });
}
