/**
 * The space client (issue 13), driven as a user drives it: `bin/tinycloud.js` spawned with a temp config
 * dir and the wallet key in $TINYCLOUD_WALLET_KEY, against a live node. login, kv put/get/ls/versions/head/rm,
 * share (to a DID and as a link), revoke (the revoked link then fails with 401 AUTH_REVOKED), spaces;
 * every --json output parses; bad input is one line on stderr with exit 2; the session file is private.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { ed25519Signer } from "../../core/keys.js";
import { openShareLink, TinyCloudHttpError } from "../../node/client/client.js";
import { startTestNode, type TestNode } from "../helpers/node.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const NODE_BIN = join(ROOT, "node_modules/.bin/node");
const CLI = join(ROOT, "bin/tinycloud.js");
const WALLET_KEY = `0x${"c3".repeat(32)}`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: readonly string[], env: Record<string, string | undefined>, stdin?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      NODE_BIN,
      [CLI, ...args],
      { cwd: ROOT, timeout: 120_000, env: { ...process.env, TINYCLOUD_WALLET_KEY: undefined, TINYCLOUD_CONFIG_DIR: undefined, ...env } },
      (error, stdout, stderr) => {
        if (error !== null && typeof error.code !== "number") return reject(error);
        resolve({ code: error === null ? 0 : (error.code as number), stdout, stderr });
      },
    );
    child.stdin?.end(stdin ?? "");
  });
}

/** A usage failure: exit 2, exactly one line on stderr that names the code, nothing on stdout. */
function assertOneLineError(run: Run, code: string, pattern: RegExp): void {
  assert.equal(run.code, 2, `exit code (stderr: ${run.stderr})`);
  const lines = run.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `one stderr line, got: ${run.stderr}`);
  assert.match(lines[0] as string, new RegExp(`^error ${code}: `));
  assert.match(lines[0] as string, pattern);
  assert.equal(run.stdout, "");
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("tinycloud space client (login, kv, share, revoke, spaces)", () => {
  let node: TestNode;
  let dir: string;
  let env: Record<string, string>;
  const run = (...args: string[]) => cli(args, env);
  const json = async <T>(...args: string[]): Promise<T> => {
    const result = await run(...args, "--json");
    assert.equal(result.code, 0, `${args.join(" ")}: ${result.stderr}`);
    return JSON.parse(result.stdout) as T;
  };

  before(async () => {
    node = await startTestNode();
    dir = await mkdtemp(join(tmpdir(), "tinycloud-cli-"));
    env = { TINYCLOUD_CONFIG_DIR: join(dir, "config"), TINYCLOUD_WALLET_KEY: WALLET_KEY, TINYCLOUD_NODE: node.url };
  });
  after(async () => {
    await node.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("kv before login says to log in (exit 2)", async () => {
    assertOneLineError(await run("kv", "get", "a"), "CLI_NO_SESSION", /run tinycloud login/);
  });

  it("login stores a private session (dir 0700, file 0600, no wallet key in it)", async () => {
    const login = await json<{ spaceId: string; node: string; expiresAt: number; abilities: string[]; sessionFile: string }>("login", "--expires", "2h");
    assert.equal(login.node, node.url);
    assert.match(login.spaceId, /^tinycloud:pkh:eip155:1:0x[0-9a-fA-F]{40}:default$/);
    assert.ok(Math.abs(login.expiresAt - (Math.floor(Date.now() / 1000) + 7200)) < 120);
    assert.equal(login.abilities.length, 5);
    assert.equal((await stat(join(dir, "config"))).mode & 0o777, 0o700);
    assert.equal((await stat(login.sessionFile)).mode & 0o777, 0o600);
    const text = await readFile(login.sessionFile, "utf8");
    assert.ok(!text.includes("c3c3c3c3"), "the wallet key is not stored");
    const human = await run("spaces");
    assert.equal(human.code, 0);
    assert.ok(human.stdout.includes(login.spaceId) && human.stdout.includes(node.url), human.stdout);
    const spaces = await json<{ spaces: { spaceId: string; node: string; expiresAt: number; current: boolean }[] }>("spaces");
    assert.deepEqual(
      spaces.spaces.map((s) => [s.spaceId, s.node, s.expiresAt, s.current]),
      [[login.spaceId, node.url, login.expiresAt, true]],
    );
  });

  it("login also reads the key from --wallet-key-file", async () => {
    const keyFile = join(dir, "wallet.key");
    await writeFile(keyFile, `${WALLET_KEY}\n`, { mode: 0o600 });
    const result = await cli(["login", "--wallet-key-file", keyFile, "--node", node.url, "--config-dir", join(dir, "config2"), "--json"], {});
    assert.equal(result.code, 0, result.stderr);
    assert.match((JSON.parse(result.stdout) as { spaceId: string }).spaceId, /:default$/);
  });

  it("put, get, ls, versions, head, rm", async () => {
    assert.equal((await json<{ version: number }>("kv", "put", "notes/a.txt", "hello")).version, 1);
    const put2 = await run("kv", "put", "notes/a.txt", "hello again");
    assert.equal(put2.code, 0, put2.stderr);
    assert.match(put2.stdout, /^put notes\/a.txt: version 2/);
    const file = join(dir, "blob.bin");
    await writeFile(file, new Uint8Array([0, 255, 1, 254]));
    await json("kv", "put", "notes/b.bin", "--file", file);

    const piped = await cli(["kv", "put", "notes/c.json", "--file", "-", "--content-type", "application/json", "--json"], env, '{"piped":true}');
    assert.equal(piped.code, 0, piped.stderr);
    const c = await json<{ text: string; contentType: string }>("kv", "get", "notes/c.json");
    assert.deepEqual([c.text, c.contentType], ['{"piped":true}', "application/json"]);
    assert.equal((await run("kv", "rm", "notes/c.json")).code, 0);

    const get = await run("kv", "get", "notes/a.txt");
    assert.equal(get.code, 0);
    assert.equal(get.stdout, "hello again");
    const old = await json<{ version: number; text: string }>("kv", "get", "notes/a.txt", "--version", "1");
    assert.deepEqual([old.version, old.text], [1, "hello"]);
    const bin = await json<{ base64: string; contentType: string }>("kv", "get", "notes/b.bin");
    assert.equal(bin.base64, Buffer.from([0, 255, 1, 254]).toString("base64"));
    assert.equal(bin.contentType, "application/octet-stream");
    const out = join(dir, "out.bin");
    assert.equal((await run("kv", "get", "notes/b.bin", "--out", out)).code, 0);
    assert.deepEqual(new Uint8Array(await readFile(out)), new Uint8Array([0, 255, 1, 254]));

    assert.deepEqual((await json<{ keys: string[] }>("kv", "ls", "notes")).keys.sort(), ["notes/a.txt", "notes/b.bin"]);
    assert.deepEqual((await run("kv", "ls")).stdout.trim().split("\n").sort(), ["notes/a.txt", "notes/b.bin"]);
    const versions = await json<{ versions: { version: number; deleted: boolean }[] }>("kv", "versions", "notes/a.txt");
    assert.deepEqual(
      versions.versions.map((v) => v.version),
      [1, 2],
    );
    const head = await json<{ headers: Record<string, string> }>("kv", "head", "notes/a.txt");
    assert.equal(head.headers["x-tinycloud-version"], "2");

    assert.equal((await json<{ deleted: boolean }>("kv", "rm", "notes/b.bin")).deleted, true);
    const gone = await run("kv", "get", "notes/b.bin");
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /^error KV_NOT_FOUND: /);
    assert.deepEqual((await json<{ keys: string[] }>("kv", "ls", "notes")).keys, ["notes/a.txt"]);
    assert.deepEqual(
      (await json<{ versions: { deleted: boolean }[] }>("kv", "versions", "notes/b.bin")).versions.map((v) => v.deleted),
      [false, true],
    );
  });

  it("share to a DID and as a link; a revoked share link fails with 401 AUTH_REVOKED", async () => {
    const friend = ed25519Signer(new Uint8Array(32).fill(0x44));
    const toDid = await json<{ cid: string; link: string | null; to: string }>("share", "notes", "--to", friend.did, "--abilities", "get");
    assert.match(toDid.cid, /^b/);
    assert.equal(toDid.link, null);
    assert.equal(toDid.to, friend.did);

    const human = await run("share", "notes", "--expires", "10m");
    assert.equal(human.code, 0, human.stderr);
    const link = human.stdout.match(/^tc1:\S+$/m)?.[0];
    const cid = human.stdout.match(/^delegation (\S+)$/m)?.[1];
    assert.ok(link !== undefined && cid !== undefined, human.stdout);
    const guest = await openShareLink(link);
    assert.equal((await guest.kv.get("notes/a.txt"))?.text(), "hello again");

    const revoked = await json<{ revoked: string }>("revoke", cid);
    assert.equal(revoked.revoked, cid);
    await assert.rejects(guest.kv.get("notes/a.txt"), (error: unknown) => error instanceof TinyCloudHttpError && error.status === 401 && error.code === "AUTH_REVOKED");
    // The owner's session is untouched, and the node is healthy.
    assert.equal((await run("kv", "get", "notes/a.txt")).stdout, "hello again");
    assert.equal((await fetch(`${node.url}/healthz`)).status, 200);
  });

  it("bad input: one line on stderr, exit 2", async () => {
    assertOneLineError(await run("kv", "frobnicate"), "CLI_USAGE", /unknown command 'frobnicate'/);
    assertOneLineError(await run("kv", "get"), "CLI_USAGE", /missing required argument 'key'/);
    assertOneLineError(await run("kv", "get", "notes/a.txt", "--version", "two"), "CLI_USAGE", /--version "two" is not a positive integer/);
    assertOneLineError(await run("kv", "get", "notes/a.txt", "--version", "0"), "CLI_USAGE", /not a positive integer/);
    assertOneLineError(await run("kv", "ls", "--limit", "-3"), "CLI_USAGE", /--limit "-3" is not a positive integer/);
    assertOneLineError(await run("kv", "put", "k"), "CLI_USAGE", /give the value/);
    assertOneLineError(await run("share", "notes", "--to", "bob"), "CLI_USAGE", /is not a DID/);
    assertOneLineError(await run("revoke", "not-a-cid"), "CLI_USAGE", /is not a CID/);
    assertOneLineError(await run("login", "--expires", "soon"), "CLI_USAGE", /is not a duration/);
    assertOneLineError(await run("login", "--abilities", "get,fly"), "CLI_USAGE", /unknown ability "fly"/);
    // The wallet key on the command line is refused, and not echoed back.
    const onArgv = await cli(["login", "--wallet-key", WALLET_KEY, "--config-dir", join(dir, "config3")], {});
    assertOneLineError(onArgv, "CLI_WALLET_KEY", /never read from the command line/);
    assert.ok(!onArgv.stderr.includes("c3c3"), onArgv.stderr);
    assertOneLineError(await cli(["login", WALLET_KEY, "--config-dir", join(dir, "config3")], {}), "CLI_USAGE", /too many arguments/);
    assertOneLineError(await cli(["login", "--config-dir", join(dir, "config3")], {}), "CLI_WALLET_KEY", /no wallet key/);
    assertOneLineError(await cli(["login", "--config-dir", join(dir, "config3")], { TINYCLOUD_WALLET_KEY: "0x1234" }), "CLI_WALLET_KEY", /32 bytes of hex/);
    assert.equal((await fetch(`${node.url}/healthz`)).status, 200);
  });

  it("an expired session says to log in again (exit 2)", async () => {
    const expiredDir = join(dir, "expired");
    const file = JSON.parse(await readFile(join(dir, "config", "sessions.json"), "utf8")) as { sessions: { expiresAt: number }[] };
    for (const s of file.sessions) s.expiresAt = Math.floor(Date.now() / 1000) - 5;
    await mkdir(expiredDir, { recursive: true });
    await writeFile(join(expiredDir, "sessions.json"), JSON.stringify(file));
    assertOneLineError(await cli(["kv", "ls"], { TINYCLOUD_CONFIG_DIR: expiredDir }), "CLI_SESSION_EXPIRED", /expired at .*: run tinycloud login/);
    assert.match((await cli(["spaces"], { TINYCLOUD_CONFIG_DIR: expiredDir })).stdout, /EXPIRED/);
  });

  it("an unreachable node: exit 2, connection refused (not fetch failed)", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const result = await cli(["login", "--node", url, "--config-dir", join(dir, "config4")], { TINYCLOUD_WALLET_KEY: WALLET_KEY });
    assertOneLineError(result, "NODE_UNREACHABLE", new RegExp(`cannot reach ${url}: connection refused`));
  });
});
