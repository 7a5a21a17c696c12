/**
 * `tinycloud kv wait` when the write is NOT anchored (the quickstart test covers the anchored case), and
 * `verify <key>` without a session: each one line on stderr and the documented exit status.
 *
 * - keys still building (a build that never ends): the progress line names the batch and the keys, then
 *   `--timeout` ends it with exit 1 (WAIT_TIMEOUT);
 * - keys that failed: exit 1 (NOT_ANCHORING), at once;
 * - a node that does not prove: exit 1 (NOT_ANCHORING); a key never written: exit 1 (KV_NOT_FOUND);
 * - a bad --timeout: exit 2 (CLI_USAGE); the node gone: exit 2 (NODE_UNREACHABLE);
 * - `verify hello` with no session to resolve the key in: exit 2.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { KeyBuilder } from "../../node/rollup/key-build.js";
import { startNode } from "../../node/server/node.js";
import { startTestNode, type TestNode } from "../helpers/node.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const NODE_BIN = join(ROOT, "node_modules/.bin/node");
const CLI = join(ROOT, "bin/tinycloud.js");

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The CLI with its own config dir and wallet key, as a user runs it. */
function tinycloud(configDir: string, ...args: string[]): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, TINYCLOUD_CONFIG_DIR: configDir, TINYCLOUD_WALLET_KEY: `0x${"5a".repeat(32)}` };
  delete env["NODE_TEST_CONTEXT"];
  delete env["NODE_OPTIONS"];
  return new Promise((resolve, reject) => {
    execFile(NODE_BIN, [CLI, ...args], { cwd: ROOT, env, timeout: 180_000 }, (error, stdout, stderr) => {
      if (error !== null && typeof error.code !== "number") return reject(error);
      resolve({ code: error === null ? 0 : (error.code as number), stdout, stderr });
    });
  });
}

/** The last stderr line is `error CODE: …`, and the exit status is `exit`. */
function assertFails(run: Run, exit: number, code: string, pattern: RegExp = /./): void {
  assert.equal(run.code, exit, `exit status (stdout: ${run.stdout}, stderr: ${run.stderr})`);
  const last = run.stderr.trimEnd().split("\n").at(-1) ?? "";
  assert.match(last, new RegExp(`^error ${code}: `), run.stderr);
  assert.match(last, pattern);
}

const neverReady: KeyBuilder = () => ({ done: new Promise(() => undefined), planned: Promise.resolve(), progress: () => undefined, close: async () => undefined });
const failing: KeyBuilder = () => ({
  done: Promise.reject(Object.assign(new Error("the build broke"), { code: "SETUP_FAILED" })),
  planned: Promise.resolve(),
  progress: () => undefined,
  close: async () => undefined,
});

describe("tinycloud kv wait: a write that is not anchored", () => {
  const dirs: string[] = [];
  const nodes: TestNode[] = [];
  after(async () => {
    for (const node of nodes) await node.stop();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });
  const configDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), "tinycloud-wait-"));
    dirs.push(dir);
    return dir;
  };

  test("keys still building: where the write is, then --timeout ends it (exit 1)", async () => {
    const node = await startTestNodeWith(neverReady, nodes);
    const config = await configDir();
    assert.equal((await tinycloud(config, "login", "--node", node.url, "--space", "public")).code, 0);
    assert.equal((await tinycloud(config, "kv", "put", "hello", "world")).code, 0);
    const run = await tinycloud(config, "kv", "wait", "hello", "--timeout", "4s");
    assert.match(run.stderr, /^in batch 1, waiting for the proving keys \(0% built, an estimate\), then proving \(est\. \d+ s\)$/m);
    assertFails(run, 1, "WAIT_TIMEOUT", /not anchored within 4 s: in batch 1, waiting for the proving keys/);
    assert.equal(run.stdout, "");
    assertFails(await tinycloud(config, "kv", "wait", "never-written"), 1, "KV_NOT_FOUND");
    assertFails(await tinycloud(config, "kv", "wait", "hello", "--timeout", "soon"), 2, "CLI_USAGE", /--timeout/);
    await node.stop();
    assertFails(await tinycloud(config, "kv", "wait", "hello"), 2, "NODE_UNREACHABLE", /connection refused/);
  });

  test("keys that failed: exit 1 at once", async () => {
    const node = await startTestNodeWith(failing, nodes);
    const config = await configDir();
    assert.equal((await tinycloud(config, "login", "--node", node.url)).code, 0);
    assert.equal((await tinycloud(config, "kv", "put", "a", "1")).code, 0);
    assertFails(await tinycloud(config, "kv", "wait", "a"), 1, "NOT_ANCHORING", /proving keys failed: SETUP_FAILED: the build broke/);
  });

  test("a node that does not prove: exit 1 at once", async () => {
    const node = await startTestNode();
    nodes.push(node);
    const config = await configDir();
    assert.equal((await tinycloud(config, "login", "--node", node.url)).code, 0);
    assert.equal((await tinycloud(config, "kv", "put", "a", "1")).code, 0);
    assertFails(await tinycloud(config, "kv", "wait", "a"), 1, "NOT_ANCHORING", /does not prove/);
  });

  test("verify <key> with no session to take the key from: exit 2", async () => {
    const run = await tinycloud(await configDir(), "verify", "--node", "http://127.0.0.1:9", "--rpc", "http://127.0.0.1:9", "--contract", `0x${"11".repeat(20)}`, "hello");
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr.trim(), /^verify: "hello" is not a tinycloud: URI, and there is no session in \S+ to take it as a key of/);
  });
});

/** A proving, anchoring node (embedded chain) whose key build is `buildKeys`. */
async function startTestNodeWith(buildKeys: KeyBuilder, nodes: TestNode[]): Promise<TestNode> {
  const dataDir = await mkdtemp(join(tmpdir(), "tinycloud-wait-node-"));
  const node = await startNode({ port: 0, host: "127.0.0.1", dataDir, quiet: true, prove: true, chain: "embedded", chainPort: 0, batchMaxDelayMs: 50 }, { buildKeys });
  let stopped = false;
  const handle: TestNode = {
    ...node,
    dataDir,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await node.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  nodes.push(handle);
  return handle;
}
