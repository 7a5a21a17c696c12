/**
 * Slow clients (issue 12, "slow bodies"): sockets that trickle a body (or headers) a byte at a time once
 * stayed open for more than 95 s, and nothing capped the number of connections. Raw TCP sockets here,
 * against a node with a 1 s request timeout and a cap of 4 connections.
 */
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { startTestNode, type TestNode } from "../helpers/node.js";

const REQUEST_TIMEOUT_MS = 1000;
const MAX_CONNECTIONS = 4;

interface Conn {
  readonly socket: Socket;
  /** Everything received so far. */
  received(): string;
  /** Resolves with the ms from `open` to the socket's close. */
  readonly closed: Promise<number>;
}

async function open(url: string): Promise<Conn> {
  const { hostname, port } = new URL(url);
  const started = performance.now();
  const socket = connect({ host: hostname, port: Number(port) });
  let data = "";
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => (data += chunk));
  socket.on("error", () => undefined); // a reset is a close here
  const closed = new Promise<number>((resolve) => socket.once("close", () => resolve(performance.now() - started)));
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  return { socket, received: () => data, closed };
}

/** A keep-alive GET /healthz on `conn`; resolves with the response text (waits for its "ok" body). */
async function healthz(conn: Conn, timeoutMs = 3000): Promise<string> {
  const before = conn.received().length;
  conn.socket.write("GET /healthz HTTP/1.1\r\nHost: node\r\nConnection: keep-alive\r\n\r\n");
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const text = conn.received().slice(before);
    if (/\r\n\r\nok$/.test(text)) return text;
    if (conn.socket.destroyed) break;
    await sleep(10);
  }
  return conn.received().slice(before);
}

describe("slow bodies: request timeout", () => {
  let node: TestNode;
  before(async () => {
    node = await startTestNode({ requestTimeoutMs: REQUEST_TIMEOUT_MS });
  });
  after(async () => {
    await node.stop();
  });

  test("attack: a body trickled a byte a second is cut off (408, closed) within the request timeout", async () => {
    const conn = await open(node.url);
    conn.socket.write("POST /invoke HTTP/1.1\r\nHost: node\r\nAuthorization: x.y.z\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000\r\n\r\n");
    const trickle = setInterval(() => {
      if (!conn.socket.destroyed) conn.socket.write("a");
    }, 1000);
    // A slack of 1.5 s over the timeout: the server checks open requests every 250 ms here.
    const closedAfter = await Promise.race([conn.closed, sleep(REQUEST_TIMEOUT_MS + 1500).then(() => Number.POSITIVE_INFINITY)]);
    clearInterval(trickle);
    conn.socket.destroy();
    assert.ok(closedAfter <= REQUEST_TIMEOUT_MS + 1500, `the trickling socket was still open ${REQUEST_TIMEOUT_MS + 1500} ms later`);
    assert.match(conn.received(), /^HTTP\/1\.1 408 /, "answered 408 before closing");
    assert.equal((await fetch(`${node.url}/healthz`)).status, 200);
  });

  test("attack: headers trickled a byte a second (slowloris) are cut off within the request timeout", async () => {
    const conn = await open(node.url);
    const header = "GET /healthz HTTP/1.1\r\nHost: node\r\nX-Slow: ";
    conn.socket.write(header);
    const trickle = setInterval(() => {
      if (!conn.socket.destroyed) conn.socket.write("a");
    }, 1000);
    const closedAfter = await Promise.race([conn.closed, sleep(REQUEST_TIMEOUT_MS + 1500).then(() => Number.POSITIVE_INFINITY)]);
    clearInterval(trickle);
    conn.socket.destroy();
    assert.ok(closedAfter <= REQUEST_TIMEOUT_MS + 1500, `the trickling socket was still open ${REQUEST_TIMEOUT_MS + 1500} ms later`);
    assert.equal((await fetch(`${node.url}/healthz`)).status, 200);
  });

  test("attack: a connection that sends nothing is closed within the request timeout", async () => {
    const conn = await open(node.url);
    const closedAfter = await Promise.race([conn.closed, sleep(REQUEST_TIMEOUT_MS + 1500).then(() => Number.POSITIVE_INFINITY)]);
    conn.socket.destroy();
    assert.ok(closedAfter <= REQUEST_TIMEOUT_MS + 1500, `the idle socket was still open ${REQUEST_TIMEOUT_MS + 1500} ms later`);
    assert.equal((await fetch(`${node.url}/healthz`)).status, 200);
  });

  test("control: a request sent at once is answered normally", async () => {
    const conn = await open(node.url);
    assert.match(await healthz(conn), /^HTTP\/1\.1 200 /);
    conn.socket.destroy();
  });
});

describe("slow bodies: connection cap", () => {
  let node: TestNode;
  before(async () => {
    node = await startTestNode({ maxConnections: MAX_CONNECTIONS });
  });
  after(async () => {
    await node.stop();
  });

  test("attack: connections beyond the cap are closed unanswered; the open ones keep working; a freed slot is usable", async () => {
    const held: Conn[] = [];
    for (let i = 0; i < MAX_CONNECTIONS; i++) {
      const conn = await open(node.url);
      assert.match(await healthz(conn), /^HTTP\/1\.1 200 /, `connection ${i + 1} of ${MAX_CONNECTIONS} is served`);
      held.push(conn);
    }
    const refused: Conn[] = [];
    for (let i = 0; i < 3; i++) {
      const extra = await open(node.url).catch(() => undefined);
      if (extra === undefined) continue; // refused at connect: as good
      extra.socket.write("GET /healthz HTTP/1.1\r\nHost: node\r\n\r\n");
      const closedAfter = await Promise.race([extra.closed, sleep(2000).then(() => Number.POSITIVE_INFINITY)]);
      assert.ok(Number.isFinite(closedAfter), "a connection over the cap is closed");
      assert.equal(extra.received(), "", "and gets no answer");
      refused.push(extra);
    }
    // The established keep-alive connections are still served.
    for (const conn of held) assert.match(await healthz(conn), /^HTTP\/1\.1 200 /);
    // Freeing one slot lets a new connection in.
    const first = held.shift() as Conn;
    first.socket.destroy();
    await first.closed;
    await sleep(50);
    const fresh = await open(node.url);
    assert.match(await healthz(fresh), /^HTTP\/1\.1 200 /);
    for (const conn of [...held, fresh]) conn.socket.destroy();
    await Promise.all([...held, fresh].map((c) => c.closed));
    await sleep(50);
    assert.equal((await fetch(`${node.url}/healthz`)).status, 200);
  });
});
