/**
 * The batch-read bomb (issue 12, "batch reads"): one ~16 KB invocation carrying 100 kv/get capabilities
 * on aliases of one 10 MB value (`big`, `big?after=1`, …) once took 2.3 GB of memory and 24 s, then a
 * 500, while /healthz stalled for 11 s. Here the exact attack runs three times at once against a node in
 * a child process (so its memory is its own, read from /proc/<pid>/status), /healthz is polled every
 * 50 ms throughout, and the node's peak RSS is sampled every 20 ms.
 *
 * Also: the limits in detail (aliases, x-tinycloud-max-response-bytes on a whole batch, a batch within
 * the budget served byte-exact). The node-wide budget's waiting and 503: test/unit/response-budget.test.ts.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { makeCapability } from "../../core/capability.js";
import { signIn, type TinyCloudSession } from "../../node/client/client.js";
import { killAllChildNodes, spawnChildNode, type ChildNode } from "../helpers/child-node.js";
import { startTestNode, type TestNode } from "../helpers/node.js";
import { testWallet } from "../helpers/wallets.js";

/** The bound the child's resident memory must stay under during the attack (measured peak: see the diagnostics). */
const RSS_BOUND_MB = 600;
const HEALTHZ_BOUND_MS = 200;
const TEN_MB = 10_000_000;

interface Answer {
  readonly status: number;
  readonly text: string;
  readonly headers: Headers;
}

async function invoke(url: string, jwt: string, headers: Record<string, string> = {}, body?: Uint8Array): Promise<Answer> {
  const response = await fetch(`${url}/invoke`, { method: "POST", headers: { authorization: jwt, ...headers }, ...(body !== undefined ? { body: body as unknown as BodyInit } : {}) });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

function assertError(answer: Answer, status: number, code: string): void {
  assert.equal(answer.status, status, `expected ${status} ${code}, got ${answer.status}: ${answer.text.slice(0, 300)}`);
  assert.ok(answer.text.startsWith(`${code}: `), `expected "${code}: …", got ${JSON.stringify(answer.text.slice(0, 200))}`);
}

/** The attack's invocation: kv/get on `key` and 99 aliases of it (resource queries that name the same entry). */
function aliasBomb(session: TinyCloudSession, key: string): string {
  const aliases = [key, ...Array.from({ length: 99 }, (_, i) => `${key}?after=${i + 1}`)];
  return session.invocation(aliases.map((path) => makeCapability(session.resource("kv", path), "tinycloud.kv/get")));
}

function batch(session: TinyCloudSession, paths: readonly string[], ability = "tinycloud.kv/get"): string {
  return session.invocation(paths.map((path) => makeCapability(session.resource("kv", path), ability)));
}

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]);
  return kb / 1024;
}

function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let at = 0; at < n; at += 65_536) crypto.getRandomValues(out.subarray(at, Math.min(n, at + 65_536)));
  return out;
}

describe("batch-read bomb: three concurrent 100-alias batches of a 10 MB value (child node)", () => {
  let dataDir: string;
  let child: ChildNode;
  let session: TinyCloudSession;
  const big = randomBytes(TEN_MB);

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "tinycloud-bomb-"));
    // The attack's token is ~16 KB; the header block limit is raised so the node, not the HTTP parser, meets it.
    child = await spawnChildNode(dataDir, { timeoutMs: 60_000, extraArgs: ["--max-header-bytes", "65536"] });
    session = await signIn({ url: child.url, wallet: testWallet(0xb0) });
    const put = await invoke(child.url, batch(session, ["big"], "tinycloud.kv/put"), { "content-type": "application/octet-stream" }, big);
    assert.equal(put.status, 200, put.text);
  });
  after(async () => {
    await killAllChildNodes();
    await rm(dataDir, { recursive: true, force: true });
  });

  test("attack: each is refused with 413 RESPONSE_TOO_LARGE before a byte is read; RSS stays bounded, /healthz answers within 200 ms throughout", async (t) => {
    const tokens = [aliasBomb(session, "big"), aliasBomb(session, "big"), aliasBomb(session, "big")];
    t.diagnostic(`attack token: ${tokens[0]?.length} bytes`);
    const baseline = await rssMb(child.pid);

    let attacking = true;
    const healthz: number[] = [];
    const healthzStatuses: number[] = [];
    const poll = (async () => {
      while (attacking) {
        const started = performance.now();
        const response = await fetch(`${child.url}/healthz`);
        await response.text();
        healthz.push(performance.now() - started);
        healthzStatuses.push(response.status);
        await sleep(50);
      }
    })();
    let peak = baseline;
    const sample = (async () => {
      while (attacking) {
        // A child that died (out of memory) has no /proc entry: the assertions below report it.
        peak = Math.max(peak, await rssMb(child.pid).catch(() => peak));
        await sleep(20);
      }
    })();

    await sleep(200); // /healthz polled before the attack too
    const started = performance.now();
    const answers = await Promise.all(tokens.map((jwt) => invoke(child.url, jwt)));
    const attackMs = performance.now() - started;
    await sleep(300); // and after it
    attacking = false;
    await Promise.all([poll, sample]);

    t.diagnostic(`RSS baseline ${baseline.toFixed(0)} MB, peak ${peak.toFixed(0)} MB (bound ${RSS_BOUND_MB} MB); attack answered in ${attackMs.toFixed(0)} ms`);
    t.diagnostic(`/healthz: ${healthz.length} polls, slowest ${Math.max(...healthz).toFixed(1)} ms (bound ${HEALTHZ_BOUND_MS} ms)`);
    for (const answer of answers) {
      assert.ok(answer.status < 500, `no 5xx: got ${answer.status} ${answer.text.slice(0, 200)}`);
      assertError(answer, 413, "RESPONSE_TOO_LARGE");
      assert.match(answer.text, /above this node's limit of \d+ bytes per response/);
    }
    assert.ok(peak < RSS_BOUND_MB, `peak RSS ${peak.toFixed(0)} MB is over the ${RSS_BOUND_MB} MB bound`);
    assert.ok(healthz.length >= 5, "/healthz was polled throughout");
    assert.ok(
      healthzStatuses.every((s) => s === 200),
      `/healthz answered ${healthzStatuses.filter((s) => s !== 200).join(",")}`,
    );
    assert.ok(Math.max(...healthz) < HEALTHZ_BOUND_MS, `/healthz took ${Math.max(...healthz).toFixed(0)} ms at worst`);

    // Healthy after: /healthz, and the value itself still reads.
    assert.equal((await fetch(`${child.url}/healthz`)).status, 200);
    const read = await fetch(`${child.url}/invoke`, { method: "POST", headers: { authorization: batch(session, ["big"]) } });
    assert.equal(read.status, 200);
    assert.equal(Buffer.compare(Buffer.from(await read.arrayBuffer()), Buffer.from(big)), 0);
  });
});

describe("batch reads: the response limits in detail", () => {
  let node: TestNode;
  let session: TinyCloudSession;
  const value = (n: number, fill: number) => new Uint8Array(n).fill(fill);

  before(async () => {
    // A small per-response limit: 64 KiB.
    node = await startTestNode({ maxResponseBytes: 64 * 1024 });
    session = await signIn({ url: node.url, wallet: testWallet(0xb1) });
    for (const [key, bytes] of [
      ["a", value(20_000, 0x61)],
      ["b", value(20_000, 0x62)],
      ["c", value(30_000, 0x63)],
      ["small", value(10, 0x73)],
    ] as const) {
      assert.equal((await invoke(node.url, batch(session, [key], "tinycloud.kv/put"), {}, bytes)).status, 200);
    }
  });
  after(async () => {
    await node.stop();
  });

  test("default: a batch within the budget is served, every value byte-exact, missing keys reported", async () => {
    const answer = await invoke(node.url, batch(session, ["a", "b", "missing"]));
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.headers.get("content-length"), String(Buffer.byteLength(answer.text)));
    const { results } = JSON.parse(answer.text) as { results: { key: string; ok: boolean; dataBase64?: string; headers?: Record<string, string>; error?: { code: string } }[] };
    assert.deepEqual(
      results.map((r) => [r.key, r.ok]),
      [
        ["a", true],
        ["b", true],
        ["missing", false],
      ],
    );
    assert.deepEqual(Buffer.from(results[0]?.dataBase64 ?? "", "base64"), Buffer.from(value(20_000, 0x61)));
    assert.deepEqual(Buffer.from(results[1]?.dataBase64 ?? "", "base64"), Buffer.from(value(20_000, 0x62)));
    assert.equal(results[0]?.headers?.["x-tinycloud-size"], "20000");
    assert.equal(results[2]?.error?.code, "KV_NOT_FOUND");
  });

  test("attack: two capabilities naming one entry (key, key?after=1) → 400 BATCH_ALIAS, even when small", async () => {
    assertError(await invoke(node.url, batch(session, ["small", "small?after=1"])), 400, "BATCH_ALIAS");
    assertError(await invoke(node.url, batch(session, ["small", "small?limit=1"], "tinycloud.kv/metadata")), 400, "BATCH_ALIAS");
    // Two versions of one key are two entries.
    await invoke(node.url, batch(session, ["small"], "tinycloud.kv/put"), {}, value(5, 0x74));
    const versions = await invoke(node.url, batch(session, ["small?version=1", "small?version=2"]));
    assert.equal(versions.status, 200, versions.text);
    // …but version=2 is the current version: an alias of "small".
    assertError(await invoke(node.url, batch(session, ["small", "small?version=2"])), 400, "BATCH_ALIAS");
    assert.equal((await fetch(`${node.url}/healthz`)).status, 200);
  });

  test("attack: a batch over the per-request budget → 413 RESPONSE_TOO_LARGE (a, b, c: ~93 KB of base64)", async () => {
    const answer = await invoke(node.url, batch(session, ["a", "b", "c"]));
    assertError(answer, 413, "RESPONSE_TOO_LARGE");
    assert.match(answer.text, /the batch's response \(3 results\) is \d+ bytes, above this node's limit of 65536 bytes per response/);
    assert.equal((await fetch(`${node.url}/healthz`)).status, 200);
  });

  test("args: x-tinycloud-max-response-bytes applies to the whole batch (413 over it, 200 under); a malformed one → 400", async () => {
    assertError(await invoke(node.url, batch(session, ["a", "b"]), { "x-tinycloud-max-response-bytes": "30000" }), 413, "RESPONSE_TOO_LARGE");
    assert.equal((await invoke(node.url, batch(session, ["a", "b"]), { "x-tinycloud-max-response-bytes": "60000" })).status, 200);
    assertError(await invoke(node.url, batch(session, ["a", "b"]), { "x-tinycloud-max-response-bytes": "lots" }), 400, "BAD_MAX_RESPONSE_BYTES");
  });
});
