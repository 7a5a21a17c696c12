/**
 * Light client (issue 6): how long `tinycloud verify` takes.
 *
 * 1. Recorded evidence (test/vectors/lightclient/recording.json, depth 8): in-process verifyUri over the
 *    fixture sources — the pure core alone (first call: snarkjs builds its bn128 curve; then warm).
 * 2. The real stack (node + embedded anvil, epoch_transition_1 at depth 16, one public value anchored):
 *    - CLI process wall time: `node bin/tinycloud.js verify <uri> --node --rpc --contract` (tsx startup,
 *      module loading, snarkjs curve, HTTP + JSON-RPC round trips, verification);
 *    - in-process warm verifyUri with the fetch node source and the viem chain source, split into
 *      evidence fetching and verification.
 * BENCH_LC_STACK=0 skips part 2.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { fetchNodeSource, fixtureChainSource, fixtureNodeSource, pinVkeys, snarkjsGroth16, verifyUri, viemChainSource, type Recording, type VerifyReport } from "../../lightclient/index.js";
import { signIn } from "../../node/client/client.js";
import { startNode } from "../../node/server/node.js";
import { loadSnarkjs } from "../../prover/backends/snarkjs-api.js";
import { releaseSnarkjsWorkers } from "../../prover/setup/artifacts.js";
import { STACK_CONFIG } from "../helpers/lightclient-stack.js";
import { until } from "../helpers/until.js";
import { testWallet } from "../helpers/wallets.js";
import { fmt, printTable } from "./harness.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const execFileP = promisify(execFile);

function stats(xs: number[]): { min: number; median: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0] ?? NaN, median: s[Math.floor(s.length / 2)] ?? NaN, max: s[s.length - 1] ?? NaN };
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const value = await fn();
  return [value, performance.now() - t0];
}

function must(report: VerifyReport): void {
  if (!report.ok) throw new Error(`verification failed at ${report.failedStep}: ${report.steps.map((s) => `${s.step} ${s.code} ${s.reason}`).join("; ")}`);
}

export async function run(): Promise<void> {
  const groth16 = snarkjsGroth16(await loadSnarkjs());
  const rows: string[][] = [["measurement", "runs", "min ms", "median ms", "max ms"]];
  const row = (name: string, xs: number[]) => {
    const s = stats(xs);
    rows.push([name, String(xs.length), fmt(s.min, 1), fmt(s.median, 1), fmt(s.max, 1)]);
  };

  // 1. Recorded evidence.
  const v = JSON.parse(await readFile(new URL("../vectors/lightclient/recording.json", import.meta.url), "utf8")) as {
    circuit: string;
    vkeys: Record<string, unknown>;
    uris: { hello: string };
    recording: Recording;
  };
  const verifiers = JSON.parse(await readFile(new URL("../../contracts/generated/verifiers.json", import.meta.url), "utf8")) as Record<string, { codeHash: string }>;
  const vkeys = pinVkeys({ [v.circuit]: v.vkeys[v.circuit] }, "vectors", { codeHashes: { [v.circuit]: verifiers[v.circuit]!.codeHash } });
  const fixture = () => verifyUri({ uri: v.uris.hello, node: fixtureNodeSource(v.recording.node), chain: fixtureChainSource(v.recording.chain), groth16, vkeys });
  const [first, coldMs] = await timed(fixture);
  must(first);
  row("recorded evidence: first verifyUri (cold curve)", [coldMs]);
  const warm: number[] = [];
  const pairing: number[] = [];
  for (let i = 0; i < 20; i++) {
    const [r, ms] = await timed(fixture);
    must(r);
    warm.push(ms);
    pairing.push(r.timings.verifyMs);
  }
  row("recorded evidence: verifyUri, warm", warm);
  row("  of which verifyEvidence (5 steps)", pairing);

  // 2. The real stack.
  if (process.env["BENCH_LC_STACK"] !== "0") {
    const dataDir = await mkdtemp(join(tmpdir(), "tinycloud-lc-bench-"));
    const node = await startNode({ ...STACK_CONFIG, dataDir });
    try {
      const session = await signIn({ url: node.url, wallet: testWallet(0x71), space: "public" });
      await session.kv.put("bench/value.txt", "x".repeat(1024));
      const uri = `${session.spaceId}/kv/bench/value.txt`;
      await until(
        async () => {
          const s = (await (await fetch(`${node.url}/rollup/status`)).json()) as { anchoredBatch: number; latestBatch: number; pending: number };
          return s.pending === 0 && s.latestBatch >= 1 && s.anchoredBatch === s.latestBatch;
        },
        "every batch anchored",
        { timeoutMs: 300_000, intervalMs: 250 },
      );
      const chain = node.chain!;
      const args = [join(ROOT, "bin/tinycloud.js"), "verify", uri, "--node", node.url, "--rpc", chain.rpcUrl, "--contract", chain.deployment.anchor];
      const cli: number[] = [];
      for (let i = 0; i < 5; i++) {
        const [, ms] = await timed(() => execFileP(join(ROOT, "node_modules/.bin/node"), args, { cwd: ROOT }));
        cli.push(ms);
      }
      row("real stack: `tinycloud verify` process wall time", cli);
      const live = () => verifyUri({ uri, node: fetchNodeSource({ url: node.url }), chain: viemChainSource({ anchor: chain.deployment.anchor, rpcUrl: chain.rpcUrl }), groth16 });
      must(await live());
      const total: number[] = [];
      const fetchMs: number[] = [];
      const verifyMs: number[] = [];
      for (let i = 0; i < 20; i++) {
        const r = await live();
        must(r);
        total.push(r.timings.totalMs);
        fetchMs.push(r.timings.fetchMs);
        verifyMs.push(r.timings.verifyMs);
      }
      row("real stack: in-process verifyUri, warm", total);
      row("  evidence (4 node GETs, 5-6 eth_calls)", fetchMs);
      row("  verification (5 steps)", verifyMs);
    } finally {
      await node.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  }
  await releaseSnarkjsWorkers();
  printTable("light client: verify one KV entry against the anchored root", rows);
}
