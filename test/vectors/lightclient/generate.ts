/**
 * Recorded evidence for the light-client unit tests (test/unit/lightclient-core.test.ts).
 *
 *   node_modules/.bin/node --import tsx test/vectors/lightclient/generate.ts
 *
 * Builds a small rollup history with the TS oracle (node/core/state-tree.ts, prover/circuit-inputs.ts)
 * at depth 8 and proves every batch with the real epoch_transition_1_d8 circuit (B = 1, keys from the
 * cached setup, `runSetup`), then writes what a node and the anchor contract would answer as a
 * `Recording` (lightclient/transports/fixture.ts). The verifier bytecode is the real runtime code
 * from contracts/generated/artifacts.json. Groth16 proofs are randomized, so regeneration changes
 * the proof points (not the roots).
 *
 * History (one update per batch; chain 31337, anchor ANCHOR):
 *   1: public/kv/docs/hello.txt = "hello, light client v1"   (version 1)
 *   2: public/kv/docs/old.txt   = "soon gone"                (version 1)
 *   3: notes/kv/secret.txt      = "private bytes"            (version 1, private space)
 *   4: public/kv/docs/old.txt   deleted                      (version 2, tombstone)
 *   5: public/kv/docs/hello.txt = "hello, light client v2"   (version 2)   ← anchor.latestBatch()
 * plus `fork`: a second, equally valid batch 5 (hello.txt = "forged v2") that was never anchored.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { blake3 } from "@noble/hashes/blake3.js";
import { getAddress } from "viem";
import { formatSpaceId, spaceIdFor } from "../../../core/resource.js";
import { contentHashField, emptyStateRoot, leafValue, StateTree, stateKey, stateProofToJson } from "../../../core/state/state-tree.js";
import { batchHeader, epochContext } from "../../../core/rollup/header.js";
import { releaseSnarkjsWorkers } from "../../../prover/setup/artifacts.js";
import { ProvenBatchFactory } from "../../helpers/proven-batch-factory.js";
import { bytesToHex } from "../../../core/encoding.js";
import { verifierIdOf } from "../../../core/rollup/verifier-id.js";
import { proofKey, valueKey, type Recording } from "../../../lightclient/transports/fixture.js";

const CIRCUIT = "epoch_transition_1_d8";
const OTHER_CIRCUIT = "epoch_transition_2_d8";
const DEPTH = 8;
const CHAIN_ID = 31337;
const ANCHOR = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const ROUTER = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512";
const VERIFIER = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0";
const OTHER_VERIFIER = "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9";
const OWNER = getAddress("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266");

const out = new URL("./recording.json", import.meta.url);
const root = new URL("../../../", import.meta.url);

const publicSpace = formatSpaceId(spaceIdFor(`did:pkh:eip155:1:${OWNER}`, "public"));
const privateSpace = formatSpaceId(spaceIdFor(`did:pkh:eip155:1:${OWNER}`, "notes"));
const uri = (space: string, path: string) => `${space}/kv/${path}`;
export const URIS = {
  hello: uri(publicSpace, "docs/hello.txt"),
  old: uri(publicSpace, "docs/old.txt"),
  secret: uri(privateSpace, "secret.txt"),
  absent: uri(publicSpace, "docs/never-written.txt"),
};

interface Write {
  space: string;
  path: string;
  version: number;
  bytes?: Uint8Array; // undefined: delete
}
const enc = new TextEncoder();
const history: Write[] = [
  { space: publicSpace, path: "docs/hello.txt", version: 1, bytes: enc.encode("hello, light client v1") },
  { space: publicSpace, path: "docs/old.txt", version: 1, bytes: enc.encode("soon gone") },
  { space: privateSpace, path: "secret.txt", version: 1, bytes: enc.encode("private bytes") },
  { space: publicSpace, path: "docs/old.txt", version: 2 },
  { space: publicSpace, path: "docs/hello.txt", version: 2, bytes: enc.encode("hello, light client v2") },
];
const forkWrite: Write = { space: publicSpace, path: "docs/hello.txt", version: 2, bytes: enc.encode("forged v2") };

const factory = new ProvenBatchFactory([{ name: CIRCUIT, B: 2, depth: DEPTH }]);
const vkeyOf = (c: string) => JSON.parse(readFileSync(new URL(`circuits/keys/${c}.vkey.json`, root), "utf8")) as Record<string, unknown>;
const artifacts = JSON.parse(readFileSync(new URL("contracts/generated/artifacts.json", root), "utf8")) as { contracts: Record<string, { deployedBytecode: string }> };

const context = epochContext(CHAIN_ID, ANCHOR);
const rec: Recording = {
  node: { description: "recorded node (test/vectors/lightclient/generate.ts)", batches: {}, proofs: {}, values: {}, vkeys: { [CIRCUIT]: vkeyOf(CIRCUIT) } },
  chain: {
    description: "recorded chain (test/vectors/lightclient/generate.ts)",
    anchor: ANCHOR,
    chainId: CHAIN_ID,
    latestBatch: history.length,
    router: ROUTER,
    roots: {},
    routes: {
      [verifierIdOf(vkeyOf(CIRCUIT))]: { verifier: VERIFIER, kind: 1, removed: false, activeAt: 1_790_000_000 },
      [verifierIdOf(vkeyOf(OTHER_CIRCUIT))]: { verifier: OTHER_VERIFIER, kind: 1, removed: false, activeAt: 1_790_000_000 },
    },
    code: {
      [VERIFIER.toLowerCase()]: artifacts.contracts["EpochTransition1D8Verifier"]!.deployedBytecode,
      [OTHER_VERIFIER.toLowerCase()]: artifacts.contracts["EpochTransition2D8Verifier"]!.deployedBytecode,
    },
    genesis: { genesisRoot: emptyStateRoot(DEPTH).toString(), treeDepth: DEPTH, deployedAt: 5 },
    anchoredBatches: [],
    verifierDelay: 172_800,
  },
};

const tree = new StateTree(DEPTH);
rec.chain.roots["0"] = tree.root.toString();
const entries = new Map<string, { version: number; deleted: boolean; contentHash: bigint; etag: string; size: number }>();

/** Apply one write as batch n on `t`; returns the batch record and the entry it wrote. */
async function batch(n: number, t: StateTree, w: Write) {
  const oldRoot = t.root;
  const key = stateKey(w.space, "kv", w.path);
  const contentHash = w.bytes ? contentHashField(w.bytes) : 0n;
  const value = leafValue(contentHash, w.version, w.bytes === undefined);
  const witness = t.set(key, value);
  const eventsHash = BigInt(n) * 1_000_003n + 7n;
  const { input, proof, publicSignals } = await factory.prove({ circuit: CIRCUIT, batchNumber: n, context, eventsHash, witnesses: witness });
  const entry = { version: w.version, deleted: w.bytes === undefined, contentHash, etag: bytesToHex(blake3(w.bytes ?? new Uint8Array())), size: w.bytes?.length ?? 0 };
  const record = {
    number: n,
    oldRoot: oldRoot.toString(),
    newRoot: t.root.toString(),
    header: batchHeader(n, context).toString(),
    commitment: input.commitment,
    eventsHash: eventsHash.toString(),
    eventCids: [],
    updates: [
      {
        seq: n,
        spaceId: w.space,
        service: "kv",
        path: w.path,
        key: key.toString(),
        contentHash: contentHash.toString(),
        version: w.version,
        deleted: entry.deleted,
        value: value.toString(),
        event: "bafy-recorded",
        epoch: "bafy-recorded",
      },
    ],
    status: "anchored",
    cutAt: 1_790_000_000_000 + n,
    provenAt: 1_790_000_000_100 + n,
    anchoredAt: 1_790_000_000_200 + n,
    circuit: CIRCUIT,
    proof,
    publicSignals,
    anchorTx: `0x${bytesToHex(blake3(enc.encode(`tx ${n}`)))}`,
    anchorBlock: 10 + n,
  };
  return { record, entry, key };
}

function proofResponse(u: string, n: number, t: StateTree, status: string, entryOf: (k: string) => unknown) {
  const [space, path] = [u.slice(0, u.indexOf("/kv/")), u.slice(u.indexOf("/kv/") + 4)];
  const key = stateKey(space, "kv", path);
  const proof = t.prove(key);
  const entry = proof.kind === "inclusion" ? entryOf(`${space}/kv/${path}`) : undefined;
  return { uri: u, spaceId: space, path, key: key.toString(), batch: n, status, root: t.root.toString(), proof: stateProofToJson(proof), ...(entry !== undefined ? { entry } : {}) };
}

const entryJson = (e: { version: number; deleted: boolean; contentHash: bigint; etag: string; size: number }) => ({
  version: e.version,
  deleted: e.deleted,
  contentHash: e.contentHash.toString(),
  etag: e.etag,
  size: e.size,
});

let before5: StateTree | undefined;
for (const [i, w] of history.entries()) {
  const n = i + 1;
  if (n === history.length) before5 = tree.fork();
  const { record, entry } = await batch(n, tree, w);
  rec.node.batches[String(n)] = record;
  rec.chain.roots[String(n)] = tree.root.toString();
  rec.chain.anchoredBatches!.push({ batch: n, newRoot: tree.root.toString(), commitment: record.commitment, verifierId: verifierIdOf(vkeyOf(CIRCUIT)) });
  entries.set(`${w.space}/kv/${w.path}`, entry);
  if (w.bytes) rec.node.values[valueKey(w.space, w.path, w.version)] = bytesToHex(w.bytes);
  for (const u of Object.values(URIS)) rec.node.proofs[proofKey(u, n)] = proofResponse(u, n, tree, "anchored", (k) => (entries.get(k) ? entryJson(entries.get(k)!) : undefined));
}

// The fork: another valid batch 5, never anchored.
const forkTree = before5!;
const fork = await batch(history.length, forkTree, forkWrite);
const forkEntries = new Map(entries);
forkEntries.set(`${forkWrite.space}/kv/${forkWrite.path}`, fork.entry);
const forkProof = proofResponse(URIS.hello, history.length, forkTree, "proven", (k) => (forkEntries.get(k) ? entryJson(forkEntries.get(k)!) : undefined));

await factory.close();
await releaseSnarkjsWorkers();

const file = {
  $comment: "Generated by test/vectors/lightclient/generate.ts — do not edit. A Recording (lightclient/transports/fixture.ts) of a depth-8 rollup proven with epoch_transition_1_d8.",
  circuit: CIRCUIT,
  otherCircuit: OTHER_CIRCUIT,
  depth: DEPTH,
  uris: URIS,
  vkeys: { [CIRCUIT]: vkeyOf(CIRCUIT), [OTHER_CIRCUIT]: vkeyOf(OTHER_CIRCUIT) },
  recording: rec,
  fork: { batch: fork.record, proof: forkProof, value: bytesToHex(forkWrite.bytes!) },
};
writeFileSync(out, `${JSON.stringify(file, null, 1)}\n`);
console.log(`wrote ${out.pathname}: ${history.length} batches, latest root ${tree.root}`);
