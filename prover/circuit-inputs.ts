/**
 * Circuit inputs for `circuits/epoch_transition.circom`: a batch's steps (state-tree witnesses) as the
 * input JSON of EpochTransition(B, depth), whose public signals are, in snarkjs order,
 *
 *     [oldRoot, newRoot, header, commitment]
 *
 * (header: core/rollup/header.ts, commitment: core/rollup/commitment.ts). Step encoding (ImtStep): the
 * flags isUpdate / isLow / isNew are one-hot in the step's op; padding steps are
 * `noopWitness(treeRoot, size, depth)`: every flag and field 0.
 */
import { toField } from "../core/state/field.js";
import { epochCommitment } from "../core/rollup/commitment.js";
import { batchHeader } from "../core/rollup/header.js";
import { checkWitnessChain, noopWitness, stateRoot, type UpdateWitness } from "../core/state/state-tree.js";

export interface EpochTransitionParams {
  readonly batchNumber: bigint | number;
  readonly context: bigint;
  readonly eventsHash: bigint;
  /** The batch's steps in order (`StateTree.set` results, flattened), each starting where the previous ended. */
  readonly witnesses: readonly UpdateWitness[];
  /** Circuit size: the number of steps; `witnesses` is padded with no-ops up to it. */
  readonly B: number;
  /** State tree depth the circuit was compiled for. */
  readonly depth: number;
  /** Tree root and size before the batch; required when `witnesses` is empty. */
  readonly oldTreeRoot?: bigint;
  readonly oldSize?: number;
  /** Re-verify the steps with the oracle (`checkWitnessChain`) before building. Default true. */
  readonly check?: boolean;
}

type Dec = string;

/** The circuit input JSON of EpochTransition(B, depth): every number a decimal string. */
export interface EpochTransitionInput {
  oldRoot: Dec;
  newRoot: Dec;
  header: Dec;
  commitment: Dec;
  eventsHash: Dec;
  oldTreeRoot: Dec;
  oldSize: Dec;
  isUpdate: Dec[];
  isLow: Dec[];
  isNew: Dec[];
  index: Dec[];
  key: Dec[];
  nextKey: Dec[];
  oldValue: Dec[];
  newValue: Dec[];
  insKey: Dec[];
  siblings: [Dec, Dec, Dec][][];
  [signal: string]: Dec | Dec[] | [Dec, Dec, Dec][][];
}

/** The inputs of one ImtStep(depth) (without its oldTreeRoot / oldSize, which chain). */
export interface ImtStepInput {
  isUpdate: Dec;
  isLow: Dec;
  isNew: Dec;
  index: Dec;
  key: Dec;
  nextKey: Dec;
  oldValue: Dec;
  newValue: Dec;
  insKey: Dec;
  siblings: [Dec, Dec, Dec][];
}

const dec = (x: bigint): Dec => x.toString(10);

/** The inputs of one step; the flags are one-hot in the op (all zero for a noop). */
export function imtStepInput(w: UpdateWitness, depth: number): ImtStepInput {
  if (w.siblings.length !== depth) throw new RangeError(`witness has ${w.siblings.length} sibling levels, the circuit ${depth}`);
  return {
    isUpdate: w.op === "update" ? "1" : "0",
    isLow: w.op === "low" ? "1" : "0",
    isNew: w.op === "new" ? "1" : "0",
    index: String(w.index),
    key: dec(w.key),
    nextKey: dec(w.nextKey),
    oldValue: dec(w.oldValue),
    newValue: dec(w.newValue),
    insKey: dec(w.insKey),
    siblings: w.siblings.map((t): [Dec, Dec, Dec] => [dec(t[0]), dec(t[1]), dec(t[2])]),
  };
}

/**
 * The input JSON of EpochTransition(B, depth) for one batch. Throws RangeError when the batch does not
 * fit (more than B steps, wrong depth), when the steps do not chain, when a low step is not followed by
 * its new step or, with `check`, when a step fails the oracle (`checkWitnessChain`).
 */
export function epochTransitionInput(p: EpochTransitionParams): EpochTransitionInput {
  const { witnesses, B, depth } = p;
  if (!Number.isSafeInteger(B) || B < 1) throw new RangeError("B must be a positive integer");
  if (witnesses.length > B) throw new RangeError(`${witnesses.length} steps do not fit a circuit of ${B}`);
  const first = witnesses[0];
  const oldTreeRoot = p.oldTreeRoot ?? first?.oldTreeRoot;
  const oldSize = p.oldSize ?? first?.oldSize;
  if (oldTreeRoot === undefined || oldSize === undefined) throw new RangeError("an empty batch needs oldTreeRoot and oldSize");
  toField(oldTreeRoot, "oldTreeRoot");
  if (first !== undefined && (first.oldTreeRoot !== oldTreeRoot || first.oldSize !== oldSize)) throw new RangeError("witnesses[0] does not start at oldTreeRoot / oldSize");
  witnesses.forEach((w, j) => {
    const prev = witnesses[j - 1];
    if (prev !== undefined && (w.oldTreeRoot !== prev.newTreeRoot || w.oldSize !== prev.newSize)) throw new RangeError(`witnesses[${j}] does not start where witnesses[${j - 1}] ended`);
  });
  if (p.check ?? true) {
    if (witnesses[witnesses.length - 1]?.op === "low") throw new RangeError("the batch ends with a low step: an insert's two steps go in one batch");
    const bad = checkWitnessChain(witnesses, depth);
    if (bad !== undefined) throw new RangeError(`witnesses[${bad.index}] ${bad.message}`);
  }
  const last = witnesses[witnesses.length - 1];
  const treeRoot = last?.newTreeRoot ?? oldTreeRoot;
  const size = last?.newSize ?? oldSize;
  const steps = [...witnesses];
  while (steps.length < B) steps.push(noopWitness(treeRoot, size, depth));
  const stepInputs = steps.map((w) => imtStepInput(w, depth));
  const pick = <K extends keyof ImtStepInput>(k: K): ImtStepInput[K][] => stepInputs.map((s) => s[k]);

  const commitment = epochCommitment({ context: p.context, batchNumber: p.batchNumber, updates: witnesses, eventsHash: p.eventsHash });
  return {
    oldRoot: dec(stateRoot(oldTreeRoot, oldSize)),
    newRoot: dec(stateRoot(treeRoot, size)),
    header: dec(batchHeader(p.batchNumber, p.context)),
    commitment: dec(commitment),
    eventsHash: dec(toField(p.eventsHash, "eventsHash")),
    oldTreeRoot: dec(oldTreeRoot),
    oldSize: String(oldSize),
    isUpdate: pick("isUpdate"),
    isLow: pick("isLow"),
    isNew: pick("isNew"),
    index: pick("index"),
    key: pick("key"),
    nextKey: pick("nextKey"),
    oldValue: pick("oldValue"),
    newValue: pick("newValue"),
    insKey: pick("insKey"),
    siblings: pick("siblings"),
  };
}

/** The public signals a proof of `input` has, in snarkjs order: [oldRoot, newRoot, header, commitment]. */
export function epochPublicSignals(input: EpochTransitionInput): [Dec, Dec, Dec, Dec] {
  return [input.oldRoot, input.newRoot, input.header, input.commitment];
}
