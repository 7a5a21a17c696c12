/**
 * Shared by the anchor tests (test/contracts/anchor.test.ts) and the gas bench
 * (test/perf/anchor-gas.bench.ts): real epoch-transition batches built with the state-tree oracle and
 * proven with the project's Groth16 prover (prover/backends/groth16.ts) on the setup pipeline's keys
 * (prover/setup/artifacts.ts runSetup: cached under .cache/, built on first use).
 *
 * No tests here (the Hardhat runner loads every file of test/contracts/, this one defines none).
 */
import { encodeGroth16Proof } from "../../core/rollup/calldata.js";
import type { Hex } from "viem";
import { contractName, runSetup } from "../../prover/setup/artifacts.js";
import { createReporter } from "../../prover/setup/progress.js";
import { Groth16Backend, type CircuitArtifacts } from "../../prover/backends/groth16.js";
import { epochCommitment } from "../../core/rollup/commitment.js";
import { epochTransitionInput, type EpochTransitionInput } from "../../prover/circuit-inputs.js";
import { StateTree, type UpdateWitness } from "../../core/state/state-tree.js";
import { loadVerifiers } from "../../contracts/artifacts.js";

/** The depth-8 test circuits (any 1 and any 2 writes: B = 2 and 4 steps; B is always the step count, circuits.json params[0]). */
export const D8_CIRCUITS = { 1: "epoch_transition_1_d8", 2: "epoch_transition_2_d8" } as const;
export const D8_DEPTH = 8;

export interface EpochCircuit {
  name: string;
  B: number;
  depth: number;
  contract: string;
  verifierId: Hex;
  artifacts: CircuitArtifacts;
}

/** Build (or load from .cache) the circuits' keys and describe them; the verifier ids come from verifiers.json. */
export async function epochCircuits(specs: ReadonlyArray<{ name: string; B: number; depth: number }>, options: { quiet?: boolean } = {}): Promise<EpochCircuit[]> {
  const builds = await runSetup({ circuits: specs.map((s) => s.name), phase2: "insecure-deterministic", reporter: createReporter({ silent: options.quiet ?? true }) });
  const verifiers = loadVerifiers();
  return specs.map((spec) => {
    const build = builds.find((b) => b.name === spec.name)!;
    const registered = verifiers[spec.name];
    if (!registered) throw new Error(`${spec.name} is not in contracts/generated/verifiers.json (run npm run generate)`);
    return {
      ...spec,
      contract: contractName(spec.name),
      verifierId: registered.verifierId,
      artifacts: { wasm: build.wasm, zkey: build.zkey, vkey: build.verificationKey },
    };
  });
}

export interface ProvenBatch {
  batchNumber: bigint;
  circuit: EpochCircuit;
  input: EpochTransitionInput;
  oldRoot: bigint;
  newRoot: bigint;
  header: bigint;
  commitment: bigint;
  updates: number;
  /** abi-encoded Groth16 proof for submitBatch. */
  proof: Hex;
  proveSeconds: number;
}

/** Proves batches with the project's Groth16 backend; call close() when done (snarkjs worker threads). */
export class BatchProver {
  readonly #backend: Groth16Backend;
  #nextKey = 1;

  constructor(circuits: readonly EpochCircuit[]) {
    const table = new Map(circuits.map((c) => [c.name, c.artifacts]));
    this.#backend = new Groth16Backend((name) => table.get(name));
  }

  /** Distinct keys (distinct low 16 bits, so no depth-8 collisions) with some high bits set. */
  freshKey(): bigint {
    const i = this.#nextKey++;
    return (BigInt(i) * 0x9e3779b97f4a7c15n << 20n) | BigInt(i & 0xffff);
  }

  /**
   * Apply `updates` fresh writes to `tree` (mutated) and prove the batch for `context`
   * (epochContext(chainId, anchor)). `updates` may be below the circuit's B (no-op padding).
   */
  async prove(p: { tree: StateTree; circuit: EpochCircuit; batchNumber: bigint; context: bigint; updates: number; eventsHash?: bigint }): Promise<ProvenBatch> {
    const oldRoot = p.tree.root;
    const witnesses: UpdateWitness[] = [];
    for (let i = 0; i < p.updates; i++) witnesses.push(...p.tree.set(this.freshKey(), BigInt(1_000_000 + this.#nextKey)));
    const eventsHash = p.eventsHash ?? 7_000_000n + p.batchNumber;
    const input = epochTransitionInput({ batchNumber: p.batchNumber, context: p.context, eventsHash, witnesses, B: p.circuit.B, depth: p.circuit.depth });
    const result = await this.#backend.prove({ batch: Number(p.batchNumber), circuit: p.circuit.name, input }, () => undefined);
    const commitment = epochCommitment({ context: p.context, batchNumber: p.batchNumber, updates: witnesses, eventsHash });
    const [sOld, sNew, sHeader, sCommitment] = result.publicSignals.map(BigInt);
    if (sOld !== oldRoot || sNew !== p.tree.root || sCommitment !== commitment || sHeader !== BigInt(input.header)) {
      throw new Error(`BUG: public signals ${result.publicSignals.join(",")} do not match the oracle`);
    }
    return {
      batchNumber: p.batchNumber,
      circuit: p.circuit,
      input,
      oldRoot,
      newRoot: p.tree.root,
      header: sHeader,
      commitment,
      updates: p.updates,
      proof: encodeGroth16Proof(result.proof),
      proveSeconds: result.proveSeconds,
    };
  }

  async close(): Promise<void> {
    await this.#backend.close();
  }
}

/** Fresh tree of the circuit depth: its root is the anchor's genesis root. */
export function genesisTree(depth: number): StateTree {
  return new StateTree(depth);
}
