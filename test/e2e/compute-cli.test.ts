/**
 * `tinycloud compute deploy|execute|inspect` against a live node: a session from `tinycloud login --compute`
 * deploys a .wasm file, executes it on KV values (printing the output, or --json, or storing it with
 * --output), inspects the deploy record; a bad module is one `error CODE: …` line and exit 1; --help
 * names the three commands.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { functionCid } from "../../core/compute/cid.js";
import { SHOUT, wat } from "../helpers/compute-modules.js";
import { startTestNode, type TestNode } from "../helpers/node.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const NODE_BIN = join(ROOT, "node_modules/.bin/node");
const CLI = join(ROOT, "bin/tinycloud.js");

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe("tinycloud compute (CLI)", () => {
  let node: TestNode;
  let dir: string;
  const run = (...args: string[]): Promise<Run> =>
    new Promise((resolve, reject) => {
      execFile(
        NODE_BIN,
        [CLI, ...args],
        { cwd: ROOT, timeout: 120_000, env: { ...process.env, TINYCLOUD_WALLET_KEY: `0x${"e7".repeat(32)}`, TINYCLOUD_CONFIG_DIR: join(dir, "config") } },
        (error, stdout, stderr) => {
          if (error !== null && typeof error.code !== "number") return reject(error);
          resolve({ code: error === null ? 0 : (error.code as number), stdout, stderr });
        },
      );
    });

  before(async () => {
    node = await startTestNode();
    dir = await mkdtemp(join(tmpdir(), "tc-compute-cli-"));
    await writeFile(join(dir, "shout.wasm"), wat(SHOUT));
    await writeFile(join(dir, "junk.wasm"), "not wasm at all");
    const login = await run("login", "--node", node.url, "--compute");
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stdout, /tinycloud\.compute\/execute/);
    assert.equal((await run("kv", "put", "notes/a", "hello compute")).code, 0);
  });
  after(async () => {
    await node.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("--help names deploy, execute and inspect", async () => {
    const help = await run("compute", "--help");
    assert.equal(help.code, 0);
    for (const command of ["deploy", "execute", "inspect"]) assert.match(help.stdout, new RegExp(`\\b${command}\\b`));
    assert.match((await run("compute", "execute", "--help")).stdout, /--input <key\[@version\]>/);
  });

  it("deploys, executes (stdout, --json, --output) and inspects", async () => {
    const deployed = await run("compute", "deploy", "shout", join(dir, "shout.wasm"), "--json");
    assert.equal(deployed.code, 0, deployed.stderr);
    const answer = JSON.parse(deployed.stdout) as { function_cid: string; record: string };
    assert.equal(answer.function_cid, functionCid(wat(SHOUT)));

    const plain = await run("compute", "execute", "shout", "--input", "notes/a");
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(plain.stdout, "HELLO COMPUTE");

    const json = await run("compute", "execute", "shout", "--input", "notes/a@1", "--output", "out/a", "--json");
    assert.equal(json.code, 0, json.stderr);
    const result = JSON.parse(json.stdout) as { output: string; output_cid: string; gas_used: string; stored: { key: string; version: number } };
    assert.equal(Buffer.from(result.output, "base64").toString(), "HELLO COMPUTE");
    assert.deepEqual([result.stored.key, result.stored.version], ["out/a", 1]);
    assert.equal((await run("kv", "get", "out/a")).stdout, "HELLO COMPUTE");

    const inspect = await run("compute", "inspect", "shout", "--json");
    assert.equal(inspect.code, 0, inspect.stderr);
    const record = JSON.parse(inspect.stdout) as { function_cid: string; record: string; abi: string };
    assert.equal(record.function_cid, answer.function_cid);
    assert.equal(record.record, answer.record);
    assert.equal(record.abi, "tc:compute/abi@1");
  });

  it("a bad module or a missing function is one error line", async () => {
    const bad = await run("compute", "deploy", "junk", join(dir, "junk.wasm"));
    assert.equal(bad.code, 1);
    assert.match(bad.stderr.trim(), /^error WASM_INVALID: .*\(HTTP 400\)$/);
    const missing = await run("compute", "execute", "nope");
    assert.equal(missing.code, 1);
    assert.match(missing.stderr.trim(), /^error COMPUTE_FUNCTION_NOT_FOUND: /);
    const usage = await run("compute", "execute", "shout", "--gas", "lots");
    assert.equal(usage.code, 2);
  });
});
