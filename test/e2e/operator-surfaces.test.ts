/**
 * The node's own surfaces (issue 12 §5), on real nodes:
 * - `/metrics` and the bull-board dashboard `/admin/queues` (with its Redis stats route) are mounted exactly
 *   as `node/rollup/proving.ts` mounts them (`mountMetrics`, `mountQueueDashboard` on a BullMQ queue on the
 *   real Redis at REDIS_URL), through the node's plugin seam, so no Groth16 key build is needed. Bound to
 *   0.0.0.0 they need `Authorization: Bearer <TINYCLOUD_ADMIN_TOKEN>` (off without a token); on loopback
 *   without a token they stay open; never with CORS headers.
 * - The HTTP parser's own rejections (raw `net` sockets: a malformed request line, a bad header, a header
 *   block over the limit) answer a complete plain-text `CODE: reason` response with `connection: close`.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type RunningNode, startNode } from "../../node/server/node.js";
import type { NodeConfig } from "../../node/server/config.js";
import { BullMqProverPool } from "../../prover/pool/bullmq.js";
import { mountQueueDashboard } from "../../prover/pool/dashboard.js";
import { createProverMetrics, mountMetrics } from "../../prover/pool/metrics.js";
import { type Answer, assertError, assertHealthy } from "../helpers/http-answer.js";
import { startTestNode, type TestNode } from "../helpers/node.js";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const TOKEN = "operator-token-7f3a9c";
const ORIGIN = "https://evil.example";

interface OperatorNode {
  readonly node: RunningNode;
  /** The node's port on 127.0.0.1 (it listens on every interface or on loopback). */
  readonly url: string;
  stop(): Promise<void>;
}

/** A node with the operator surfaces mounted the way proving mounts them, on a queue of its own. */
async function startOperatorNode(overrides: Partial<NodeConfig>): Promise<OperatorNode> {
  const dataDir = await mkdtemp(join(tmpdir(), "tinycloud-operator-"));
  const pool = new BullMqProverPool({ connection: REDIS_URL, queueName: `operator-surfaces-${process.pid}-${Date.now()}` });
  const node = await startNode(
    { port: 0, prove: false, quiet: true, chain: "off", chainPort: 0, dataDir, ...overrides },
    {
      plugins: [
        (app) => {
          mountMetrics(app, createProverMetrics(), "/metrics");
          void mountQueueDashboard(app, [pool.queue], { readOnly: true });
        },
      ],
    },
  );
  const port = new URL(node.url).port;
  return {
    node,
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      await node.close();
      await pool.queue.obliterate({ force: true }).catch(() => undefined);
      await pool.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function get(url: string, path: string, headers: Record<string, string> = {}, method = "GET"): Promise<Answer> {
  const response = await fetch(`${url}${path}`, { method, headers });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

function assertNoCors(answer: Answer, what: string): void {
  for (const name of headerNames(answer.headers)) assert.ok(!name.startsWith("access-control-"), `${what}: no CORS header, got ${name}`);
}

function headerNames(headers: Headers): string[] {
  const names: string[] = [];
  headers.forEach((_value, name) => names.push(name));
  return names;
}

const SURFACES = ["/metrics", "/admin/queues", "/admin/queues/api/queues", "/admin/queues/api/redis/stats"];

describe("operator surfaces on a node bound to 0.0.0.0 with TINYCLOUD_ADMIN_TOKEN", () => {
  let op: OperatorNode;
  before(async () => {
    op = await startOperatorNode({ host: "0.0.0.0", adminToken: TOKEN });
  });
  after(() => op.stop());

  test("attack: /metrics, the dashboard and its Redis stats without a token → 401 ADMIN_UNAUTHORIZED, nothing leaked, no CORS", async () => {
    for (const path of SURFACES) {
      const answer = await get(op.url, path, { origin: ORIGIN });
      assertError(answer, 401, "ADMIN_UNAUTHORIZED");
      assert.equal(answer.headers.get("www-authenticate"), 'Bearer realm="tinycloud-admin"');
      assert.doesNotMatch(answer.text, /redis_version|tinycloud_prove|<html/i, path);
      assertNoCors(answer, path);
    }
    await assertHealthy(op.url);
  });

  test("attack: a wrong token (same length, other scheme, empty) → 401 ADMIN_UNAUTHORIZED", async () => {
    const wrong = TOKEN.slice(0, -1) + (TOKEN.endsWith("c") ? "d" : "c");
    for (const authorization of [`Bearer ${wrong}`, `Basic ${TOKEN}`, "Bearer ", TOKEN, `Bearer ${TOKEN}x`]) {
      assertError(await get(op.url, "/admin/queues/api/redis/stats", { authorization }), 401, "ADMIN_UNAUTHORIZED");
    }
  });

  test("attack: reaching /metrics through a percent-encoded path → still 401", async () => {
    assertError(await get(op.url, "/%6detrics"), 401, "ADMIN_UNAUTHORIZED");
    assertError(await get(op.url, "/admin/%71ueues/api/redis/stats"), 401, "ADMIN_UNAUTHORIZED");
  });

  test("with the token: 200, the real content, and still no CORS header (even for an Origin or a preflight)", async () => {
    const auth = { authorization: `Bearer ${TOKEN}`, origin: ORIGIN };
    const metrics = await get(op.url, "/metrics", auth);
    assert.equal(metrics.status, 200, metrics.text);
    assert.match(metrics.text, /tinycloud_proof_queue_depth/);
    assertNoCors(metrics, "/metrics");
    const stats = await get(op.url, "/admin/queues/api/redis/stats", auth);
    assert.equal(stats.status, 200, stats.text);
    assert.match(stats.text, /version/);
    assertNoCors(stats, "redis stats");
    const board = await get(op.url, "/admin/queues", auth);
    assert.equal(board.status, 200);
    assertNoCors(board, "/admin/queues");
    const preflight = await get(op.url, "/metrics", { origin: ORIGIN, "access-control-request-method": "GET", "access-control-request-headers": "authorization" }, "OPTIONS");
    assertNoCors(preflight, "preflight");
  });

  test("control: the public API keeps CORS *", async () => {
    const health = await get(op.url, "/healthz", { origin: ORIGIN });
    assert.equal(health.status, 200);
    assert.equal(health.headers.get("access-control-allow-origin"), "*");
  });
});

describe("operator surfaces on a node bound to 0.0.0.0 without a token", () => {
  let op: OperatorNode;
  before(async () => {
    op = await startOperatorNode({ host: "0.0.0.0" });
  });
  after(() => op.stop());

  test("attack: every operator route → 403 ADMIN_DISABLED, any token or none, no CORS", async () => {
    for (const path of SURFACES) {
      for (const headers of [{ origin: ORIGIN }, { authorization: `Bearer ${TOKEN}` }]) {
        const answer = await get(op.url, path, headers);
        assertError(answer, 403, "ADMIN_DISABLED");
        assert.match(answer.text, /TINYCLOUD_ADMIN_TOKEN/);
        assertNoCors(answer, path);
      }
    }
    await assertHealthy(op.url);
  });
});

describe("operator surfaces on a loopback node", () => {
  test("without a token: open to local callers, without CORS", async () => {
    const op = await startOperatorNode({ host: "127.0.0.1" });
    try {
      const metrics = await get(op.url, "/metrics", { origin: ORIGIN });
      assert.equal(metrics.status, 200, metrics.text);
      assertNoCors(metrics, "/metrics");
      const stats = await get(op.url, "/admin/queues/api/redis/stats", { origin: ORIGIN });
      assert.equal(stats.status, 200, stats.text);
      assertNoCors(stats, "redis stats");
    } finally {
      await op.stop();
    }
  });

  test("with a token (a reverse proxy may make every caller local): the token is required there too", async () => {
    const op = await startOperatorNode({ host: "127.0.0.1", adminToken: TOKEN });
    try {
      assertError(await get(op.url, "/metrics"), 401, "ADMIN_UNAUTHORIZED");
      assert.equal((await get(op.url, "/metrics", { authorization: `Bearer ${TOKEN}` })).status, 200);
    } finally {
      await op.stop();
    }
  });
});

/** Send raw bytes, read until the node closes the connection. */
function raw(url: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => socket.write(bytes));
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("end", () => resolve(Buffer.concat(chunks).toString("latin1")));
    socket.on("error", reject);
    socket.setTimeout(10_000, () => {
      socket.destroy();
      reject(new Error(`no answer to ${JSON.stringify(bytes.slice(0, 40))}`));
    });
  });
}

interface RawAnswer {
  readonly status: number;
  readonly headers: Map<string, string>;
  readonly body: string;
}

function parseRaw(text: string): RawAnswer {
  const split = text.indexOf("\r\n\r\n");
  assert.ok(split > 0, `a complete HTTP response, got ${JSON.stringify(text.slice(0, 200))}`);
  const [statusLine = "", ...lines] = text.slice(0, split).split("\r\n");
  const match = /^HTTP\/1\.1 (\d{3}) /.exec(statusLine);
  assert.ok(match, `status line ${statusLine}`);
  const headers = new Map(lines.map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]));
  return { status: Number(match[1]), headers, body: text.slice(split + 4) };
}

function assertRawError(answer: RawAnswer, status: number, code: string): void {
  assert.equal(answer.status, status, answer.body);
  assert.equal(answer.headers.get("content-type"), "text/plain; charset=utf-8");
  assert.equal(answer.headers.get("connection"), "close");
  assert.equal(Number(answer.headers.get("content-length")), Buffer.byteLength(answer.body, "utf8"));
  assert.ok(answer.body.startsWith(`${code}: `), `body ${JSON.stringify(answer.body)}`);
  assert.ok(answer.body.length > code.length + 2);
}

describe("HTTP parser errors are CODE: message too", () => {
  let node: TestNode;
  before(async () => {
    node = await startTestNode({ maxHeaderBytes: 4096 });
  });
  after(() => node.stop());

  test("attack: a malformed request line → 400 BAD_HTTP_REQUEST, plain text, connection: close", async () => {
    assertRawError(parseRaw(await raw(node.url, "GARBAGE\r\n\r\n")), 400, "BAD_HTTP_REQUEST");
    assertRawError(parseRaw(await raw(node.url, "GET /healthz HTTP/9.9\r\nhost: x\r\n\r\n")), 400, "BAD_HTTP_REQUEST");
    await assertHealthy(node.url);
  });

  test("attack: a bad header line and a bad Content-Length → 400 BAD_HTTP_REQUEST", async () => {
    assertRawError(parseRaw(await raw(node.url, "GET /healthz HTTP/1.1\r\nhost: x\r\nbad header\r\n\r\n")), 400, "BAD_HTTP_REQUEST");
    assertRawError(parseRaw(await raw(node.url, "POST /invoke HTTP/1.1\r\nhost: x\r\ncontent-length: abc\r\n\r\n")), 400, "BAD_HTTP_REQUEST");
    await assertHealthy(node.url);
  });

  test("attack: a header block over maxHeaderBytes → 431 HEADERS_TOO_LARGE", async () => {
    const answer = parseRaw(await raw(node.url, `GET /healthz HTTP/1.1\r\nhost: x\r\nx-huge: ${"a".repeat(8192)}\r\n\r\n`));
    assertRawError(answer, 431, "HEADERS_TOO_LARGE");
    await assertHealthy(node.url);
  });

  test("Fastify's own errors keep the format: unknown route 404 NOT_FOUND, bad percent-encoding 400 BAD_URL, bad media type 415", async () => {
    const missing = parseRaw(await raw(node.url, "GET /no/such/route HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"));
    assert.equal(missing.status, 404);
    assert.match(missing.body, /^NOT_FOUND: /);
    const badUrl = parseRaw(await raw(node.url, "GET /delegations/%E0%A4%A HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"));
    assert.equal(badUrl.status, 400);
    assert.match(badUrl.body, /^BAD_URL: /);
    const badType = parseRaw(await raw(node.url, "POST /invoke HTTP/1.1\r\nhost: x\r\ncontent-type: ;;;\r\ncontent-length: 2\r\nconnection: close\r\n\r\nab"));
    assert.equal(badType.status, 415);
    assert.match(badType.body, /^FST_ERR_CTP_INVALID_MEDIA_TYPE: /);
    await assertHealthy(node.url);
  });
});
