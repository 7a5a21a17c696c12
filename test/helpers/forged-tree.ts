/**
 * A forging prover's view of a state tree (test/integration/circuits.test.ts, test/mutation/): raw leaf hashes
 * that may hold anything, with siblings always consistent with what was written, so a forged step
 * breaks exactly the rule under test. Steps are computed the way the circuit computes them, with no
 * validity checks.
 */
import { poseidon4 } from "poseidon-lite/poseidon4";
import { hash3, type StateTree, stateRoot, type SiblingTriple, type UpdateWitness } from "../../core/state/state-tree.js";
import { mod } from "../mutation/r1cs.js";

/** A step's leaf fields (as in UpdateWitness), with its op as the circuit's three flags. */
export type StepFields = Pick<UpdateWitness, "index" | "key" | "nextKey" | "oldValue" | "newValue" | "insKey"> & { isUpdate: bigint; isLow: bigint; isNew: bigint };

/** A step's fields for an op given by name (insKey defaults to 0). */
export type StepData = Omit<StepFields, "isUpdate" | "isLow" | "isNew" | "insKey"> & { insKey?: bigint };

export class ForgedTree {
  /** Node hashes per level, leaves first (levels[depth] = [root]); a write rehashes its path only. */
  readonly #levels: bigint[][];
  readonly depth: number;
  size: number;
  constructor(from: StateTree | ForgedTree, depth?: number) {
    if (from instanceof ForgedTree) {
      this.#levels = from.#levels.map((row) => row.slice());
      this.depth = from.depth;
      this.size = from.size;
      return;
    }
    this.depth = depth ?? from.depth;
    const leaves = Array.from({ length: 4 ** this.depth }, (_, i) => {
      if (i >= from.size) return 0n;
      const l = from.leaf(i);
      return hash3(l.key, l.nextKey, l.value);
    });
    const levels = [leaves];
    for (let l = 0; l < this.depth; l++) {
      const below = levels[l] as bigint[];
      levels.push(Array.from({ length: below.length / 4 }, (_, i) => poseidon4(below.slice(4 * i, 4 * i + 4))));
    }
    this.#levels = levels;
    this.size = from.size;
  }
  siblings(index: number): SiblingTriple[] {
    // Level ℓ (0 = the root's children) holds the other 3 children of the path node's parent.
    const out: SiblingTriple[] = [];
    for (let level = 0; level < this.depth; level++) {
      const row = this.#levels[this.depth - 1 - level] as bigint[];
      const at = Math.floor(index / 4 ** (this.depth - 1 - level));
      const first = at - (at % 4);
      out.push([0, 1, 2, 3].filter((ch) => first + ch !== at).map((ch) => row[first + ch] as bigint) as SiblingTriple);
    }
    return out;
  }
  get treeRoot(): bigint {
    return (this.#levels[this.depth] as bigint[])[0] as bigint;
  }
  #setLeaf(index: number, leaf: bigint): void {
    (this.#levels[0] as bigint[])[index] = leaf;
    let at = index;
    for (let l = 1; l <= this.depth; l++) {
      at = Math.floor(at / 4);
      const below = this.#levels[l - 1] as bigint[];
      (this.#levels[l] as bigint[])[at] = poseidon4(below.slice(4 * at, 4 * at + 4));
    }
  }
  /** A step as the circuit computes it, with no validity checks (the op named by the flags when they are one-hot). */
  step(op: UpdateWitness["op"], fields: StepData): UpdateWitness {
    const flags = { isUpdate: op === "update" ? 1n : 0n, isLow: op === "low" ? 1n : 0n, isNew: op === "new" ? 1n : 0n };
    const f = { insKey: 0n, ...fields };
    const { siblings, oldTreeRoot, oldSize } = this.write({ ...flags, ...f });
    return { op, ...f, siblings, oldTreeRoot, newTreeRoot: this.treeRoot, oldSize, newSize: this.size, oldRoot: stateRoot(oldTreeRoot, oldSize), newRoot: stateRoot(this.treeRoot, this.size) };
  }
  /** Apply a step with arbitrary field flags the way the circuit would (an enabled step writes its new leaf). */
  write(f: StepFields): { siblings: SiblingTriple[]; oldTreeRoot: bigint; oldSize: number } {
    const index = f.index >= 0 && f.index < 4 ** this.depth ? f.index : 0;
    const siblings = this.siblings(index);
    const oldTreeRoot = this.treeRoot;
    const oldSize = this.size;
    const newNext = mod(f.nextKey + f.isLow * (f.insKey - f.nextKey));
    if (mod(f.isUpdate + f.isLow + f.isNew) === 1n) this.#setLeaf(index, hash3(mod(f.key), newNext, mod(f.newValue)));
    this.size = Number(BigInt(this.size) + (f.isNew < 1n << 32n ? f.isNew : 0n));
    return { siblings, oldTreeRoot, oldSize };
  }
}
