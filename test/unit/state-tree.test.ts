import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { blake3 } from "@noble/hashes/blake3.js";
import { poseidon3, poseidon4 } from "poseidon-lite";
import {
  FIELD_MODULUS,
  STATE_TREE_DEPTH,
  StateError,
  StateTree,
  checkStateProof,
  contentHashField,
  contentHashFromDigestHex,
  keyDigits,
  leafHash,
  leafValue,
  noopWitness,
  recomputeRoots,
  stateKey,
  stateProofFromJson,
  stateProofToJson,
  verifyStateProof,
  verifyUpdateWitness,
  type SiblingTriple,
  type StateProof,
  type UpdateWitness,
} from "../../node/core/state-tree.js";

// ----------------------------------------------------------------------------------------------------
// Helpers
// ----------------------------------------------------------------------------------------------------

type CircomPoseidon = ((inputs: bigint[]) => unknown) & { F: { toObject(x: unknown): bigint } };
let circom: CircomPoseidon;
/** Poseidon computed by circomlibjs (independent of poseidon-lite). */
const cp = (...inputs: bigint[]): bigint => circom.F.toObject(circom(inputs));

/** Deterministic PRNG (mulberry32) so failures reproduce. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomBigint(next: () => number, bits: number): bigint {
  let out = 0n;
  for (let i = 0; i < Math.ceil(bits / 32); i++) out = (out << 32n) | BigInt(Math.floor(next() * 2 ** 32));
  return out & ((1n << BigInt(bits)) - 1n);
}

function shuffle<T>(items: T[], next: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** A key with the given low digits (digit 0 first) and random high bits. */
function keyWithDigits(digits: number[], high: bigint): bigint {
  let key = high << BigInt(2 * digits.length);
  digits.forEach((d, i) => (key |= BigInt(d) << BigInt(2 * i)));
  return key;
}

function assertStateError(fn: () => unknown, code: string): void {
  assert.throws(fn, (error: unknown) => error instanceof StateError && error.code === code && error.name === "StateError");
}

const H4 = (c: readonly bigint[]): bigint => cp(c[0] as bigint, c[1] as bigint, c[2] as bigint, c[3] as bigint);
const LEAF = (key: bigint, value: bigint): bigint => cp(key, value, 1n);

before(async () => {
  const specifier: string = "circomlibjs";
  const mod = (await import(specifier)) as { buildPoseidon: () => Promise<CircomPoseidon> };
  circom = await mod.buildPoseidon();
});

// ----------------------------------------------------------------------------------------------------
// Hashes, keys, leaves
// ----------------------------------------------------------------------------------------------------

describe("Poseidon and leaf encoding", () => {
  test("poseidon-lite agrees with circomlibjs for arity 3 and 4", () => {
    const p = FIELD_MODULUS;
    const inputs: bigint[][] = [
      [0n, 0n, 0n, 0n],
      [1n, 2n, 3n, 4n],
      [p - 1n, p - 2n, 12345678901234567890n, 0n],
      [2n ** 248n - 1n, 7n, 2n ** 200n + 3n, p - 1n],
    ];
    for (const x of inputs) {
      assert.equal(poseidon4(x), cp(...x));
      assert.equal(poseidon3(x.slice(0, 3)), cp(...x.slice(0, 3)));
    }
    // the known circomlib test vector Poseidon([1,2]) anchors circomlibjs itself
    assert.equal(cp(1n, 2n), 7853200120776062878684798364095072458815029376092732009249414926327459813530n);
  });

  test("leafHash = H3(key, value, 1) and leafValue = H3(contentHash, version, deleted)", () => {
    const key = stateKey("space", "kv", "a");
    assert.equal(leafHash(key, 42n), cp(key, 42n, 1n));
    const ch = contentHashField(new TextEncoder().encode("hello"));
    assert.equal(leafValue(ch, 3, false), cp(ch, 3n, 0n));
    assert.equal(leafValue(ch, 3n, false), leafValue(ch, 3, false));
    assert.equal(leafValue(0n, 4, true), cp(0n, 4n, 1n));
    assert.notEqual(leafValue(0n, 4, true), leafValue(0n, 4, false));
    assert.throws(() => leafValue(ch, 4, true), RangeError); // a tombstone carries contentHash 0
    assertStateError(() => leafValue(FIELD_MODULUS, 1, false), "STATE_OUT_OF_FIELD");
    assertStateError(() => leafValue(0n, -1, false), "STATE_OUT_OF_FIELD");
    assertStateError(() => leafValue(0n, 1.5, false), "STATE_OUT_OF_FIELD");
    assertStateError(() => leafHash(FIELD_MODULUS, 0n), "STATE_OUT_OF_FIELD");
  });

  test("stateKey golden values, recomputed independently from raw blake3", () => {
    const cases: [string, string, string][] = [
      ["tinycloud:pkh:eip155:1:0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A:default", "kv", "hello.txt"],
      ["tinycloud:pkh:eip155:1:0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A:default", "kv", "dir/caf%C3%A9 ünï"],
      ["tinycloud:pkh:eip155:137:0x0000000000000000000000000000000000000001:photos", "kv", ""],
    ];
    const independent = (space: string, service: string, path: string): bigint => {
      const enc = new TextEncoder();
      const bytes = Uint8Array.from([...enc.encode(space), 0, ...enc.encode(service), 0, ...enc.encode(path)]);
      const digest = blake3(bytes);
      assert.equal(digest.length, 32);
      return BigInt("0x" + Buffer.from(digest.subarray(0, 31)).toString("hex"));
    };
    // anchor blake3 itself: the BLAKE3 test vector for the empty input
    assert.equal(Buffer.from(blake3(new Uint8Array())).toString("hex"), "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262");
    for (const [space, service, path] of cases) {
      const key = stateKey(space, service, path);
      assert.equal(key, independent(space, service, path));
      assert.ok(key < 2n ** 248n);
    }
    // golden values (pinned so a change of the key derivation is caught even if both sides drift)
    assert.deepEqual(
      cases.map(([s, v, p]) => stateKey(s, v, p).toString(16).padStart(62, "0")),
      GOLDEN_KEYS,
    );
    // separators matter: moving a byte across a separator changes the key
    assert.notEqual(stateKey("ab", "c", "d"), stateKey("a", "bc", "d"));
    assert.throws(() => stateKey("a\u0000b", "kv", "x"), TypeError);
    assert.throws(() => stateKey("a", "k\u0000v", "x"), TypeError);
    assert.throws(() => stateKey("a", "kv", "x\uD800"), TypeError);
  });

  test("contentHashField is the first 31 bytes of blake3, big-endian", () => {
    const bytes = new TextEncoder().encode("some value bytes");
    const digest = blake3(bytes);
    assert.equal(contentHashField(bytes), BigInt("0x" + Buffer.from(digest.subarray(0, 31)).toString("hex")));
    assert.equal(contentHashField(new Uint8Array()), BigInt("0x" + Buffer.from(blake3(new Uint8Array()).subarray(0, 31)).toString("hex")));
  });

  test("contentHashFromDigestHex (from a KV ETag) equals contentHashField of the bytes; malformed digests throw", () => {
    const bytes = new TextEncoder().encode("some value bytes");
    assert.equal(contentHashFromDigestHex(Buffer.from(blake3(bytes)).toString("hex")), contentHashField(bytes));
    assert.throws(() => contentHashFromDigestHex(""), TypeError);
    assert.throws(() => contentHashFromDigestHex("AB".repeat(32)), TypeError);
  });

  test("keyDigits: least-significant digit first", () => {
    assert.deepEqual(keyDigits(0b11_10_01_00n, 4), [0, 1, 2, 3]);
    assert.deepEqual(keyDigits(0b11_10_01_00n, 6), [0, 1, 2, 3, 0, 0]);
    const key = (3n << 60n) | (2n << 30n) | 1n; // digits 0, 15 and 30
    const d = keyDigits(key, 31);
    assert.equal(d[0], 1);
    assert.equal(d[15], 2);
    assert.equal(d[30], 3);
    assert.equal(d.filter((x) => x !== 0).length, 3);
    assert.equal(keyDigits(key).length, STATE_TREE_DEPTH);
  });
});

const GOLDEN_KEYS = [
  "ae97fed721df59150d5cc77070241e715c0736e2634e41c637fa5fb0860435",
  "6e0a3e94cc9e732ad39d2c1f0f72e46bf1596ae4e0674f5f2035173a11f566",
  "9043f99b5f23ccfb0551dd4cff59f25e0f258ea2f9cfb97677650e4658d6d8",
];

// ----------------------------------------------------------------------------------------------------
// Tree shape
// ----------------------------------------------------------------------------------------------------

describe("StateTree shape", () => {
  test("empty tree: root 0, empty proof", () => {
    const tree = new StateTree();
    assert.equal(tree.root, 0n);
    assert.equal(tree.size, 0);
    const proof = tree.prove(123n);
    assert.deepEqual(proof, { key: 123n, kind: "empty", siblings: [] });
    assert.ok(verifyStateProof(proof, 0n));
    assert.ok(!verifyStateProof(proof, 1n));
  });

  test("one key: root = leafHash", () => {
    const tree = new StateTree();
    const key = stateKey("s", "kv", "one");
    const w = tree.set(key, 9n);
    assert.equal(tree.root, LEAF(key, 9n));
    assert.equal(tree.get(key), 9n);
    assert.equal(tree.size, 1);
    assert.equal(w.fnc, "insert");
    assert.equal(w.isOld0, 1);
    assert.equal(w.oldRoot, 0n);
    assert.equal(w.newRoot, tree.root);
    assert.ok(w.siblings.every((t) => t.every((x) => x === 0n)));
    assert.deepEqual(tree.prove(key), { key, kind: "inclusion", value: 9n, siblings: [] });
  });

  test("two keys diverging at digit 0", () => {
    const tree = new StateTree();
    const a = keyWithDigits([1], 77n);
    const b = keyWithDigits([3], 77n);
    tree.set(a, 1n);
    const w = tree.set(b, 2n);
    assert.equal(tree.root, H4([0n, LEAF(a, 1n), 0n, LEAF(b, 2n)]));
    assert.equal(w.fnc, "insert");
    assert.equal(w.isOld0, 0);
    assert.equal(w.oldKey, a);
    assert.equal(w.oldLeafValue, 1n);
    assert.deepEqual(w.siblings[0], [0n, LEAF(a, 1n), 0n]); // children 0,1,2 (3 is b's)
    assert.ok(verifyUpdateWitness(w));
  });

  test("two keys diverging at digit 5: a chain of five one-child nodes", () => {
    const tree = new StateTree();
    const shared = [2, 0, 3, 1, 1];
    const a = keyWithDigits([...shared, 0], 5n);
    const b = keyWithDigits([...shared, 2], 6n);
    tree.set(a, 10n);
    const w = tree.set(b, 20n);
    let node = H4([LEAF(a, 10n), 0n, LEAF(b, 20n), 0n]); // level 5
    for (let level = 4; level >= 0; level--) {
      const children = [0n, 0n, 0n, 0n];
      children[shared[level] as number] = node;
      node = H4(children);
    }
    assert.equal(tree.root, node);
    assert.equal(w.siblings.findIndex((t) => t.some((x) => x !== 0n)), 5);
    assert.deepEqual(w.siblings[5], [LEAF(a, 10n), 0n, 0n]);
    assert.ok(verifyUpdateWitness(w));
    const proof = tree.prove(a);
    assert.equal(proof.siblings.length, 6);
    assert.ok(verifyStateProof(proof, tree.root));
    // a third key on the chain at digit 2 splits it higher up
    const c = keyWithDigits([2, 0, 1], 1n);
    const w3 = tree.set(c, 30n);
    assert.equal(w3.isOld0, 1);
    assert.ok(verifyUpdateWitness(w3));
    for (const k of [a, b, c]) assert.ok(verifyStateProof(tree.prove(k), tree.root));
  });

  test("keys agreeing on all depth digits collide (depth 3 and 16); the tree is unchanged", () => {
    const tree = new StateTree(3);
    const a = keyWithDigits([1, 2, 3], 0n);
    const b = keyWithDigits([1, 2, 3], 1n);
    tree.set(a, 1n);
    tree.set(keyWithDigits([1, 2, 0], 0n), 1n);
    const root = tree.root;
    assertStateError(() => tree.set(b, 2n), "STATE_KEY_COLLISION");
    assert.equal(tree.root, root);
    assert.equal(tree.size, 2);
    assert.equal(tree.get(b), undefined);
    assertStateError(() => tree.setMany([[keyWithDigits([0, 0, 0], 0n), 5n], [b, 2n]]), "STATE_KEY_COLLISION");
    assert.equal(tree.root, root);
    assert.equal(tree.size, 2);
    // the colliding key has an other-leaf non-inclusion proof
    const proof = tree.prove(b);
    assert.equal(proof.kind, "other");
    assert.equal(proof.otherKey, a);
    assert.ok(verifyStateProof(proof, root, 3));
    // keys differing only at digit 2 (the last) sit at level 3 = depth
    const c = keyWithDigits([1, 2, 2], 9n);
    const w = tree.set(c, 3n);
    assert.equal(w.siblings.length, 3);
    assert.ok(verifyUpdateWitness(w, 3));
    assert.equal(tree.prove(c).siblings.length, 3);

    const big = new StateTree();
    const k = stateKey("s", "kv", "x");
    big.set(k, 1n);
    assertStateError(() => big.set(k ^ (1n << 32n), 1n), "STATE_KEY_COLLISION");
    big.set(k ^ (1n << 31n), 1n); // digit 15 differs: fine
    assert.equal(big.size, 2);
  });

  test("update changes the root and setting the old value restores it", () => {
    const tree = new StateTree();
    const keys = [1n, 2n, 3n, 1n << 40n].map((x, i) => stateKey("s", "kv", `u${x}${i}`));
    keys.forEach((k, i) => tree.set(k, BigInt(i)));
    const key = keys[1] as bigint;
    const r1 = tree.root;
    const w = tree.set(key, 100n);
    assert.notEqual(tree.root, r1);
    assert.equal(w.fnc, "update");
    assert.equal(w.oldValue, 1n);
    assert.equal(w.newValue, 100n);
    assert.equal(w.oldRoot, r1);
    assert.ok(verifyUpdateWitness(w));
    const back = tree.set(key, 1n);
    assert.equal(tree.root, r1);
    assert.equal(back.newRoot, r1);
    const same = tree.set(key, 1n); // an update that changes nothing
    assert.equal(same.fnc, "update");
    assert.equal(same.oldRoot, same.newRoot);
    assert.ok(verifyUpdateWitness(same));
    assert.equal(tree.size, 4);
  });

  test("the root is independent of insertion order (and of set vs setMany)", () => {
    const next = rng(1);
    const entries: [bigint, bigint][] = Array.from({ length: 200 }, (_, i) => [randomBigint(next, 248), BigInt(i + 1)]);
    const reference = StateTree.fromEntries(entries);
    for (let round = 0; round < 3; round++) {
      const tree = new StateTree();
      for (const [k, v] of shuffle(entries, next)) tree.set(k, v);
      assert.equal(tree.root, reference.root);
      assert.equal(tree.size, 200);
    }
    // and a different set of values gives a different root
    const changed = reference.clone();
    changed.set(entries[17]?.[0] as bigint, 0n);
    assert.notEqual(changed.root, reference.root);
  });

  test("clone is independent; entries, get, has; out-of-field input", () => {
    const tree = new StateTree();
    tree.set(5n, 1n);
    const copy = tree.clone();
    copy.set(6n, 2n);
    assert.equal(tree.size, 1);
    assert.equal(copy.size, 2);
    assert.notEqual(tree.root, copy.root);
    assert.deepEqual([...copy.entries()], [[5n, 1n], [6n, 2n]]);
    assert.ok(copy.has(6n) && !tree.has(6n));
    assertStateError(() => tree.set(FIELD_MODULUS, 1n), "STATE_OUT_OF_FIELD");
    assertStateError(() => tree.set(1n, FIELD_MODULUS), "STATE_OUT_OF_FIELD");
    assertStateError(() => tree.set(-1n, 1n), "STATE_OUT_OF_FIELD");
    assertStateError(() => tree.proveInclusion(6n), "STATE_MISSING_KEY");
    assert.equal(tree.proveInclusion(5n).value, 1n);
    assert.throws(() => new StateTree(0), RangeError);
  });
});

// ----------------------------------------------------------------------------------------------------
// Proofs
// ----------------------------------------------------------------------------------------------------

describe("state proofs", () => {
  const next = rng(2);
  const tree = new StateTree();
  const keys: bigint[] = [];
  for (let i = 0; i < 300; i++) {
    const key = randomBigint(next, 248);
    keys.push(key);
    tree.set(key, leafValue(BigInt(i), i + 1, false));
  }
  // a tombstone, as a KV delete writes it
  const deletedKey = keys[7] as bigint;
  tree.set(deletedKey, leafValue(0n, 9, true));
  const root = tree.root;

  const findAbsent = (kind: StateProof["kind"]): StateProof => {
    for (let i = 0; i < 10_000; i++) {
      const proof = tree.prove(randomBigint(next, 248));
      if (proof.kind === kind && proof.siblings.length >= 2) return proof;
    }
    throw new Error(`no ${kind} proof found`);
  };
  const proofs: StateProof[] = [tree.prove(keys[3] as bigint), tree.prove(deletedKey), findAbsent("empty"), findAbsent("other")];

  test("inclusion, tombstone, empty and other-leaf proofs verify", () => {
    assert.deepEqual(
      proofs.map((p) => p.kind),
      ["inclusion", "inclusion", "empty", "other"],
    );
    assert.equal(proofs[1]?.value, cp(0n, 9n, 1n));
    for (const proof of proofs) {
      const check = checkStateProof(proof, root);
      assert.ok(check.ok, JSON.stringify(check));
      assert.equal(check.level, proof.siblings.length);
    }
    for (const key of keys.slice(0, 50)) assert.ok(verifyStateProof(tree.prove(key), root));
    // the other-leaf proof names a stored key that is on the path
    const other = proofs[3] as StateProof;
    assert.equal(tree.get(other.otherKey as bigint), other.otherValue);
  });

  test("a proof against a different root fails", () => {
    for (const proof of proofs) {
      const check = checkStateProof(proof, root + 1n);
      assert.ok(!check.ok && check.reason === "ROOT_MISMATCH");
    }
    const before = tree.clone();
    before.set(keys[0] as bigint, 12345n);
    assert.ok(!verifyStateProof(proofs[0] as StateProof, before.root));
  });

  test("tampering with any sibling fails", () => {
    for (const proof of proofs) {
      proof.siblings.forEach((triple, level) => {
        for (let i = 0; i < 3; i++) {
          const siblings = proof.siblings.map((t) => [...t] as SiblingTriple);
          (siblings[level] as SiblingTriple)[i] = (triple[i] as bigint) === 0n ? 1n : (triple[i] as bigint) - 1n;
          assert.ok(!verifyStateProof({ ...proof, siblings }, root), `level ${level} index ${i}`);
        }
      });
      // dropping or adding a level
      assert.ok(!verifyStateProof({ ...proof, siblings: proof.siblings.slice(1) }, root));
      assert.ok(!verifyStateProof({ ...proof, siblings: [...proof.siblings, [1n, 0n, 0n]] }, root));
    }
  });

  test("tampering with value, key or kind fails", () => {
    const [inclusion, , empty, other] = proofs as [StateProof, StateProof, StateProof, StateProof];
    const n = (p: StateProof) => p.siblings.length;
    // value
    assert.ok(!verifyStateProof({ ...inclusion, value: (inclusion.value as bigint) + 1n }, root));
    assert.ok(!verifyStateProof({ ...other, otherValue: (other.otherValue as bigint) + 1n }, root));
    // key: same path digits, different key → leaf hash differs
    const high = 1n << 240n;
    assert.ok(!verifyStateProof({ ...inclusion, key: inclusion.key ^ high }, root));
    assert.ok(!verifyStateProof({ ...other, otherKey: (other.otherKey as bigint) ^ high }, root));
    // key: move the empty proof's last digit onto an occupied slot
    const d = keyDigits(empty.key, n(empty));
    const last = n(empty) - 1;
    const occupiedIndex = (empty.siblings[last] as SiblingTriple).findIndex((x) => x !== 0n);
    const occupiedDigit = occupiedIndex + (occupiedIndex >= (d[last] as number) ? 1 : 0);
    const movedKey = empty.key + BigInt(occupiedDigit - (d[last] as number)) * (1n << BigInt(2 * last));
    assert.ok(!verifyStateProof({ ...empty, key: movedKey }, root));
    // an other-leaf proof whose key leaves the path, or names itself
    const off = checkStateProof({ ...other, key: other.key ^ 1n }, root);
    assert.ok(!off.ok && off.reason === "OTHER_KEY_OFF_PATH");
    const self = checkStateProof({ ...other, key: other.otherKey as bigint }, root);
    assert.ok(!self.ok && self.reason === "OTHER_KEY_SAME");
    // kind: every relabelling fails
    const relabel = (p: StateProof, kind: StateProof["kind"]): StateProof => {
      const value = p.value ?? p.otherValue ?? 1n;
      if (kind === "inclusion") return { key: p.key, kind, value, siblings: p.siblings };
      if (kind === "empty") return { key: p.key, kind, siblings: p.siblings };
      return { key: p.key, kind, otherKey: p.otherKey ?? p.key ^ high, otherValue: value, siblings: p.siblings };
    };
    for (const proof of [inclusion, empty, other]) {
      for (const kind of ["inclusion", "empty", "other"] as const) {
        if (kind !== proof.kind) assert.ok(!verifyStateProof(relabel(proof, kind), root), `${proof.kind} → ${kind}`);
      }
    }
    // structural problems are named
    const reason = (p: unknown, depth?: number) => {
      const check = checkStateProof(p as StateProof, root, depth);
      return check.ok ? "ok" : check.reason;
    };
    assert.equal(reason({ ...inclusion, value: undefined }), "MALFORMED");
    assert.equal(reason({ ...empty, value: 1n }), "MALFORMED");
    assert.equal(reason({ ...inclusion, kind: "maybe" }), "MALFORMED");
    assert.equal(reason({ ...inclusion, siblings: [[1n, 2n]] }), "MALFORMED");
    assert.equal(reason(null), "MALFORMED");
    assert.equal(reason({ ...inclusion, value: FIELD_MODULUS }), "OUT_OF_FIELD");
    assert.equal(reason({ ...inclusion, siblings: [[FIELD_MODULUS, 0n, 0n]] }), "OUT_OF_FIELD");
    assert.equal(reason({ ...inclusion, siblings: [...inclusion.siblings, [0n, 0n, 0n]] }), "NON_CANONICAL");
    assert.equal(reason(inclusion, n(inclusion) - 1), "TOO_DEEP");
    assert.equal(reason(inclusion), "ok");
  });

  test("JSON round trip and strict parsing", () => {
    for (const proof of proofs) {
      const json = stateProofToJson(proof);
      const text = JSON.stringify(json);
      const back = stateProofFromJson(JSON.parse(text));
      assert.deepEqual(back, proof);
      assert.ok(verifyStateProof(back, root));
    }
    const good = stateProofToJson(proofs[0] as StateProof);
    assert.equal(good.key, (proofs[0] as StateProof).key.toString(10));
    assertStateError(() => stateProofFromJson({ ...good, key: "0" + good.key }), "STATE_BAD_PROOF");
    assertStateError(() => stateProofFromJson({ ...good, key: "-1" }), "STATE_BAD_PROOF");
    assertStateError(() => stateProofFromJson({ ...good, key: 5 }), "STATE_BAD_PROOF");
    assertStateError(() => stateProofFromJson({ ...good, value: FIELD_MODULUS.toString() }), "STATE_OUT_OF_FIELD");
    assertStateError(() => stateProofFromJson({ ...good, otherKey: "1" }), "STATE_BAD_PROOF");
    assertStateError(() => stateProofFromJson({ ...good, kind: "empty" }), "STATE_BAD_PROOF"); // value not allowed
    assertStateError(() => stateProofFromJson({ ...good, siblings: [["1", "2"]] }), "STATE_BAD_PROOF");
    assertStateError(() => stateProofFromJson({ key: "1", kind: "other", siblings: [] }), "STATE_BAD_PROOF");
    assertStateError(() => stateProofFromJson("{}"), "STATE_BAD_PROOF");
  });
});

// ----------------------------------------------------------------------------------------------------
// Update witnesses
// ----------------------------------------------------------------------------------------------------

/** Run `ops` random inserts/updates and check every witness against the tree and recomputeRoots. */
function randomWitnessRun(depth: number, ops: number, seed: number): { inserts: number; pushDowns: number; updates: number; collisions: number; deep: number; sample: UpdateWitness[] } {
  const next = rng(seed);
  const tree = new StateTree(depth);
  const keys: bigint[] = [];
  const slots = new Map<bigint, bigint>(); // first `depth` digits → key (independent collision oracle)
  const mask = (1n << BigInt(2 * depth)) - 1n;
  const stats = { inserts: 0, pushDowns: 0, updates: 0, collisions: 0, deep: 0, sample: [] as UpdateWitness[] };
  for (let i = 0; i < ops; i++) {
    let key: bigint;
    const r = next();
    if (keys.length > 0 && r < 0.3) {
      key = keys[Math.floor(next() * keys.length)] as bigint; // update
    } else if (keys.length > 0 && r < 0.37) {
      // a new key sharing a random-length digit prefix with an existing one: long push-down chains
      const base = keys[Math.floor(next() * keys.length)] as bigint;
      const shared = BigInt(2 * Math.floor(next() * depth));
      key = (base & ((1n << shared) - 1n)) | (randomBigint(next, 248) & ~((1n << shared) - 1n));
    } else {
      key = randomBigint(next, 248);
    }
    const value = randomBigint(next, 250);
    const present = tree.get(key) !== undefined;
    const occupant = slots.get(key & mask);
    if (!present && occupant !== undefined) {
      assertStateError(() => tree.set(key, value), "STATE_KEY_COLLISION");
      stats.collisions++;
      continue;
    }
    const oldRoot = tree.root;
    const w = tree.set(key, value);
    if (!present) {
      keys.push(key);
      slots.set(key & mask, key);
    }
    assert.equal(w.fnc, present ? "update" : "insert");
    assert.equal(w.oldRoot, oldRoot);
    assert.equal(w.newRoot, tree.root);
    assert.equal(w.siblings.length, depth);
    const roots = recomputeRoots(w, depth);
    assert.equal(roots.oldRoot, w.oldRoot);
    assert.equal(roots.newRoot, w.newRoot);
    // the witness's siblings are the new path's, zero padded
    const proof = tree.prove(key);
    assert.equal(proof.kind, "inclusion");
    assert.deepEqual(w.siblings.slice(0, proof.siblings.length), proof.siblings);
    assert.ok(w.siblings.slice(proof.siblings.length).every((t) => t.every((x) => x === 0n)));
    if (w.fnc === "update") stats.updates++;
    else if (w.isOld0 === 0) stats.pushDowns++;
    else stats.inserts++;
    if (w.isOld0 === 0 && w.fnc === "insert" && proof.siblings.length >= 3 && w.siblings[proof.siblings.length - 2]?.every((x) => x === 0n)) stats.deep++;
    // keep two witnesses of each kind (update, insert into an empty slot, push-down) for tampering
    if (stats.sample.filter((s) => s.fnc === w.fnc && s.isOld0 === w.isOld0).length < 2 && i > ops / 4) stats.sample.push(w);
  }
  // a final cross-check against a tree built from scratch
  assert.equal(StateTree.fromEntries(tree.entries(), depth).root, tree.root);
  return stats;
}

/** Every single-field corruption of a valid witness is rejected. */
function assertTamperRejected(w: UpdateWitness, depth: number): void {
  assert.ok(verifyUpdateWitness(w, depth));
  const variants: [string, UpdateWitness][] = [
    ["oldRoot", { ...w, oldRoot: w.oldRoot + 1n }],
    ["newRoot", { ...w, newRoot: w.newRoot + 1n }],
    ["key", { ...w, key: w.key ^ (1n << 100n) }],
    ["newValue", { ...w, newValue: w.newValue + 1n }],
    ["oldValue", { ...w, oldValue: w.oldValue + 1n }],
    ["fnc", { ...w, fnc: w.fnc === "insert" ? "update" : "insert" }],
    ["isOld0", { ...w, isOld0: w.isOld0 === 1 ? 0 : 1 }],
    ["oldKey", { ...w, oldKey: w.oldKey ^ (1n << 100n) }],
    ["oldLeafValue", { ...w, oldLeafValue: w.oldLeafValue + 1n }],
    ["noop", { ...w, fnc: "noop" }],
  ];
  w.siblings.forEach((triple, level) => {
    if (triple.some((x) => x !== 0n)) {
      const siblings = w.siblings.map((t) => [...t] as SiblingTriple);
      const index = triple.findIndex((x) => x !== 0n);
      (siblings[level] as SiblingTriple)[index] = (triple[index] as bigint) + 1n;
      variants.push([`siblings[${level}]`, { ...w, siblings }]);
    }
  });
  const deeper = w.siblings.map((t) => [...t] as SiblingTriple);
  deeper[depth - 1] = [0n, 0n, 1n];
  variants.push(["padding", { ...w, siblings: deeper }]);
  for (const [what, variant] of variants) assert.ok(!verifyUpdateWitness(variant, depth), `tampered ${what} accepted (${w.fnc}, isOld0 ${w.isOld0})`);
}

describe("update witnesses", () => {
  test("recomputeRoots agrees with the tree: 2,000 random operations at depth 16", () => {
    const stats = randomWitnessRun(16, 2000, 3);
    const info = JSON.stringify({ ...stats, sample: stats.sample.length });
    assert.ok(stats.updates > 300, info);
    assert.ok(stats.pushDowns > 100, info);
    assert.ok(stats.inserts > 100, info);
    assert.ok(stats.deep > 20, info); // push-downs through a zero chain
    assert.equal(stats.sample.length, 6);
    for (const w of stats.sample) assertTamperRejected(w, 16);
  });

  test("recomputeRoots agrees with the tree: 2,000 random operations at depth 4 (collisions skipped)", () => {
    const stats = randomWitnessRun(4, 2000, 4);
    const info = JSON.stringify({ ...stats, sample: stats.sample.length });
    assert.ok(stats.collisions > 100, info);
    assert.ok(stats.pushDowns > 20, info);
    assert.ok(stats.updates > 300, info);
    assert.equal(stats.sample.length, 6);
    for (const w of stats.sample) assertTamperRejected(w, 4);
  });

  test("validity conditions are enforced", () => {
    const tree = new StateTree(4);
    const a = keyWithDigits([1, 2, 3, 0], 1n);
    const b = keyWithDigits([1, 2, 0, 0], 2n);
    tree.set(a, 5n);
    const w = tree.set(b, 6n); // pushes a down to level 3, b at level 3, chain at levels 0, 1
    assert.equal(w.isOld0, 0);
    assert.deepEqual(w.siblings.slice(0, 2), [[0n, 0n, 0n], [0n, 0n, 0n]]);
    assert.deepEqual(w.siblings[2], [0n, 0n, LEAF(a, 5n)]);
    assert.deepEqual(recomputeRoots(w, 4), { oldRoot: LEAF(a, 5n), newRoot: tree.root });
    const bad = (variant: Partial<UpdateWitness>) => () => recomputeRoots({ ...w, ...variant }, 4);
    assertStateError(bad({ siblings: w.siblings.slice(0, 3) }), "STATE_BAD_PROOF");
    assertStateError(bad({ isOld0: 2 as 0 }), "STATE_BAD_PROOF");
    assertStateError(bad({ oldValue: 1n }), "STATE_BAD_PROOF");
    assertStateError(bad({ oldKey: b }), "STATE_BAD_PROOF"); // does not diverge
    assertStateError(bad({ oldKey: keyWithDigits([0, 2, 3, 0], 1n) }), "STATE_BAD_PROOF"); // leaves the path early
    assertStateError(bad({ siblings: [[0n, 0n, 0n], [0n, 0n, 0n], [0n, LEAF(a, 5n), 0n], [0n, 0n, 0n]] }), "STATE_BAD_PROOF"); // wrong slot
    assertStateError(bad({ siblings: [[0n, 0n, 0n], [0n, 0n, 0n], [7n, 0n, LEAF(a, 5n)], [0n, 0n, 0n]] }), "STATE_BAD_PROOF"); // extra child
    assertStateError(bad({ key: FIELD_MODULUS }), "STATE_OUT_OF_FIELD");
    assertStateError(bad({ fnc: "update" }), "STATE_BAD_PROOF"); // oldKey must be 0 on an update
    assertStateError(bad({ fnc: "delete" as "insert" }), "STATE_BAD_PROOF");
  });

  test("noopWitness leaves the root unchanged and must be all zeros", () => {
    const tree = new StateTree();
    tree.set(11n, 1n);
    tree.set(12n, 2n);
    const w = noopWitness(tree.root);
    assert.equal(w.fnc, "noop");
    assert.equal(w.siblings.length, STATE_TREE_DEPTH);
    assert.deepEqual(recomputeRoots(w), { oldRoot: tree.root, newRoot: tree.root });
    assert.ok(verifyUpdateWitness(w));
    assert.ok(!verifyUpdateWitness({ ...w, newRoot: w.newRoot + 1n }));
    assertStateError(() => recomputeRoots({ ...w, key: 1n }), "STATE_BAD_PROOF");
    assertStateError(() => recomputeRoots({ ...w, siblings: w.siblings.map((_, i) => (i === 3 ? [1n, 0n, 0n] : [0n, 0n, 0n])) }), "STATE_BAD_PROOF");
    assert.deepEqual(recomputeRoots(noopWitness(0n, 4), 4), { oldRoot: 0n, newRoot: 0n });
  });

  test("an insert into the empty tree and a tombstone update", () => {
    const tree = new StateTree();
    const key = stateKey("s", "kv", "doc");
    const w1 = tree.set(key, leafValue(contentHashField(new Uint8Array([1, 2, 3])), 1, false));
    assert.deepEqual(recomputeRoots(w1), { oldRoot: 0n, newRoot: LEAF(key, w1.newValue) });
    const tomb = leafValue(0n, 2, true);
    const w2 = tree.set(key, tomb);
    assert.equal(w2.fnc, "update");
    assert.ok(verifyUpdateWitness(w2));
    const proof = tree.prove(key);
    assert.equal(proof.value, tomb);
    assert.ok(verifyStateProof(proof, tree.root));
  });
});
