/**
 * The state tree: an indexed Merkle tree (quaternary, Poseidon) over every KV entry the node hosts.
 *
 * This module is THE oracle (specification: `circuits/state-tree.md`). The circuits in `circuits/` and
 * the contract tests are checked against it bit for bit, so it is pure (no I/O, browser-safe) and every
 * formula below is written out in full.
 *
 * Why an indexed tree: the previous design placed a key by its low 32 bits, so ~2^16 hashes found two
 * keys that could not both be stored, and one user could jam every batch. Here a key's POSITION is
 * allocated in insertion order (0, 1, 2, …) and the full 248-bit key lives in the leaf, so two keys
 * never compete for a slot; capacity is 4^depth = 2^32 leaves at depth 16. Absence is proven with a
 * sorted linked list through the leaves (Aztec's nullifier tree): every leaf names the next larger key.
 *
 * Conventions (they match the spec):
 *
 * - Field: BN254 scalar field, `FIELD_MODULUS`. Every key, value and hash is an integer in [0, p).
 * - H2/H3/H4 = Poseidon(2/3/4), circomlib's parameters (`poseidon-lite`).
 * - Leaf at position i: `H3(key, nextKey, value)`; an unused position is 0. `nextKey` is the next larger
 *   stored key, or 0 for the largest. Position 0 holds the list head `(0, smallestKey, 0)` from genesis.
 * - Internal node: `H4(c0, c1, c2, c3)`; an all-empty subtree of height h hashes to `zeros[h]`
 *   (`zeros[0] = 0`, `zeros[h+1] = H4(zeros[h] ×4)`): the tree is NOT compressed, every path has `depth`
 *   levels, so the circuit needs no level hints.
 * - Position digits, most significant first: the digit of position i at level ℓ (0 = the root's
 *   children) is `(i >> 2(depth-1-ℓ)) & 3`.
 * - Siblings: `siblings[ℓ]` is the triple of the OTHER children of the path node at level ℓ, in child
 *   order. `place(x, c, [s0, s1, s2])` inserts x at index c. A node on the path at level ℓ is
 *   `H4(place(child, digit[ℓ], siblings[ℓ]))`.
 * - The state ROOT binds the tree to its size: `root = H2(treeRoot, size)`, so the next free position
 *   is part of the state and an insert's position is not the prover's choice.
 *
 * Performance: `poseidon-lite` costs about 0.3 ms per H4 in Node, which dominates everything here, so
 * the node runs this tree off the request thread. Nodes are immutable and shared (path copying): a
 * `snapshot()` is O(1) and an update allocates `depth` nodes, so no whole-tree copy is ever made.
 */
import { blake3 } from "@noble/hashes/blake3.js";
// Subpath imports: the package root is CommonJS and pulls in every arity (~600 KB in a browser bundle).
import { poseidon2 } from "poseidon-lite/poseidon2";
import { poseidon3 } from "poseidon-lite/poseidon3";
import { poseidon4 } from "poseidon-lite/poseidon4";
import { TinyCloudError } from "../errors.js";
import { FIELD_MODULUS, isField } from "./field.js";

// ---------------------------------------------------------------------------------------------------
// Constants and errors
// ---------------------------------------------------------------------------------------------------

/** Default depth: 16 quaternary levels = 4^16 = 2^32 leaf positions. */
export const STATE_TREE_DEPTH = 16;

/** The BN254 scalar field modulus p. */
export { FIELD_MODULUS };

/** Largest supported depth: 26 levels = 2^52 positions, the largest index a JS number holds exactly. */
export const MAX_STATE_TREE_DEPTH = 26;

/** Keys are 248-bit (31 bytes of blake3); the circuit range-checks inserted keys to this width. */
export const STATE_KEY_BITS = 248;

export type StateErrorCode = "STATE_TREE_FULL" | "STATE_RESERVED_KEY" | "STATE_BAD_PROOF" | "STATE_MISSING_KEY" | "STATE_OUT_OF_FIELD";

export class StateError extends TinyCloudError<StateErrorCode> {
  override readonly name = "StateError" as const;
}

/** A sibling triple: the three other children of a path node, in child order. */
export type SiblingTriple = [bigint, bigint, bigint];

// ---------------------------------------------------------------------------------------------------
// Field helpers and hashing
// ---------------------------------------------------------------------------------------------------

function requireField(value: unknown, what: string): bigint {
  if (typeof value !== "bigint") throw new TypeError(`${what} must be a bigint`);
  if (value < 0n || value >= FIELD_MODULUS) {
    throw new StateError("STATE_OUT_OF_FIELD", `${what} is not in the BN254 scalar field [0, p)`, { details: { what } });
  }
  return value;
}

function requireKey(value: unknown, what: string): bigint {
  const key = requireField(value, what);
  if (key >= 1n << BigInt(STATE_KEY_BITS)) throw new StateError("STATE_OUT_OF_FIELD", `${what} must be below 2^${STATE_KEY_BITS}`, { details: { what } });
  return key;
}

function requireDepth(depth: number): number {
  if (!Number.isSafeInteger(depth) || depth < 1 || depth > MAX_STATE_TREE_DEPTH) {
    throw new RangeError(`state tree depth must be an integer in 1..${MAX_STATE_TREE_DEPTH}, got ${String(depth)}`);
  }
  return depth;
}

// Two-generation memo: lookups hit `current` then `previous`; when `current` is full it becomes
// `previous`. Bounded (2 × MEMO_LIMIT entries per arity) and keyed by the exact ordered inputs.
const MEMO_LIMIT = 1 << 14;

class PoseidonMemo {
  #current = new Map<string, bigint>();
  #previous = new Map<string, bigint>();
  constructor(private readonly fn: (inputs: bigint[]) => bigint) {}

  hash(inputs: bigint[]): bigint {
    const id = inputs.join(",");
    let out = this.#current.get(id);
    if (out !== undefined) return out;
    out = this.#previous.get(id);
    if (out === undefined) out = this.fn(inputs);
    if (this.#current.size >= MEMO_LIMIT) {
      this.#previous = this.#current;
      this.#current = new Map();
    }
    this.#current.set(id, out);
    return out;
  }

  clear(): void {
    this.#current.clear();
    this.#previous.clear();
  }
}

/** Poseidon(2/3/4) with circomlib's parameters: what every hash of this module is computed with. */
export interface PoseidonBackend {
  readonly name: string;
  readonly poseidon2: (inputs: bigint[]) => bigint;
  readonly poseidon3: (inputs: bigint[]) => bigint;
  readonly poseidon4: (inputs: bigint[]) => bigint;
}

/** The reference backend (`poseidon-lite`, pure JS): the oracle's definition of the hash. */
export const REFERENCE_POSEIDON: PoseidonBackend = { name: "poseidon-lite", poseidon2, poseidon3, poseidon4 };

let backend: PoseidonBackend = REFERENCE_POSEIDON;

/**
 * Compute the hashes with another implementation of the SAME function (the node's tree worker uses
 * circomlibjs's wasm build, ~4x faster). It is accepted only if it agrees with the reference on
 * `vectors` (inputs per arity); otherwise the reference stays and this returns false. Roots cannot
 * change: the function is the same, only its speed.
 */
export function usePoseidonBackend(candidate: PoseidonBackend, vectors: readonly bigint[][]): boolean {
  for (const inputs of vectors) {
    const fn = inputs.length === 2 ? "poseidon2" : inputs.length === 3 ? "poseidon3" : inputs.length === 4 ? "poseidon4" : undefined;
    if (fn === undefined) throw new RangeError("Poseidon vectors have 2, 3 or 4 inputs");
    if (candidate[fn]([...inputs]) !== REFERENCE_POSEIDON[fn]([...inputs])) return false;
  }
  backend = candidate;
  return true;
}

/** The implementation in use (its `name`). */
export function poseidonBackendName(): string {
  return backend.name;
}

const memo2 = new PoseidonMemo((inputs) => backend.poseidon2(inputs));
const memo3 = new PoseidonMemo((inputs) => backend.poseidon3(inputs));
const memo4 = new PoseidonMemo((inputs) => backend.poseidon4(inputs));

/** Poseidon(2) over field elements (circomlib parameters): the state root over (tree root, size). */
export function hash2(a: bigint, b: bigint): bigint {
  return memo2.hash([a, b]);
}

/** Poseidon(3) over field elements (circomlib parameters). */
export function hash3(a: bigint, b: bigint, c: bigint): bigint {
  return memo3.hash([a, b, c]);
}

/** Poseidon(4) over field elements (circomlib parameters): an internal node. */
export function hash4(c0: bigint, c1: bigint, c2: bigint, c3: bigint): bigint {
  return memo4.hash([c0, c1, c2, c3]);
}

// ---------------------------------------------------------------------------------------------------
// Keys and leaves
// ---------------------------------------------------------------------------------------------------

const utf8 = new TextEncoder();
const LONE_SURROGATE = /\p{Cs}/u;

function first31BytesBigEndian(digest: Uint8Array): bigint {
  let out = 0n;
  for (let i = 0; i < 31; i++) out = (out << 8n) | BigInt(digest[i] as number);
  return out;
}

/**
 * The state key of a KV entry:
 *
 *     keyBytes = blake3(utf8(spaceId) ‖ 0x00 ‖ utf8(service) ‖ 0x00 ‖ utf8(path))             public space
 *     keyBytes = blake3(0x00 ‖ spaceSalt[31 bytes BE] ‖ utf8(spaceId) ‖ 0x00 ‖ …)            private space
 *     key      = big-endian integer of keyBytes[0..31)      (248 bits, < p)
 *
 * A private space's `spaceSalt` is a secret 248-bit value committed once in the tree (privacy.ts), so an
 * outsider who guesses a key name cannot find it among the published keys.
 *
 * `spaceId` and `service` must not contain U+0000 (the separator; the encoding would stop being
 * injective), and no component may contain a lone UTF-16 surrogate (TextEncoder would silently map it
 * to U+FFFD). Both are caller bugs: TypeError.
 */
export function stateKey(spaceId: string, service: string, path: string, spaceSalt?: bigint): bigint {
  for (const [what, text] of [
    ["spaceId", spaceId],
    ["service", service],
    ["path", path],
  ] as const) {
    if (typeof text !== "string") throw new TypeError(`${what} must be a string`);
    if (LONE_SURROGATE.test(text)) throw new TypeError(`${what} contains a lone UTF-16 surrogate`);
  }
  if (spaceId.includes("\u0000") || service.includes("\u0000")) {
    throw new TypeError("spaceId and service must not contain U+0000 (the key separator)");
  }
  // A private space's keys are salted: 0x00 ‖ salt (31 bytes, big-endian) ‖ the public encoding. A space
  // id never starts with U+0000, so salted and unsalted preimages cannot coincide.
  const salt = spaceSalt === undefined ? undefined : saltBytes(requireKey(spaceSalt, "spaceSalt"));
  const a = utf8.encode(spaceId);
  const b = utf8.encode(service);
  const c = utf8.encode(path);
  const prefix = salt === undefined ? 0 : 1 + salt.length;
  const bytes = new Uint8Array(prefix + a.length + 1 + b.length + 1 + c.length);
  if (salt !== undefined) bytes.set(salt, 1);
  bytes.set(a, prefix);
  bytes[prefix + a.length] = 0;
  bytes.set(b, prefix + a.length + 1);
  bytes[prefix + a.length + 1 + b.length] = 0;
  bytes.set(c, prefix + a.length + 2 + b.length);
  const key = first31BytesBigEndian(blake3(bytes));
  // Key 0 is the list head (the genesis leaf). A blake3 prefix of 0 has probability 2^-248: refuse, never alias.
  if (key === 0n) throw new StateError("STATE_RESERVED_KEY", "this entry hashes to the reserved state key 0");
  return key;
}

/** A 248-bit salt as 31 big-endian bytes. */
function saltBytes(salt: bigint): Uint8Array {
  const out = new Uint8Array(31);
  let rest = salt;
  for (let i = 30; i >= 0; i--) {
    out[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return out;
}

/** contentHash of a value: big-endian integer of the first 31 bytes of blake3(bytes). */
export function contentHashField(bytes: Uint8Array): bigint {
  if (!(bytes instanceof Uint8Array)) throw new TypeError("contentHashField expects a Uint8Array");
  return first31BytesBigEndian(blake3(bytes));
}

/**
 * The same contentHash from the value's blake3 digest in lowercase hex (the KV ETag), so a writer that
 * already hashed the bytes does not hash them again.
 */
export function contentHashFromDigestHex(hex: string): bigint {
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new TypeError("contentHashFromDigestHex expects 64 lowercase hex digits (a blake3 digest)");
  return BigInt(`0x${hex.slice(0, 62)}`);
}

/**
 * A leaf's value: `H3(contentHash, version, deleted)` in a public space; `H4(contentHash, version, deleted,
 * salt)` in a private one, where `salt` is a random 248-bit value drawn for each version.
 * For a tombstone (`deleted = true`) contentHash must be 0 (spec); a non-zero one is a caller bug
 * (RangeError). `version` is the per-key version (1, 2, …); any integer in [0, p) is accepted.
 */
export function leafValue(contentHash: bigint, version: number | bigint, deleted: boolean, salt?: bigint): bigint {
  requireField(contentHash, "contentHash");
  if (typeof version === "number" && !Number.isSafeInteger(version)) {
    throw new StateError("STATE_OUT_OF_FIELD", `version must be an integer, got ${String(version)}`);
  }
  const v = requireField(typeof version === "number" ? BigInt(version) : version, "version");
  if (typeof deleted !== "boolean") throw new TypeError("deleted must be a boolean");
  if (deleted && contentHash !== 0n) throw new RangeError("a tombstone's contentHash must be 0");
  // A private entry's leaf hides its content: a per-version random salt makes `H4` a hiding commitment,
  // so a guessed value cannot be confirmed against the published leaf (see core/state/privacy.ts).
  if (salt !== undefined) return hash4(contentHash, v, deleted ? 1n : 0n, requireKey(salt, "salt"));
  return hash3(contentHash, v, deleted ? 1n : 0n);
}

/** A leaf's hash: `H3(key, nextKey, value)`. */
export function leafHash(key: bigint, nextKey: bigint, value: bigint): bigint {
  return hash3(requireField(key, "key"), requireField(nextKey, "nextKey"), requireField(value, "value"));
}

/** The state root: `H2(treeRoot, size)`. */
export function stateRoot(treeRoot: bigint, size: number | bigint): bigint {
  return hash2(requireField(treeRoot, "treeRoot"), requireField(BigInt(size), "size"));
}

/** The digits of a leaf position, level 0 (the root's child) first: `(index >> 2(depth-1-ℓ)) & 3`. */
export function indexDigits(index: number, depth: number = STATE_TREE_DEPTH): number[] {
  requireDepth(depth);
  if (!Number.isSafeInteger(index) || index < 0 || index >= 4 ** depth) throw new RangeError(`position ${String(index)} is outside a tree of depth ${depth}`);
  const out = new Array<number>(depth);
  let rest = index;
  for (let level = depth - 1; level >= 0; level--) {
    out[level] = rest % 4;
    rest = Math.floor(rest / 4);
  }
  return out;
}

const zeroCache = new Map<number, readonly bigint[]>();

/** `zeros[h]`: the hash of an all-empty subtree of height h (0 = a leaf position), h = 0 … depth. */
export function emptySubtreeHashes(depth: number = STATE_TREE_DEPTH): readonly bigint[] {
  requireDepth(depth);
  let zeros = zeroCache.get(depth);
  if (zeros === undefined) {
    const z: bigint[] = [0n];
    for (let h = 0; h < depth; h++) z.push(hash4(z[h] as bigint, z[h] as bigint, z[h] as bigint, z[h] as bigint));
    zeros = Object.freeze(z);
    zeroCache.set(depth, zeros);
  }
  return zeros;
}

/** `place(x, c, siblings)`: the four children of a path node whose path child (index c) is x. */
export function placeChild(child: bigint, digit: number, siblings: readonly bigint[]): [bigint, bigint, bigint, bigint] {
  const [s0, s1, s2] = siblings as [bigint, bigint, bigint];
  switch (digit) {
    case 0:
      return [child, s0, s1, s2];
    case 1:
      return [s0, child, s1, s2];
    case 2:
      return [s0, s1, child, s2];
    case 3:
      return [s0, s1, s2, child];
    default:
      throw new RangeError(`digit must be 0..3, got ${digit}`);
  }
}

/** The tree root over a leaf hash at `index` with these siblings (level 0 first). */
export function rootFromPath(leaf: bigint, index: number, siblings: readonly (readonly bigint[])[], depth: number = STATE_TREE_DEPTH): bigint {
  const digits = indexDigits(index, depth);
  let node = leaf;
  for (let level = depth - 1; level >= 0; level--) {
    const [c0, c1, c2, c3] = placeChild(node, digits[level] as number, siblings[level] as readonly bigint[]);
    node = hash4(c0, c1, c2, c3);
  }
  return node;
}

/** The root of a fresh tree: the list head `(0, 0, 0)` at position 0, size 1. The anchor's genesis root. */
export function emptyStateRoot(depth: number = STATE_TREE_DEPTH): bigint {
  const zeros = emptySubtreeHashes(depth);
  const siblings = Array.from({ length: depth }, (_, level): SiblingTriple => {
    const z = zeros[depth - 1 - level] as bigint;
    return [z, z, z];
  });
  return stateRoot(rootFromPath(leafHash(0n, 0n, 0n), 0, siblings, depth), 1);
}

// ---------------------------------------------------------------------------------------------------
// Proofs
// ---------------------------------------------------------------------------------------------------

/**
 * A membership / non-membership proof for `key` under a state root.
 *
 * It opens ONE leaf `(leafKey, nextKey, leafValue)` at position `index` of a tree of `size` leaves:
 * - `inclusion`: leafKey = key, `value` is the key's leaf value;
 * - `absence`: the "low leaf": `lowKey < key` and (`key < nextKey` or `nextKey = 0`). Since the leaves
 *   form one sorted list (an invariant every insert keeps, see `UpdateWitness`), no leaf holds `key`.
 *
 * Verification: `H2(rootFromPath(H3(leafKey, nextKey, leafValue), index, siblings), size) = root` and
 * `index < size`. `checkStateProof` does not know which key the caller cares about: compare `proof.key`.
 */
export type StateProof = {
  key: bigint;
  kind: "inclusion" | "absence";
  index: number;
  size: number;
  nextKey: bigint;
  /** inclusion only: the key's leaf value */
  value?: bigint;
  /** absence only: the low leaf's key and value */
  lowKey?: bigint;
  lowValue?: bigint;
  siblings: SiblingTriple[];
};

export type StateProofFailure =
  | "MALFORMED" // wrong shape: kind, missing / extra fields, a sibling entry that is not a triple
  | "OUT_OF_FIELD" // a number outside [0, p) or a key of more than 248 bits
  | "WRONG_DEPTH" // not exactly `depth` sibling levels
  | "INDEX_OUT_OF_RANGE" // index ≥ size, or size beyond capacity
  | "NOT_LOW_LEAF" // absence proof whose leaf does not bracket the key
  | "ROOT_MISMATCH"; // well-formed, but recomputes to a different root

export type StateProofCheck = { readonly ok: true; readonly kind: StateProof["kind"]; readonly index: number } | { readonly ok: false; readonly reason: StateProofFailure; readonly message: string };

function fail(reason: StateProofFailure, message: string): StateProofCheck {
  return { ok: false, reason, message };
}

/** Check a proof against a root and say why it fails. Never throws for any proof value (only for a bad `depth`). */
export function checkStateProof(proof: StateProof, root: bigint, depth: number = STATE_TREE_DEPTH): StateProofCheck {
  requireDepth(depth);
  if (!isField(root)) return fail("OUT_OF_FIELD", "root is not a field element");
  if (typeof proof !== "object" || proof === null) return fail("MALFORMED", "proof is not an object");
  const p = proof as Partial<Record<keyof StateProof, unknown>>;
  for (const f of ["key", "nextKey"] as const) {
    if (typeof p[f] !== "bigint") return fail("MALFORMED", `${f} must be a bigint`);
    if (!isField(p[f]) || (p[f] as bigint) >= 1n << BigInt(STATE_KEY_BITS)) return fail("OUT_OF_FIELD", `${f} is not a 248-bit key`);
  }
  const capacity = 4 ** depth;
  if (!Number.isSafeInteger(p.size) || (p.size as number) < 1 || (p.size as number) > capacity) return fail("INDEX_OUT_OF_RANGE", `size must be an integer in 1..${capacity}`);
  if (!Number.isSafeInteger(p.index) || (p.index as number) < 0 || (p.index as number) >= (p.size as number)) return fail("INDEX_OUT_OF_RANGE", "index must be below size");
  if (!Array.isArray(p.siblings)) return fail("MALFORMED", "siblings must be an array");
  const siblings = p.siblings as unknown[];
  if (siblings.length !== depth) return fail("WRONG_DEPTH", `${siblings.length} sibling levels in a tree of depth ${depth}`);
  for (let level = 0; level < depth; level++) {
    const triple = siblings[level];
    if (!Array.isArray(triple) || triple.length !== 3 || !triple.every((x) => typeof x === "bigint")) {
      return fail("MALFORMED", `siblings[${level}] is not a triple of bigints`);
    }
    if (!triple.every(isField)) return fail("OUT_OF_FIELD", `siblings[${level}] has an entry outside the field`);
  }
  const key = p.key as bigint;
  const nextKey = p.nextKey as bigint;
  let leaf: bigint;
  switch (p.kind) {
    case "inclusion": {
      if (p.lowKey !== undefined || p.lowValue !== undefined) return fail("MALFORMED", "an inclusion proof carries no lowKey/lowValue");
      if (!isField(p.value)) return fail("MALFORMED", "an inclusion proof needs a field element value");
      if (key === 0n) return fail("MALFORMED", "key 0 is the list head, not an entry");
      leaf = hash3(key, nextKey, p.value);
      break;
    }
    case "absence": {
      if (p.value !== undefined) return fail("MALFORMED", "an absence proof carries no value");
      if (!isField(p.lowKey) || !isField(p.lowValue)) return fail("MALFORMED", "an absence proof needs lowKey and lowValue");
      if (!(p.lowKey < key && (nextKey === 0n || key < nextKey))) return fail("NOT_LOW_LEAF", "the opened leaf does not bracket the key (lowKey < key < nextKey)");
      leaf = hash3(p.lowKey, nextKey, p.lowValue);
      break;
    }
    default:
      return fail("MALFORMED", `unknown proof kind ${JSON.stringify(String(p.kind))}`);
  }
  const treeRoot = rootFromPath(leaf, p.index as number, siblings as SiblingTriple[], depth);
  if (hash2(treeRoot, BigInt(p.size as number)) !== root) return fail("ROOT_MISMATCH", "proof recomputes to a different root");
  return { ok: true, kind: p.kind, index: p.index as number };
}

/** True iff `proof` is a well-formed proof (of whatever kind) for `proof.key` under `root`. */
export function verifyStateProof(proof: StateProof, root: bigint, depth: number = STATE_TREE_DEPTH): boolean {
  return checkStateProof(proof, root, depth).ok;
}

/** The JSON form of a StateProof: every field element a canonical decimal string, index and size numbers. */
export type StateProofJson = {
  key: string;
  kind: "inclusion" | "absence";
  index: number;
  size: number;
  nextKey: string;
  value?: string;
  lowKey?: string;
  lowValue?: string;
  siblings: [string, string, string][];
};

export function stateProofToJson(proof: StateProof): StateProofJson {
  const out: StateProofJson = {
    key: proof.key.toString(10),
    kind: proof.kind,
    index: proof.index,
    size: proof.size,
    nextKey: proof.nextKey.toString(10),
    siblings: proof.siblings.map((t) => [t[0].toString(10), t[1].toString(10), t[2].toString(10)]),
  };
  if (proof.value !== undefined) out.value = proof.value.toString(10);
  if (proof.lowKey !== undefined) out.lowKey = proof.lowKey.toString(10);
  if (proof.lowValue !== undefined) out.lowValue = proof.lowValue.toString(10);
  return out;
}

const DECIMAL = /^(0|[1-9][0-9]*)$/;

function fieldFromDecimal(text: unknown, what: string): bigint {
  if (typeof text !== "string" || !DECIMAL.test(text) || text.length > 80) {
    throw new StateError("STATE_BAD_PROOF", `${what} must be a canonical decimal string`, { details: { what } });
  }
  const value = BigInt(text);
  if (value >= FIELD_MODULUS) throw new StateError("STATE_OUT_OF_FIELD", `${what} is not in the field`, { details: { what } });
  return value;
}

function countFromJson(value: unknown, what: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) throw new StateError("STATE_BAD_PROOF", `${what} must be a non-negative integer`, { details: { what } });
  return value as number;
}

/**
 * Parse the JSON form (the parsed object, not text). Strict: exactly the fields of the kind, canonical
 * decimal strings (no sign, no leading zeros) below p. Throws StateError STATE_BAD_PROOF /
 * STATE_OUT_OF_FIELD. Parsing does not verify: call `checkStateProof` on the result.
 */
export function stateProofFromJson(json: unknown): StateProof {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new StateError("STATE_BAD_PROOF", "state proof JSON must be an object");
  }
  const o = json as Record<string, unknown>;
  const kind = o["kind"];
  if (kind !== "inclusion" && kind !== "absence") throw new StateError("STATE_BAD_PROOF", "state proof kind must be inclusion or absence");
  const common = ["key", "kind", "index", "size", "nextKey", "siblings"];
  const allowed = kind === "inclusion" ? [...common, "value"] : [...common, "lowKey", "lowValue"];
  for (const field of Object.keys(o)) {
    if (!allowed.includes(field)) throw new StateError("STATE_BAD_PROOF", `unexpected field ${JSON.stringify(field)} in a ${kind} proof`);
  }
  const rawSiblings = o["siblings"];
  if (!Array.isArray(rawSiblings) || rawSiblings.length > MAX_STATE_TREE_DEPTH) {
    throw new StateError("STATE_BAD_PROOF", `siblings must be an array of at most ${MAX_STATE_TREE_DEPTH} triples`);
  }
  const siblings = rawSiblings.map((triple: unknown, level): SiblingTriple => {
    if (!Array.isArray(triple) || triple.length !== 3) throw new StateError("STATE_BAD_PROOF", `siblings[${level}] must be a triple`);
    return [fieldFromDecimal(triple[0], `siblings[${level}][0]`), fieldFromDecimal(triple[1], `siblings[${level}][1]`), fieldFromDecimal(triple[2], `siblings[${level}][2]`)];
  });
  const proof: StateProof = {
    key: fieldFromDecimal(o["key"], "key"),
    kind,
    index: countFromJson(o["index"], "index"),
    size: countFromJson(o["size"], "size"),
    nextKey: fieldFromDecimal(o["nextKey"], "nextKey"),
    siblings,
  };
  if (kind === "inclusion") proof.value = fieldFromDecimal(o["value"], "value");
  else {
    proof.lowKey = fieldFromDecimal(o["lowKey"], "lowKey");
    proof.lowValue = fieldFromDecimal(o["lowValue"], "lowValue");
  }
  return proof;
}

// ---------------------------------------------------------------------------------------------------
// Update witnesses (the circuit's input for one step)
// ---------------------------------------------------------------------------------------------------

/**
 * One circuit STEP: a single leaf write at position `index`, old leaf → new leaf, under the same siblings.
 * A KV update of a stored key is one step; an insert is two consecutive steps ("low" then "new").
 *
 *   op       old leaf at index                     new leaf at index                 h extended with
 *   update   H3(key, nextKey, oldValue)            H3(key, nextKey, newValue)        (key, newValue)
 *   low      H3(key, nextKey, oldValue)            H3(key, insKey, oldValue)         —
 *   new      0 (empty), index = oldSize            H3(key, nextKey, newValue)        (key, newValue)
 *   noop     (nothing: newRoot = oldRoot)
 *
 * VALIDITY (exactly what the circuit constrains; `recomputeRoots` throws STATE_BAD_PROOF):
 * - every step, enabled or not: index < 4^depth, insKey < 2^248.
 * - update: nothing more (an update of the head, key 0, is possible in a proof but never made by the
 *   tree, and an auditor sees it in the committed update list: it moves no KV entry).
 * - low: newValue = oldValue; key < insKey < 2^248 and (insKey < nextKey or nextKey = 0), i.e. the
 *   leaf is the inserted key's predecessor; the NEXT step must be "new" for insKey.
 * - new: follows a "low" step; key = that step's insKey, nextKey = that step's (old) nextKey,
 *   index = oldSize (positions in insertion order), newSize = oldSize + 1 ≤ 4^depth.
 * - noop: the roots are not recomputed; its other fields are free (the tree pads with zeros).
 * - insKey and (for new) oldValue are ignored where the table does not use them (the tree writes 0).
 *
 * Sorted-list invariant: the leaves' keys, followed through nextKey from the head at position 0, are
 * strictly increasing and end at nextKey = 0; low + new keeps it, update does not touch keys. With it,
 * an inclusion proof for k is unique and an absence proof (a bracketing low leaf) is sound.
 *
 * `oldTreeRoot`/`newTreeRoot` are the tree roots around the step, `oldSize`/`newSize` the leaf counts;
 * `oldRoot`/`newRoot` are the state roots `H2(treeRoot, size)` (only a batch's first and last are public).
 */
export type UpdateWitness = {
  op: "update" | "low" | "new" | "noop";
  index: number;
  key: bigint;
  nextKey: bigint;
  oldValue: bigint;
  newValue: bigint;
  insKey: bigint;
  siblings: SiblingTriple[];
  oldTreeRoot: bigint;
  newTreeRoot: bigint;
  oldSize: number;
  newSize: number;
  oldRoot: bigint;
  newRoot: bigint;
};

/** A step that leaves the tree unchanged (op "noop", every other field 0); pads circuit batches. */
export function noopWitness(treeRoot: bigint, size: number, depth: number = STATE_TREE_DEPTH): UpdateWitness {
  requireField(treeRoot, "treeRoot");
  requireDepth(depth);
  const root = stateRoot(treeRoot, size);
  return {
    op: "noop",
    index: 0,
    key: 0n,
    nextKey: 0n,
    oldValue: 0n,
    newValue: 0n,
    insKey: 0n,
    siblings: Array.from({ length: depth }, (): SiblingTriple => [0n, 0n, 0n]),
    oldTreeRoot: treeRoot,
    newTreeRoot: treeRoot,
    oldSize: size,
    newSize: size,
    oldRoot: root,
    newRoot: root,
  };
}

function badWitness(message: string): StateError {
  return new StateError("STATE_BAD_PROOF", `invalid update witness: ${message}`);
}

/**
 * The reference computation of ONE step's tree roots and size, exactly as documented on `UpdateWitness`
 * (the circuit mirrors it). `previous` is the step before it in the batch (needed to check a "new"
 * step; undefined for the first step). Throws StateError STATE_BAD_PROOF / STATE_OUT_OF_FIELD when a
 * validity condition fails. The check that a "low" step is followed by its "new" step is made by
 * `verifyWitnessChain` over the whole list.
 */
export function recomputeRoots(w: UpdateWitness, depth: number = STATE_TREE_DEPTH, previous?: UpdateWitness): { oldTreeRoot: bigint; newTreeRoot: bigint; newSize: number } {
  requireDepth(depth);
  if (typeof w !== "object" || w === null) throw badWitness("not an object");
  for (const field of ["oldTreeRoot", "newTreeRoot", "key", "nextKey", "oldValue", "newValue", "insKey"] as const) requireField(w[field], field);
  if (!Number.isSafeInteger(w.oldSize) || w.oldSize < 1 || w.oldSize > 4 ** depth) throw badWitness("oldSize out of range");
  if (!Array.isArray(w.siblings) || w.siblings.length !== depth) throw badWitness(`siblings must have exactly ${depth} entries`);
  w.siblings.forEach((triple, level) => {
    if (!Array.isArray(triple) || triple.length !== 3) throw badWitness(`siblings[${level}] is not a triple`);
    triple.forEach((x, i) => requireField(x, `siblings[${level}][${i}]`));
  });
  // The same range checks the circuit makes on every step, enabled or not (Num2Bits of index and insKey).
  if (!Number.isSafeInteger(w.index) || w.index < 0 || w.index >= 4 ** depth) throw badWitness("index outside the tree");
  requireKey(w.insKey, "insKey");
  // A noop's other fields are unconstrained: they move nothing.
  if (w.op === "noop") return { oldTreeRoot: w.oldTreeRoot, newTreeRoot: w.oldTreeRoot, newSize: w.oldSize };
  let oldLeaf: bigint;
  let newLeaf: bigint;
  let newSize = w.oldSize;
  switch (w.op) {
    case "update":
      oldLeaf = hash3(w.key, w.nextKey, w.oldValue);
      newLeaf = hash3(w.key, w.nextKey, w.newValue);
      break;
    case "low":
      if (w.newValue !== w.oldValue) throw badWitness("a low step keeps the leaf's value");
      if (!(w.key < w.insKey)) throw badWitness("a low leaf's key is below the inserted key");
      if (!(w.nextKey === 0n || w.insKey < w.nextKey)) throw badWitness("the inserted key is below the low leaf's nextKey");
      oldLeaf = hash3(w.key, w.nextKey, w.oldValue);
      newLeaf = hash3(w.key, w.insKey, w.oldValue);
      break;
    case "new":
      if (previous === undefined || previous.op !== "low") throw badWitness("a new step follows a low step");
      if (w.key !== previous.insKey || w.nextKey !== previous.nextKey) throw badWitness("a new step inserts the low step's key before its old nextKey");
      if (w.index !== w.oldSize) throw badWitness("a new leaf takes the next free position (index = oldSize)");
      if (w.oldSize >= 4 ** depth) throw badWitness("the tree is full");
      oldLeaf = 0n;
      newLeaf = hash3(w.key, w.nextKey, w.newValue);
      newSize = w.oldSize + 1;
      break;
    default:
      throw badWitness(`unknown op ${JSON.stringify(String(w.op))}`);
  }
  return { oldTreeRoot: rootFromPath(oldLeaf, w.index, w.siblings, depth), newTreeRoot: rootFromPath(newLeaf, w.index, w.siblings, depth), newSize };
}

/** True iff the step is valid and its roots recompute to the witness's own roots and size. Never throws. */
export function verifyUpdateWitness(w: UpdateWitness, depth: number = STATE_TREE_DEPTH, previous?: UpdateWitness): boolean {
  try {
    const r = recomputeRoots(w, depth, previous);
    return (
      r.oldTreeRoot === w.oldTreeRoot &&
      r.newTreeRoot === w.newTreeRoot &&
      r.newSize === w.newSize &&
      w.oldRoot === stateRoot(w.oldTreeRoot, w.oldSize) &&
      w.newRoot === stateRoot(w.newTreeRoot, w.newSize)
    );
  } catch {
    return false;
  }
}

/**
 * Check a batch's steps in order: each valid (`verifyUpdateWitness` with its predecessor), each
 * starting where the previous ended, and no "low" step without its "new" step right after it.
 * Returns the index of the first bad step and why, or undefined when the chain is valid.
 */
export function checkWitnessChain(steps: readonly UpdateWitness[], depth: number = STATE_TREE_DEPTH): { index: number; message: string } | undefined {
  for (let j = 0; j < steps.length; j++) {
    const w = steps[j] as UpdateWitness;
    const prev = j > 0 ? steps[j - 1] : undefined;
    if (prev !== undefined && (w.oldTreeRoot !== prev.newTreeRoot || w.oldSize !== prev.newSize)) return { index: j, message: "does not start where the previous step ended" };
    if (!verifyUpdateWitness(w, depth, prev)) return { index: j, message: "fails the step rules or its roots" };
    if (w.op === "low" && steps[j + 1]?.op !== "new") return { index: j, message: "a low step must be followed by its new step in the same batch" };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// The tree
// ---------------------------------------------------------------------------------------------------

/** An immutable node. Inner nodes have 4 children (undefined = an empty subtree); leaves carry their data. */
type Inner = { readonly hash: bigint; readonly children: readonly (Node | undefined)[] };
type Leaf = { readonly hash: bigint; readonly key: bigint; readonly nextKey: bigint; readonly value: bigint };
type Node = Inner | Leaf;

/** The read side shared by a live tree and its O(1) snapshots. */
export class StateTreeView {
  protected constructor(
    readonly depth: number,
    protected top: Node | undefined,
    protected count: number,
    /** key → position; append-only and shared with snapshots (a snapshot ignores positions ≥ its size). */
    protected readonly positions: Map<bigint, number>,
    /** Every stored key in ascending order (shared; same rule). Holds 0, the list head. */
    protected readonly sorted: bigint[],
  ) {}

  /** The state root: `H2(treeRoot, size)`. */
  get root(): bigint {
    return hash2(this.treeRoot, BigInt(this.count));
  }

  /** The root of the Merkle tree of leaves (without the size). */
  get treeRoot(): bigint {
    return this.top?.hash ?? (emptySubtreeHashes(this.depth)[this.depth] as bigint);
  }

  /** Number of leaves, the list head included. */
  get size(): number {
    return this.count;
  }

  /** Number of KV keys (leaves other than the list head). */
  get keyCount(): number {
    return this.count - 1;
  }

  /** Position of `key`, or undefined when absent here. */
  indexOf(key: bigint): number | undefined {
    const index = this.positions.get(key);
    return index !== undefined && index < this.count && key !== 0n ? index : undefined;
  }

  /** The key's leaf value, or undefined when absent. */
  get(key: bigint): bigint | undefined {
    const index = this.indexOf(key);
    return index === undefined ? undefined : this.leafAt(index).value;
  }

  has(key: bigint): boolean {
    return this.indexOf(key) !== undefined;
  }

  /** [key, value] pairs in insertion order (the list head excluded). */
  *entries(): IterableIterator<[bigint, bigint]> {
    for (let i = 1; i < this.count; i++) {
      const leaf = this.leafAt(i);
      yield [leaf.key, leaf.value];
    }
  }

  /** An O(1) read-only view of the tree as it is now; later writes to the tree do not show in it. */
  snapshot(): StateTreeView {
    return new StateTreeView(this.depth, this.top, this.count, this.positions, this.sorted);
  }

  /**
   * An independent writable copy of the tree as this view sees it. Nodes are shared (immutable); only
   * the key index (a Map and a sorted array of keys) is copied, O(keys) without hashing, leaving out keys
   * inserted after this view. The node forks a past view (a checkpoint) to replay a few batches on top
   * of it, instead of replaying the whole history from genesis.
   */
  fork(): StateTree {
    const copy = new StateTree(this.depth);
    copy.top = this.top;
    copy.count = this.count;
    copy.positions.clear();
    for (const [k, i] of this.positions) if (i < this.count) copy.positions.set(k, i);
    copy.sorted.length = 0;
    for (const k of this.sorted) if ((this.positions.get(k) as number) < this.count) copy.sorted.push(k);
    return copy;
  }

  /** An inclusion proof if `key` is present, else an absence proof (its low leaf). */
  prove(key: bigint): StateProof {
    requireKey(key, "key");
    const index = this.indexOf(key);
    if (index !== undefined) {
      const leaf = this.leafAt(index);
      return { key, kind: "inclusion", index, size: this.count, nextKey: leaf.nextKey, value: leaf.value, siblings: this.siblingsOf(index) };
    }
    const lowIndex = this.lowIndexOf(key);
    const low = this.leafAt(lowIndex);
    return { key, kind: "absence", index: lowIndex, size: this.count, nextKey: low.nextKey, lowKey: low.key, lowValue: low.value, siblings: this.siblingsOf(lowIndex) };
  }

  /** An inclusion proof; StateError STATE_MISSING_KEY when `key` is absent. */
  proveInclusion(key: bigint): StateProof {
    const proof = this.prove(key);
    if (proof.kind !== "inclusion") throw new StateError("STATE_MISSING_KEY", "key is not in the state tree", { details: { key: key.toString(10) } });
    return proof;
  }

  /** Position of the largest stored key below `key` (the predecessor in this view). */
  protected lowIndexOf(key: bigint): number {
    let lo = 0;
    let hi = this.sorted.length; // first position whose key ≥ key
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.sorted[mid] as bigint) < key) lo = mid + 1;
      else hi = mid;
    }
    // Walk down past keys inserted after this view (snapshots only; the live tree stops at once).
    for (let i = lo - 1; i >= 0; i--) {
      const index = this.positions.get(this.sorted[i] as bigint) as number;
      if (index < this.count) return index;
    }
    return 0; // unreachable: key 0 (the head) is below every key and always present
  }

  /** The leaf at a used position (`index < size`): its key, nextKey and value. */
  leaf(index: number): { readonly key: bigint; readonly nextKey: bigint; readonly value: bigint } {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.count) throw new RangeError(`no leaf at position ${String(index)} (size ${this.count})`);
    const { key, nextKey, value } = this.leafAt(index);
    return { key, nextKey, value };
  }

  /** The sibling triples of any position, level 0 first (unused positions included: they are 0). */
  siblings(index: number): SiblingTriple[] {
    return this.siblingsOf(index);
  }

  protected leafAt(index: number): Leaf {
    const digits = indexDigits(index, this.depth);
    let node = this.top;
    for (let level = 0; level < this.depth; level++) node = (node as Inner | undefined)?.children[digits[level] as number];
    if (node === undefined) throw new RangeError(`no leaf at position ${index}`);
    return node as Leaf;
  }

  protected siblingsOf(index: number): SiblingTriple[] {
    const digits = indexDigits(index, this.depth);
    const zeros = emptySubtreeHashes(this.depth);
    const out: SiblingTriple[] = [];
    let node = this.top as Inner | undefined;
    for (let level = 0; level < this.depth; level++) {
      const digit = digits[level] as number;
      const z = zeros[this.depth - 1 - level] as bigint;
      const hashes = [0, 1, 2, 3].map((c) => node?.children[c]?.hash ?? z);
      out.push(hashes.filter((_, c) => c !== digit) as SiblingTriple);
      node = node?.children[digit] as Inner | undefined;
    }
    return out;
  }
}

/**
 * The indexed Merkle tree. Writes are path-copying (nodes are immutable), so `snapshot()` is O(1) and
 * nothing ever copies the whole tree. `checkpoint()` / `rollback()` make a multi-key write atomic.
 */
export class StateTree extends StateTreeView {
  constructor(depth: number = STATE_TREE_DEPTH) {
    requireDepth(depth);
    super(depth, undefined, 0, new Map(), []);
    this.#write(0, { hash: leafHash(0n, 0n, 0n), key: 0n, nextKey: 0n, value: 0n });
    this.count = 1;
    this.positions.set(0n, 0);
    this.sorted.push(0n);
  }

  /** A tree holding `entries` ([key, value] pairs; a repeated key keeps its last value). */
  static fromEntries(entries: Iterable<readonly [bigint, bigint]>, depth: number = STATE_TREE_DEPTH): StateTree {
    const tree = new StateTree(depth);
    for (const [key, value] of entries) tree.set(key, value);
    return tree;
  }

  /** Capacity in leaves (the list head uses one). */
  get capacity(): number {
    return 4 ** this.depth;
  }

  /**
   * Insert or update `key` and return the circuit steps of the change: one ("update") for a stored key,
   * two ("low", "new") for a new one. Throws StateError STATE_TREE_FULL (tree unchanged) when no position
   * is left, STATE_OUT_OF_FIELD for a key ≥ 2^248 or a value outside the field, STATE_RESERVED_KEY for 0.
   */
  set(key: bigint, value: bigint): UpdateWitness[] {
    requireKey(key, "key");
    requireField(value, "value");
    if (key === 0n) throw new StateError("STATE_RESERVED_KEY", "key 0 is the list head");
    const index = this.indexOf(key);
    if (index !== undefined) {
      const leaf = this.leafAt(index);
      return [this.#step("update", index, { ...leaf, value }, { key, nextKey: leaf.nextKey, oldValue: leaf.value, newValue: value, insKey: 0n })];
    }
    if (this.count >= this.capacity) {
      throw new StateError("STATE_TREE_FULL", `the state tree is full (${this.capacity} positions)`, { details: { capacity: this.capacity } });
    }
    const lowIndex = this.lowIndexOf(key);
    const low = this.leafAt(lowIndex);
    const lowStep = this.#step("low", lowIndex, { ...low, nextKey: key }, { key: low.key, nextKey: low.nextKey, oldValue: low.value, newValue: low.value, insKey: key });
    const newIndex = this.count;
    const newStep = this.#step("new", newIndex, { key, nextKey: low.nextKey, value }, { key, nextKey: low.nextKey, oldValue: 0n, newValue: value, insKey: 0n });
    this.positions.set(key, newIndex);
    this.#insertSorted(key);
    return [lowStep, newStep];
  }

  /** Remember the current state; `rollback(checkpoint)` returns to it (keys inserted since are forgotten). */
  checkpoint(): { readonly top: Node | undefined; readonly count: number } {
    return { top: this.top, count: this.count };
  }

  rollback(point: { readonly top: Node | undefined; readonly count: number }): void {
    for (let i = point.count; i < this.count; i++) {
      const key = this.leafAt(i).key;
      this.positions.delete(key);
      const at = this.#sortedIndex(key);
      if (this.sorted[at] === key) this.sorted.splice(at, 1);
    }
    this.top = point.top;
    this.count = point.count;
  }

  #step(
    op: "update" | "low" | "new",
    index: number,
    leaf: { key: bigint; nextKey: bigint; value: bigint },
    fields: { key: bigint; nextKey: bigint; oldValue: bigint; newValue: bigint; insKey: bigint },
  ): UpdateWitness {
    const siblings = this.siblingsOf(index);
    const oldTreeRoot = this.treeRoot;
    const oldSize = this.count;
    this.#write(index, { key: leaf.key, nextKey: leaf.nextKey, value: leaf.value, hash: hash3(leaf.key, leaf.nextKey, leaf.value) });
    if (op === "new") this.count++;
    const newTreeRoot = this.treeRoot;
    return {
      op,
      index,
      ...fields,
      siblings,
      oldTreeRoot,
      newTreeRoot,
      oldSize,
      newSize: this.count,
      oldRoot: hash2(oldTreeRoot, BigInt(oldSize)),
      newRoot: hash2(newTreeRoot, BigInt(this.count)),
    };
  }

  /** Path-copying write of a leaf: `depth` new inner nodes, every other node shared. */
  #write(index: number, leaf: Leaf): void {
    const digits = indexDigits(index, this.depth);
    const zeros = emptySubtreeHashes(this.depth);
    const rebuild = (node: Node | undefined, level: number): Node => {
      if (level === this.depth) return leaf;
      const children = node === undefined ? [undefined, undefined, undefined, undefined] : [...(node as Inner).children];
      const digit = digits[level] as number;
      children[digit] = rebuild(children[digit], level + 1);
      const z = zeros[this.depth - 1 - level] as bigint;
      const [c0, c1, c2, c3] = children.map((c) => c?.hash ?? z) as [bigint, bigint, bigint, bigint];
      return { hash: hash4(c0, c1, c2, c3), children };
    };
    this.top = rebuild(this.top, 0);
  }

  #sortedIndex(key: bigint): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.sorted[mid] as bigint) < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #insertSorted(key: bigint): void {
    this.sorted.splice(this.#sortedIndex(key), 0, key);
  }
}
