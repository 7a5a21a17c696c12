/**
 * The node's console follows each batch (issue 13, "Console"): one line when it is cut (size, time), one
 * when it is proven (time, circuit), one when it is anchored (block, time since the cut, tx), in that
 * order, and nothing of the kind from a quiet node. The real stack: embedded prover and anvil, depth 8.
 * The start-up block of `tinycloud node` ends with a ready-to-paste `verify` command: this node, its
 * chain's RPC and its anchor filled in (issue 13, quickstart).
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { signIn } from "../../node/client/client.js";
import { releaseSnarkjsWorkers } from "../../prover/setup/artifacts.js";
import { startupBlock } from "../../cli/node-command.js";
import type { KeyBuilder } from "../../node/rollup/key-build.js";
import { startNode, type RunningNode } from "../../node/server/node.js";
import { startTestNode, type TestNode } from "../helpers/node.js";
import { until } from "../helpers/until.js";
import { testWallet } from "../helpers/wallets.js";

const config = { prove: true, chain: "embedded", chainPort: 0, stateTreeDepth: 8, circuits: ["epoch_transition_1_d8"], batchMaxUpdates: 1, batchMaxDelayMs: 50 } as const;

describe("the console of a proving, anchoring node", () => {
  let node: TestNode | undefined;
  const lines: string[] = [];
  const log = console.log;
  after(async () => {
    console.log = log;
    await node?.stop();
    await releaseSnarkjsWorkers();
  });

  test("batch 1: cut, proven, anchored: one line each, with timings", async () => {
    // The node prints with console.log; keep its lines (and still show them).
    console.log = (...args: unknown[]) => {
      lines.push(args.map(String).join(" "));
      log(...args);
    };
    node = await startTestNode({ ...config, quiet: false });
    await node.proving?.ready;
    const session = await signIn({ url: node.url, wallet: testWallet(0x31) });
    await session.kv.put("a", "1");
    await until(() => lines.some((l) => l.startsWith("batch 1 anchored")), "the anchored line of batch 1", { timeoutMs: 300_000, intervalMs: 100 });
    const batch1 = lines.filter((l) => l.startsWith("batch 1 "));
    assert.equal(batch1.length, 3, batch1.join("\n"));
    assert.match(batch1[0] as string, /^batch 1 cut: 1 update \(\d+ ms\)$/);
    assert.match(batch1[1] as string, /^batch 1 proven in \d+\.\d s \(epoch_transition_1_d8\)$/);
    assert.match(batch1[2] as string, /^batch 1 anchored in block \d+, \d+\.\d s after cut \(tx 0x[0-9a-f]{64}\)$/);
  });

  test("a quiet node prints none of them", async () => {
    await node?.stop();
    lines.length = 0;
    node = await startTestNode({ ...config, quiet: true });
    await node.proving?.ready;
    const session = await signIn({ url: node.url, wallet: testWallet(0x32) });
    await session.kv.put("b", "2");
    await until(async () => (await node!.rollup?.batch(1))?.status === "anchored", "batch 1 anchored", { timeoutMs: 300_000, intervalMs: 100 });
    assert.deepEqual(
      lines.filter((l) => /^batch \d+ /.test(l)),
      [],
    );
  });
});

describe("the start-up block of tinycloud node", () => {
  let node: RunningNode | undefined;
  let dataDir: string | undefined;
  after(async () => {
    await node?.close();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  test("ends with the verify command, the node, the RPC and the anchor filled in", async () => {
    dataDir = await mkdtemp(join(tmpdir(), "tinycloud-console-verify-"));
    // A proving node with an embedded chain, as npm start runs it; its keys never finish here (only the block matters).
    const neverReady: KeyBuilder = () => ({ done: new Promise(() => undefined), planned: Promise.resolve(), progress: () => undefined, close: async () => undefined });
    node = await startNode({ port: 0, host: "127.0.0.1", dataDir, quiet: true, prove: true, chain: "embedded", chainPort: 0 }, { buildKeys: neverReady });
    const status = (await (await fetch(`${node.url}/rollup/status`)).json()) as { chain: { rpcUrl: string; anchor: string } };
    assert.match(status.chain.anchor, /^0x[0-9a-fA-F]{40}$/);
    const lines = startupBlock(node, dataDir, undefined).trimEnd().split("\n");
    assert.equal(lines.at(-1), `    verify        npx tinycloud verify --node ${node.url} --rpc ${status.chain.rpcUrl} --contract ${status.chain.anchor} <key or uri>`);
  });
});
