/**
 * `tinycloud verify` (the light client) against the REAL stack: a node with proving (epoch_transition_1,
 * depth 16) and an embedded anvil chain it anchors to. Writes go through the API into a space named
 * "public"; once anchored, the CLI (a child process) verifies them with exit 0 and five ✓.
 *
 * Tampering: a small HTTP proxy in front of the real node rewrites its answers, and the CLI must exit
 * non-zero naming the step that catches it:
 *   value bytes changed                        → value
 *   a path from another batch's root           → path
 *   the batch record of another batch          → proof
 *   a forked batch (valid Groth16 proof for the same batch number, chain and anchor, made here with the
 *   node's own circuit) whose root was never anchored → root
 *   a wrong --vkeys directory                  → vkey
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile, mkdir } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { after, before, describe, test } from "node:test";
import { blake3 } from "@noble/hashes/blake3.js";
import { signIn } from "../../node/client/client.js";
import { bytesToHex } from "../../core/encoding.js";
import { ed25519Signer } from "../../core/keys.js";
import { formatSpaceId, parseResourceUri } from "../../core/resource.js";
import { contentHashField, leafValue, StateTree, stateKey, stateProofToJson } from "../../core/state/state-tree.js";
import type { BatchRecord } from "../../node/rollup/types.js";
import { epochContext } from "../../core/rollup/header.js";
import { releaseSnarkjsWorkers } from "../../prover/setup/artifacts.js";
import { ProvenBatchFactory } from "../helpers/proven-batch-factory.js";
import type { VerifyReport } from "../../lightclient/index.js";
import { startTestNode, type TestNode } from "../helpers/node.js";
import { testWallet } from "../helpers/wallets.js";
import { until } from "../helpers/until.js";

const execFileP = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const NODE_BIN = join(ROOT, "node_modules/.bin/node");
const CLI = join(ROOT, "bin/tinycloud.js");
const CIRCUIT = "epoch_transition_1";
const DEPTH = 16;
const READER_SECRET = new Uint8Array(32).fill(0x52);

interface Status {
  latestBatch: number;
  anchoredBatch: number;
  pending: number;
}

async function json<T>(url: string): Promise<T> {
  const response = await fetch(url);
  assert.equal(response.status, 200, `GET ${url}`);
  return (await response.json()) as T;
}

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await execFileP(NODE_BIN, [CLI, ...args], { cwd: ROOT, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== "number") throw error;
    return { code: e.code, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

/** A reverse proxy in front of the node; `rewrite` may replace an answer (status 200 JSON or bytes). */
type Rewrite = (path: string, upstream: () => Promise<{ status: number; type: string; body: Buffer }>) => Promise<{ status: number; type: string; body: Buffer } | undefined>;

async function startProxy(target: string): Promise<{ url: string; set(rewrite: Rewrite | undefined): void; close(): Promise<void> }> {
  let rewrite: Rewrite | undefined;
  const server: Server = createServer((req, res) => {
    const path = req.url ?? "/";
    const upstream = async () => {
      const r = await fetch(`${target}${path}`, { method: req.method ?? "GET" });
      return { status: r.status, type: r.headers.get("content-type") ?? "application/octet-stream", body: Buffer.from(await r.arrayBuffer()) };
    };
    void (async () => {
      try {
        const answer = (await rewrite?.(path, upstream)) ?? (await upstream());
        res.writeHead(answer.status, { "content-type": answer.type }).end(answer.body);
      } catch (error) {
        res.writeHead(502, { "content-type": "text/plain" }).end(String(error));
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    set: (r) => (rewrite = r),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const asJson = (value: unknown) => ({ status: 200, type: "application/json; charset=utf-8", body: Buffer.from(JSON.stringify(value)) });

describe("tinycloud verify (light client CLI) against the real stack", () => {
  let node: TestNode | undefined;
  let proxy: Awaited<ReturnType<typeof startProxy>> | undefined;
  let dataDir: string;
  let scratch: string;
  let rpcUrl: string;
  let anchor: string;
  let chainId: number;
  let latest: number;
  let publicUri: string;
  let privateUri: string;
  let readerProof: string;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "tinycloud-lc-cli-"));
    scratch = await mkdtemp(join(tmpdir(), "tinycloud-lc-scratch-"));
    const log = (m: string) => process.env["LC_DEBUG"] && console.error(`[lc-e2e] ${m}`);
    node = await startTestNode({ dataDir, port: 0, prove: true, chain: "embedded", chainPort: 0, stateTreeDepth: DEPTH, circuits: [CIRCUIT], batchMaxUpdates: 1, batchMaxDelayMs: 200 });
    log(`node ${node.url}`);
    assert.ok(node.chain, "the node runs with an embedded chain");
    rpcUrl = node.chain.rpcUrl;
    anchor = node.chain.deployment.anchor;
    chainId = node.chain.deployment.chainId;

    const wallet = testWallet(0x61);
    const priv = await signIn({ url: node.url, wallet, space: "notes" });
    await priv.kv.put("secret.txt", "private bytes");
    // A reader of the private space: the owner delegates tinycloud.kv/get on its kv service to a key.
    readerProof = (await priv.share({ to: ed25519Signer(READER_SECRET).did, path: "", abilities: ["tinycloud.kv/get"] })).cid.toString();
    const pub = await signIn({ url: node.url, wallet, space: "public" });
    await pub.kv.put("docs/hello.txt", "hello, light client v1");
    await pub.kv.put("docs/hello.txt", "hello, light client v2");
    publicUri = `${pub.spaceId}/kv/docs/hello.txt`;
    privateUri = `${priv.spaceId}/kv/secret.txt`;
    log("written");
    const status = await until(
      async () => {
        const s = await json<Status>(`${node!.url}/rollup/status`);
        log(JSON.stringify(s));
        return s.pending === 0 && s.latestBatch >= 3 && s.anchoredBatch === s.latestBatch ? s : undefined;
      },
      "every batch anchored",
      { timeoutMs: 240_000, intervalMs: 200 },
    );
    latest = status.anchoredBatch;
    proxy = await startProxy(node.url);
  });

  after(async () => {
    await proxy?.close();
    await node?.stop();
    await rm(dataDir, { recursive: true, force: true });
    await rm(scratch, { recursive: true, force: true });
    await releaseSnarkjsWorkers();
  });

  const args = (uri: string, nodeUrl: string, extra: string[] = []) => ["verify", uri, "--node", nodeUrl, "--rpc", rpcUrl, "--contract", anchor, ...extra];

  async function verifyJson(uri: string, nodeUrl: string, extra: string[] = []): Promise<{ code: number; report: VerifyReport; stderr: string }> {
    const r = await cli(args(uri, nodeUrl, [...extra, "--json"]));
    let report: VerifyReport;
    try {
      report = JSON.parse(r.stdout) as VerifyReport;
    } catch {
      throw new Error(`no JSON report (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
    }
    return { code: r.code, report, stderr: r.stderr };
  }

  function assertFailedAt(r: { code: number; report: VerifyReport }, step: string, code: string): void {
    const summary = r.report.steps.map((s) => `${s.step}:${s.status}:${s.code}: ${s.reason}`).join("\n");
    assert.equal(r.code, 1, summary);
    assert.equal(r.report.ok, false);
    assert.equal(r.report.failedStep, step, summary);
    assert.equal(r.report.steps.find((s) => s.step === step)?.code, code, summary);
  }

  test("an honest node: exit 0, every step ✓", async () => {
    const r = await cli(args(publicUri, node!.url));
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    for (const step of ["vkey", "proof", "root", "path", "value"]) assert.match(r.stdout, new RegExp(`✓ ${step}`), r.stdout);
    assert.doesNotMatch(r.stdout, /✗/);
    assert.match(r.stdout, new RegExp(`VERIFIED: .* version 2 .* anchored batch ${latest}`));

    const j = await verifyJson(publicUri, node!.url);
    assert.equal(j.code, 0);
    assert.equal(j.report.ok, true);
    assert.equal(j.report.batch, latest);
    assert.equal(j.report.chainId, chainId);
    assert.deepEqual(
      j.report.steps.map((s) => s.code),
      ["VKEY_OK", "PROOF_OK", "ROOT_ANCHORED", "PATH_OK", "VALUE_OK"],
    );
    assert.equal(j.report.steps[0]!.data?.["source"], "built-in");
  });

  test("a private entry verifies with the reader's --auth-key/--proof (value fetched, or --value-file), and fails 'path' without them", async () => {
    const keyFile = join(scratch, "reader.key");
    await writeFile(keyFile, bytesToHex(READER_SECRET));
    const reader = ["--auth-key", keyFile, "--proof", readerProof];
    const ok = await verifyJson(privateUri, node!.url, reader);
    assert.equal(ok.code, 0, JSON.stringify(ok.report.steps));
    assert.equal(ok.report.steps[4]!.code, "VALUE_OK");
    const file = join(scratch, "secret.bin");
    await writeFile(file, "private bytes");
    assert.equal((await verifyJson(privateUri, node!.url, [...reader, "--value-file", file])).code, 0);
    await writeFile(file, "a guess");
    assertFailedAt(await verifyJson(privateUri, node!.url, [...reader, "--value-file", file]), "value", "VALUE_HASH_MISMATCH");
    // Without a read capability the node proves nothing about a private entry, bytes or not.
    const none = await verifyJson(privateUri, node!.url, ["--value-file", file]);
    assertFailedAt(none, "path", "PATH_UNAVAILABLE");
    assert.match(none.report.steps[3]!.reason, /PRIVATE_SPACE/);
  });

  test("an older anchored batch with --batch", async () => {
    const r = await verifyJson(publicUri, node!.url, ["--batch", String(latest - 1)]);
    assert.equal(r.code, 0, JSON.stringify(r.report.steps));
    assert.deepEqual(r.report.entry && { kind: r.report.entry.kind, version: (r.report.entry as { version: number }).version }, { kind: "value", version: 1 });
  });

  test('tamper: changed value bytes → "value"', async () => {
    proxy!.set(async (path) => (path.startsWith("/public/") ? { status: 200, type: "application/octet-stream", body: Buffer.from("hello, light client v3") } : undefined));
    const r = await cli(args(publicUri, proxy!.url));
    proxy!.set(undefined);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /✗ value +VALUE_HASH_MISMATCH/);
    assert.match(r.stdout, /NOT VERIFIED: step "value" failed/);
  });

  test('tamper: a path from another batch\'s root → "path"', async () => {
    const older = await json<{ proof: unknown }>(`${node!.url}/rollup/proof?uri=${encodeURIComponent(publicUri)}&batch=${latest - 1}`);
    proxy!.set(async (path, upstream) => {
      if (!path.startsWith("/rollup/proof")) return undefined;
      const answer = JSON.parse((await upstream()).body.toString()) as Record<string, unknown>;
      return asJson({ ...answer, proof: older.proof });
    });
    const r = await verifyJson(publicUri, proxy!.url);
    proxy!.set(undefined);
    assertFailedAt(r, "path", "PATH_ROOT_MISMATCH");
  });

  test('tamper: the batch record of another batch → "proof"', async () => {
    proxy!.set(async (path) => (path === `/rollup/batches/${latest}` ? asJson(await json(`${node!.url}/rollup/batches/${latest - 1}`)) : undefined));
    const r = await verifyJson(publicUri, proxy!.url);
    proxy!.set(undefined);
    assertFailedAt(r, "proof", "PROOF_WRONG_BATCH");
  });

  test('tamper: a forked batch with a valid proof whose root was never anchored → "root"', async () => {
    // Replay the node's batches up to latest - 1, then make a different batch `latest` and prove it with
    // the node's own circuit, bound to the same batch number, chain and anchor.
    const tree = new StateTree(DEPTH);
    for (let n = 1; n < latest; n++) for (const u of (await json<BatchRecord>(`${node!.url}/rollup/batches/${n}`)).updates) tree.set(BigInt(u.key), BigInt(u.value));
    const real = await json<BatchRecord>(`${node!.url}/rollup/batches/${latest}`);
    assert.equal(tree.root.toString(), real.oldRoot, "replayed the node's history");
    const resource = parseResourceUri(publicUri);
    const spaceId = formatSpaceId({ ...resource.space, form: "space" });
    const key = stateKey(spaceId, "kv", resource.path!);
    const forged = new TextEncoder().encode("forged by the node");
    const contentHash = contentHashField(forged);
    const witness = tree.set(key, leafValue(contentHash, 2, false));
    const factory = new ProvenBatchFactory([{ name: CIRCUIT, B: 2, depth: DEPTH }]);
    const { input, proof, publicSignals } = await factory
      .prove({ circuit: CIRCUIT, batchNumber: latest, context: epochContext(chainId, anchor as `0x${string}`), eventsHash: 12345n, witnesses: witness })
      .finally(() => factory.close());
    await releaseSnarkjsWorkers();
    const forkRecord = { ...real, newRoot: tree.root.toString(), commitment: input.commitment, proof, publicSignals, status: "proven" };
    const forkPath = {
      uri: publicUri,
      spaceId,
      path: resource.path,
      key: key.toString(),
      batch: latest,
      status: "proven",
      root: tree.root.toString(),
      proof: stateProofToJson(tree.prove(key)),
      entry: { version: 2, deleted: false, contentHash: contentHash.toString(), etag: Buffer.from(blake3(forged)).toString("hex"), size: forged.length },
    };
    proxy!.set(async (path) => {
      if (path === `/rollup/batches/${latest}`) return asJson(forkRecord);
      if (path.startsWith("/rollup/proof")) return asJson(forkPath);
      if (path.startsWith("/public/")) return { status: 200, type: "application/octet-stream", body: Buffer.from(forged) };
      return undefined;
    });
    const r = await verifyJson(publicUri, proxy!.url);
    proxy!.set(undefined);
    // The forked proof is a valid Groth16 proof from the anchored roots(n - 1): only the chain tells the
    // batches apart, by the commitment batch n was anchored with and by the root it stores.
    assertFailedAt(r, "proof", "PROOF_COMMITMENT_MISMATCH");
    assert.equal(r.report.steps[2]!.code, "ROOT_NOT_ANCHORED");
  });

  test('a wrong --vkeys directory → "vkey"', async () => {
    const dir = join(scratch, "wrong-keys");
    await mkdir(dir, { recursive: true });
    // The epoch_transition_4 key saved under epoch_transition_1's name: a real key, not the contract's.
    await writeFile(join(dir, `${CIRCUIT}.vkey.json`), await readFile(join(ROOT, "circuits/keys/epoch_transition_4.vkey.json")));
    const r = await verifyJson(publicUri, node!.url, ["--vkeys", dir]);
    assertFailedAt(r, "vkey", "VKEY_MISMATCH");
    assert.equal(r.report.steps[1]!.status, "skipped");
    const text = await cli(args(publicUri, node!.url, ["--vkeys", dir]));
    assert.equal(text.code, 1);
    assert.match(text.stdout, /✗ vkey +VKEY_MISMATCH/);
  });

  test("bad usage exits 2", async () => {
    const r = await cli(["verify", "not-a-uri", "--node", node!.url, "--rpc", rpcUrl, "--contract", anchor]);
    assert.equal(r.code, 2, r.stderr);
    const c = await cli(["verify", publicUri, "--node", node!.url, "--rpc", rpcUrl, "--contract", "0x1234"]);
    assert.equal(c.code, 2, c.stderr);
  });
});
