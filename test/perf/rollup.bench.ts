/**
 * Epoch-transition circuits. For each built circuit and each kind of batch (updates of stored keys: one
 * step each; inserts: two steps each): constraints per write, witness seconds and Groth16 prove seconds
 * per batch and per write (snarkjs wasm witness, one process, artifacts loaded once). Inputs are real
 * batches from the TypeScript state tree.
 * Depth-16 circuits are built on first use (minutes; cached afterwards).
 */
import { readFile } from "node:fs/promises";
import { StateTree, stateKey, leafValue } from "../../core/state/state-tree.js";
import { epochTransitionInput } from "../../prover/circuit-inputs.js";
import { releaseSnarkjsWorkers, runSetup } from "../../prover/setup/artifacts.js";
import { createReporter } from "../../prover/setup/progress.js";
import { loadSnarkjs } from "../../prover/backends/snarkjs-api.js";
import { fmt, printTable } from "./harness.js";

const CIRCUITS = (process.env["BENCH_CIRCUITS"] ?? "epoch_transition_1_d8,epoch_transition_2_d8,epoch_transition_1,epoch_transition_4").split(",");
const RUNS = 3;

export async function run(): Promise<void> {
  const snarkjs = (await loadSnarkjs()) as unknown as {
    wtns: { calculate(input: unknown, wasm: Uint8Array | { type: "mem"; data: Uint8Array }, out: { type: "mem" }): Promise<void> };
    groth16: { prove(zkey: { type: "mem"; data: Uint8Array }, wtns: { type: "mem"; data?: Uint8Array }): Promise<{ proof: unknown; publicSignals: string[] }> };
  };
  const builds = await runSetup({ circuits: CIRCUITS, phase2: "insecure-deterministic", reporter: createReporter() });
  const manifest = JSON.parse(await readFile(new URL("../../circuits/circuits.json", import.meta.url), "utf8")) as { circuits: { name: string; params: number[] }[] };
  const rows: string[][] = [["circuit", "batch of", "steps B", "writes", "capacity", "constraints", "per write", "witness s", "prove s / batch", "prove s / write"]];
  for (const build of builds) {
    const [B, depth] = (manifest.circuits.find((c) => c.name === build.name) as { params: number[] }).params as [number, number];
    const wasm = new Uint8Array(await readFile(build.wasm));
    const zkey = new Uint8Array(await readFile(build.zkey));
    // Two kinds of batch: B updates of stored keys (one step each), and B/2 inserts (two steps each).
    for (const kind of ["update", "insert"] as const) {
      let witnessSeconds = 0;
      let proveSeconds = 0;
      for (let r = 0; r < RUNS; r++) {
        const tree = new StateTree(depth);
        const space = "tinycloud:pkh:eip155:1:0x0000000000000000000000000000000000000001:bench";
        for (let i = 0; i < Math.min(30, tree.capacity / 2); i++) tree.set(stateKey(space, "kv", `seed/${r}/${i}`), BigInt(i + 1));
        const witnesses = [];
        for (let i = 0; witnesses.length < B; i++) {
          const path = kind === "update" ? `seed/${r}/${i % 30}` : `k/${r}/${i}`;
          witnesses.push(...tree.set(stateKey(space, "kv", path), leafValue(BigInt(i + 7), 2, false)));
        }
        const input = epochTransitionInput({ batchNumber: r + 1, context: 1n, eventsHash: 5n, witnesses, B, depth });
        const wtns: { type: "mem"; data?: Uint8Array } = { type: "mem" };
        const t0 = performance.now();
        await snarkjs.wtns.calculate(input, wasm, wtns as { type: "mem" });
        const t1 = performance.now();
        await snarkjs.groth16.prove({ type: "mem", data: zkey }, wtns);
        const t2 = performance.now();
        if (r > 0) {
          // The first run loads the curve and compiles the wasm: report warm figures, as the pool keeps them.
          witnessSeconds += (t1 - t0) / 1000;
          proveSeconds += (t2 - t1) / 1000;
        }
      }
      const n = RUNS - 1;
      const writes = kind === "update" ? B : B / 2;
      const capacity = 4 ** depth;
      rows.push([
        build.name,
        kind,
        String(B),
        String(writes),
        capacity >= 2 ** 32 ? `2^${2 * depth}` : `4^${depth}`,
        fmt(build.constraints),
        fmt(build.constraints / writes),
        fmt(witnessSeconds / n, 3),
        fmt(proveSeconds / n, 2),
        fmt(proveSeconds / n / writes, 2),
      ]);
    }
  }
  printTable("Epoch-transition circuits (Groth16, snarkjs, warm; targets at depth 16 / capacity 2^32: <= 12,000 constraints per update, <= 24,000 per insert)", rows);
  await releaseSnarkjsWorkers();
}
