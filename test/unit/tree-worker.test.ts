/**
 * The state-tree worker against the oracle: the same random inserts and updates, cut in batches in the
 * worker thread, give exactly the oracle's roots and steps; proofs served by the worker verify; and
 * malformed messages are refused without changing the worker's state or killing it.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { Worker } from "node:worker_threads";
import { CID } from "multiformats/cid";
import { sha256 } from "multiformats/hashes/sha2";
import { poseidon4 } from "poseidon-lite/poseidon4";
import { FIELD_MODULUS, hash4, leafValue, poseidonBackendName, REFERENCE_POSEIDON, StateError, StateTree, usePoseidonBackend, verifyStateProof } from "../../core/state/state-tree.js";
import { spaceSaltLeafValue } from "../../core/state/privacy.js";
import { TreeClient } from "../../node/rollup/tree-client.js";
import { TreeWorkerError, type CutUpdate, type TreeReply } from "../../node/rollup/tree-protocol.js";
import { TREE_WORKER_MARK } from "../../node/rollup/tree-worker.js";
import { rng } from "../helpers/rng.js";

const DEPTH = 8;

const event = CID.create(1, 0x71, await sha256.digest(new Uint8Array([1, 2, 3]))).toString();

describe("state-tree worker", () => {
  const client = new TreeClient(DEPTH, { nice: 0 });
  after(() => client.close());

  test("default: random inserts and updates cut in the worker give the oracle's roots and steps", async () => {
    const random = rng(0x5eed);
    const oracle = new StateTree(DEPTH);
    const keys: bigint[] = [];
    const versions = new Map<bigint, number>();
    let root = oracle.root;
    for (let number = 1; number <= 12; number++) {
      const updates: CutUpdate[] = [];
      const size = 1 + Math.floor(random() * 4);
      for (let i = 0; i < size; i++) {
        const existing = keys.length > 0 && random() < 0.4;
        const key = existing ? (keys[Math.floor(random() * keys.length)] as bigint) : BigInt(Math.floor(random() * 2 ** 48)) * 1_000_003n + 1n;
        if (!existing) keys.push(key);
        const version = (versions.get(key) ?? 0) + 1;
        versions.set(key, version);
        const deleted = existing && random() < 0.2;
        updates.push({ key, contentHash: deleted ? 0n : BigInt(Math.floor(random() * 2 ** 40)), version, deleted, event });
      }
      const result = await client.request({ kind: "cut", number, context: 7n, updates });
      const steps = updates.flatMap((u) => oracle.set(u.key, leafValue(u.contentHash, u.version, u.deleted)));
      assert.equal(result.oldRoot, root);
      assert.equal(result.root, oracle.root, `batch ${number}: worker root = oracle root`);
      assert.equal(result.size, oracle.size);
      assert.deepEqual(result.witnesses, steps, "the same circuit steps");
      assert.deepEqual(
        result.values,
        updates.map((u) => leafValue(u.contentHash, u.version, u.deleted)),
      );
      const head = await client.request({ kind: "settle", number, durable: true });
      assert.equal(head.batch, number);
      root = oracle.root;
    }
    const key = keys[3] as bigint;
    const { root: proofRoot, proof } = await client.request({ kind: "prove", batch: 12, key, from: "live" });
    assert.equal(proofRoot, oracle.root);
    assert.deepEqual(proof, oracle.prove(key));
    assert.ok(verifyStateProof(proof, proofRoot, DEPTH));
    // A batch that is not made durable is forgotten: the tree never runs ahead of the store.
    await client.request({ kind: "cut", number: 13, context: 7n, updates: [{ key: 99n, contentHash: 1n, version: 1, deleted: false, event }] });
    const back = await client.request({ kind: "settle", number: 13, durable: false });
    assert.deepEqual([back.batch, back.root], [12, oracle.root]);
  });

  test("private spaces: a salted update's leaf is H4(contentHash, version, deleted, salt) and a salt leaf is H2(spaceSalt, 0)", async () => {
    const tree = new TreeClient(DEPTH, { nice: 0 });
    try {
      const salt = 0x1234_5678_9abc_def0n;
      const spaceSalt = 0xfeed_beefn;
      const updates: CutUpdate[] = [
        { key: 1_001n, contentHash: 0n, version: 1, deleted: false, spaceSaltLeaf: spaceSalt, event },
        { key: 2_002n, contentHash: 77n, version: 1, deleted: false, salt, event },
        { key: 3_003n, contentHash: 77n, version: 1, deleted: false, event },
      ];
      const result = await tree.request({ kind: "cut", number: 1, context: 0n, updates });
      assert.deepEqual(result.values, [spaceSaltLeafValue(spaceSalt), poseidon4([77n, 1n, 0n, salt]), leafValue(77n, 1, false)]);
      assert.notEqual(result.values[1], result.values[2], "the salt changes the leaf");
      assert.deepEqual(await tree.request({ kind: "leafValues", items: [{ contentHash: 77n, version: 1, deleted: false, salt }] }), [result.values[1]]);
    } finally {
      await tree.close();
    }
  });

  test("behavior: the worker hashes with circomlibjs's wasm Poseidon, accepted only because it agrees with poseidon-lite", async () => {
    const info = await client.request({ kind: "info" });
    assert.equal(info.poseidon, "circomlibjs-wasm", "circomlibjs is installed here, so the fast backend is in use (the roots test above checks it against the oracle)");
    assert.equal(info.depth, DEPTH);
    // In this thread: a backend that disagrees is refused and the reference stays.
    const wrong = { ...REFERENCE_POSEIDON, name: "wrong", poseidon4: (inputs: bigint[]) => poseidon4(inputs) + 1n };
    assert.equal(usePoseidonBackend(wrong, [[1n, 2n, 3n, 4n]]), false);
    assert.equal(poseidonBackendName(), "poseidon-lite");
    assert.equal(hash4(1n, 2n, 3n, 4n), poseidon4([1n, 2n, 3n, 4n]));
  });

  test("behavior: a replayed history gives the same roots; a wrong root is refused and changes nothing", async () => {
    const replay = new TreeClient(DEPTH, { nice: 0 });
    try {
      const tree = new StateTree(DEPTH);
      const batches = [1, 2, 3].map((number) => {
        const oldRoot = tree.root;
        const updates = [{ key: BigInt(number) * 1000n + 5n, value: BigInt(number) }];
        for (const u of updates) tree.set(u.key, u.value);
        return { number, oldRoot, newRoot: tree.root, updates, witnesses: number === 3 };
      });
      const applied = await replay.request({ kind: "apply", tree: "live", reset: false, batches: batches.slice(0, 2) });
      assert.equal(applied.batch, 2);
      const forged = { ...(batches[2] as (typeof batches)[number]), newRoot: 1n };
      await assert.rejects(replay.request({ kind: "apply", tree: "live", reset: false, batches: [forged] }), (e: unknown) => e instanceof TreeWorkerError && e.code === "TREE_ROOT_MISMATCH");
      const last = await replay.request({ kind: "apply", tree: "live", reset: false, batches: batches.slice(2) });
      assert.deepEqual([last.batch, last.root], [3, tree.root]);
      assert.equal(last.witnesses[0]?.number, 3);
      // An old view is rebuilt in the scratch tree and pinned.
      await assert.rejects(replay.request({ kind: "prove", batch: 1, key: 5n, from: "scratch" }), (e: unknown) => e instanceof TreeWorkerError && e.code === "TREE_VIEW_MISSING");
      await replay.request({ kind: "apply", tree: "scratch", reset: true, batches: batches.slice(0, 1) });
      const pinned = await replay.request({ kind: "pin", batch: 1, from: "scratch" });
      assert.equal(pinned.root, batches[0]?.newRoot);
      const p = await replay.request({ kind: "prove", batch: 1, key: 1005n, from: "live" });
      assert.equal(p.proof.kind, "inclusion");
    } finally {
      await replay.close();
    }
  });

  test("error: a tree refusal names the update and leaves the tree as it was", async () => {
    const small = new TreeClient(1, { nice: 0 }); // 4 positions: the head and 3 keys
    try {
      const updates = [1n, 2n, 3n, 4n].map((key): CutUpdate => ({ key, contentHash: key, version: 1, deleted: false, event }));
      await assert.rejects(small.request({ kind: "cut", number: 1, context: 0n, updates }), (e: unknown) => e instanceof StateError && e.code === "STATE_TREE_FULL" && e.details?.["index"] === 3);
      const ok = await small.request({ kind: "cut", number: 1, context: 0n, updates: updates.slice(0, 3) });
      assert.equal(ok.size, 4);
      await small.request({ kind: "settle", number: 1, durable: true });
      const outOfField = [{ key: FIELD_MODULUS, contentHash: 0n, version: 1, deleted: false, event }];
      await assert.rejects(small.request({ kind: "cut", number: 2, context: 0n, updates: outOfField }), (e: unknown) => e instanceof StateError && e.code === "STATE_OUT_OF_FIELD");
    } finally {
      await small.close();
    }
  });

  test("error: the worker survives bad messages and keeps its state", async () => {
    const worker = new Worker(new URL("../../node/rollup/tree-worker.ts", import.meta.url), { workerData: { mark: TREE_WORKER_MARK, depth: DEPTH, nice: 0 } });
    try {
      const replies: TreeReply[] = [];
      const next = () => new Promise<TreeReply>((resolve) => worker.once("message", (r: TreeReply) => resolve(r)));
      const junk: unknown[] = [
        null,
        42,
        "cut",
        [],
        {},
        { id: "1", kind: "cut" },
        { id: 1, kind: "nope" },
        { id: 2, kind: "cut", number: "1", context: 0n, updates: [] },
        { id: 3, kind: "cut", number: 1, context: 0n, updates: [] },
        { id: 4, kind: "cut", number: 1, context: 0n, updates: [{ key: 5, contentHash: 0n, version: 1, deleted: false, event }] },
        { id: 5, kind: "cut", number: 1, context: 0n, updates: [{ key: 5n, contentHash: 0n, version: 1, deleted: false, event: "not a cid" }] },
        { id: 6, kind: "cut", number: 9, context: 0n, updates: [{ key: 5n, contentHash: 0n, version: 1, deleted: false, event }] },
        { id: 7, kind: "settle", number: 1, durable: true },
        { id: 8, kind: "prove", batch: 5, key: 1n, from: "live" },
        { id: 9, kind: "apply", tree: "elsewhere", reset: false, batches: [] },
        { id: 10, kind: "leafValues", items: [{ contentHash: -1n, version: 1, deleted: false }] },
      ];
      for (const message of junk) {
        const reply = next();
        worker.postMessage(message);
        replies.push(await reply);
      }
      for (const [i, reply] of replies.entries()) assert.equal(reply.ok, false, `message ${i} is refused`);
      const codes = replies.map((r) => (r.ok ? "ok" : r.error.code));
      assert.deepEqual(codes.slice(0, 11), Array(11).fill("TREE_BAD_MESSAGE"));
      assert.deepEqual(codes.slice(11), ["TREE_OUT_OF_ORDER", "TREE_OUT_OF_ORDER", "TREE_VIEW_MISSING", "TREE_BAD_MESSAGE", "STATE_OUT_OF_FIELD"]);
      assert.deepEqual(
        replies.slice(5).map((r) => r.id),
        [null, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      );
      // Still alive and still at genesis: a valid cut is batch 1 and matches the oracle.
      const oracle = new StateTree(DEPTH);
      oracle.set(5n, leafValue(0n, 1, false));
      const reply = next();
      worker.postMessage({ id: 11, kind: "cut", number: 1, context: 0n, updates: [{ key: 5n, contentHash: 0n, version: 1, deleted: false, event }] });
      const good = await reply;
      assert.ok(good.ok);
      assert.equal((good.result as { root: bigint }).root, oracle.root);
    } finally {
      await worker.terminate();
    }
  });

  test("error: requests after the worker is closed fail at once, never hang", async () => {
    const doomed = new TreeClient(DEPTH, { nice: 0 });
    await doomed.close();
    await assert.rejects(doomed.request({ kind: "leafValues", items: [] }), (e: unknown) => e instanceof TreeWorkerError && e.code === "TREE_WORKER_CLOSED");
    assert.equal(doomed.alive, false);
  });
});
