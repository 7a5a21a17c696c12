/**
 * The operator surfaces: `/metrics` (Prometheus) and `/admin/…` (the bull-board proof-queue dashboard and
 * its API, whose Redis stats route reports the Redis version, OS and memory). They are not part of the
 * public API, so:
 * - with `TINYCLOUD_ADMIN_TOKEN` set (config `adminToken`) they require `Authorization: Bearer <token>`,
 *   compared in constant time, wherever the node listens (a reverse proxy on the same host makes loopback
 *   callers no proof of being local);
 * - without a token they are served only when the node listens on a loopback address; on any other
 *   address they are off (403 ADMIN_DISABLED), so a node bound to 0.0.0.0 never exposes them by default;
 * - they never carry CORS headers: no web page on another origin may read them with a visitor's access.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { formatErrorBody } from "../../core/http-errors.js";
import { HttpError } from "./http-error.js";

/** Is this request for an operator surface? By matched route, or by decoded path where none matched (preflights, 404s). */
export function isAdminRequest(request: FastifyRequest): boolean {
  const route = request.routeOptions.url;
  const path = route !== undefined && route !== "*" ? route : decodedPath(request.url);
  return path === "/metrics" || path.startsWith("/metrics/") || path === "/admin" || path.startsWith("/admin/");
}

/** Does `host` (the address the node listens on) only accept connections from this machine? */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  if (h === "localhost" || h === "::1") return true;
  return isIP(h) === 4 && h.startsWith("127.");
}

export function installAdminGuard(app: FastifyInstance, options: { readonly host: string; readonly adminToken?: string | undefined }): void {
  const expected = options.adminToken === undefined || options.adminToken === "" ? undefined : digest(options.adminToken);
  const open = expected === undefined && isLoopbackHost(options.host);
  app.addHook("onRequest", async (request, reply) => {
    if (!isAdminRequest(request)) return;
    if (open) return;
    if (expected === undefined) {
      return refuse(reply, new HttpError("ADMIN_DISABLED", `/metrics and /admin are off on a node listening on ${options.host}: set TINYCLOUD_ADMIN_TOKEN to serve them with Bearer authentication`));
    }
    const given = bearerOf(request.headers.authorization);
    if (given === undefined || !timingSafeEqual(digest(given), expected)) {
      reply.header("www-authenticate", 'Bearer realm="tinycloud-admin"');
      return refuse(reply, new HttpError("ADMIN_UNAUTHORIZED", "this operator route needs Authorization: Bearer <TINYCLOUD_ADMIN_TOKEN>"));
    }
  });
  // @fastify/cors answers every route (and every preflight); the operator routes must not be readable cross-origin.
  app.addHook("onSend", async (request, reply, payload) => {
    if (isAdminRequest(request)) {
      for (const name of Object.keys(reply.getHeaders())) if (name.toLowerCase().startsWith("access-control-")) reply.removeHeader(name);
    }
    return payload;
  });
}

/**
 * Answered here, not thrown: the dashboard plugin installs its own error handler in its context, which
 * would turn a thrown HttpError into a JSON 500.
 */
function refuse(reply: FastifyReply, error: HttpError): FastifyReply {
  return reply.code(error.status).type("text/plain; charset=utf-8").send(formatErrorBody(error.code, error.message));
}

function bearerOf(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Bearer +(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** Fixed-length digests, so the comparison neither fails early on length nor leaks it. */
function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

function decodedPath(url: string): string {
  const raw = url.split("?")[0] ?? "";
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
