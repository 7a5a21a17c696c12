/**
 * The state tree: a Poseidon quaternary sparse Merkle tree over every KV entry the node hosts.
 *
 * This module is THE oracle (specification: `circuits/state-tree.md`). The circuits in `circuits/` and
 * the contract tests are checked against it bit for bit, so it is pure (no I/O, browser-safe) and every
 * formula below is written out in full.
 *
 * Conventions used throughout (they match the spec):
 *
 * - Field: BN254 scalar field, `FIELD_MODULUS`. Every key, value and hash is an integer in [0, p).
 * - H3 = Poseidon(3), H4 = Poseidon(4), circomlib's parameters (`poseidon-lite`).
 * - Digits: `d[i] = (key >> 2i) & 3` for i = 0 … depth-1; digit 0 chooses the child of the root.
 * - Levels: "level ℓ" is prefix length ℓ. The root is the node at level 0, its children are at level 1,
 *   and so on; a (compressed) leaf can sit at any level 0 … depth. The node at level ℓ on key k's path
 *   is the one whose position is k's first ℓ digits.
 * - Nodes: empty = 0; internal = H4(c0, c1, c2, c3); leaf = H3(key, value, 1).
 * - Compression (as circomlib's binary SMT): a subtree holding exactly one leaf is that leaf's hash,
 *   placed at the shallowest level where it is alone. Hence empty tree → root 0, one key → root =
 *   leafHash, and the tree's shape is a function of its key set only (insertion order is irrelevant).
 * - Siblings: `siblings[ℓ]` is the triple of the children of the path node at level ℓ OTHER than child
 *   `d[ℓ]`, in child order. Arrays of siblings are indexed by level: index 0 = the root's children.
 *   `place(x, c, [s0, s1, s2])` is the 4-tuple with x inserted at index c:
 *       c=0: (x,s0,s1,s2)   c=1: (s0,x,s1,s2)   c=2: (s0,s1,x,s2)   c=3: (s0,s1,s2,x).
 *   A node at level ℓ on the path is H4(place(child at level ℓ+1, d[ℓ], siblings[ℓ])).
 *
 * Performance: `poseidon-lite` costs about 0.3 ms per H4 (0.25 ms per H3) in Node 22, which dominates
 * everything here. `set` recomputes only the touched path (leaf level + 1 hashes); `setMany` /
 * `StateTree.fromEntries` hash each dirty node once. A small two-generation memo of recent Poseidon
 * results (pure function, so this is only a cache) makes the oracle's re-verification of freshly
 * produced witnesses and proofs nearly free.
 */
import { blake3 } from "@noble/hashes/blake3.js";
// Subpath imports: the package root is CommonJS and pulls in every arity (~600 KB in a browser bundle).
import { poseidon3 } from "poseidon-lite/poseidon3";
import { poseidon4 } from "poseidon-lite/poseidon4";
import { TinyCloudError } from "./errors.js";

// ---------------------------------------------------------------------------------------------------
// Constants and errors
// ---------------------------------------------------------------------------------------------------

/** Default depth: 16 quaternary digits = 32 key bits = 4^16 slots. */
export const STATE_TREE_DEPTH = 16;

/** The BN254 scalar field modulus p. */
export const FIELD_MODULUS = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/** Largest supported depth: 127 digits = 254 bits, the width of the field. */
export const MAX_STATE_TREE_DEPTH = 127;

export type StateErrorCode = "STATE_KEY_COLLISION" | "STATE_BAD_PROOF" | "STATE_MISSING_KEY" | "STATE_OUT_OF_FIELD";

export class StateError extends TinyCloudError<StateErrorCode> {
  override readonly name = "StateError" as const;
}

/** A sibling triple: the three other children of a path node, in child order. */
export type SiblingTriple = [bigint, bigint, bigint];

// ---------------------------------------------------------------------------------------------------
// Field helpers and hashing
// ---------------------------------------------------------------------------------------------------

function isFieldElement(value: unknown): value is bigint {
  return typeof value === "bigint" && value >= 0n && value < FIELD_MODULUS;
}

function requireField(value: unknown, what: string): bigint {
  if (typeof value !== "bigint") throw new TypeError(`${what} must be a bigint`);
  if (value < 0n || value >= FIELD_MODULUS) {
    throw new StateError("STATE_OUT_OF_FIELD", `${what} is not in the BN254 scalar field [0, p)`, { details: { what } });
  }
  return value;
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

const memo3 = new PoseidonMemo((inputs) => poseidon3(inputs));
const memo4 = new PoseidonMemo((inputs) => poseidon4(inputs));

/** Poseidon(3) over field elements (circomlib parameters). */
export function hash3(a: bigint, b: bigint, c: bigint): bigint {
  return memo3.hash([a, b, c]);
}

/** Poseidon(4) over field elements (circomlib parameters): an internal node. */
export function hash4(c0: bigint, c1: bigint, c2: bigint, c3: bigint): bigint {
  return memo4.hash([c0, c1, c2, c3]);
}

/** Drop the Poseidon memo (tests, or to release memory). */
export function clearPoseidonMemo(): void {
  memo3.clear();
  memo4.clear();
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

function hashPlaced(child: bigint, digit: number, siblings: readonly bigint[]): bigint {
  const [c0, c1, c2, c3] = placeChild(child, digit, siblings);
  return hash4(c0, c1, c2, c3);
}

function isZeroTriple(triple: readonly bigint[]): boolean {
  return triple[0] === 0n && triple[1] === 0n && triple[2] === 0n;
}

function zeroTriple(): SiblingTriple {
  return [0n, 0n, 0n];
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
 *     keyBytes = blake3(utf8(spaceId) ‖ 0x00 ‖ utf8(service) ‖ 0x00 ‖ utf8(path))
 *     key      = big-endian integer of keyBytes[0..31)      (248 bits, < p)
 *
 * `spaceId` and `service` must not contain U+0000 (the separator; the encoding would stop being
 * injective), and no component may contain a lone UTF-16 surrogate (TextEncoder would silently map it
 * to U+FFFD). Both are caller bugs: TypeError.
 */
export function stateKey(spaceId: string, service: string, path: string): bigint {
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
  const a = utf8.encode(spaceId);
  const b = utf8.encode(service);
  const c = utf8.encode(path);
  const bytes = new Uint8Array(a.length + 1 + b.length + 1 + c.length);
  bytes.set(a, 0);
  bytes[a.length] = 0;
  bytes.set(b, a.length + 1);
  bytes[a.length + 1 + b.length] = 0;
  bytes.set(c, a.length + 2 + b.length);
  return first31BytesBigEndian(blake3(bytes));
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
 * A leaf's value: `H3(contentHash, version, deleted)`.
 * For a tombstone (`deleted = true`) contentHash must be 0 (spec); a non-zero one is a caller bug
 * (RangeError). `version` is the per-key version (1, 2, …); any integer in [0, p) is accepted.
 */
export function leafValue(contentHash: bigint, version: number | bigint, deleted: boolean): bigint {
  requireField(contentHash, "contentHash");
  if (typeof version === "number" && !Number.isSafeInteger(version)) {
    throw new StateError("STATE_OUT_OF_FIELD", `version must be an integer, got ${String(version)}`);
  }
  const v = requireField(typeof version === "number" ? BigInt(version) : version, "version");
  if (typeof deleted !== "boolean") throw new TypeError("deleted must be a boolean");
  if (deleted && contentHash !== 0n) throw new RangeError("a tombstone's contentHash must be 0");
  return hash3(contentHash, v, deleted ? 1n : 0n);
}

/** A leaf's hash: `H3(key, value, 1)` (the constant 1 separates leaves from nodes). */
export function leafHash(key: bigint, value: bigint): bigint {
  return hash3(requireField(key, "key"), requireField(value, "value"), 1n);
}

/** The first `depth` digits of `key`: `d[i] = (key >> 2i) & 3`, digit 0 first (it chooses the root's child). */
export function keyDigits(key: bigint, depth: number = STATE_TREE_DEPTH): number[] {
  requireField(key, "key");
  requireDepth(depth);
  const out: number[] = new Array<number>(depth);
  let rest = key;
  let i = 0;
  while (i < depth) {
    // 13 digits (26 bits) at a time as a Number: cheaper than one BigInt op per digit.
    let chunk = Number(rest & 0x3ffffffn);
    rest >>= 26n;
    for (let j = 0; j < 13 && i < depth; j++, i++) {
      out[i] = chunk & 3;
      chunk >>>= 2;
    }
  }
  return out;
}

const DIGIT_CHARS = ["0", "1", "2", "3"] as const;

/** The digits as a string of '0'..'3' (node positions are prefixes of it). */
function digitString(key: bigint, depth: number): string {
  return keyDigits(key, depth)
    .map((d) => DIGIT_CHARS[d] as string)
    .join("");
}

// ---------------------------------------------------------------------------------------------------
// Proofs
// ---------------------------------------------------------------------------------------------------

/**
 * A membership / non-membership proof for `key`.
 *
 * `siblings[ℓ]` (ℓ = 0 … n-1, level 0 = the root's children) are the sibling triples along `key`'s path
 * down to the level n = `siblings.length` where the path ends. What sits at level n:
 * - `inclusion`: the leaf of `key` itself, `H3(key, value, 1)`;
 * - `empty`: an empty slot, 0 (the empty tree: n = 0, root 0);
 * - `other`: the leaf of another key `otherKey` whose first n digits equal `key`'s, `H3(otherKey, otherValue, 1)`.
 *
 * Verification recomputes the root upward: `x_n` = the thing at level n, `x_ℓ = H4(place(x_{ℓ+1}, d[ℓ],
 * siblings[ℓ]))`, and checks `x_0 = root`. `verifyStateProof` does not know which key or value the
 * caller cares about: compare `proof.key` (and `proof.value` / `proof.kind`) yourself.
 */
export type StateProof = {
  key: bigint;
  kind: "inclusion" | "empty" | "other";
  /** inclusion only: the key's leaf value */
  value?: bigint;
  /** other only: the key whose leaf ends the path */
  otherKey?: bigint;
  /** other only: that key's leaf value */
  otherValue?: bigint;
  siblings: SiblingTriple[];
};

export type StateProofFailure =
  | "MALFORMED" // wrong shape: kind, missing / extra fields, a sibling entry that is not a triple
  | "OUT_OF_FIELD" // a number outside [0, p)
  | "TOO_DEEP" // more sibling levels than the tree's depth
  | "NON_CANONICAL" // the last sibling level is all zero: no compressed tree has that shape
  | "OTHER_KEY_SAME" // kind "other" naming the key itself
  | "OTHER_KEY_OFF_PATH" // kind "other" whose key's digits leave the path before its end
  | "ROOT_MISMATCH"; // well-formed, but recomputes to a different root

export type StateProofCheck =
  | { readonly ok: true; readonly kind: StateProof["kind"]; readonly level: number }
  | { readonly ok: false; readonly reason: StateProofFailure; readonly message: string };

function fail(reason: StateProofFailure, message: string): StateProofCheck {
  return { ok: false, reason, message };
}

/** Check a proof against a root and say why it fails. Never throws for any proof value (only for a bad `depth`). */
export function checkStateProof(proof: StateProof, root: bigint, depth: number = STATE_TREE_DEPTH): StateProofCheck {
  requireDepth(depth);
  if (!isFieldElement(root)) return fail("OUT_OF_FIELD", "root is not a field element");
  if (typeof proof !== "object" || proof === null) return fail("MALFORMED", "proof is not an object");
  const p = proof as Partial<Record<keyof StateProof, unknown>>;
  if (typeof p.key !== "bigint") return fail("MALFORMED", "key must be a bigint");
  if (!isFieldElement(p.key)) return fail("OUT_OF_FIELD", "key is not a field element");
  if (!Array.isArray(p.siblings)) return fail("MALFORMED", "siblings must be an array");
  const siblings = p.siblings as unknown[];
  const n = siblings.length;
  if (n > depth) return fail("TOO_DEEP", `${n} sibling levels in a tree of depth ${depth}`);
  for (let level = 0; level < n; level++) {
    const triple = siblings[level];
    if (!Array.isArray(triple) || triple.length !== 3 || !triple.every((x) => typeof x === "bigint")) {
      return fail("MALFORMED", `siblings[${level}] is not a triple of bigints`);
    }
    if (!triple.every(isFieldElement)) return fail("OUT_OF_FIELD", `siblings[${level}] has an entry outside the field`);
  }
  const triples = siblings as SiblingTriple[];
  if (n > 0 && isZeroTriple(triples[n - 1] as SiblingTriple)) {
    return fail("NON_CANONICAL", `siblings[${n - 1}] is all zero: the path would have ended one level higher`);
  }

  const has = (field: "value" | "otherKey" | "otherValue"): boolean => p[field] !== undefined;
  let bottom: bigint;
  switch (p.kind) {
    case "inclusion": {
      if (has("otherKey") || has("otherValue")) return fail("MALFORMED", "an inclusion proof carries no otherKey/otherValue");
      if (typeof p.value !== "bigint") return fail("MALFORMED", "an inclusion proof needs value");
      if (!isFieldElement(p.value)) return fail("OUT_OF_FIELD", "value is not a field element");
      bottom = hash3(p.key, p.value, 1n);
      break;
    }
    case "empty": {
      if (has("value") || has("otherKey") || has("otherValue")) return fail("MALFORMED", "an empty proof carries no value/otherKey/otherValue");
      bottom = 0n;
      break;
    }
    case "other": {
      if (has("value")) return fail("MALFORMED", "an other-leaf proof carries no value");
      if (typeof p.otherKey !== "bigint" || typeof p.otherValue !== "bigint") {
        return fail("MALFORMED", "an other-leaf proof needs otherKey and otherValue");
      }
      if (!isFieldElement(p.otherKey) || !isFieldElement(p.otherValue)) return fail("OUT_OF_FIELD", "otherKey/otherValue is not a field element");
      if (p.otherKey === p.key) return fail("OTHER_KEY_SAME", "otherKey equals key: that would be an inclusion");
      if (n > 0) {
        const kd = keyDigits(p.key, n);
        const od = keyDigits(p.otherKey, n);
        for (let level = 0; level < n; level++) {
          if (kd[level] !== od[level]) return fail("OTHER_KEY_OFF_PATH", `otherKey leaves key's path at digit ${level}`);
        }
      }
      bottom = hash3(p.otherKey, p.otherValue, 1n);
      break;
    }
    default:
      return fail("MALFORMED", `unknown proof kind ${JSON.stringify(String(p.kind))}`);
  }

  const digits = n > 0 ? keyDigits(p.key, n) : [];
  let current = bottom;
  for (let level = n - 1; level >= 0; level--) current = hashPlaced(current, digits[level] as number, triples[level] as SiblingTriple);
  if (current !== root) return fail("ROOT_MISMATCH", "proof recomputes to a different root");
  return { ok: true, kind: p.kind, level: n };
}

/** True iff `proof` is a well-formed proof (of whatever kind) for `proof.key` under `root`. */
export function verifyStateProof(proof: StateProof, root: bigint, depth: number = STATE_TREE_DEPTH): boolean {
  return checkStateProof(proof, root, depth).ok;
}

/** The JSON form of a StateProof: every number a canonical decimal string. */
export type StateProofJson = {
  key: string;
  kind: "inclusion" | "empty" | "other";
  value?: string;
  otherKey?: string;
  otherValue?: string;
  siblings: [string, string, string][];
};

export function stateProofToJson(proof: StateProof): StateProofJson {
  const out: StateProofJson = {
    key: proof.key.toString(10),
    kind: proof.kind,
    siblings: proof.siblings.map((t) => [t[0].toString(10), t[1].toString(10), t[2].toString(10)]),
  };
  if (proof.value !== undefined) out.value = proof.value.toString(10);
  if (proof.otherKey !== undefined) out.otherKey = proof.otherKey.toString(10);
  if (proof.otherValue !== undefined) out.otherValue = proof.otherValue.toString(10);
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

/**
 * Parse the JSON form (the parsed object, not text). Strict: exactly the fields of the kind, canonical
 * decimal strings (no sign, no leading zeros) below p. Throws StateError STATE_BAD_PROOF /
 * STATE_OUT_OF_FIELD. Parsing does not verify: call `verifyStateProof` on the result.
 */
export function stateProofFromJson(json: unknown): StateProof {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new StateError("STATE_BAD_PROOF", "state proof JSON must be an object");
  }
  const o = json as Record<string, unknown>;
  const kind = o["kind"];
  if (kind !== "inclusion" && kind !== "empty" && kind !== "other") {
    throw new StateError("STATE_BAD_PROOF", "state proof kind must be inclusion, empty or other");
  }
  const allowed: Record<typeof kind, readonly string[]> = {
    inclusion: ["key", "kind", "siblings", "value"],
    empty: ["key", "kind", "siblings"],
    other: ["key", "kind", "siblings", "otherKey", "otherValue"],
  };
  for (const field of Object.keys(o)) {
    if (!allowed[kind].includes(field)) throw new StateError("STATE_BAD_PROOF", `unexpected field ${JSON.stringify(field)} in a ${kind} proof`);
  }
  const rawSiblings = o["siblings"];
  if (!Array.isArray(rawSiblings) || rawSiblings.length > MAX_STATE_TREE_DEPTH) {
    throw new StateError("STATE_BAD_PROOF", "siblings must be an array of at most 127 triples");
  }
  const siblings = rawSiblings.map((triple: unknown, level): SiblingTriple => {
    if (!Array.isArray(triple) || triple.length !== 3) throw new StateError("STATE_BAD_PROOF", `siblings[${level}] must be a triple`);
    return [
      fieldFromDecimal(triple[0], `siblings[${level}][0]`),
      fieldFromDecimal(triple[1], `siblings[${level}][1]`),
      fieldFromDecimal(triple[2], `siblings[${level}][2]`),
    ];
  });
  const proof: StateProof = { key: fieldFromDecimal(o["key"], "key"), kind, siblings };
  if (kind === "inclusion") proof.value = fieldFromDecimal(o["value"], "value");
  if (kind === "other") {
    proof.otherKey = fieldFromDecimal(o["otherKey"], "otherKey");
    proof.otherValue = fieldFromDecimal(o["otherValue"], "otherValue");
  }
  return proof;
}

// ---------------------------------------------------------------------------------------------------
// Update witnesses (the circuit's input for one update)
// ---------------------------------------------------------------------------------------------------

/**
 * One state-tree update as the circuit sees it: circomlib's SMTProcessor generalised to arity 4, with
 * one deliberate difference: `siblings` are those of the NEW path (circomlib passes the old path's).
 *
 * Notation: d[ℓ] = keyDigits(key, depth)[ℓ], od[ℓ] = keyDigits(oldKey, depth)[ℓ]; H3, H4, "level",
 * `place` and the sibling order as in the header of this file; nz(ℓ) = 1 iff siblings[ℓ] has a non-zero
 * entry.
 *
 * FIELDS
 *   fnc           "insert": key absent before. "update": key present before (newValue may equal
 *                 oldValue). "noop": changes nothing (pads a batch; see noopWitness).
 *   oldRoot       root before;  newRoot  root after.
 *   key           the key written.
 *   oldValue      update: the key's previous leaf value. insert / noop: 0.
 *   newValue      the key's new leaf value. noop: 0.
 *   siblings      exactly `depth` triples, level 0 (the root's children) first: the siblings of the
 *                 key's path in the NEW tree down to the new leaf's level n, then [0,0,0] padding for
 *                 levels n … depth-1. On an insert that pushes an existing leaf down, that leaf's hash
 *                 appears as a sibling at level n-1 (the divergence level) and the levels between its
 *                 old position and n-1 have all-zero siblings (the chain of one-child nodes).
 *   isOld0        insert: 1 if the key's old path ended in an empty slot; 0 if it ended in another
 *                 key's leaf (the one pushed down). update / noop: 0.
 *   oldKey,       insert with isOld0 = 0: the pushed-down key and its leaf value. Otherwise 0.
 *   oldLeafValue
 *
 * DERIVED LEVELS
 *   n (the new leaf's level) = 1 + the largest ℓ with nz(ℓ); 0 if every triple is zero.
 *     Exact because the parent of a compressed leaf always has another non-empty child.
 *   L (the level of the leaf the old root is recomputed from):
 *     update, or insert with isOld0 = 1:  L = n;
 *     insert with isOld0 = 0:             L = 1 + the largest ℓ < n-1 with nz(ℓ); 0 if none.
 *     (In the old tree the pushed-down leaf sat at level L; levels L … n-2 are the zero chain.)
 *   newLeaf = H3(key, newValue, 1)
 *   oldLeaf = update:                H3(key, oldValue, 1)
 *             insert, isOld0 = 1:    0                         (an empty slot)
 *             insert, isOld0 = 0:    H3(oldKey, oldLeafValue, 1)
 *
 * ROOT RECOMPUTATION (recomputeRoots; walk ℓ from depth down to 0)
 *   new[ℓ] = 0                                        if ℓ > n
 *          = newLeaf                                  if ℓ = n
 *          = H4(place(new[ℓ+1], d[ℓ], siblings[ℓ]))   if ℓ < n
 *   old[ℓ] = 0                                        if ℓ > L
 *          = oldLeaf                                  if ℓ = L
 *          = H4(place(old[ℓ+1], d[ℓ], siblings[ℓ]))   if ℓ < L
 *   newRoot = new[0];  oldRoot = old[0].
 *   Both walks use the same digits d (the new key's) and the same siblings: above level L the old and
 *   new paths coincide and their siblings are untouched by the update. E.g. an insert into the empty
 *   tree has n = L = 0: oldRoot = 0, newRoot = newLeaf.
 *
 * VALIDITY (the circuit must constrain these when enabled; recomputeRoots throws STATE_BAD_PROOF)
 *   - siblings.length = depth; key, values, siblings, oldKey, oldLeafValue in [0, p); isOld0 ∈ {0, 1}.
 *   - update:              isOld0 = 0, oldKey = 0, oldLeafValue = 0.
 *   - insert, isOld0 = 1:  oldValue = 0, oldKey = 0, oldLeafValue = 0.
 *   - insert, isOld0 = 0:  oldValue = 0; n ≥ 1; with j = n-1: od[ℓ] = d[ℓ] for every ℓ < j, od[j] ≠ d[j],
 *                          and siblings[j] = the triple with oldLeaf at index od[j] - (od[j] > d[j] ? 1 : 0)
 *                          and 0 at the other two indices (i.e. the old leaf is the only other child of
 *                          the divergence node). Without these checks a prover could drop or move the
 *                          pushed-down leaf.
 *   - noop:                key, oldValue, newValue, oldKey, oldLeafValue, isOld0 all 0 and every sibling
 *                          triple [0,0,0]; the roots are not recomputed: newRoot = oldRoot.
 *   Then a witness is correct iff recomputeRoots(w) = { oldRoot: w.oldRoot, newRoot: w.newRoot }.
 *
 * CIRCUIT ENCODING (suggested, as circomlib's fnc[2]): fnc = (isInsert, isUpdate): insert = (1,0),
 * update = (0,1), noop = (0,0); (1,1) invalid. enabled = isInsert + isUpdate. Constrain
 * enabled·(old[0] − oldRoot) = 0 and newRoot = oldRoot + enabled·(new[0] − oldRoot); gate the validity
 * checks on enabled (the noop's all-zero fields keep ungated arithmetic well defined).
 */
export type UpdateWitness = {
  fnc: "insert" | "update" | "noop";
  oldRoot: bigint;
  newRoot: bigint;
  key: bigint;
  oldValue: bigint;
  newValue: bigint;
  siblings: SiblingTriple[];
  isOld0: 0 | 1;
  oldKey: bigint;
  oldLeafValue: bigint;
};

/** A witness that leaves `root` unchanged (fnc "noop", every other field 0); pads circuit batches. */
export function noopWitness(root: bigint, depth: number = STATE_TREE_DEPTH): UpdateWitness {
  requireField(root, "root");
  requireDepth(depth);
  return {
    fnc: "noop",
    oldRoot: root,
    newRoot: root,
    key: 0n,
    oldValue: 0n,
    newValue: 0n,
    siblings: Array.from({ length: depth }, zeroTriple),
    isOld0: 0,
    oldKey: 0n,
    oldLeafValue: 0n,
  };
}

function badWitness(message: string): StateError {
  return new StateError("STATE_BAD_PROOF", `invalid update witness: ${message}`);
}

/**
 * The reference computation of a witness's roots, level by level exactly as documented on
 * `UpdateWitness` (the circuit mirrors it). Throws StateError STATE_BAD_PROOF / STATE_OUT_OF_FIELD
 * when a validity condition fails. Compare the result with `w.oldRoot` / `w.newRoot` yourself, or use
 * `verifyUpdateWitness`.
 */
export function recomputeRoots(w: UpdateWitness, depth: number = STATE_TREE_DEPTH): { oldRoot: bigint; newRoot: bigint } {
  requireDepth(depth);
  if (typeof w !== "object" || w === null) throw badWitness("not an object");
  for (const field of ["oldRoot", "newRoot", "key", "oldValue", "newValue", "oldKey", "oldLeafValue"] as const) {
    requireField(w[field], field);
  }
  if (w.isOld0 !== 0 && w.isOld0 !== 1) throw badWitness("isOld0 must be 0 or 1");
  if (!Array.isArray(w.siblings) || w.siblings.length !== depth) throw badWitness(`siblings must have exactly ${depth} entries`);
  w.siblings.forEach((triple, level) => {
    if (!Array.isArray(triple) || triple.length !== 3) throw badWitness(`siblings[${level}] is not a triple`);
    triple.forEach((x, i) => requireField(x, `siblings[${level}][${i}]`));
  });
  const sib = w.siblings;

  if (w.fnc === "noop") {
    const zeroFields = w.key === 0n && w.oldValue === 0n && w.newValue === 0n && w.oldKey === 0n && w.oldLeafValue === 0n && w.isOld0 === 0;
    if (!zeroFields || !sib.every(isZeroTriple)) throw badWitness("a noop has every field but the roots zero");
    return { oldRoot: w.oldRoot, newRoot: w.oldRoot };
  }
  if (w.fnc !== "insert" && w.fnc !== "update") throw badWitness(`unknown fnc ${JSON.stringify(String(w.fnc))}`);

  const d = keyDigits(w.key, depth);
  let n = 0;
  for (let level = 0; level < depth; level++) if (!isZeroTriple(sib[level] as SiblingTriple)) n = level + 1;

  let oldLevel: number;
  let oldLeaf: bigint;
  if (w.fnc === "update") {
    if (w.isOld0 !== 0 || w.oldKey !== 0n || w.oldLeafValue !== 0n) throw badWitness("an update has isOld0 = 0, oldKey = 0, oldLeafValue = 0");
    oldLevel = n;
    oldLeaf = hash3(w.key, w.oldValue, 1n);
  } else if (w.isOld0 === 1) {
    if (w.oldValue !== 0n || w.oldKey !== 0n || w.oldLeafValue !== 0n) {
      throw badWitness("an insert into an empty slot has oldValue = 0, oldKey = 0, oldLeafValue = 0");
    }
    oldLevel = n;
    oldLeaf = 0n;
  } else {
    if (w.oldValue !== 0n) throw badWitness("an insert has oldValue = 0");
    if (n === 0) throw badWitness("an insert that pushes a leaf down has that leaf as a sibling (n ≥ 1)");
    const j = n - 1;
    const od = keyDigits(w.oldKey, depth);
    for (let level = 0; level < j; level++) {
      if (od[level] !== d[level]) throw badWitness(`oldKey leaves key's path at digit ${level}, above the divergence level ${j}`);
    }
    const oldDigit = od[j] as number;
    const newDigit = d[j] as number;
    if (oldDigit === newDigit) throw badWitness(`oldKey does not diverge from key at level ${j}`);
    oldLeaf = hash3(w.oldKey, w.oldLeafValue, 1n);
    const expected = zeroTriple();
    expected[oldDigit - (oldDigit > newDigit ? 1 : 0)] = oldLeaf;
    const got = sib[j] as SiblingTriple;
    if (got[0] !== expected[0] || got[1] !== expected[1] || got[2] !== expected[2]) {
      throw badWitness(`siblings[${j}] must hold exactly the pushed-down leaf at its digit`);
    }
    oldLevel = 0;
    for (let level = 0; level < j; level++) if (!isZeroTriple(sib[level] as SiblingTriple)) oldLevel = level + 1;
  }

  const newLeaf = hash3(w.key, w.newValue, 1n);
  let newNode = 0n;
  let oldNode = 0n;
  for (let level = depth; level >= 0; level--) {
    const digit = d[level] as number; // undefined at level = depth, where it is never used
    const triple = sib[level] as SiblingTriple;
    newNode = level > n ? 0n : level === n ? newLeaf : hashPlaced(newNode, digit, triple);
    oldNode = level > oldLevel ? 0n : level === oldLevel ? oldLeaf : hashPlaced(oldNode, digit, triple);
  }
  return { oldRoot: oldNode, newRoot: newNode };
}

/** True iff the witness is valid and its roots recompute to `w.oldRoot` and `w.newRoot`. Never throws. */
export function verifyUpdateWitness(w: UpdateWitness, depth: number = STATE_TREE_DEPTH): boolean {
  try {
    const roots = recomputeRoots(w, depth);
    return roots.oldRoot === w.oldRoot && roots.newRoot === w.newRoot;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------
// The tree
// ---------------------------------------------------------------------------------------------------

type LeafNode = { readonly leaf: true; readonly key: bigint; readonly value: bigint; readonly hash: bigint; readonly path: string };
type InnerNode = { readonly leaf: false; readonly hash: bigint };
type TreeNode = LeafNode | InnerNode;

/** Placeholder for an internal node whose hash is about to be recomputed. Never observable. */
const PENDING: InnerNode = { leaf: false, hash: 0n };

type Placement = {
  fnc: "insert" | "update";
  level: number; // the level the key's leaf now sits at
  oldValue: bigint;
  isOld0: 0 | 1;
  oldKey: bigint;
  oldLeafValue: bigint;
};

/**
 * The compressed quaternary Poseidon SMT. Nodes live in a Map keyed by their position (the digit
 * string of the path prefix; "" is the root); a missing entry is an empty slot.
 */
export class StateTree {
  readonly depth: number;
  #nodes = new Map<string, TreeNode>();
  #values = new Map<bigint, bigint>();

  constructor(depth: number = STATE_TREE_DEPTH) {
    this.depth = requireDepth(depth);
  }

  /** A tree holding `entries` ([key, value] pairs; a repeated key keeps its last value). */
  static fromEntries(entries: Iterable<readonly [bigint, bigint]>, depth: number = STATE_TREE_DEPTH): StateTree {
    const tree = new StateTree(depth);
    tree.setMany(entries);
    return tree;
  }

  get root(): bigint {
    return this.#nodes.get("")?.hash ?? 0n;
  }

  /** Number of keys. */
  get size(): number {
    return this.#values.size;
  }

  /** The key's leaf value, or undefined when absent. */
  get(key: bigint): bigint | undefined {
    return this.#values.get(key);
  }

  has(key: bigint): boolean {
    return this.#values.has(key);
  }

  /** [key, value] pairs in first-insertion order. */
  entries(): IterableIterator<[bigint, bigint]> {
    return this.#values.entries();
  }

  clone(): StateTree {
    const copy = new StateTree(this.depth);
    copy.#nodes = new Map(this.#nodes);
    copy.#values = new Map(this.#values);
    return copy;
  }

  /**
   * Insert or update `key` and return the circuit witness of the change. Throws StateError
   * STATE_KEY_COLLISION (tree unchanged) when another stored key shares all `depth` digits with `key`,
   * STATE_OUT_OF_FIELD when key or value is outside the field.
   */
  set(key: bigint, value: bigint): UpdateWitness {
    requireField(key, "key");
    requireField(value, "value");
    const oldRoot = this.root;
    const path = digitString(key, this.depth);
    const placed = this.#place(this.#nodes, this.#values, key, value, path);

    const siblings: SiblingTriple[] = Array.from({ length: this.depth }, zeroTriple);
    for (let level = placed.level - 1; level >= 0; level--) {
      const prefix = path.slice(0, level);
      const children = this.#children(this.#nodes, prefix);
      this.#nodes.set(prefix, { leaf: false, hash: hash4(children[0], children[1], children[2], children[3]) });
      const digit = Number(path[level]);
      siblings[level] = children.filter((_, index) => index !== digit) as SiblingTriple;
    }
    return {
      fnc: placed.fnc,
      oldRoot,
      newRoot: this.root,
      key,
      oldValue: placed.oldValue,
      newValue: value,
      siblings,
      isOld0: placed.isOld0,
      oldKey: placed.oldKey,
      oldLeafValue: placed.oldLeafValue,
    };
  }

  /**
   * Insert or update many keys, hashing each touched node once (no witnesses). Atomic: on
   * STATE_KEY_COLLISION (or a bad input) the tree is unchanged.
   */
  setMany(entries: Iterable<readonly [bigint, bigint]>): void {
    const nodes = new Map(this.#nodes);
    const values = new Map(this.#values);
    const dirty: Set<string>[] = Array.from({ length: this.depth }, () => new Set<string>());
    for (const [key, value] of entries) {
      requireField(key, "key");
      requireField(value, "value");
      const path = digitString(key, this.depth);
      const placed = this.#place(nodes, values, key, value, path);
      for (let level = 0; level < placed.level; level++) (dirty[level] as Set<string>).add(path.slice(0, level));
    }
    for (let level = this.depth - 1; level >= 0; level--) {
      for (const prefix of dirty[level] as Set<string>) {
        const c = this.#children(nodes, prefix);
        nodes.set(prefix, { leaf: false, hash: hash4(c[0], c[1], c[2], c[3]) });
      }
    }
    this.#nodes = nodes;
    this.#values = values;
  }

  /** An inclusion proof if `key` is present, else a non-inclusion proof (empty slot or other leaf). */
  prove(key: bigint): StateProof {
    requireField(key, "key");
    const path = digitString(key, this.depth);
    const siblings: SiblingTriple[] = [];
    for (let level = 0; ; level++) {
      const prefix = path.slice(0, level);
      const node = this.#nodes.get(prefix);
      if (node === undefined) return { key, kind: "empty", siblings };
      if (node.leaf) {
        return node.key === key
          ? { key, kind: "inclusion", value: node.value, siblings }
          : { key, kind: "other", otherKey: node.key, otherValue: node.value, siblings };
      }
      const digit = Number(path[level]);
      siblings.push(this.#children(this.#nodes, prefix).filter((_, index) => index !== digit) as SiblingTriple);
    }
  }

  /** An inclusion proof; StateError STATE_MISSING_KEY when `key` is absent. */
  proveInclusion(key: bigint): StateProof {
    const proof = this.prove(key);
    if (proof.kind !== "inclusion") throw new StateError("STATE_MISSING_KEY", "key is not in the state tree", { details: { key: key.toString(10) } });
    return proof;
  }

  #children(nodes: Map<string, TreeNode>, prefix: string): [bigint, bigint, bigint, bigint] {
    return [
      nodes.get(prefix + "0")?.hash ?? 0n,
      nodes.get(prefix + "1")?.hash ?? 0n,
      nodes.get(prefix + "2")?.hash ?? 0n,
      nodes.get(prefix + "3")?.hash ?? 0n,
    ];
  }

  /**
   * Put the leaf into the structure (internal nodes on its path left as PENDING or stale: the caller
   * rehashes levels 0 … level-1 of `path`). Checks for a collision before changing anything.
   */
  #place(nodes: Map<string, TreeNode>, values: Map<bigint, bigint>, key: bigint, value: bigint, path: string): Placement {
    for (let level = 0; ; level++) {
      const prefix = path.slice(0, level);
      const node = nodes.get(prefix);
      if (node === undefined) {
        nodes.set(prefix, { leaf: true, key, value, hash: hash3(key, value, 1n), path });
        values.set(key, value);
        return { fnc: "insert", level, oldValue: 0n, isOld0: 1, oldKey: 0n, oldLeafValue: 0n };
      }
      if (!node.leaf) continue; // internal nodes only exist above level `depth`
      if (node.key === key) {
        const hash = node.value === value ? node.hash : hash3(key, value, 1n);
        nodes.set(prefix, { leaf: true, key, value, hash, path });
        values.set(key, value);
        return { fnc: "update", level, oldValue: node.value, isOld0: 0, oldKey: 0n, oldLeafValue: 0n };
      }
      // Another key's leaf: push it down to where the two paths diverge.
      let split = level;
      while (split < this.depth && node.path[split] === path[split]) split++;
      if (split === this.depth) {
        throw new StateError("STATE_KEY_COLLISION", `key collides with a stored key on all ${this.depth} digits`, {
          details: { key: key.toString(10), storedKey: node.key.toString(10), depth: this.depth },
        });
      }
      for (let m = level; m <= split; m++) nodes.set(path.slice(0, m), PENDING);
      nodes.set(node.path.slice(0, split + 1), node);
      nodes.set(path.slice(0, split + 1), { leaf: true, key, value, hash: hash3(key, value, 1n), path });
      values.set(key, value);
      return { fnc: "insert", level: split + 1, oldValue: 0n, isOld0: 0, oldKey: node.key, oldLeafValue: node.value };
    }
  }
}
