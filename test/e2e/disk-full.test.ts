/**
 * Faults (issue 12 §6): a full disk and a read-only data directory.
 *
 * Disk full is real: the data directory lives on a small tmpfs, filled with a file. Mounting needs root
 * (CAP_SYS_ADMIN); elsewhere the test is skipped and says why.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync, closeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { makeCapability } from "../../core/capability.js";
import { signIn } from "../../node/client/client.js";
import { startTestNode, type TestNode } from "../helpers/node.js";
import { CLI } from "../helpers/spawn-node.js";
import { until } from "../helpers/until.js";
import { testWallet } from "../helpers/wallets.js";

interface Answer {
  readonly status: number;
  readonly text: string;
}

async function request(url: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(url, init);
  return { status: response.status, text: await response.text() };
}

function assertError(answer: Answer, status: number, code: string): void {
  assert.equal(answer.status, status, `expected ${status} ${code}, got ${answer.status}: ${answer.text}`);
  assert.ok(answer.text.startsWith(`${code}: `) && answer.text.length > code.length + 2, `expected "${code}: <message>", got ${JSON.stringify(answer.text.slice(0, 200))}`);
}

/** Mount a tmpfs of `size` at a fresh directory, or say why not. */
function mountTmpfs(size: string): { dir: string } | { skip: string } {
  if (process.getuid?.() !== 0) return { skip: "mounting a small tmpfs for a real full disk needs root" };
  const dir = mkdtempSync(join(tmpdir(), "tinycloud-full-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir], { stdio: "pipe" });
    return { dir };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    return { skip: `mount -t tmpfs is not permitted here (${String((error as { stderr?: Buffer }).stderr ?? error).trim()})` };
  }
}

/** Write zeros until the file system says ENOSPC. */
function fill(file: string): void {
  const fd = openSync(file, "w");
  const page = Buffer.alloc(64 * 1024);
  try {
    for (;;) writeSync(fd, page);
  } catch (error) {
    if ((error as { code?: string }).code !== "ENOSPC") throw error;
  } finally {
    closeSync(fd);
  }
}

const mounted = mountTmpfs("16m");

describe("disk full", () => {
  let node: TestNode | undefined;
  after(async () => {
    await node?.stop();
    if ("dir" in mounted) {
      spawnSync("umount", [mounted.dir]);
      rmSync(mounted.dir, { recursive: true, force: true });
    }
  });

  test("attack: fill the node's disk → writes 507 INSUFFICIENT_STORAGE, reads served (replays still refused), /healthz 503 DEGRADED; freeing space recovers", {
    skip: "skip" in mounted ? mounted.skip : false,
  }, async () => {
    const dir = (mounted as { dir: string }).dir;
    const dataDir = join(dir, "data");
    node = await startTestNode({ dataDir, rollup: false });
    const url = node.url;
    const session = await signIn({ url, wallet: testWallet(0x61) });
    await session.kv.put("before", "stored before the disk filled");

    const filler = join(dir, "filler");
    fill(filler);
    const big = "x".repeat(256 * 1024);
    assertError(
      await request(`${url}/invoke`, {
        method: "POST",
        headers: { authorization: session.invocation([makeCapability(session.resource("kv", "big"), "tinycloud.kv/put")]), "content-type": "text/plain" },
        body: big,
      }),
      507,
      "INSUFFICIENT_STORAGE",
    );
    assertError(await request(`${url}/healthz`), 503, "DEGRADED");

    // Reads keep working. Each read's replay record is a small write: the first few may still fit in the
    // last page of LevelDB's log, the rest cannot, and every read is served all the same.
    const get = () => session.invocation([makeCapability(session.resource("kv", "before"), "tinycloud.kv/get")]);
    const reads: string[] = [];
    for (let i = 0; i < 80; i++) {
      const jwt = get();
      reads.push(jwt);
      const answer = await request(`${url}/invoke`, { method: "POST", headers: { authorization: jwt } });
      assert.equal(answer.status, 200, `read ${i} while the disk is full: ${answer.status} ${answer.text}`);
      assert.equal(answer.text, "stored before the disk filled");
    }
    assertError(await request(`${url}/healthz`), 503, "DEGRADED");
    // The replay guard holds while degraded: a read token used once is refused the second time.
    assertError(await request(`${url}/invoke`, { method: "POST", headers: { authorization: reads[reads.length - 1] as string } }), 409, "REPLAYED_INVOCATION");
    assertError(
      await request(`${url}/invoke`, {
        method: "POST",
        headers: { authorization: session.invocation([makeCapability(session.resource("kv", "small"), "tinycloud.kv/put")]), "content-type": "text/plain" },
        body: big,
      }),
      507,
      "INSUFFICIENT_STORAGE",
    );

    // Free the space: the store's probe notices, /healthz is 200 again, writes succeed, and the replay
    // records kept in memory meanwhile are now durable (a restart still refuses those tokens).
    rmSync(filler);
    await until(async () => (await request(`${url}/healthz`)).status === 200, "/healthz ok after space is freed", { timeoutMs: 15_000 });
    await session.kv.put("after", "written after recovery");
    assert.equal((await session.kv.get("after"))?.text(), "written after recovery");
    await node.close();
    node = await startTestNode({ dataDir, rollup: false });
    for (const jwt of [reads[0] as string, reads[reads.length - 1] as string]) {
      assertError(await request(`${node.url}/invoke`, { method: "POST", headers: { authorization: jwt } }), 409, "REPLAYED_INVOCATION");
    }
    assert.equal((await request(`${node.url}/healthz`)).status, 200);
  });
});

describe("read-only data directory", () => {
  test("error: `tinycloud node --data <read-only dir>` exits non-zero with one line, no stack trace", () => {
    const parent = mkdtempSync(join(tmpdir(), "tinycloud-ro-"));
    const dataDir = join(parent, "data");
    mkdirSync(dataDir);
    // Root ignores permission bits: make it read-only for root with a read-only bind mount instead.
    let unmount = false;
    try {
      if (process.getuid?.() === 0) {
        try {
          execFileSync("mount", ["--bind", "-o", "ro", dataDir, dataDir], { stdio: "pipe" });
          execFileSync("mount", ["-o", "remount,bind,ro", dataDir], { stdio: "pipe" });
          unmount = true;
        } catch {
          // No bind mounts here: fall back to the mode bits (effective only for a non-root user).
        }
      }
      if (!unmount) chmodSync(dataDir, 0o500);
      const result = spawnSync(process.execPath, [CLI, "node", "--port", "0", "--host", "127.0.0.1", "--no-prove", "--data", dataDir], { encoding: "utf8", timeout: 30_000 });
      assert.notEqual(result.status, 0, `the node must not start: ${result.stdout}${result.stderr}`);
      assert.equal(result.signal, null, "it exits by itself");
      const lines = result.stderr.trim().split("\n");
      assert.equal(lines.length, 1, `one line, got:\n${result.stderr}`);
      assert.match(lines[0] as string, /^tinycloud: data directory .* is not writable \((EACCES|EROFS|EPERM)\)/);
      assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
    } finally {
      if (unmount) spawnSync("umount", [dataDir]);
      chmodSync(dataDir, 0o700);
      rmSync(parent, { recursive: true, force: true });
    }
  });
});
