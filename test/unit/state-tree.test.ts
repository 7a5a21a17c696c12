import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { blake3 } from "@noble/hashes/blake3.js";
import { poseidon2, poseidon3, poseidon4 } from "poseidon-lite";
import {
  FIELD_MODULUS,
  StateError,
  StateTree,
  checkStateProof,
  checkWitnessChain,
  contentHashField,
  contentHashFromDigestHex,
  emptyStateRoot,
  emptySubtreeHashes,
  indexDigits,
  leafHash,
  leafValue,
  noopWitness,
  recomputeRoots,
  stateKey,
  stateProofFromJson,
  stateProofToJson,
  stateRoot,
  verifyStateProof,
  verifyUpdateWitness,
  type SiblingTriple,
  type StateProof,
  type UpdateWitness,
} from "../../core/state/state-tree.js";
import { rng } from "../helpers/rng.js";

// ----------------------------------------------------------------------------------------------------
// Helpers
// ----------------------------------------------------------------------------------------------------

type CircomPoseidon = ((inputs: bigint[]) => unknown) & { F: { toObject(x: unknown): bigint } };
let circom: CircomPoseidon;
/** Poseidon computed by circomlibjs (independent of poseidon-lite). */
const cp = (...inputs: bigint[]): bigint => circom.F.toObject(circom(inputs));

function randomBigint(next: () => number, bits: number): bigint {
  let out = 0n;
  for (let i = 0; i < Math.ceil(bits / 32); i++) out = (out << 32n) | BigInt(Math.floor(next() * 2 ** 32));
  return out & ((1n << BigInt(bits)) - 1n);
}

function assertStateError(fn: () => unknown, code: string): void {
  assert.throws(fn, (error: unknown) => error instanceof StateError && error.code === code && error.name === "StateError");
}

const H4 = (c: readonly bigint[]): bigint => cp(c[0] as bigint, c[1] as bigint, c[2] as bigint, c[3] as bigint);

before(async () => {
  const specifier: string = "circomlibjs";
  const mod = (await import(specifier)) as { buildPoseidon: () => Promise<CircomPoseidon> };
  circom = await mod.buildPoseidon();
});

// ----------------------------------------------------------------------------------------------------
// Hashes, keys, leaves
// ----------------------------------------------------------------------------------------------------

describe("Poseidon and leaf encoding", () => {
  test("poseidon-lite agrees with circomlibjs for arity 2, 3 and 4", () => {
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
      assert.equal(poseidon2(x.slice(0, 2)), cp(...x.slice(0, 2)));
    }
    // the known circomlib test vector Poseidon([1,2]) anchors circomlibjs itself
    assert.equal(cp(1n, 2n), 7853200120776062878684798364095072458815029376092732009249414926327459813530n);
  });

  test("leafHash = H3(key, nextKey, value), stateRoot = H2(treeRoot, size), leafValue = H3(contentHash, version, deleted)", () => {
    const key = stateKey("space", "kv", "a");
    assert.equal(leafHash(key, 7n, 42n), cp(key, 7n, 42n));
    assert.equal(stateRoot(5n, 3), cp(5n, 3n));
    const ch = contentHashField(new TextEncoder().encode("hello"));
    assert.equal(leafValue(ch, 3, false), cp(ch, 3n, 0n));
    assert.equal(leafValue(ch, 3n, false), leafValue(ch, 3, false));
    assert.equal(leafValue(0n, 4, true), cp(0n, 4n, 1n));
    assert.notEqual(leafValue(0n, 4, true), leafValue(0n, 4, false));
    assert.throws(() => leafValue(ch, 4, true), RangeError); // a tombstone carries contentHash 0
    assertStateError(() => leafValue(FIELD_MODULUS, 1, false), "STATE_OUT_OF_FIELD");
    assertStateError(() => leafValue(0n, -1, false), "STATE_OUT_OF_FIELD");
    assertStateError(() => leafValue(0n, 1.5, false), "STATE_OUT_OF_FIELD");
    assertStateError(() => leafHash(FIELD_MODULUS, 0n, 0n), "STATE_OUT_OF_FIELD");
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
      return BigInt(`0x${Buffer.from(digest.subarray(0, 31)).toString("hex")}`);
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
    assert.equal(contentHashField(bytes), BigInt(`0x${Buffer.from(digest.subarray(0, 31)).toString("hex")}`));
    assert.equal(contentHashField(new Uint8Array()), BigInt(`0x${Buffer.from(blake3(new Uint8Array()).subarray(0, 31)).toString("hex")}`));
  });

  test("contentHashFromDigestHex (from a KV ETag) equals contentHashField of the bytes; malformed digests throw", () => {
    const bytes = new TextEncoder().encode("some value bytes");
    assert.equal(contentHashFromDigestHex(Buffer.from(blake3(bytes)).toString("hex")), contentHashField(bytes));
    assert.throws(() => contentHashFromDigestHex(""), TypeError);
    assert.throws(() => contentHashFromDigestHex("AB".repeat(32)), TypeError);
  });

  test("indexDigits: most significant digit first, positions below 4^depth", () => {
    assert.deepEqual(indexDigits(0b00_01_10_11, 4), [0, 1, 2, 3]);
    assert.deepEqual(indexDigits(0, 3), [0, 0, 0]);
    assert.deepEqual(indexDigits(4 ** 16 - 1, 16), new Array(16).fill(3));
    assert.throws(() => indexDigits(4 ** 3, 3), RangeError);
    assert.throws(() => indexDigits(-1, 3), RangeError);
  });
});

const GOLDEN_KEYS = [
  "ae97fed721df59150d5cc77070241e715c0736e2634e41c637fa5fb0860435",
  "6e0a3e94cc9e732ad39d2c1f0f72e46bf1596ae4e0674f5f2035173a11f566",
  "9043f99b5f23ccfb0551dd4cff59f25e0f258ea2f9cfb97677650e4658d6d8",
];

// ----------------------------------------------------------------------------------------------------
// An independent model: every leaf hash in an array, the root recomputed from scratch with circomlibjs.
// ----------------------------------------------------------------------------------------------------

type ModelLeaf = { key: bigint; nextKey: bigint; value: bigint };

function modelRoot(leaves: ModelLeaf[], depth: number): bigint {
  let level = Array.from({ length: 4 ** depth }, (_, i) => {
    const l = leaves[i];
    return l === undefined ? 0n : cp(l.key, l.nextKey, l.value);
  });
  while (level.length > 1) level = Array.from({ length: level.length / 4 }, (_, i) => H4(level.slice(4 * i, 4 * i + 4)));
  return cp(level[0] as bigint, BigInt(leaves.length));
}

/** The model's insert/update: positions in insertion order, predecessor re-pointed. */
function modelSet(leaves: ModelLeaf[], key: bigint, value: bigint): void {
  const existing = leaves.find((l) => l.key === key);
  if (existing !== undefined) {
    existing.value = value;
    return;
  }
  let low = leaves[0] as ModelLeaf;
  for (const l of leaves) if (l.key < key && l.key > low.key) low = l;
  leaves.push({ key, nextKey: low.nextKey, value });
  low.nextKey = key;
}

describe("StateTree against the independent model", () => {
  test("genesis: the list head (0, 0, 0) at position 0, size 1; emptyStateRoot matches", () => {
    for (const depth of [1, 3, 16]) {
      const tree = new StateTree(depth);
      assert.equal(tree.size, 1);
      assert.equal(tree.keyCount, 0);
      assert.equal(tree.root, emptyStateRoot(depth));
      if (depth <= 3) assert.equal(tree.root, modelRoot([{ key: 0n, nextKey: 0n, value: 0n }], depth));
    }
    const zeros = emptySubtreeHashes(2);
    assert.equal(zeros[0], 0n);
    assert.equal(zeros[1], H4([0n, 0n, 0n, 0n]));
    assert.equal(zeros[2], H4([zeros[1] as bigint, zeros[1] as bigint, zeros[1] as bigint, zeros[1] as bigint]));
  });

  test("300 random inserts, updates and re-writes at depth 3 agree with the model after every write", () => {
    const next = rng(7);
    const tree = new StateTree(3);
    const model: ModelLeaf[] = [{ key: 0n, nextKey: 0n, value: 0n }];
    const keys: bigint[] = [];
    for (let i = 0; i < 300; i++) {
      const reuse = keys.length > 0 && (keys.length >= 63 || next() < 0.5);
      const key = reuse ? (keys[Math.floor(next() * keys.length)] as bigint) : randomBigint(next, 248) | 1n;
      if (!reuse) keys.push(key);
      const value = randomBigint(next, 250);
      const steps = tree.set(key, value);
      modelSet(model, key, value);
      assert.equal(steps.length, reuse ? 1 : 2);
      assert.equal(tree.root, modelRoot(model, 3), `after write ${i}`);
      assert.equal(checkWitnessChain(steps, 3), undefined);
      assert.equal(steps[steps.length - 1]?.newRoot, tree.root);
    }
    assert.equal(tree.size, 64, "full: 63 keys + the head");
    // the sorted list through nextKey visits every key once, increasing
    let at = tree.leaf(0);
    const seen: bigint[] = [];
    while (at.nextKey !== 0n) {
      assert.ok(at.nextKey > at.key);
      seen.push(at.nextKey);
      at = tree.leaf(tree.indexOf(at.nextKey) as number);
    }
    assert.deepEqual(
      seen,
      [...keys].sort((a, b) => (a < b ? -1 : 1)),
    );
    assertStateError(() => tree.set(randomBigint(next, 248) | 1n, 1n), "STATE_TREE_FULL");
    assert.equal(tree.size, 64, "a refused insert leaves the tree unchanged");
  });

  test("the jam of the old design: keys that share their low 32 (or 247) bits are stored side by side", () => {
    const tree = new StateTree();
    const low = 0xdeadbeefn;
    const a = (1n << 200n) | low;
    const b = (2n << 200n) | low;
    const c = a ^ 1n;
    for (const k of [a, b, c]) tree.set(k, k);
    for (const k of [a, b, c]) assert.equal(tree.get(k), k);
    assert.equal(tree.keyCount, 3);
    assert.equal(tree.capacity, 2 ** 32);
  });

  test("positions follow insertion order; an update keeps its position", () => {
    const tree = new StateTree(4);
    const keys = [50n, 10n, 30n];
    keys.forEach((k, i) => tree.set(k, BigInt(i)));
    assert.deepEqual(
      keys.map((k) => tree.indexOf(k)),
      [1, 2, 3],
    );
    tree.set(10n, 99n);
    assert.equal(tree.indexOf(10n), 2);
    assert.deepEqual(
      [...tree.entries()],
      [
        [50n, 0n],
        [10n, 99n],
        [30n, 2n],
      ],
    );
    assert.deepEqual(tree.leaf(0), { key: 0n, nextKey: 10n, value: 0n });
    assert.deepEqual(tree.leaf(2), { key: 10n, nextKey: 30n, value: 99n });
  });

  test("the same key set in another order gives another root (positions are history), the same size", () => {
    const a = StateTree.fromEntries(
      [
        [1n, 1n],
        [2n, 2n],
      ],
      3,
    );
    const b = StateTree.fromEntries(
      [
        [2n, 2n],
        [1n, 1n],
      ],
      3,
    );
    assert.notEqual(a.root, b.root);
    assert.equal(a.size, b.size);
  });

  test("reserved and out-of-range keys and values are refused", () => {
    const tree = new StateTree(3);
    assertStateError(() => tree.set(0n, 1n), "STATE_RESERVED_KEY");
    assertStateError(() => tree.set(1n << 248n, 1n), "STATE_OUT_OF_FIELD");
    assertStateError(() => tree.set(1n, FIELD_MODULUS), "STATE_OUT_OF_FIELD");
    assert.equal(tree.size, 1);
  });

  test("snapshot() is an O(1) frozen view; checkpoint/rollback undoes inserts and updates", () => {
    const tree = StateTree.fromEntries(
      [
        [5n, 1n],
        [9n, 2n],
      ],
      3,
    );
    const snap = tree.snapshot();
    const root = tree.root;
    tree.set(7n, 3n);
    tree.set(5n, 4n);
    assert.equal(snap.root, root);
    assert.equal(snap.get(5n), 1n);
    assert.equal(snap.has(7n), false);
    assert.equal(checkStateProof(snap.prove(7n), root, 3).ok, true, "absence of a later key in the old view");
    assert.equal(snap.prove(7n).lowKey, 5n);
    const point = tree.checkpoint();
    const after = tree.root;
    tree.set(8n, 1n);
    tree.set(9n, 0n);
    tree.rollback(point);
    assert.equal(tree.root, after);
    assert.equal(tree.has(8n), false);
    assert.equal(tree.get(9n), 2n);
    tree.set(8n, 1n); // the position is reused after the rollback
    assert.equal(tree.indexOf(8n), 4);
  });
});

// ----------------------------------------------------------------------------------------------------
// Proofs
// ----------------------------------------------------------------------------------------------------

describe("state proofs", () => {
  const tree = StateTree.fromEntries(
    [
      [stateKey("s", "kv", "a"), leafValue(contentHashField(new TextEncoder().encode("A")), 1, false)],
      [stateKey("s", "kv", "b"), leafValue(0n, 2, true)],
      [stateKey("s", "kv", "c"), 7n],
    ],
    4,
  );
  const root = tree.root;

  test("inclusion (value and tombstone) and absence proofs verify; absence names the bracketing leaf", () => {
    for (const path of ["a", "b", "c"]) {
      const proof = tree.prove(stateKey("s", "kv", path));
      assert.equal(proof.kind, "inclusion");
      assert.deepEqual(checkStateProof(proof, root, 4), { ok: true, kind: "inclusion", index: proof.index });
    }
    for (const path of ["x", "y", "z", ""]) {
      const key = stateKey("s", "kv", path);
      const proof = tree.prove(key);
      assert.equal(proof.kind, "absence");
      assert.ok((proof.lowKey as bigint) < key && (proof.nextKey === 0n || key < proof.nextKey));
      assert.equal(verifyStateProof(proof, root, 4), true);
    }
    assertStateError(() => tree.proveInclusion(stateKey("s", "kv", "x")), "STATE_MISSING_KEY");
  });

  test("a proof against another root, or with any field tampered, fails", () => {
    const inc = tree.prove(stateKey("s", "kv", "a"));
    const abs = tree.prove(stateKey("s", "kv", "x"));
    assert.equal(checkStateProof(inc, root + 1n, 4).ok, false);
    const reason = (p: StateProof): string | undefined => {
      const c = checkStateProof(p, root, 4);
      return c.ok ? undefined : c.reason;
    };
    assert.equal(reason({ ...inc, value: (inc.value as bigint) + 1n }), "ROOT_MISMATCH");
    assert.equal(reason({ ...inc, key: inc.key + 1n }), "ROOT_MISMATCH");
    assert.equal(reason({ ...inc, nextKey: inc.nextKey + 1n }), "ROOT_MISMATCH");
    assert.equal(reason({ ...inc, index: inc.index === 1 ? 2 : 1 }), "ROOT_MISMATCH");
    assert.equal(reason({ ...inc, size: inc.size + 1 }), "ROOT_MISMATCH");
    assert.equal(reason({ ...inc, index: inc.size }), "INDEX_OUT_OF_RANGE");
    for (let level = 0; level < 4; level++) {
      for (let i = 0; i < 3; i++) {
        const siblings = inc.siblings.map((t) => [...t] as SiblingTriple);
        (siblings[level] as SiblingTriple)[i] = ((siblings[level] as SiblingTriple)[i] as bigint) + 1n;
        assert.equal(reason({ ...inc, siblings }), "ROOT_MISMATCH");
      }
    }
    assert.equal(reason({ ...inc, siblings: inc.siblings.slice(1) }), "WRONG_DEPTH");
    // absence: another key's leaf that does not bracket the key proves nothing
    const other = tree.prove(stateKey("s", "kv", "y"));
    if (other.index !== abs.index) assert.equal(reason({ ...other, key: abs.key }), "NOT_LOW_LEAF");
    // an inclusion proof passed off as absence of its own key
    assert.equal(
      reason({ key: inc.key, kind: "absence", index: inc.index, size: inc.size, nextKey: inc.nextKey, lowKey: inc.key, lowValue: inc.value as bigint, siblings: inc.siblings }),
      "NOT_LOW_LEAF",
    );
    // absence of a stored key through its predecessor: the predecessor's nextKey is the key itself
    const pred = tree.prove(inc.key - 1n);
    assert.equal(pred.kind, "absence");
    assert.equal(reason({ ...pred, key: inc.key }), "NOT_LOW_LEAF");
    assert.equal(reason({ ...inc, kind: "absence" } as StateProof), "MALFORMED");
    assert.equal(reason({ ...abs, kind: "inclusion" } as StateProof), "MALFORMED");
    assert.equal(reason({ ...inc, key: 0n, nextKey: tree.leaf(0).nextKey, value: 0n, index: 0 }), "MALFORMED", "the head is not an entry");
  });

  test("JSON round trip and strict parsing", () => {
    for (const proof of [tree.prove(stateKey("s", "kv", "a")), tree.prove(stateKey("s", "kv", "x"))]) {
      const json = JSON.parse(JSON.stringify(stateProofToJson(proof))) as unknown;
      assert.deepEqual(stateProofFromJson(json), proof);
    }
    const good = stateProofToJson(tree.prove(stateKey("s", "kv", "a")));
    assertStateError(() => stateProofFromJson({ ...good, extra: 1 }), "STATE_BAD_PROOF");
    assertStateError(() => stateProofFromJson({ ...good, kind: "empty" }), "STATE_BAD_PROOF");
    assertStateError(() => stateProofFromJson({ ...good, value: "01" }), "STATE_BAD_PROOF");
    assertStateError(() => stateProofFromJson({ ...good, value: FIELD_MODULUS.toString() }), "STATE_OUT_OF_FIELD");
    assertStateError(() => stateProofFromJson({ ...good, index: -1 }), "STATE_BAD_PROOF");
    assertStateError(() => stateProofFromJson({ ...good, size: "3" }), "STATE_BAD_PROOF");
    assertStateError(() => stateProofFromJson({ ...good, siblings: [["1", "2"]] }), "STATE_BAD_PROOF");
    assertStateError(() => stateProofFromJson({ ...good, lowKey: "1" }), "STATE_BAD_PROOF");
  });
});

// ----------------------------------------------------------------------------------------------------
// Update witnesses
// ----------------------------------------------------------------------------------------------------

describe("update witnesses", () => {
  test("recomputeRoots agrees with the tree: 1,000 random writes at depth 16", () => {
    const next = rng(11);
    const tree = new StateTree();
    const keys: bigint[] = [];
    const steps: UpdateWitness[] = [];
    for (let i = 0; i < 1000; i++) {
      const reuse = keys.length > 0 && next() < 0.4;
      const key = reuse ? (keys[Math.floor(next() * keys.length)] as bigint) : randomBigint(next, 248) | 1n;
      if (!reuse) keys.push(key);
      steps.push(...tree.set(key, randomBigint(next, 253)));
    }
    assert.equal(checkWitnessChain(steps), undefined);
    assert.equal(steps[steps.length - 1]?.newRoot, tree.root);
  });

  test("every step rule is enforced by the oracle", () => {
    const tree = StateTree.fromEntries(
      [
        [10n, 1n],
        [30n, 3n],
      ],
      3,
    );
    const [low, fresh] = tree.set(20n, 2n) as [UpdateWitness, UpdateWitness];
    const [update] = tree.set(10n, 5n) as [UpdateWitness];
    assert.equal(checkWitnessChain([low, fresh, update], 3), undefined);
    const bad = (w: UpdateWitness, prev?: UpdateWitness): void => assertStateError(() => recomputeRoots(w, 3, prev), "STATE_BAD_PROOF");
    bad({ ...low, newValue: low.oldValue + 1n });
    bad({ ...low, insKey: low.key });
    bad({ ...low, insKey: 40n }); // beyond the low leaf's nextKey (30)
    bad({ ...low, index: 64 });
    bad(fresh); // no low step before it
    bad({ ...fresh, index: fresh.index + 1 }, low);
    bad({ ...fresh, key: 21n }, low);
    bad({ ...fresh, nextKey: 0n }, low);
    bad({ ...update, op: "insert" as UpdateWitness["op"] });
    assertStateError(() => recomputeRoots({ ...update, insKey: 1n << 248n }, 3), "STATE_OUT_OF_FIELD");
    assert.equal(verifyUpdateWitness({ ...update, newRoot: update.newRoot + 1n }, 3), false);
    assert.equal(verifyUpdateWitness({ ...update, newValue: update.newValue + 1n }, 3), false);
    assert.deepEqual(checkWitnessChain([low], 3)?.index, 0, "a low step alone");
    assert.deepEqual(checkWitnessChain([fresh, low], 3)?.index, 0);
    assert.deepEqual(checkWitnessChain([low, fresh, { ...update, oldSize: 2 }], 3)?.index, 2, "does not chain");
  });

  test("noopWitness leaves the root and size unchanged", () => {
    const tree = StateTree.fromEntries([[10n, 1n]], 3);
    const w = noopWitness(tree.treeRoot, tree.size, 3);
    assert.equal(w.oldRoot, tree.root);
    assert.equal(verifyUpdateWitness(w, 3), true);
    assert.deepEqual(recomputeRoots(w, 3), { oldTreeRoot: tree.treeRoot, newTreeRoot: tree.treeRoot, newSize: tree.size });
  });
});
