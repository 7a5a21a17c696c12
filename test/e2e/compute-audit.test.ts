/**
 * Determinism and audit of compute (issue 14), with real node processes: the same function on the same
 * input gives the same output CID and gas in two node processes, and `tinycloud audit --executions`
 * re-executes a space's logged executions, passes an honest log (exit 0) and flags a tampered output
 * (exit 1) after the record was rewritten in the node's database.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { functionCid } from "../../core/compute/cid.js";
import { bytesToHex } from "../../core/encoding.js";
import type { TinyCloudSession } from "../../node/client/client.js";
import { ComputeStore } from "../../node/compute/compute-store.js";
import { Batch, NodeStore } from "../../node/store/store.js";
import { type ChildNode, killAllChildNodes, spawnChildNode } from "../helpers/child-node.js";
import { SHOUT, wat } from "../helpers/compute-modules.js";
import { computeOwner } from "../helpers/compute-session.js";
import { clientWallet } from "../helpers/http-answer.js";
import { CLI, spawnNode } from "../helpers/spawn-node.js";

async function runCli(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnNode([CLI, ...args]);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  return { code, stdout, stderr };
}

describe("compute determinism and audit (two node processes)", () => {
  const secret = new Uint8Array(32).fill(0x3c);
  const wallet = clientWallet(0xd1);
  let dirA: string;
  let dirB: string;
  let a: ChildNode;
  let b: ChildNode;
  let ownerA: TinyCloudSession;
  let keyFile: string;

  before(async () => {
    dirA = await mkdtemp(join(tmpdir(), "tc-compute-a-"));
    dirB = await mkdtemp(join(tmpdir(), "tc-compute-b-"));
    [a, b] = await Promise.all([spawnChildNode(dirA), spawnChildNode(dirB)]);
    ownerA = await computeOwner(a.url, wallet, secret);
    keyFile = join(dirA, "auditor.key");
    await writeFile(keyFile, bytesToHex(secret));
  });
  after(async () => {
    await killAllChildNodes();
    await rm(dirA, { recursive: true, force: true });
    await rm(dirB, { recursive: true, force: true });
  });

  test("the same function and input give the same output CID and gas in two processes", async () => {
    const ownerB = await computeOwner(b.url, wallet);
    const module = wat(SHOUT);
    const results = [];
    for (const owner of [ownerA, ownerB]) {
      await owner.kv.put("notes/today", "same input, same answer");
      assert.equal((await owner.compute.deploy("shout", module)).function_cid, functionCid(module));
      results.push(await owner.compute.execute("shout", { inputs: ["notes/today"], output: "out/today" }));
    }
    const [ra, rb] = results;
    assert.equal(ra?.text(), "SAME INPUT, SAME ANSWER");
    assert.equal(ra?.output_cid, rb?.output_cid);
    assert.equal(ra?.gas_used, rb?.gas_used);
    assert.ok(BigInt(ra?.gas_used ?? "0") > 0n, "metered: the execution used gas");
  });

  test("tinycloud audit --executions re-executes the log: honest → exit 0; a tampered output → exit 1, flagged", async () => {
    const args = ["audit", "--executions", "--node", a.url, "--space", ownerA.spaceId, "--auth-key", keyFile, "--proof", ownerA.proofs.map(String).join(",")];
    const honest = await runCli(args);
    assert.equal(honest.code, 0, honest.stdout + honest.stderr);
    assert.match(honest.stdout, /1 execution\(s\) .* all match/);

    // The operator rewrites the logged output of execution 1 (node stopped, database edited).
    await a.kill9();
    const store = new NodeStore(join(dirA, "db"));
    await store.open();
    const compute = new ComputeStore(store);
    const record = await compute.execution(ownerA.spaceId, 1);
    assert.ok(record !== undefined);
    const batch = new Batch();
    compute.putExecution(batch, ownerA.spaceId, 1, { ...record, output_cid: functionCid(new TextEncoder().encode("FORGED")) });
    await store.write(batch);
    await store.close();
    a = await spawnChildNode(dirA);

    const tampered = await runCli([...args.slice(0, 3), a.url, ...args.slice(4), "--json"]);
    assert.equal(tampered.code, 1, tampered.stdout + tampered.stderr);
    const report = JSON.parse(tampered.stdout) as { ok: boolean; executions: { seq: number; ok: boolean; problems: string[] }[] };
    assert.equal(report.ok, false);
    assert.equal(report.executions[0]?.ok, false);
    assert.match(report.executions[0]?.problems.join("\n") ?? "", /output_cid: re-executed .* recorded .*tampered/);
  });
});
