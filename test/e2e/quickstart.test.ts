/**
 * The README's quickstart, run as written (issue 13, "Must show"). The five commands are read from
 * README.md between the `quickstart:begin` and `quickstart:end` markers, so the README and this test
 * cannot drift, and run in order on a clean data directory, a clean home (no stored session) and a clean
 * working directory (where `wallet.key` is created):
 *
 * 1. `npm install && npm start`: `npm start` is `node bin/tinycloud.js node` (checked in package.json), so
 *    the test spawns that, with the same defaults, only on free ports (the HTTP and chain ports) and a
 *    fresh `--data` directory; the proving keys come from the checkout's `.cache`, the cache the other
 *    e2e tests share (built on first use, minutes; then found in a second). Its status block must print
 *    step 5's command, ports aside, character for character.
 * 2.–5. each line with `npx tinycloud` run as `node bin/tinycloud.js` of this checkout (what npx resolves
 *    it to) and the two default URLs moved to the free ports; `login` reaches the node through
 *    $TINYCLOUD_NODE, its documented default. Every exit status is 0, and verify prints VERIFIED.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { killAllChildNodes, spawnChildNode, type ChildNode } from "../helpers/child-node.js";
import { until } from "../helpers/until.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const NODE_BIN = join(ROOT, "node_modules/.bin/node");
const CLI = join(ROOT, "bin/tinycloud.js");
/** The defaults the README's commands name: the node's and the embedded chain's. */
const DEFAULT_NODE = "http://127.0.0.1:8000";
const DEFAULT_RPC = "http://127.0.0.1:8545";

/** The commands of the README's quickstart block, in order. */
async function quickstartCommands(): Promise<string[]> {
  const readme = await readFile(join(ROOT, "README.md"), "utf8");
  const block = /<!-- quickstart:begin -->\n```sh\n([\s\S]*?)\n```\n<!-- quickstart:end -->/.exec(readme);
  assert.ok(block !== null, "README.md has a ```sh block between <!-- quickstart:begin --> and <!-- quickstart:end -->");
  return (block[1] as string).split("\n").filter((line) => line.trim() !== "");
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** One quickstart line in `sh`, in `cwd`, with `npx tinycloud` resolved to this checkout's CLI. */
function sh(line: string, cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
  const command = line.replace(/^npx tinycloud /, `"${NODE_BIN}" "${CLI}" `);
  return new Promise((resolve, reject) => {
    execFile("sh", ["-c", command], { cwd, env, timeout: 900_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error !== null && typeof error.code !== "number") return reject(error);
      resolve({ code: error === null ? 0 : (error.code as number), stdout, stderr });
    });
  });
}

describe("the README quickstart, as written", () => {
  const dirs: string[] = [];
  let child: ChildNode | undefined;
  after(async () => {
    await killAllChildNodes();
    // The killed node's anvil may still write its state file as it exits: retry while the directory fills.
    for (const dir of dirs) await rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  });

  test("five commands: start, log in, put, wait for the anchor, verify", { timeout: 3_600_000 }, async (t) => {
    const commands = await quickstartCommands();
    assert.equal(commands.length, 5, commands.join("\n"));
    const [start, login, put, wait, verify] = commands as [string, string, string, string, string];
    assert.equal(start, "npm install && npm start");
    const pkg = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
    assert.equal(pkg.scripts["start"], "node bin/tinycloud.js node", "npm start is the plain node command, which the test spawns");
    for (const line of [login, put, wait, verify]) assert.match(line, /^npx tinycloud /);

    const [port, chainPort] = [await freePort(), await freePort()];
    const data = await mkdtemp(join(tmpdir(), "tinycloud-quickstart-data-"));
    const home = await mkdtemp(join(tmpdir(), "tinycloud-quickstart-home-"));
    const cwd = await mkdtemp(join(tmpdir(), "tinycloud-quickstart-cwd-"));
    dirs.push(data, home, cwd);
    const nodeUrl = `http://127.0.0.1:${port}`;
    const rpcUrl = `http://127.0.0.1:${chainPort}`;
    const moved = (line: string) => line.replaceAll(DEFAULT_NODE, nodeUrl).replaceAll(DEFAULT_RPC, rpcUrl);

    // 1. npm start, on free ports and a clean data directory; keys from the shared cache.
    const started = Date.now();
    child = await spawnChildNode(data, { prove: true, timeoutMs: 120_000, extraArgs: ["--port", String(port), "--chain-port", String(chainPort)] });
    t.diagnostic(`listening after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const node = child;
    const printed = await until(() => /^\s+verify\s+(npx tinycloud verify .*)$/m.exec(node.stdout())?.[1], "the status block's verify line");
    assert.equal(printed?.replace("<key or uri>", "hello"), moved(verify), "the status block prints step 5, ready to paste");

    // 2.–5. in a clean home (no session yet) and working directory, as a user's second terminal.
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, TINYCLOUD_NODE: nodeUrl };
    for (const name of ["NODE_OPTIONS", "NODE_TEST_CONTEXT", "XDG_CONFIG_HOME", "TINYCLOUD_CONFIG_DIR", "TINYCLOUD_WALLET_KEY"]) delete env[name];
    const runs: Record<string, Run> = {};
    for (const [name, line] of [
      ["login", login],
      ["put", put],
      ["wait", wait],
      ["verify", verify],
    ] as const) {
      const at = Date.now();
      const run = await sh(moved(line), cwd, env);
      t.diagnostic(`${name}: exit ${run.code} in ${((Date.now() - at) / 1000).toFixed(1)} s\n${run.stdout}${run.stderr}`);
      assert.equal(run.code, 0, `${line}\n--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}\n--- node ---\n${child.stdout()}${child.stderr()}`);
      runs[name] = run;
    }
    assert.equal((await stat(join(cwd, "wallet.key"))).mode & 0o777, 0o600, "login created the wallet key, private");
    assert.match(runs["login"]?.stdout ?? "", /^signed in to tinycloud:pkh:eip155:1:0x[0-9a-fA-F]{40}:public$/m);
    assert.match(runs["put"]?.stdout ?? "", /^put hello: version 1, 12 bytes/);
    assert.match(runs["wait"]?.stderr ?? "", /^in batch \d+, /m, "wait says which batch holds the write");
    assert.match(runs["wait"]?.stdout ?? "", /^anchored: hello version 1 in batch \d+, block \d+ \(tx 0x[0-9a-f]{64}\)$/m);
    assert.match(runs["verify"]?.stdout ?? "", /^VERIFIED: tinycloud:pkh:eip155:1:0x[0-9a-fA-F]{40}:public\/kv\/hello = version 1 \(12 bytes\) at anchored batch \d+$/m);
  });
});
