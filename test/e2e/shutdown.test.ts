/**
 * SIGTERM (issue 12 §6): a node stops accepting requests and exits within a few seconds even while a
 * client stalls a request in flight (before, the shutdown waited for it forever), and a second signal
 * exits at once. (Proofs in flight are not waited for either: their batches stay cut and are proven
 * after a restart, the path test/e2e/rollup-proving.test.ts covers.)
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { releaseSnarkjsWorkers } from "../../prover/setup/artifacts.js";
import { startTestNode, type TestNode } from "../helpers/node.js";
import { until } from "../helpers/until.js";
import { makeCapability } from "../../core/capability.js";
import { signIn } from "../../node/client/client.js";
import { killAllChildNodes, spawnChildNode, type ChildNode } from "../helpers/child-node.js";
import { testWallet } from "../helpers/wallets.js";

/**
 * An authorized put whose body never finishes: the request stays in flight (the body is read before the
 * handler runs), and a shutdown that waits for requests in flight never ends.
 */
async function stalledPut(url: string): Promise<Socket> {
  const session = await signIn({ url, wallet: testWallet(0x71) });
  const jwt = session.invocation([makeCapability(session.resource("kv", "slow"), "tinycloud.kv/put")]);
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  socket.on("error", () => undefined);
  socket.write(`POST /invoke HTTP/1.1\r\nhost: ${hostname}\r\nauthorization: ${jwt}\r\ncontent-type: text/plain\r\ncontent-length: 100000\r\n\r\npartial`);
  await new Promise((resolve) => setTimeout(resolve, 300));
  return socket;
}

async function exitOf(child: ChildNode): Promise<{ code: number | null; ms: number }> {
  const started = Date.now();
  await child.exited();
  return { code: child.process.exitCode, ms: Date.now() - started };
}

describe("shutdown", () => {
  const dirs: string[] = [];
  after(async () => {
    await killAllChildNodes();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  test("behavior: SIGTERM while a put is in flight (body never finishes) → exits 0 within 5 s; the data directory restarts", async (t) => {
    const dataDir = await mkdtemp(join(tmpdir(), "tinycloud-stop-"));
    dirs.push(dataDir);
    const child = await spawnChildNode(dataDir);
    const socket = await stalledPut(child.url);
    child.process.kill("SIGTERM");
    const { code, ms } = await exitOf(child);
    t.diagnostic(`exited ${ms} ms after SIGTERM`);
    socket.destroy();
    assert.equal(code, 0, `exit status ${code} ${String(child.process.signalCode)} after ${ms} ms (stdout: ${child.stdout().slice(-300)} stderr: ${child.stderr()})`);
    assert.ok(ms < 5_000, `exited after ${ms} ms`);
    const again = await spawnChildNode(dataDir);
    assert.equal((await fetch(`${again.url}/healthz`)).status, 200);
    again.process.kill("SIGTERM");
    assert.equal((await exitOf(again)).code, 0);
  });

  test("behavior: a second SIGTERM exits at once", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "tinycloud-stop-"));
    dirs.push(dataDir);
    const child = await spawnChildNode(dataDir);
    // A put in flight holds the first stop for its 2 s grace: the second signal lands while it runs.
    const socket = await stalledPut(child.url);
    child.process.kill("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 200));
    const sent = Date.now();
    child.process.kill("SIGTERM");
    await child.exited();
    socket.destroy();
    assert.ok(Date.now() - sent < 1_000, `exited ${Date.now() - sent} ms after the second signal`);
    assert.equal(child.process.exitCode, 130, `the forced exit status (signal ${String(child.process.signalCode)}; stdout ${child.stdout().slice(-400)}; stderr ${child.stderr().slice(-400)})`);
    assert.match(child.stdout(), /SIGTERM again: exiting now/);
  });
});

describe("stopping a proving node", () => {
  let node: TestNode | undefined;
  let dataDir: string | undefined;
  after(async () => {
    await node?.stop();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
    await releaseSnarkjsWorkers();
  });

  test("behavior: close() with a proof in flight does not wait for it; after a restart the batch is proven", async () => {
    const config = { prove: true, stateTreeDepth: 8, circuits: ["epoch_transition_1_d8"], batchMaxUpdates: 1, batchMaxDelayMs: 50 } as const;
    dataDir = await mkdtemp(join(tmpdir(), "tinycloud-stop-proving-"));
    node = await startTestNode({ dataDir, ...config });
    await node.proving?.ready;
    const session = await signIn({ url: node.url, wallet: testWallet(0x72) });
    await session.kv.put("a", "1");
    const rollup = node.rollup;
    assert.ok(rollup !== undefined);
    await until(async () => (await rollup.batch(1))?.status === "proving", "batch 1 proving", { timeoutMs: 120_000, intervalMs: 5 });
    const started = Date.now();
    await node.close();
    const ms = Date.now() - started;
    // The old close waited for the proof and stored it before returning.
    const left = await startTestNode({ dataDir, ...config, prove: false });
    const status = (await left.rollup?.batch(1))?.status;
    await left.close();
    assert.notEqual(status, "proven", `close() took ${ms} ms and batch 1 is ${status}: it waited for the proof`);
    assert.ok(ms < 5_000, `close() took ${ms} ms`);
    node = await startTestNode({ dataDir, ...config });
    await until(async () => (await node!.rollup?.batch(1))?.status === "proven", "batch 1 proven after the restart", { timeoutMs: 120_000, intervalMs: 100 });
  });
});
