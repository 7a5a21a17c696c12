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
 * over the m real updates of the batch in order (no-op / padding steps are skipped, so the commitment
 * does not depend on the circuit size B nor on where padding sits). The anchor contract computes
 * `header` itself (its next batch number, block.chainid, address(this)), so a proof binds one batch of
 * one deployment; `eventsHash` is a field element the sequencer derives from the batch's event CIDs
 * (opaque here), private inside the circuit and folded into the commitment the contract emits.
 *
 * Step encoding (QuadSmtProcessor): enabled = fnc ≠ "noop", isInsert = fnc = "insert"; padding steps are
 * `noopWitness(root, depth)`, i.e. enabled = 0 and every other field 0.
 */
import { poseidon3 } from "poseidon-lite/poseidon3";
import { FIELD_MODULUS, noopWitness, verifyUpdateWitness, type UpdateWitness } from "../node/core/state-tree.js";

/** One real update as the commitment sees it. Entries with `fnc: "noop"` are skipped. */
export interface CommittedUpdate {
  readonly key: bigint;
  readonly newValue: bigint;
  readonly fnc?: UpdateWitness["fnc"];
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
  /** The batch's update witnesses in order (`StateTree.set` results), each one's oldRoot the previous newRoot. */
  readonly witnesses: readonly UpdateWitness[];
  /** Circuit batch size: the number of steps; `witnesses` is padded with no-ops up to it. */
  readonly B: number;
  /** State tree depth the circuit was compiled for. */
  readonly depth: number;
  /** Root before the batch; required when `witnesses` is empty, else must equal `witnesses[0].oldRoot`. */
  readonly oldRoot?: bigint;
  /** Re-verify every witness with the oracle (`verifyUpdateWitness`) before building. Default true. */
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
  enabled: Dec[];
  isInsert: Dec[];
  isOld0: Dec[];
  key: Dec[];
  oldValue: Dec[];
  newValue: Dec[];
  oldKey: Dec[];
  oldLeafValue: Dec[];
  siblings: [Dec, Dec, Dec][][];
  [signal: string]: Dec | Dec[] | [Dec, Dec, Dec][][];
}

/** The inputs of one QuadSmtProcessor(depth) step (without its oldRoot). */
export interface QuadSmtStepInput {
  enabled: Dec;
  isInsert: Dec;
  isOld0: Dec;
  key: Dec;
  oldValue: Dec;
  newValue: Dec;
  oldKey: Dec;
  oldLeafValue: Dec;
  siblings: [Dec, Dec, Dec][];
}

function field(value: bigint | number, what: string): bigint {
  const v = typeof value === "number" ? (Number.isSafeInteger(value) ? BigInt(value) : Number.NaN) : value;
  if (typeof v !== "bigint" || v < 0n || v >= FIELD_MODULUS) throw new RangeError(`${what} must be an integer in [0, p)`);
  return v;
}

const dec = (x: bigint): Dec => x.toString(10);

/** `h_m` of the header: the hash chain over the real updates' (key, newValue), in order. */
export function updatesHash(updates: readonly CommittedUpdate[]): bigint {
  let h = 0n;
  updates.forEach((u, j) => {
    if (u.fnc === "noop") return;
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

/** The inputs of one step; a "noop" maps to enabled = 0 and all-zero fields whatever it carries. */
export function quadSmtStepInput(w: UpdateWitness, depth: number): QuadSmtStepInput {
  if (w.siblings.length !== depth) throw new RangeError(`witness has ${w.siblings.length} sibling levels, the circuit ${depth}`);
  if (w.fnc === "noop") {
    return {
      enabled: "0",
      isInsert: "0",
      isOld0: "0",
      key: "0",
      oldValue: "0",
      newValue: "0",
      oldKey: "0",
      oldLeafValue: "0",
      siblings: Array.from({ length: depth }, (): [Dec, Dec, Dec] => ["0", "0", "0"]),
    };
  }
  const insert = w.fnc === "insert";
  return {
    enabled: "1",
    isInsert: insert ? "1" : "0",
    isOld0: insert ? String(w.isOld0) : "0",
    key: dec(w.key),
    oldValue: insert ? "0" : dec(w.oldValue),
    newValue: dec(w.newValue),
    oldKey: insert && w.isOld0 === 0 ? dec(w.oldKey) : "0",
    oldLeafValue: insert && w.isOld0 === 0 ? dec(w.oldLeafValue) : "0",
    siblings: w.siblings.map((t): [Dec, Dec, Dec] => [dec(t[0]), dec(t[1]), dec(t[2])]),
  };
}

/**
 * The input JSON of EpochTransition(B, depth) for one batch. Throws RangeError when the batch does not
 * fit (more than B witnesses, wrong depth), when the witnesses do not chain (each oldRoot the previous
 * newRoot) or, with `check`, when one fails the oracle's `verifyUpdateWitness`.
 */
export function epochTransitionInput(p: EpochTransitionParams): EpochTransitionInput {
  const { witnesses, B, depth } = p;
  if (!Number.isSafeInteger(B) || B < 1) throw new RangeError("B must be a positive integer");
  if (witnesses.length > B) throw new RangeError(`${witnesses.length} updates do not fit a batch of ${B}`);
  const first = witnesses[0];
  const oldRoot = p.oldRoot ?? first?.oldRoot;
  if (oldRoot === undefined) throw new RangeError("an empty batch needs oldRoot");
  field(oldRoot, "oldRoot");
  let root = oldRoot;
  witnesses.forEach((w, j) => {
    if (w.oldRoot !== root) throw new RangeError(`witnesses[${j}].oldRoot is not the previous root`);
    if ((p.check ?? true) && !verifyUpdateWitness(w, depth)) throw new RangeError(`witnesses[${j}] fails verifyUpdateWitness`);
    root = w.newRoot;
  });
  const steps = [...witnesses];
  while (steps.length < B) steps.push(noopWitness(root, depth));
  const stepInputs = steps.map((w) => quadSmtStepInput(w, depth));
  const pick = <K extends keyof QuadSmtStepInput>(k: K): QuadSmtStepInput[K][] => stepInputs.map((s) => s[k]);

  const commitment = epochCommitment({ context: p.context, batchNumber: p.batchNumber, updates: witnesses, eventsHash: p.eventsHash });
  return {
    oldRoot: dec(oldRoot),
    newRoot: dec(root),
    header: dec(batchHeader(p.batchNumber, p.context)),
    commitment: dec(commitment),
    eventsHash: dec(field(p.eventsHash, "eventsHash")),
    enabled: pick("enabled"),
    isInsert: pick("isInsert"),
    isOld0: pick("isOld0"),
    key: pick("key"),
    oldValue: pick("oldValue"),
    newValue: pick("newValue"),
    oldKey: pick("oldKey"),
    oldLeafValue: pick("oldLeafValue"),
    siblings: pick("siblings"),
  };
}

/** The public signals a proof of `input` has, in snarkjs order: [oldRoot, newRoot, header, commitment]. */
export function epochPublicSignals(input: EpochTransitionInput): [Dec, Dec, Dec, Dec] {
  return [input.oldRoot, input.newRoot, input.header, input.commitment];
}
