/**
 * Issue #3 benchmark: authorized KV puts per second over HTTP (one client process, loopback, small
 * values), next to raw Ed25519 verifies per second on the same machine, as a ratio (target >= 0.5);
 * and gets per second. The node runs in a child process, so client and server do not share an event loop.
 *
 * Every request carries a fresh UCAN (signed ahead of time, so the figure is the node's, not the
 * client's signing speed): the node decodes it, verifies its signature, resolves the proof chain,
 * checks replay, writes the value, a new signed epoch and the version history in one atomic batch.
 *
 * Issue #10: the same run measures the node with the rollup (sequencer + state tree, batches cut but
 * not proven: `--no-prove`) and without it (`--no-rollup`), each on a fresh data directory, and prints
 * the ratios (targets: puts >= 0.9x, gets >= 0.95x). `BENCH_ROUNDS=n` alternates the two n times and
 * keeps each mode's best round (the machine is shared: the best round is the least disturbed one).
 * `BENCH_DRAIN=1` also times how fast the rollup's backlog drains once the requests stop.
 */
import { spawn } from "node:child_process";
import http from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { ed25519 } from "@noble/curves/ed25519.js";
import { signIn } from "../../node/client/client.js";
import { makeCapability } from "../../core/capability.js";
import { nativeEd25519Verify } from "../../node/crypto/native-ed25519.js";
import { nobleEd25519Verify } from "../../core/keys.js";
import { testWallet } from "../helpers/wallets.js";
import { fmt, measure, printTable } from "./harness.js";

const CONCURRENCY = 16;
const OPS = 6000;

async function startChildNode(dataDir: string, rollup: boolean): Promise<{ url: string; stop(): void }> {
  const flags = rollup ? ["--no-prove"] : ["--no-rollup"];
  const child = spawn(
    process.execPath,
    [...(process.env.BENCH_NODE_PROF ? ["--cpu-prof", "--cpu-prof-dir=.scratch/prof-node"] : []), "bin/tinycloud.js", "node", "--port", "0", ...flags, "--data", dataDir],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve(m[1] as string);
    });
    child.once("exit", (code) => reject(new Error(`node exited with ${code}`)));
  });
  return { url, stop: () => child.kill(process.env.BENCH_NODE_PROF ? "SIGINT" : "SIGKILL") };
}

/** node:http with keep-alive: on 2 shared cores, undici's fetch alone caps near 3.4k req/s, node:http near 7k. */
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function post(url: string, headers: Record<string, string>, body?: Uint8Array): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${url}/invoke`, { method: "POST", agent, headers: { ...headers, "content-length": String(body?.length ?? 0) } }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (c: Buffer) => chunks.push(c));
      response.on("end", () => (response.statusCode === 200 ? resolve(200) : reject(new Error(`${response.statusCode}: ${Buffer.concat(chunks).toString()}`))));
    });
    request.on("error", reject);
    request.end(body === undefined ? undefined : Buffer.from(body));
  });
}

async function run(tokens: string[], send: (token: string) => Promise<number>): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < tokens.length) await send(tokens[next++] as string);
    }),
  );
  return tokens.length / ((performance.now() - start) / 1000);
}

interface NodeFigures {
  readonly puts: number;
  readonly gets: number;
  /** Rollup on: where the sequencer stood when the gets finished (it lags under load by design). */
  readonly rollup?: { readonly latestBatch: number; readonly pending: number };
}

/** One node (rollup on or off) on a fresh data directory: warm-up, puts, then gets of the same keys. */
async function measureNode(rollup: boolean): Promise<NodeFigures> {
  const dataDir = await mkdtemp(join(tmpdir(), "tinycloud-bench-"));
  const node = await startChildNode(dataDir, rollup);
  try {
    const session = await signIn({ url: node.url, wallet: testWallet(0x11) });
    const value = new TextEncoder().encode("small value, 32 bytes long......");
    const putTokens = Array.from({ length: OPS }, (_, i) => session.invocation([makeCapability(session.resource("kv", `bench/${i}`), "tinycloud.kv/put")], 120));
    const getTokens = Array.from({ length: OPS }, (_, i) => session.invocation([makeCapability(session.resource("kv", `bench/${i}`), "tinycloud.kv/get")], 120));
    // Warm up the connection pool and the node's caches.
    await run(putTokens.splice(0, 200), (t) => post(node.url, { authorization: t, "content-type": "text/plain" }, value));
    const puts = await run(putTokens, (t) => post(node.url, { authorization: t, "content-type": "text/plain" }, value));
    const gets = await run(getTokens.slice(200), (t) => post(node.url, { authorization: t }));
    if (!rollup) return { puts, gets };
    const rollupStatus = async () => (await (await fetch(`${node.url}/rollup/status`)).json()) as { latestBatch: number; pending: number };
    const status = await rollupStatus();
    if (process.env.BENCH_DRAIN !== undefined) {
      // How fast the backlog drains once requests stop (the tree worker then has the CPU).
      const start = performance.now();
      let now = status;
      while (now.pending > 0 && performance.now() - start < 600_000) {
        await new Promise((r) => setTimeout(r, 500));
        now = await rollupStatus();
      }
      const seconds = (performance.now() - start) / 1000;
      console.log(
        `  drain: ${status.pending} pending updates batched in ${fmt(seconds, 1)} s (${fmt((status.pending - now.pending) / seconds)} updates/s, ${now.latestBatch - status.latestBatch} batches)`,
      );
    }
    return { puts, gets, rollup: { latestBatch: status.latestBatch, pending: status.pending } };
  } finally {
    node.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

export async function run_(): Promise<void> {
  const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 1) || 1);
  const loadBefore = loadavg();
  const on: NodeFigures[] = [];
  const off: NodeFigures[] = [];
  for (let r = 0; r < rounds; r++) {
    // Alternate the order so neither mode always runs on the warmer (or busier) machine.
    for (const rollup of r % 2 === 0 ? [false, true] : [true, false]) (rollup ? on : off).push(await measureNode(rollup));
  }
  const loadAfter = loadavg();
  const best = (list: NodeFigures[], f: (x: NodeFigures) => number) => Math.max(...list.map(f));
  const onPuts = best(on, (x) => x.puts);
  const onGets = best(on, (x) => x.gets);
  const offPuts = best(off, (x) => x.puts);
  const offGets = best(off, (x) => x.gets);

  const value = new TextEncoder().encode("small value, 32 bytes long......");
  const sample = ed25519.sign(value, new Uint8Array(32).fill(9));
  const pub = ed25519.getPublicKey(new Uint8Array(32).fill(9));
  const native = await measure("raw native Ed25519 verify", () => nativeEd25519Verify(sample, value, pub));
  const noble = await measure("raw noble Ed25519 verify", () => nobleEd25519Verify(sample, value, pub));
  printTable(`KV over HTTP, rollup on (loopback, ${CONCURRENCY} in flight, 32-byte values, node in a child process)`, [
    ["measure", "per second", "ratio to native verify (node's verifier; target >= 0.5)", "ratio to noble verify (core's portable verifier)"],
    ["authorized puts", fmt(onPuts), fmt(onPuts / native.opsPerSecond, 2), fmt(onPuts / noble.opsPerSecond, 2)],
    ["authorized gets", fmt(onGets), fmt(onGets / native.opsPerSecond, 2), fmt(onGets / noble.opsPerSecond, 2)],
    ["raw Ed25519 verifies, node:crypto", fmt(native.opsPerSecond), "1.00", ""],
    ["raw Ed25519 verifies, noble (pure JS)", fmt(noble.opsPerSecond), "", "1.00"],
  ]);
  const lag = on.map((x) => `${x.rollup?.latestBatch ?? 0} batches cut, ${x.rollup?.pending ?? 0} updates pending`).join("; ");
  printTable(`KV over HTTP, rollup on (--no-prove) vs off (--no-rollup): best of ${rounds} round(s) each, ${OPS} ops per phase`, [
    ["measure", "rollup on /s", "rollup off /s", "on / off", "target"],
    ["authorized puts", fmt(onPuts), fmt(offPuts), fmt(onPuts / offPuts, 2), ">= 0.90"],
    ["authorized gets", fmt(onGets), fmt(offGets), fmt(onGets / offGets, 2), ">= 0.95"],
  ]);
  console.log(`  every round: on ${on.map((x) => `${fmt(x.puts)}/${fmt(x.gets)}`).join(", ")}; off ${off.map((x) => `${fmt(x.puts)}/${fmt(x.gets)}`).join(", ")} (puts/gets per second)`);
  console.log(`  rollup at the end of each on-round (it lags under load by design, and catches up when idle): ${lag}`);
  console.log(`  load average before ${loadBefore.map((l) => l.toFixed(2)).join(" ")}, after ${loadAfter.map((l) => l.toFixed(2)).join(" ")} (1/5/15 min; the machine's other users count)`);
}

export { run_ as run };
