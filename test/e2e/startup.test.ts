/**
 * Start-up while the proving keys are not built yet.
 *
 * 1. `node bin/tinycloud.js node` (a child process, as `npm start` runs it, embedded chain included)
 *    on a fresh data directory and an EMPTY key cache (`--cache-dir`): /healthz answers within 10 s,
 *    /rollup/status shows the keys building with a plan, progress and an estimate, a KV write is
 *    acknowledged and its batch is cut (waiting for the keys), and the console block says what is
 *    still building. The node is stopped long before the build (minutes) would finish; the build's
 *    partial cache files are removed when it stops.
 * 2. "Proven once the keys are ready", fast: a node in this process (state-tree depth 8, the small
 *    test circuit, embedded chain) whose real key build (the child process, from the shared cache) is
 *    held back by a gate. Writes are acknowledged and their batches cut while the gate is shut; once
 *    it opens, the keys pass their checks, the waiting batches are proven in order and anchored.
 * 3. In Redis mode too the node listens at once, with the queue dashboard mounted.
 * 4. Keys that fail the checks after the build (here: another circuit's verification key, which the
 *    deployment does not pin) are reported in the keys block and never used; the node keeps serving.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, test } from "node:test";
import { signIn } from "../../node/client/client.js";
import { startKeyBuild, type KeyBuilder } from "../../node/rollup/key-build.js";
import type { KeysStatus } from "../../node/rollup/proving.js";
import type { BatchRecord } from "../../node/rollup/types.js";
import { startNode, type RunningNode } from "../../node/server/node.js";
import { releaseSnarkjsWorkers, type CircuitBuild } from "../../prover/setup/artifacts.js";
import { killAllChildNodes, spawnChildNode, type ChildNode } from "../helpers/child-node.js";
import { until } from "../helpers/until.js";
import { testWallet } from "../helpers/wallets.js";

interface Status {
  latestBatch: number;
  provenBatch: number;
  anchoredBatch: number;
  pending: number;
  keys: KeysStatus | null;
}

async function status(url: string): Promise<Status> {
  return (await (await fetch(`${url}/rollup/status`)).json()) as Status;
}

async function batch(url: string, n: number): Promise<BatchRecord> {
  return (await (await fetch(`${url}/rollup/batches/${n}`)).json()) as BatchRecord;
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

/** Cache entries a build leaves while it runs (runSetup's `.partial-<pid>` dirs, the dev ptau's `.tmp-<pid>`). */
async function partials(cacheDir: string): Promise<string[]> {
  const found: string[] = [];
  for (const sub of ["circuits", "ptau"]) {
    for (const name of await readdir(join(cacheDir, sub)).catch(() => [] as string[])) if (/\.(partial|tmp)-\d+$/.test(name)) found.push(`${sub}/${name}`);
  }
  return found;
}

/** A proving node on an embedded chain with the depth-8 circuit, one update a batch, its keys from `buildKeys`. */
function startD8Node(dataDir: string, buildKeys: KeyBuilder): Promise<RunningNode> {
  return startNode(
    {
      port: 0,
      host: "127.0.0.1",
      dataDir,
      quiet: true,
      prove: true,
      chain: "embedded",
      chainPort: 0,
      stateTreeDepth: 8,
      circuits: ["epoch_transition_1_d8"],
      batchMaxUpdates: 1,
      batchMaxDelayMs: 100,
    },
    { buildKeys },
  );
}

describe("start-up with proving keys not built yet", () => {
  const dirs: string[] = [];
  let child: ChildNode | undefined;
  let node: RunningNode | undefined;
  after(async () => {
    await killAllChildNodes();
    await node?.close();
    await releaseSnarkjsWorkers();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  test("default: `tinycloud node` on an empty cache listens within 10 s, shows the keys building, accepts writes", async (t) => {
    const dataDir = await mkdtemp(join(tmpdir(), "tinycloud-startup-data-"));
    const cacheDir = await mkdtemp(join(tmpdir(), "tinycloud-startup-cache-"));
    dirs.push(dataDir, cacheDir);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const started = Date.now();
    const healthy = until(async () => ((await fetch(`${url}/healthz`).catch(() => undefined))?.status === 200 ? Date.now() - started : undefined), "/healthz answers", {
      timeoutMs: 30_000,
      intervalMs: 100,
    });
    child = await spawnChildNode(dataDir, { prove: true, timeoutMs: 30_000, extraArgs: ["--port", String(port), "--chain-port", "0", "--cache-dir", cacheDir] });
    const healthzMs = await healthy;
    t.diagnostic(`/healthz answered ${healthzMs} ms after spawn (fresh cache, embedded chain)`);
    assert.ok(healthzMs < 10_000, `/healthz took ${healthzMs} ms`);

    const first = await status(url);
    const keys = first.keys as KeysStatus;
    assert.equal(keys.state, "building");
    assert.deepEqual(keys.circuits, ["epoch_transition_1", "epoch_transition_4"]);
    assert.equal(keys.estimate, true);
    assert.ok((keys.steps ?? 0) >= 5, `an empty cache plans compile, dev ptau, setup and phase 2 (got ${keys.steps} steps)`);
    assert.ok((keys.etaSeconds ?? 0) > 0, "an estimate of the time left");
    assert.equal(typeof keys.phase, "string");
    // Progress moves: elapsed time grows and the running step counts as partly done.
    const later = await until(
      async () => {
        const k = (await status(url)).keys as KeysStatus;
        return k.state === "building" && (k.percent ?? 0) > (keys.percent ?? 0) ? k : undefined;
      },
      "key build progress",
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    assert.ok(later.elapsedSeconds > keys.elapsedSeconds);

    const session = await signIn({ url, wallet: testWallet(0x51) });
    await session.kv.put("greeting", "accepted while the keys build");
    assert.equal((await session.kv.get("greeting"))?.text(), "accepted while the keys build");
    const cut = await until(
      async () => {
        const s = await status(url);
        return s.latestBatch >= 1 && (s.keys?.waitingBatches ?? 0) >= 1 ? s : undefined;
      },
      "the write's batch is cut and waits for the keys",
      { timeoutMs: 30_000 },
    );
    assert.equal(cut.provenBatch, 0);
    assert.equal(cut.keys?.state, "building");
    assert.equal((await batch(url, 1)).status, "cut");

    const out = child.stdout();
    assert.match(out, /still building\n\s+proving keys\s+epoch_transition_1, epoch_transition_4 in the background: /);
    assert.match(out, /light client\s+http:\/\/\S+\/lightclient/);
    assert.match(out, /keys: building epoch_transition_1, epoch_transition_4 in the background \(\d+ steps\): \d+% done, about \d+ (s|min) left \(estimate\)/);

    child.process.kill("SIGTERM");
    await child.exited();
    assert.deepEqual(await partials(cacheDir), [], "a stopped build leaves no partial files");
  });

  test("behavior: batches cut while the keys build are proven and anchored once they are ready", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "tinycloud-startup-gate-"));
    dirs.push(dataDir);
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    // The real build (child process, shared cache), its result held back until the gate opens.
    const gated: KeyBuilder = (request, log) => {
      const build = startKeyBuild(request, log);
      return { ...build, done: gate.then(() => build.done) };
    };
    node = await startD8Node(dataDir, gated);
    const url = node.url;
    const session = await signIn({ url, wallet: testWallet(0x52) });
    await session.kv.put("a", "1");
    await session.kv.put("b", "2");
    const waiting = await until(async () => {
      const s = await status(url);
      return s.latestBatch >= 2 && (s.keys?.waitingBatches ?? 0) >= 2 ? s : undefined;
    }, "two batches cut, waiting for the keys");
    assert.equal(waiting.keys?.state, "building");
    assert.equal(waiting.provenBatch, 0);
    assert.equal(waiting.anchoredBatch, 0);

    open();
    await node.proving?.ready;
    const done = await until(
      async () => {
        const s = await status(url);
        return s.anchoredBatch >= 2 ? s : undefined;
      },
      "the waiting batches proven and anchored",
      { timeoutMs: 240_000 },
    );
    assert.equal(done.keys?.state, "ready");
    assert.equal(done.keys?.waitingBatches, 0);
    for (const n of [1, 2]) {
      const record = await batch(url, n);
      assert.equal(record.status, "anchored");
      assert.equal(record.circuit, "epoch_transition_1_d8");
    }
    assert.ok(existsSync(dataDir));
  });

  test("behavior: in Redis mode the node listens while the keys build, with the queue dashboard mounted", { timeout: 60_000 }, async () => {
    await node?.close();
    const dataDir = await mkdtemp(join(tmpdir(), "tinycloud-startup-redis-"));
    dirs.push(dataDir);
    // A build that never finishes here: only the start-up matters.
    const forever: KeyBuilder = () => ({ done: new Promise(() => undefined), planned: Promise.resolve(), progress: () => undefined, close: async () => undefined });
    node = await startNode({ port: 0, host: "127.0.0.1", dataDir, quiet: true, prove: true, chain: "off", redisUrl: process.env["REDIS_URL"] ?? "redis://127.0.0.1:6379" }, { buildKeys: forever });
    assert.equal((await fetch(`${node.url}/admin/queues`)).status, 200);
    assert.equal((await status(node.url)).keys?.state, "building");
  });

  test("error: keys that fail the checks after the build are reported, never used, and the node keeps serving", async () => {
    await node?.close();
    const dataDir = await mkdtemp(join(tmpdir(), "tinycloud-startup-badkeys-"));
    dirs.push(dataDir);
    const committed = (name: string, kind: string) => fileURLToPath(new URL(`../../circuits/keys/${name}.${kind}.json`, import.meta.url));
    // A "build" that hands back another circuit's verification key: not what the deployment pins.
    const wrongKeys: KeyBuilder = (request) => ({
      done: Promise.resolve(
        request.circuits.map((name) => ({ name, verificationKey: committed("poseidon2", "vkey"), published: { provenance: committed(name, "provenance") } }) as unknown as CircuitBuild),
      ),
      planned: Promise.resolve(),
      progress: () => undefined,
      close: async () => undefined,
    });
    node = await startD8Node(dataDir, wrongKeys);
    await assert.rejects(node.proving?.ready as Promise<void>, { code: "CHAIN_KEYS_NOT_DEPLOYED" });
    const url = node.url;
    const session = await signIn({ url, wallet: testWallet(0x53) });
    await session.kv.put("still", "served");
    const s = await until(async () => {
      const st = await status(url);
      return st.latestBatch >= 1 ? st : undefined;
    }, "the write's batch is cut");
    assert.equal(s.keys?.state, "failed");
    assert.equal(s.keys?.error?.code, "CHAIN_KEYS_NOT_DEPLOYED");
    assert.equal(s.provenBatch, 0);
    assert.equal((await batch(url, 1)).status, "cut", "nothing is proven with refused keys; the batch stays, durable");
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
  });
});
