/**
 * Circuit inputs for `circuits/epoch_transition.circom` and the batch commitment it exposes.
 *
 * Public signals of EpochTransition(B, depth), in snarkjs order:
 *
 *     [oldRoot, newRoot, header, commitment]
 *
 *     header      = batchNumber · 2^192 + context,  context = chainId · 2^160 + anchorContract
 *     commitment  = Poseidon(3)(header, updatesHash, eventsHash)
 *     updatesHash = h_m,  h_0 = 0,  h_j = Poseidon(3)(h_{j-1}, key_j, newValue_j)
 *
 * over the m KV writes of the batch in order (an update step, or the "new" step of an insert; "low"
 * and no-op / padding steps are skipped, so the commitment does not depend on the circuit size B nor on
 * where padding sits). The anchor contract computes
 * `header` itself (its next batch number, block.chainid, address(this)), so a proof binds one batch of
 * one deployment; `eventsHash` is a field element the sequencer derives from the batch's event CIDs
 * (opaque here), private inside the circuit and folded into the commitment the contract emits.
 *
 * Step encoding (ImtStep): the flags isUpdate / isLow / isNew are one-hot in the step's op; padding steps
 * are `noopWitness(treeRoot, size, depth)`: every flag and field 0.
 */
import { poseidon3 } from "poseidon-lite/poseidon3";
import { checkWitnessChain, FIELD_MODULUS, noopWitness, stateRoot, type UpdateWitness } from "../core/state/state-tree.js";

/** One KV write as the commitment sees it. Steps with `op` "low" or "noop" are skipped. */
export interface CommittedUpdate {
  readonly key: bigint;
  readonly newValue: bigint;
  readonly op?: UpdateWitness["op"];
}

export interface EpochCommitmentParams {
  readonly context: bigint;
  readonly batchNumber: bigint | number;
  readonly updates: readonly CommittedUpdate[];
  readonly eventsHash: bigint;
}

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

function field(value: bigint | number, what: string): bigint {
  const v = typeof value === "number" ? (Number.isSafeInteger(value) ? BigInt(value) : Number.NaN) : value;
  if (typeof v !== "bigint" || v < 0n || v >= FIELD_MODULUS) throw new RangeError(`${what} must be an integer in [0, p)`);
  return v;
}

const dec = (x: bigint): Dec => x.toString(10);

/** `h_m`: the hash chain over the KV writes' (key, newValue), in order (low and noop steps skipped). */
export function updatesHash(updates: readonly CommittedUpdate[]): bigint {
  let h = 0n;
  updates.forEach((u, j) => {
    if (u.op === "noop" || u.op === "low") return;
    h = poseidon3([h, field(u.key, `updates[${j}].key`), field(u.newValue, `updates[${j}].newValue`)]);
  });
  return h;
}

/** Largest batch number + 1 that fits the header (so header < 2^253 < p). */
export const MAX_BATCH_NUMBER = 1n << 61n;
/** Largest chain id + 1 that fits the header; the anchor contract's constructor enforces the same bound. */
export const MAX_CHAIN_ID = 1n << 32n;

/**
 * The public `header` signal: `batchNumber · 2^192 + context`
 * (Solidity: `uint256(batch) << 192 | block.chainid << 160 | uint160(address(this))`).
 */
export function batchHeader(batchNumber: bigint | number, context: bigint): bigint {
  const n = field(batchNumber, "batchNumber");
  if (n >= MAX_BATCH_NUMBER) throw new RangeError("batchNumber must be below 2^61");
  if (context < 0n || context >= 1n << 192n) throw new RangeError("context must be below 2^192");
  return (n << 192n) | context;
}

/** The public `commitment` signal: Poseidon(3)(header, updatesHash, eventsHash). */
export function epochCommitment(p: EpochCommitmentParams): bigint {
  return poseidon3([batchHeader(p.batchNumber, p.context), updatesHash(p.updates), field(p.eventsHash, "eventsHash")]);
}

/**
 * The deployment context: `chainId · 2^160 + contract` (Solidity: `block.chainid << 160 | uint160(address(this))`).
 * chainId must be below 2^32 (every public EVM chain id in use is) so the header stays below 2^253 < p.
 */
export function epochContext(chainId: bigint | number, contract: `0x${string}` | bigint): bigint {
  const id = typeof chainId === "number" ? BigInt(chainId) : chainId;
  if (id < 0n || id >= MAX_CHAIN_ID) throw new RangeError("chainId must be in [0, 2^32)");
  const address = typeof contract === "bigint" ? contract : /^0x[0-9a-fA-F]{40}$/.test(contract) ? BigInt(contract) : -1n;
  if (address < 0n || address >= 1n << 160n) throw new RangeError("contract must be a 20-byte address");
  return (id << 160n) | address;
}

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
  field(oldTreeRoot, "oldTreeRoot");
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
    eventsHash: dec(field(p.eventsHash, "eventsHash")),
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
