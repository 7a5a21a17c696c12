/**
 * The CLI as a user meets it (issue 13, "Console" and "Exit codes"), spawned as `bin/tinycloud.js`:
 * - exit codes, the same for every command: 0 ok (`--version`, `-V`), 2 usage error (an unknown option
 *   or command: commander's default was 1) or unreachable;
 * - one-line errors, no stack trace: a busy HTTP port; `verify` and `audit` against a closed port (both 2,
 *   "cannot reach <url>: connection refused", not "fetch failed"); an address that is not a
 *   TinyCloudAnchor, for verify, audit and `node --contract`;
 * - the console of a running node: one line per batch cut, with its size and time, and a final
 *   "stopped" line on SIGTERM.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcessByStdio } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import type { Readable } from "node:stream";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { freePort, startAnvil, type AnvilInstance } from "../../node/chain/anvil.js";
import { createChainClients } from "../../node/chain/clients.js";
import { signIn } from "../../node/client/client.js";
import { killAllChildNodes, spawnChildNode, type ChildNode } from "../helpers/child-node.js";
import { CLI } from "../helpers/spawn-node.js";
import { until } from "../helpers/until.js";
import { testWallet } from "../helpers/wallets.js";

const VERSION = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
/** An address with no code on a fresh anvil. */
const NOT_AN_ANCHOR = "0x00000000000000000000000000000000DeaDBeef";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `bin/tinycloud.js <args>` as a user runs it (the test runner's environment, plus `env`). */
function tinycloud(args: readonly string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<Run> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete childEnv["NODE_OPTIONS"];
  delete childEnv["NODE_TEST_CONTEXT"];
  return collect(spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"], env: childEnv }), timeoutMs);
}

function collect(child: ChildProcessByStdio<null, Readable, Readable>, timeoutMs: number): Promise<Run> {
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
  child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  return new Promise((resolve) =>
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

function assertOneLine(run: Run, pattern: RegExp): void {
  assert.doesNotMatch(run.stderr, /\n\s+at /, `no stack trace:\n${run.stderr}`);
  const lines = run.stderr
    .trim()
    .split("\n")
    .filter((l) => !/^WARNING|^\(add --help/.test(l));
  assert.equal(lines.length, 1, `one line, got:\n${run.stderr}`);
  assert.match(lines[0] as string, pattern);
}

describe("tinycloud CLI: exit codes and one-line errors", () => {
  const dirs: string[] = [];
  after(async () => {
    await killAllChildNodes();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  test("--version and -V print the package version, exit 0", async () => {
    for (const flag of ["--version", "-V"]) {
      const run = await tinycloud([flag]);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout.trim(), VERSION);
    }
  });

  test("usage errors exit 2 (an unknown option, an unknown command); --help exits 0", async () => {
    const option = await tinycloud(["node", "--no-such-option"]);
    assert.equal(option.code, 2, option.stderr);
    assert.match(option.stderr, /unknown option '--no-such-option'/);
    const command = await tinycloud(["no-such-command"]);
    assert.equal(command.code, 2, command.stderr);
    const help = await tinycloud(["verify", "--help"]);
    assert.equal(help.code, 0, help.stderr);
  });

  test("a busy HTTP port: one line, exit 2, no stack trace", async () => {
    const busy: Server = createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    const port = (busy.address() as { port: number }).port;
    const data = await mkdtemp(join(tmpdir(), "tinycloud-busy-"));
    dirs.push(data);
    try {
      const run = await tinycloud(["node", "--port", String(port), "--host", "127.0.0.1", "--no-prove", "--data", data]);
      assert.equal(run.code, 2, `${run.stdout}\n${run.stderr}`);
      assertOneLine(run, new RegExp(`^tinycloud: port ${port} on 127\\.0\\.0\\.1 is in use \\(another node\\?\\); pick another with --port$`));
    } finally {
      busy.close();
    }
  });

  test("verify and audit against a closed port agree: exit 2, 'cannot reach <url>: connection refused'", async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const verify = await tinycloud(["verify", "tinycloud:pkh:eip155:1:0x0000000000000000000000000000000000000001:public/kv/a", "--node", closed, "--rpc", closed, "--contract", NOT_AN_ANCHOR]);
    assert.equal(verify.code, 2, verify.stdout + verify.stderr);
    assertOneLine(verify, new RegExp(`cannot reach ${closed}: connection refused$`));
    const audit = await tinycloud(["audit", "--batch", "1", "--node", closed]);
    assert.equal(audit.code, 2, audit.stdout + audit.stderr);
    assertOneLine(audit, new RegExp(`cannot reach ${closed}: connection refused$`));
    const latest = await tinycloud(["audit", "--batch", "latest", "--node", closed]);
    assert.equal(latest.code, 2, latest.stdout + latest.stderr);
    assertOneLine(latest, new RegExp(`cannot reach ${closed}: connection refused$`));
  });

  describe("against a running node and a chain", () => {
    let anvil: AnvilInstance;
    let node: ChildNode;
    before(async () => {
      anvil = await startAnvil();
      const data = await mkdtemp(join(tmpdir(), "tinycloud-console-"));
      dirs.push(data);
      node = await spawnChildNode(data, { extraArgs: ["--batch-delay-ms", "50"], timeoutMs: 60_000 });
    });
    after(async () => {
      await anvil?.stop();
    });

    test("a wrong contract address: verify, audit and node --contract say it is not a TinyCloudAnchor, exit 2", async () => {
      const notAnchor = new RegExp(`${NOT_AN_ANCHOR} is not a TinyCloudAnchor on chain ${anvil.chainId} \\(no contract code at this address\\)$`);
      const verify = await tinycloud([
        "verify",
        "tinycloud:pkh:eip155:1:0x0000000000000000000000000000000000000001:public/kv/a",
        "--node",
        node.url,
        "--rpc",
        anvil.rpcUrl,
        "--contract",
        NOT_AN_ANCHOR,
      ]);
      assert.equal(verify.code, 2, verify.stdout + verify.stderr);
      assertOneLine(verify, notAnchor);
      const audit = await tinycloud(["audit", "--batch", "1", "--node", node.url, "--rpc", anvil.rpcUrl, "--contract", NOT_AN_ANCHOR]);
      assert.equal(audit.code, 2, audit.stdout + audit.stderr);
      assertOneLine(audit, notAnchor);
      const data = await mkdtemp(join(tmpdir(), "tinycloud-wrong-anchor-"));
      dirs.push(data);
      const started = await tinycloud(["node", "--port", "0", "--host", "127.0.0.1", "--data", data, "--rpc", anvil.rpcUrl, "--contract", NOT_AN_ANCHOR], {
        TINYCLOUD_SEQUENCER_KEY: anvil.accounts[0]!.privateKey,
      });
      assert.equal(started.code, 2, started.stdout + started.stderr);
      assertOneLine(started, notAnchor);
    });

    test("a contract that is not an anchor (it answers 42 to every call): verify and node --contract refuse it, exit 2", async () => {
      // Runtime code PUSH1 42 PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN, behind init code that copies it out:
      // every view of the anchor's ABI decodes, so only the genesis check can tell.
      const clients = createChainClients({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId, privateKey: anvil.accounts[1]!.privateKey });
      const hash = await clients.walletClient!.sendTransaction({ account: clients.account!, chain: clients.chain, data: "0x600a600c600039600a6000f3602a60005260206000f3" });
      const receipt = await clients.publicClient.waitForTransactionReceipt({ hash });
      const fake = receipt.contractAddress!;
      const notAnchor = (why: string) => new RegExp(`${fake} is not a TinyCloudAnchor on chain ${anvil.chainId} \\(${why}\\)$`, "i");
      const verify = await tinycloud(["verify", "tinycloud:pkh:eip155:1:0x0000000000000000000000000000000000000001:public/kv/a", "--node", node.url, "--rpc", anvil.rpcUrl, "--contract", fake]);
      assert.equal(verify.code, 2, verify.stdout + verify.stderr);
      assertOneLine(verify, notAnchor("its genesis root is not the empty state tree"));
      const data = await mkdtemp(join(tmpdir(), "tinycloud-fake-anchor-"));
      dirs.push(data);
      const started = await tinycloud(["node", "--port", "0", "--host", "127.0.0.1", "--data", data, "--rpc", anvil.rpcUrl, "--contract", fake], {
        TINYCLOUD_SEQUENCER_KEY: anvil.accounts[0]!.privateKey,
      });
      assert.equal(started.code, 2, started.stdout + started.stderr);
      assertOneLine(started, notAnchor("roots\\(0\\) is not the empty state tree of depth 16"));
    });

    test("the console: one line per batch cut (size, time); SIGTERM ends with a 'stopped' line, exit 0", async () => {
      const session = await signIn({ url: node.url, wallet: testWallet(0x13) });
      await session.kv.put("a", "1");
      await session.kv.put("b", "2");
      await until(() => /^batch \d+ cut: \d+ updates? \(\d+ ms\)$/m.test(node.stdout()), "a 'batch N cut' line", { timeoutMs: 30_000, intervalMs: 50 });
      node.process.kill("SIGTERM");
      await node.exited();
      assert.equal(node.process.exitCode, 0, node.stderr());
      const lines = node.stdout().trim().split("\n");
      assert.match(lines[lines.length - 1] as string, /^stopped \(\d+\.\d s\)$/, node.stdout().slice(-400));
    });
  });
});
