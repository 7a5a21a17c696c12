/**
 * Proves cut batches: picks the smallest compiled EpochTransition(B, depth) that fits the batch, builds
 * the circuit input from the sequencer's witnesses, submits it to the prover pool (idempotent by batch
 * number), checks that the proof's public signals are exactly this batch's (old root, new root, header,
 * commitment) and stores the proof with its batch: status cut → proving → proven.
 *
 * A batch whose proof fails is retried a bounded number of times with exponential backoff, then
 * reported (`BatchFailures`, shown in /rollup/status) and left "cut"/"proving" in the store: its
 * updates are already in every later batch's roots, so later batches keep being cut and proven; only
 * anchoring, which is strictly in order, waits for it. A restart tries it again (bounded again).
 */
import { expectWire, Groth16ProofSchema } from "../../core/rollup/wire.js";
import { setTimeout as sleep } from "node:timers/promises";
import type { UpdateWitness } from "../../core/state/state-tree.js";
import { epochTransitionInput } from "../../prover/circuit-inputs.js";
import type { ProverPool } from "../../prover/pool/types.js";
import type { RollupStore } from "./rollup-store.js";
import type { BatchRecord } from "./types.js";
import { backoffMs, describeError, type BatchFailures, type RetryPolicy } from "./batch-failures.js";

export interface EpochCircuit {
  readonly name: string;
  /** Steps per proof (EpochTransition's B): an update takes one step, an insert two. */
  readonly B: number;
  readonly depth: number;
}

export interface BatchProverOptions {
  /** Where failed batches are reported (the sequencer's, shown in /rollup/status). */
  readonly failures?: BatchFailures;
  /** Attempts per batch and backoff (default 3 tries, waiting 2 s then 8 s). */
  readonly retry?: RetryPolicy;
  /** The console: one line per batch proven, with the proof's time and circuit (absent: silent). */
  readonly log?: (line: string) => void;
}

export const DEFAULT_PROVE_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 2000 };

export class BatchProver {
  private readonly circuits: EpochCircuit[];
  private readonly inflight = new Map<number, Promise<void>>();
  private readonly provenListeners: ((record: BatchRecord) => void)[] = [];
  /** Cancels backoff waits on close. */
  private readonly closing = new AbortController();

  constructor(
    private readonly pool: ProverPool,
    private readonly rollup: RollupStore,
    circuits: readonly EpochCircuit[],
    depth: number,
    private readonly context: bigint,
    private readonly options: BatchProverOptions = {},
  ) {
    this.circuits = circuits.filter((c) => c.depth === depth).sort((a, b) => a.B - b.B);
    if (this.circuits.length === 0) throw new Error(`no epoch-transition circuit for state tree depth ${depth}`);
  }

  /** Called with each batch's record once its proof is stored (the anchorer submits it). */
  onProven(listener: (record: BatchRecord) => void): void {
    this.provenListeners.push(listener);
  }

  /** The most KV writes a proof always holds (each may be an insert, two steps): the sequencer's cut size must not exceed it. */
  get maxUpdates(): number {
    return Math.floor((this.circuits[this.circuits.length - 1] as EpochCircuit).B / 2);
  }

  /** The smallest circuit with room for this many steps. */
  circuitFor(steps: number): EpochCircuit {
    const circuit = this.circuits.find((c) => c.B >= steps);
    if (circuit === undefined) throw new Error(`a batch of ${steps} steps exceeds the largest circuit (${(this.circuits[this.circuits.length - 1] as EpochCircuit).B} steps)`);
    return circuit;
  }

  /**
   * Prove one batch (once: concurrent calls share the work). Never rejects: a failure is retried with
   * backoff up to the policy's attempts, then reported and given up.
   */
  prove(record: BatchRecord, witnesses: readonly UpdateWitness[]): Promise<void> {
    let running = this.inflight.get(record.number);
    if (running === undefined) {
      running = this.attempt(record, witnesses).finally(() => this.inflight.delete(record.number));
      this.inflight.set(record.number, running);
    }
    return running;
  }

  private async attempt(record: BatchRecord, witnesses: readonly UpdateWitness[]): Promise<void> {
    const policy = this.options.retry ?? DEFAULT_PROVE_RETRY;
    for (let attempt = 1; !this.closing.signal.aborted; attempt++) {
      try {
        await this.run(record, witnesses);
        this.options.failures?.clear("prove", record.number);
        return;
      } catch (error) {
        // Shutting down: the pool failed the job on purpose. The batch stays cut/proving in the store and
        // is proven after the restart (the sequencer hands unproven batches to the prover at start).
        if (this.closing.signal.aborted) return;
        const retrying = attempt < policy.attempts;
        this.options.failures?.record({ number: record.number, stage: "prove", ...describeError(error), attempts: attempt, retrying });
        console.error(`prover: batch ${record.number} failed (attempt ${attempt} of ${policy.attempts}${retrying ? "" : ", giving up"}):`, describeError(error).error);
        if (!retrying) return;
        try {
          await sleep(backoffMs(policy, attempt), undefined, { signal: this.closing.signal });
        } catch {
          return; // closing
        }
      }
    }
  }

  private async run(record: BatchRecord, witnesses: readonly UpdateWitness[]): Promise<void> {
    const circuit = this.circuitFor(witnesses.length);
    const input = epochTransitionInput({
      batchNumber: record.number,
      context: this.context,
      eventsHash: BigInt(record.eventsHash),
      witnesses,
      B: circuit.B,
      depth: circuit.depth,
    });
    if (input.oldRoot !== record.oldRoot || input.newRoot !== record.newRoot) throw new Error(`batch ${record.number}: its steps do not lead from the record's old root to its new root`);
    await this.rollup.updateBatch({ ...record, status: "proving", circuit: circuit.name });
    const expected = [record.oldRoot, record.newRoot, record.header, record.commitment];
    const matches = (signals: readonly string[]) => signals.length === expected.length && signals.every((s, i) => s === expected[i]);
    const started = performance.now();
    let result = await this.pool.submit({ batch: record.number, circuit: circuit.name, input });
    if (!matches(result.publicSignals)) {
      // Jobs are keyed by batch number: a shared Redis may still hold another deployment's (or a wiped
      // data directory's) finished job for this number. Drop it and prove this batch.
      await (this.pool as ProverPool & { forget?: (batch: number) => Promise<void> }).forget?.(record.number);
      result = await this.pool.submit({ batch: record.number, circuit: circuit.name, input });
      if (!matches(result.publicSignals)) {
        throw new Error(`batch ${record.number}: proof public signals ${JSON.stringify(result.publicSignals)} are not the batch's ${JSON.stringify(expected)}`);
      }
    }
    const current = (await this.rollup.batch(record.number)) ?? record;
    const proven: BatchRecord = {
      ...current,
      status: "proven",
      circuit: circuit.name,
      proof: expectWire(Groth16ProofSchema, result.proof, `the proof of batch ${record.number}`),
      publicSignals: result.publicSignals,
      provenAt: Date.now(),
    };
    await this.rollup.updateBatch(proven);
    // The time includes a wait in the pool's queue when several batches are proven at once.
    this.options.log?.(`batch ${record.number} proven in ${((performance.now() - started) / 1000).toFixed(1)} s (${circuit.name})`);
    for (const listener of this.provenListeners) listener(proven);
  }

  /** Stop proving: no retry starts, and the in-flight proofs end as soon as the pool fails their jobs (it is closed alongside). */
  async close(): Promise<void> {
    this.closing.abort();
    await Promise.allSettled([...this.inflight.values()]);
  }
}
