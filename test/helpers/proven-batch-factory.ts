/**
 * The test suite's one maker of Groth16-proven epoch-transition batches: real proofs from the project's
 * Groth16 backend (prover/backends/groth16.ts) on the setup pipeline's keys (prover/setup/artifacts.ts
 * `runSetup`, INSECURE deterministic phase 2, cached under .cache/ and built on first use).
 *
 * - `prove(transition)`: any transition, witnesses given (forged roots and no-op batches included);
 * - `proveWrites(...)`: fresh writes applied to a state tree, proven, with the calldata the anchor takes;
 * - `records(context)`: consecutive proven `BatchRecord`s of one tree, as a node stores them.
 *
 * Used by the contract tests (test/contracts/), the anchorer and light-client e2e tests and the gas bench.
 * Call close() when done (snarkjs keeps worker threads).
 */
import type { Hex } from "viem";
import { encodeGroth16Proof } from "../../core/rollup/calldata.js";
import { expectWire, Groth16ProofSchema } from "../../core/rollup/wire.js";
import { loadVerifiers } from "../../contracts/artifacts.js";
import { StateTree, type UpdateWitness } from "../../core/state/state-tree.js";
import type { BatchRecord, StateUpdate } from "../../node/rollup/types.js";
import { Groth16Backend, type CircuitArtifacts } from "../../prover/backends/groth16.js";
import type { Groth16Proof } from "../../prover/backends/snarkjs-api.js";
import { batchHeader } from "../../core/rollup/header.js";
import { epochCommitment } from "../../core/rollup/commitment.js";
import { epochTransitionInput, type EpochTransitionInput } from "../../prover/circuit-inputs.js";
import { contractName, runSetup } from "../../prover/setup/artifacts.js";
import { createReporter } from "../../prover/setup/progress.js";

/** An epoch-transition circuit: B steps (circuits.json params[0]) over a tree of `depth`. */
export interface CircuitSpec {
  readonly name: string;
  readonly B: number;
  readonly depth: number;
}

/** The depth-8 test circuits: any 1 write (B = 2 steps) and any 2 writes (B = 4). */
export const D8_DEPTH = 8;
export const D8_CIRCUITS: readonly CircuitSpec[] = [
  { name: "epoch_transition_1_d8", B: 2, depth: D8_DEPTH },
  { name: "epoch_transition_2_d8", B: 4, depth: D8_DEPTH },
];

/** The node's smallest production circuit: any 1 write at depth 16. */
export const ET1_D16: CircuitSpec = { name: "epoch_transition_1", B: 2, depth: 16 };

/** A circuit with its keys and its verifier registration (contracts/generated/verifiers.json). */
export interface EpochCircuit extends CircuitSpec {
  readonly contract: string;
  readonly verifierId: Hex;
  readonly artifacts: CircuitArtifacts;
}

/** What `prove` takes: the circuit input's parts (see prover/circuit-inputs.ts epochTransitionInput). */
export interface Transition {
  readonly circuit: string;
  readonly batchNumber: number | bigint;
  readonly context: bigint;
  readonly eventsHash: bigint;
  readonly witnesses: readonly UpdateWitness[];
  /** Needed for a batch without witnesses (a no-op batch). */
  readonly oldTreeRoot?: bigint;
  readonly oldSize?: number;
}

export interface ProvenTransition {
  readonly input: EpochTransitionInput;
  /** snarkjs proof JSON. */
  readonly proof: Groth16Proof;
  /** [oldRoot, newRoot, header, commitment] as decimal strings. */
  readonly publicSignals: string[];
  readonly proveSeconds: number;
}

export interface ProvenBatch {
  readonly batchNumber: bigint;
  readonly circuit: EpochCircuit;
  readonly input: EpochTransitionInput;
  readonly oldRoot: bigint;
  readonly newRoot: bigint;
  readonly header: bigint;
  readonly commitment: bigint;
  readonly eventsHash: bigint;
  /** The writes, in order (key, value). */
  readonly writes: ReadonlyArray<{ key: bigint; value: bigint }>;
  readonly snarkProof: Groth16Proof;
  readonly publicSignals: string[];
  /** abi-encoded Groth16 proof for submitBatch (the anchorer's encoder). */
  readonly proof: Hex;
  readonly proveSeconds: number;
}

export class ProvenBatchFactory {
  readonly specs: readonly CircuitSpec[];
  #circuits: Promise<EpochCircuit[]> | undefined;
  #backend: Groth16Backend | undefined;
  #nextKey = 1;

  constructor(specs: readonly CircuitSpec[] = D8_CIRCUITS) {
    this.specs = specs;
  }

  /** The circuits with their keys (built or loaded from .cache on first use) and verifier ids. */
  circuits(): Promise<EpochCircuit[]> {
    this.#circuits ??= (async () => {
      const builds = await runSetup({ circuits: this.specs.map((s) => s.name), phase2: "insecure-deterministic", reporter: createReporter({ silent: true }) });
      const verifiers = loadVerifiers();
      return this.specs.map((spec) => {
        const build = builds.find((b) => b.name === spec.name);
        const registered = verifiers[spec.name];
        if (build === undefined) throw new Error(`runSetup built no keys for ${spec.name}`);
        if (registered === undefined) throw new Error(`${spec.name} is not in contracts/generated/verifiers.json (run npm run generate)`);
        return { ...spec, contract: contractName(spec.name), verifierId: registered.verifierId, artifacts: { wasm: build.wasm, zkey: build.zkey, vkey: build.verificationKey } };
      });
    })();
    return this.#circuits;
  }

  /** The circuit called `name`. */
  async circuit(name: string): Promise<EpochCircuit> {
    const found = (await this.circuits()).find((c) => c.name === name);
    if (found === undefined) throw new Error(`${name} is not one of this factory's circuits (${this.specs.map((s) => s.name).join(", ")})`);
    return found;
  }

  /** Prove any transition (no validity checks beyond the circuit's own). */
  async prove(t: Transition): Promise<ProvenTransition> {
    const circuit = await this.circuit(t.circuit);
    const input = epochTransitionInput({
      batchNumber: t.batchNumber,
      context: t.context,
      eventsHash: t.eventsHash,
      witnesses: [...t.witnesses],
      B: circuit.B,
      depth: circuit.depth,
      ...(t.oldTreeRoot === undefined ? {} : { oldTreeRoot: t.oldTreeRoot }),
      ...(t.oldSize === undefined ? {} : { oldSize: t.oldSize }),
    });
    const table = new Map((await this.circuits()).map((c) => [c.name, c.artifacts]));
    this.#backend ??= new Groth16Backend((name) => table.get(name));
    const result = await this.#backend.prove({ batch: Number(t.batchNumber), circuit: circuit.name, input }, () => undefined);
    return { input, proof: result.proof as Groth16Proof, publicSignals: result.publicSignals, proveSeconds: result.proveSeconds };
  }

  /** Distinct keys (distinct low 16 bits, so no depth-8 collisions) with some high bits set. */
  freshKey(): bigint {
    const i = this.#nextKey++;
    return ((BigInt(i) * 0x9e3779b97f4a7c15n) << 20n) | BigInt(i & 0xffff);
  }

  /**
   * Apply `updates` fresh writes to `tree` (mutated) and prove the batch for `context`
   * (epochContext(chainId, anchor)). `updates` may be below what the circuit fits (no-op padding).
   */
  async proveWrites(p: { tree: StateTree; circuit: string; batchNumber: bigint; context: bigint; updates: number; eventsHash?: bigint }): Promise<ProvenBatch> {
    const circuit = await this.circuit(p.circuit);
    const oldRoot = p.tree.root;
    const writes: { key: bigint; value: bigint }[] = [];
    const witnesses: UpdateWitness[] = [];
    for (let i = 0; i < p.updates; i++) {
      const key = this.freshKey();
      const value = BigInt(1_000_000 + this.#nextKey);
      writes.push({ key, value });
      witnesses.push(...p.tree.set(key, value));
    }
    const eventsHash = p.eventsHash ?? 7_000_000n + p.batchNumber;
    const proven = await this.prove({ circuit: circuit.name, batchNumber: p.batchNumber, context: p.context, eventsHash, witnesses });
    const commitment = epochCommitment({ context: p.context, batchNumber: p.batchNumber, updates: witnesses, eventsHash });
    const [sOld, sNew, sHeader, sCommitment] = proven.publicSignals.map(BigInt);
    if (sOld !== oldRoot || sNew !== p.tree.root || sCommitment !== commitment || sHeader !== batchHeader(p.batchNumber, p.context)) {
      throw new Error(`BUG: public signals ${proven.publicSignals.join(",")} do not match the oracle`);
    }
    return {
      batchNumber: p.batchNumber,
      circuit,
      input: proven.input,
      oldRoot,
      newRoot: p.tree.root,
      header: sHeader,
      commitment,
      eventsHash,
      writes,
      snarkProof: proven.proof,
      publicSignals: proven.publicSignals,
      proof: encodeGroth16Proof(proven.proof),
      proveSeconds: proven.proveSeconds,
    };
  }

  /**
   * Consecutive proven batch records of one tree of this factory's depth, as a node stores them:
   * `next(k)` writes k values (k up to the largest circuit's capacity) and proves them with the
   * smallest circuit that fits.
   */
  records(context: bigint): { readonly tree: StateTree; next(writes: number): Promise<BatchRecord> } {
    const tree = new StateTree(this.specs[0]?.depth ?? D8_DEPTH);
    let number = 0;
    let seq = 0;
    return {
      tree,
      next: async (count) => {
        const spec = this.specs.find((s) => s.B >= 2 * count);
        if (spec === undefined) throw new Error(`no circuit of this factory fits ${count} writes`);
        const n = ++number;
        const batch = await this.proveWrites({ tree, circuit: spec.name, batchNumber: BigInt(n), context, updates: count, eventsHash: BigInt(42 + n) });
        const updates: StateUpdate[] = batch.writes.map((w, i) => ({
          seq: seq++,
          spaceId: "test-space",
          service: "kv",
          path: `b${n}-${i}`,
          key: w.key.toString(),
          contentHash: String(i),
          version: 1,
          deleted: false,
          value: w.value.toString(),
          event: `event-${n}-${i}`,
          epoch: `epoch-${n}-${i}`,
        }));
        return {
          number: n,
          oldRoot: batch.oldRoot.toString(),
          newRoot: batch.newRoot.toString(),
          updates,
          eventCids: updates.map((u) => u.event),
          eventsHash: batch.eventsHash.toString(),
          header: batch.header.toString(),
          commitment: batch.commitment.toString(),
          status: "proven",
          cutAt: Date.now(),
          provenAt: Date.now(),
          proof: expectWire(Groth16ProofSchema, batch.snarkProof, "proof"),
          publicSignals: batch.publicSignals,
          circuit: spec.name,
        };
      },
    };
  }

  async close(): Promise<void> {
    await this.#backend?.close();
  }
}
