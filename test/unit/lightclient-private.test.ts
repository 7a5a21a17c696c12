/**
 * The light client on a PRIVATE entry (issue 12 §2): the path step checks the space salt against the
 * same anchored root as the entry, derives the salted key from it, and the value step checks the hiding
 * leaf H4(contentHash, version, deleted, salt). Trees are built with the real StateTree (the oracle);
 * every attack of a node that wants the reader to accept another leaf is refused at the right step.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { checkPath, checkValue, got, missing, parseBatchClaim, type Evidence, type StepResult } from "../../lightclient/index.js";
import { spaceSaltKey, spaceSaltLeafValue } from "../../core/state/privacy.js";
import { contentHashField, leafValue, StateTree, stateKey, stateProofToJson } from "../../core/state/state-tree.js";

const DEPTH = 8;
// The canonical spelling (EIP-55 address), as the light client derives it from a URI.
const OWNER = "tinycloud:pkh:eip155:1:0x6a12C8594c5c850D57612cA58810aBB8aEba5c8A";
const PRIVATE = `${OWNER}:notes`;
const OTHER = `${OWNER}:diary`;
const PUBLIC = `${OWNER}:public`;
const SALT = 0x0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1fn;
const OTHER_SALT = 0x1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a090807060504030201n;
const LEAF_SALT = 0x2222222222222222222222222222222222222222222222222222222222222n;
const BYTES = new TextEncoder().encode("positive");
const CH = contentHashField(BYTES);
const PATH = "medical/test";
const URI = `${PRIVATE}/kv/${PATH}`;
const PUBLIC_URI = `${PUBLIC}/kv/${PATH}`;

/** A tree as an honest node builds it: the private space's salt leaf, one salted entry, one public entry, another private space. */
function honestTree(): StateTree {
  const tree = new StateTree(DEPTH);
  tree.set(spaceSaltKey(PRIVATE), spaceSaltLeafValue(SALT));
  tree.set(stateKey(PRIVATE, "kv", PATH, SALT), leafValue(CH, 1, false, LEAF_SALT));
  tree.set(stateKey(PUBLIC, "kv", PATH), leafValue(CH, 1, false));
  tree.set(spaceSaltKey(OTHER), spaceSaltLeafValue(OTHER_SALT));
  tree.set(stateKey(OTHER, "kv", "x", OTHER_SALT), leafValue(CH, 1, false, LEAF_SALT));
  return tree;
}

/** The /rollup/proof answer an authorized reader gets. */
function response(tree: StateTree, uri: string, key: bigint, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const proof = tree.prove(key);
  return {
    uri,
    spaceId: uri.split("/kv/")[0],
    path: PATH,
    key: key.toString(),
    batch: 1,
    status: "anchored",
    root: tree.root.toString(),
    proof: stateProofToJson(proof),
    ...(proof.kind === "inclusion" ? { entry: { version: 1, deleted: false, contentHash: CH.toString(), salt: LEAF_SALT.toString() } } : {}),
    ...extra,
  };
}

function privateResponse(tree: StateTree, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return response(tree, URI, stateKey(PRIVATE, "kv", PATH, SALT), { spaceSalt: SALT.toString(), saltProof: stateProofToJson(tree.prove(spaceSaltKey(PRIVATE))), ...extra });
}

const ROOT_OK: StepResult = { step: "root", status: "passed", ok: true, code: "ROOT_ANCHORED", reason: "anchored" };

function evidence(uri: string, root: bigint, stateProof: unknown, value: Uint8Array | undefined = BYTES): Evidence {
  return {
    uri,
    batch: 1,
    anchored: got({ chainId: 1, anchor: "0x00000000000000000000000000000000000000aa", latestBatch: 1, batch: 1, root }),
    batchRecord: missing("n/a"),
    vkey: missing("n/a"),
    history: missing("n/a"),
    stateProof: got(stateProof),
    value: value === undefined ? undefined : got(value),
  };
}

function steps(e: Evidence): { path: StepResult; value: StepResult } {
  const path = checkPath(e, ROOT_OK, DEPTH);
  return { path: path.step, value: checkValue(e, path, false).step };
}

function assertCode(step: StepResult, code: string): void {
  assert.equal(step.code, code, `${step.step}: ${step.code}: ${step.reason}`);
}

describe("light client: a private entry, for a reader the node authorizes", () => {
  test("salt proof + salted key + salted leaf: path and value pass", () => {
    const tree = honestTree();
    const r = steps(evidence(URI, tree.root, privateResponse(tree)));
    assertCode(r.path, "PATH_OK");
    assert.match(r.path.reason, /space salt/);
    assert.equal(r.path.data?.["private"], true);
    assertCode(r.value, "VALUE_OK");
  });

  test("a path never written is proven absent under the proven salt", () => {
    const tree = honestTree();
    const key = stateKey(PRIVATE, "kv", "nothing", SALT);
    const answer = response(tree, `${PRIVATE}/kv/nothing`, key, { spaceSalt: SALT.toString(), saltProof: stateProofToJson(tree.prove(spaceSaltKey(PRIVATE))) });
    const r = steps(evidence(`${PRIVATE}/kv/nothing`, tree.root, answer, undefined));
    assertCode(r.path, "PATH_OK");
    assertCode(r.value, "VALUE_ABSENT");
  });

  test("a private space with no salt at this root holds nothing: a non-inclusion proof of its salt key proves any path absent", () => {
    const tree = honestTree();
    const empty = `${OWNER}:empty`;
    const uri = `${empty}/kv/a`;
    const answer = response(tree, uri, spaceSaltKey(empty), { saltProof: stateProofToJson(tree.prove(spaceSaltKey(empty))) });
    const r = steps(evidence(uri, tree.root, answer, undefined));
    assertCode(r.path, "PATH_OK");
    assertCode(r.value, "VALUE_ABSENT");
    // …but a node may not claim "no salt" while sending one.
    const both = steps(evidence(uri, tree.root, { ...answer, spaceSalt: SALT.toString() }, undefined));
    assertCode(both.path, "PATH_SALT_UNPROVEN");
  });

  test("a tombstone in a private space is checked with its salt", () => {
    const tree = honestTree();
    const key = stateKey(PRIVATE, "kv", PATH, SALT);
    tree.set(key, leafValue(0n, 2, true, LEAF_SALT + 1n));
    const answer = privateResponse(tree, { entry: { version: 2, deleted: true, contentHash: "0", salt: (LEAF_SALT + 1n).toString() } });
    const r = steps(evidence(URI, tree.root, answer, undefined));
    assertCode(r.value, "VALUE_DELETED");
  });
});

describe("light client: attacks on a private entry", () => {
  test("no salt at all (what an unauthorized caller gets) fails path with PATH_SALT_UNPROVEN", () => {
    const tree = honestTree();
    const answer = privateResponse(tree);
    delete answer["spaceSalt"];
    delete answer["saltProof"];
    const r = steps(evidence(URI, tree.root, answer));
    assertCode(r.path, "PATH_SALT_UNPROVEN");
    assert.match(r.path.reason, /private space.*no space salt/);
    assert.equal(r.value.status, "skipped");
  });

  test("a salt without its proof, or a proof without the salt, fails", () => {
    const tree = honestTree();
    const noProof = privateResponse(tree);
    delete noProof["saltProof"];
    assertCode(steps(evidence(URI, tree.root, noProof)).path, "PATH_SALT_UNPROVEN");
    const noSalt = privateResponse(tree);
    delete noSalt["spaceSalt"];
    assertCode(steps(evidence(URI, tree.root, noSalt)).path, "PATH_SALT_UNPROVEN");
  });

  test("a salt proof against another root (an older or forked tree) fails, even when the entry proof is valid", () => {
    const tree = honestTree();
    // A fork where the space has another salt, and the entry sits under that salt's key.
    const fork = new StateTree(DEPTH);
    fork.set(spaceSaltKey(PRIVATE), spaceSaltLeafValue(OTHER_SALT));
    const answer = privateResponse(tree, { saltProof: stateProofToJson(fork.prove(spaceSaltKey(PRIVATE))) });
    const r = steps(evidence(URI, tree.root, answer));
    assertCode(r.path, "PATH_SALT_UNPROVEN");
    assert.match(r.path.reason, /does not recompute to the anchored root/);
  });

  test("a second salt: the node sends another salt with the real salt leaf's proof", () => {
    const tree = honestTree();
    // The node hopes the reader looks the path up under OTHER_SALT (where it planted another leaf).
    tree.set(stateKey(PRIVATE, "kv", PATH, OTHER_SALT), leafValue(contentHashField(new TextEncoder().encode("negative")), 1, false, LEAF_SALT));
    const answer = response(tree, URI, stateKey(PRIVATE, "kv", PATH, OTHER_SALT), {
      spaceSalt: OTHER_SALT.toString(),
      saltProof: stateProofToJson(tree.prove(spaceSaltKey(PRIVATE))),
    });
    const r = steps(evidence(URI, tree.root, answer, new TextEncoder().encode("negative")));
    assertCode(r.path, "PATH_SALT_UNPROVEN");
    assert.match(r.path.reason, /not the one the anchored root commits/);
  });

  test("the salt proof of another space's salt leaf fails", () => {
    const tree = honestTree();
    const answer = privateResponse(tree, { spaceSalt: OTHER_SALT.toString(), saltProof: stateProofToJson(tree.prove(spaceSaltKey(OTHER))) });
    const r = steps(evidence(URI, tree.root, answer));
    assertCode(r.path, "PATH_SALT_UNPROVEN");
    assert.match(r.path.reason, /not the space's salt key/);
  });

  test("a non-inclusion proof of the salt key, for a space that has a salt, does not verify", () => {
    const tree = honestTree();
    // Take the absence proof from a tree without the salt leaf: it cannot recompute to the real root.
    const without = new StateTree(DEPTH);
    without.set(stateKey(PUBLIC, "kv", PATH), leafValue(CH, 1, false));
    const answer = privateResponse(tree, { saltProof: stateProofToJson(without.prove(spaceSaltKey(PRIVATE))) });
    delete answer["spaceSalt"];
    assertCode(steps(evidence(URI, tree.root, answer)).path, "PATH_SALT_UNPROVEN");
  });

  test("the entry proof of an unsalted key in a private space fails the path step (PATH_WRONG_KEY)", () => {
    const tree = honestTree();
    const unsalted = stateKey(PRIVATE, "kv", PATH);
    tree.set(unsalted, leafValue(CH, 1, false));
    const answer = response(tree, URI, unsalted, { spaceSalt: SALT.toString(), saltProof: stateProofToJson(tree.prove(spaceSaltKey(PRIVATE))) });
    assertCode(steps(evidence(URI, tree.root, answer)).path, "PATH_WRONG_KEY");
  });

  test("a wrong leaf salt fails the value step (VALUE_LEAF_MISMATCH); no leaf salt at all is malformed", () => {
    const tree = honestTree();
    const wrong = privateResponse(tree, { entry: { version: 1, deleted: false, contentHash: CH.toString(), salt: (LEAF_SALT + 1n).toString() } });
    const r = steps(evidence(URI, tree.root, wrong));
    assertCode(r.path, "PATH_OK");
    assertCode(r.value, "VALUE_LEAF_MISMATCH");
    assert.match(r.value.reason, /salt/);
    const none = privateResponse(tree, { entry: { version: 1, deleted: false, contentHash: CH.toString() } });
    assertCode(steps(evidence(URI, tree.root, none)).value, "VALUE_MALFORMED");
  });

  test("a guessed value is not confirmed: other bytes fail VALUE_HASH_MISMATCH", () => {
    const tree = honestTree();
    const r = steps(evidence(URI, tree.root, privateResponse(tree), new TextEncoder().encode("negative")));
    assertCode(r.value, "VALUE_HASH_MISMATCH");
  });
});

describe("light client: a public entry keeps the plain formulas", () => {
  test("a public entry verifies without salts, and salts a node adds are ignored (the formula follows from the space name)", () => {
    const tree = honestTree();
    const key = stateKey(PUBLIC, "kv", PATH);
    const plain = response(tree, PUBLIC_URI, key, { entry: { version: 1, deleted: false, contentHash: CH.toString() } });
    const r = steps(evidence(PUBLIC_URI, tree.root, plain));
    assertCode(r.path, "PATH_OK");
    assertCode(r.value, "VALUE_OK");
    const decorated = {
      ...plain,
      spaceSalt: SALT.toString(),
      saltProof: stateProofToJson(tree.prove(spaceSaltKey(PRIVATE))),
      entry: { version: 1, deleted: false, contentHash: CH.toString(), salt: "7" },
    };
    const d = steps(evidence(PUBLIC_URI, tree.root, decorated));
    assertCode(d.path, "PATH_OK");
    assertCode(d.value, "VALUE_OK");
  });

  test("a node cannot switch a public space to the salted formulas: a salted public leaf fails", () => {
    const tree = new StateTree(DEPTH);
    tree.set(spaceSaltKey(PUBLIC), spaceSaltLeafValue(SALT));
    tree.set(stateKey(PUBLIC, "kv", PATH, SALT), leafValue(CH, 1, false, LEAF_SALT));
    const answer = response(tree, PUBLIC_URI, stateKey(PUBLIC, "kv", PATH, SALT), { spaceSalt: SALT.toString(), saltProof: stateProofToJson(tree.prove(spaceSaltKey(PUBLIC))) });
    assertCode(steps(evidence(PUBLIC_URI, tree.root, answer)).path, "PATH_WRONG_KEY");
    // The unsalted key under a salted leaf value: the value step refuses the H4 leaf.
    const t2 = new StateTree(DEPTH);
    t2.set(stateKey(PUBLIC, "kv", PATH), leafValue(CH, 1, false, LEAF_SALT));
    assertCode(steps(evidence(PUBLIC_URI, t2.root, response(t2, PUBLIC_URI, stateKey(PUBLIC, "kv", PATH)))).value, "VALUE_LEAF_MISMATCH");
  });
});

describe("light client: batch records with sealed updates", () => {
  test("a published record whose private updates are sealed is a valid claim (the client reads none of the updates)", () => {
    const tree = honestTree();
    const sealed = { seq: 0, sealed: true, key: spaceSaltKey(PRIVATE).toString(), value: spaceSaltLeafValue(SALT).toString() };
    const record = {
      number: 1,
      oldRoot: "1",
      newRoot: tree.root.toString(),
      updates: [sealed],
      eventCids: [],
      eventsHash: "0",
      header: "1",
      commitment: "1",
      status: "anchored",
      cutAt: 1,
    };
    const claim = parseBatchClaim(record);
    assert.ok(claim.ok, claim.ok ? "" : claim.error);
    assert.equal(claim.value.newRoot, tree.root);
  });
});
