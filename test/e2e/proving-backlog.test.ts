/**
 * Admission control on the proving backlog (issue 12, "proving backlog"): puts were accepted at ~40/s
 * while proving took ~4 updates per 30 s, so the un-proven backlog grew without bound. A proving node
 * whose keys never finish building (no prover: nothing is ever proven) and a backlog limit of 3: the
 * fourth write is refused with 429 + Retry-After, reads keep working, /rollup/status and /metrics report
 * the backlog, and the backlog (un-proven batches found in the store) survives a restart, after which a
 * higher limit admits writes again. The drain itself (a measured proving rate lets writes in again) is
 * in test/unit/proving-backlog.test.ts.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { makeCapability } from "../../core/capability.js";
import { signIn, type TinyCloudSession } from "../../node/client/client.js";
import type { KeyBuilder } from "../../node/rollup/key-build.js";
import type { BacklogStatus } from "../../node/rollup/backlog.js";
import { type RunningNode, startNode } from "../../node/server/node.js";
import { until } from "../helpers/until.js";
import { testWallet } from "../helpers/wallets.js";

/** A key build that never finishes: the node proves nothing, so every batch stays un-proven. */
const neverReady: KeyBuilder = () => ({ done: new Promise(() => undefined), planned: Promise.resolve(), progress: () => undefined, close: async () => undefined });

function start(dataDir: string, maxBacklogUpdates: number): Promise<RunningNode> {
  return startNode({ port: 0, host: "127.0.0.1", dataDir, quiet: true, prove: true, chain: "off", batchMaxUpdates: 1, batchMaxDelayMs: 50, maxBacklogUpdates }, { buildKeys: neverReady });
}

async function invoke(url: string, session: TinyCloudSession, ability: string, key: string, body?: string) {
  const jwt = session.invocation([makeCapability(session.resource("kv", key), ability)]);
  const response = await fetch(`${url}/invoke`, { method: "POST", headers: { authorization: jwt, "content-type": "text/plain" }, ...(body !== undefined ? { body } : {}) });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

async function backlogOf(url: string): Promise<BacklogStatus> {
  const status = (await (await fetch(`${url}/rollup/status`)).json()) as { backlog: BacklogStatus | null };
  assert.ok(status.backlog !== null, "a proving node reports its backlog");
  return status.backlog;
}

describe("proving backlog: admission control", () => {
  let dataDir: string;
  let node: RunningNode | undefined;
  let session: TinyCloudSession;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "tinycloud-backlog-"));
    node = await start(dataDir, 3);
    // A public space: a private space's first write also stages its salt leaf, one more update to count.
    session = await signIn({ url: node.url, wallet: testWallet(0xc1), space: "public" });
  });
  after(async () => {
    await node?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  test("attack: writes past the backlog limit → 429 BACKLOG_FULL with Retry-After; reads still work; status and metrics report it", async () => {
    const url = (node as RunningNode).url;
    for (const key of ["k1", "k2", "k3"]) assert.equal((await invoke(url, session, "tinycloud.kv/put", key, `value ${key}`)).status, 200);

    const refused = await invoke(url, session, "tinycloud.kv/put", "k4", "one too many");
    assert.equal(refused.status, 429, refused.text);
    assert.match(refused.text, /^BACKLOG_FULL: 3 state updates are waiting to be proven \(limit 3; the proving rate is not measured yet\)/);
    assert.equal(refused.headers.get("retry-after"), "30");
    // A delete is a state update too.
    assert.equal((await invoke(url, session, "tinycloud.kv/del", "k1")).status, 429);

    // Reads are never refused.
    const read = await invoke(url, session, "tinycloud.kv/get", "k1");
    assert.equal(read.status, 200);
    assert.equal(read.text, "value k1");
    assert.equal((await invoke(url, session, "tinycloud.kv/get", "k4")).status, 404, "the refused write was not stored");

    // Every batch is cut (one update each) and none proven.
    const backlog = await until(async () => {
      const b = await backlogOf(url);
      return b.unprovenBatches === 3 ? b : undefined;
    }, "three batches cut");
    assert.deepEqual(backlog, { updates: 3, pendingUpdates: 0, unprovenBatches: 3, limit: 3, admitting: false, provingRate: null, drainSeconds: null, estimate: true });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.match(metrics, /^tinycloud_backlog_updates 3$/m);
    assert.match(metrics, /^tinycloud_backlog_batches 3$/m);
    assert.match(metrics, /^tinycloud_backlog_drain_seconds -1$/m);
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
  });

  test("behavior: the backlog survives a restart (un-proven batches are found in the store); a higher limit admits writes again", async () => {
    await node?.close();
    node = await start(dataDir, 5);
    const url = node.url;
    const backlog = await backlogOf(url);
    assert.equal(backlog.updates, 3);
    assert.equal(backlog.unprovenBatches, 3);
    assert.equal(backlog.admitting, true);
    assert.equal((await invoke(url, session, "tinycloud.kv/put", "k4", "now it fits")).status, 200);
    assert.equal((await invoke(url, session, "tinycloud.kv/put", "k5", "and this")).status, 200);
    assert.equal((await invoke(url, session, "tinycloud.kv/put", "k6", "but not this")).status, 429);
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
  });
});
