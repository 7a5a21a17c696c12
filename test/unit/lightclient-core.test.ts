/**
 * Light-client verification core over recorded evidence (test/vectors/lightclient/recording.json, a
 * depth-8 rollup proven with the real epoch_transition_1_d8 circuit; regenerate with
 * test/vectors/lightclient/generate.ts). Every tamper must be rejected at the RIGHT step.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, describe, test } from "node:test";
import {
  BUILTIN_VKEYS,
  checkRoot,
  codeHashOf,
  insecurePins,
  decodeHeader,
  entryAddress,
  fixtureChainSource,
  fixtureNodeSource,
  formatReport,
  got,
  LightClientUriError,
  missing,
  pinVkeys,
  proofKey,
  snarkjsGroth16,
  valueKey,
  verifierIdOf,
  verifyEvidence,
  verifyUri,
  type Groth16Verifier,
  type HistoryEvidence,
  type Recording,
  type StepName,
  type VerifyReport,
  type VerifyUriOptions,
} from "../../lightclient/index.js";
import canonicalize from "canonicalize";
import { keccak256, stringToBytes } from "viem";
import { releaseSnarkjsWorkers } from "../../prover/setup/artifacts.js";
import { formatSpaceId, parseResourceUri } from "../../core/resource.js";
import { emptyStateRoot } from "../../core/state/state-tree.js";

interface Vectors {
  circuit: string;
  otherCircuit: string;
  uris: { hello: string; old: string; secret: string; absent: string };
  vkeys: Record<string, Record<string, unknown>>;
  recording: Recording;
  fork: { batch: Record<string, unknown>; proof: Record<string, unknown>; value: string };
}
const V = JSON.parse(readFileSync(new URL("../vectors/lightclient/recording.json", import.meta.url), "utf8")) as Vectors;
const LATEST = V.recording.chain.latestBatch;
const snarkjs = (await import("snarkjs" as string)) as Parameters<typeof snarkjsGroth16>[0];
const groth16 = snarkjsGroth16(snarkjs);
const VERIFIERS = JSON.parse(readFileSync(new URL("../../contracts/generated/verifiers.json", import.meta.url), "utf8")) as Record<string, { verifierId: string; codeHash: string; contract: string }>;
const CODE_HASHES = Object.fromEntries(Object.entries(VERIFIERS).map(([c, v]) => [c, v.codeHash]));
const PINNED = pinVkeys({ [V.circuit]: V.vkeys[V.circuit] }, "test vectors", { codeHashes: CODE_HASHES });

after(() => releaseSnarkjsWorkers());

const copy = (): Recording => JSON.parse(JSON.stringify(V.recording)) as Recording;
const spaceOf = (uri: string) => formatSpaceId({ ...parseResourceUri(uri).space, form: "space" });
const pathOf = (uri: string) => parseResourceUri(uri).path as string;

async function run(uri: string, tamper?: (r: Recording) => void, extra: Partial<VerifyUriOptions> = {}): Promise<VerifyReport> {
  const r = copy();
  tamper?.(r);
  return verifyUri({ uri, node: fixtureNodeSource(r.node), chain: fixtureChainSource(r.chain), groth16, vkeys: PINNED, ...extra });
}

/** The history evidence collectEvidence would gather from a recording, for batch n. */
function historyOf(r: Recording, n: number): HistoryEvidence {
  const c = r.chain;
  const batches = (c.anchoredBatches ?? []).filter((b) => b.batch <= n).map((b) => ({ batch: b.batch, newRoot: BigInt(b.newRoot), commitment: BigInt(b.commitment), verifierId: b.verifierId }));
  const verifiers: HistoryEvidence["verifiers"] = Object.fromEntries(
    [...new Set(batches.map((b) => b.verifierId))].map((id) => {
      const route = c.routes[id]!;
      return [id, got({ route, codeHash: codeHashOf(c.code[route.verifier.toLowerCase()] ?? "0x") })];
    }),
  );
  return {
    genesis: { genesisRoot: BigInt(c.genesis!.genesisRoot), treeDepth: c.genesis!.treeDepth, deployedAt: c.genesis!.deployedAt },
    previousRoot: BigInt(c.roots[String(n - 1)]!),
    batches,
    verifiers,
  };
}

/** What a malicious router owner registers: runtime code that returns true to any call. */
const ALWAYS_TRUE_CODE = "0x600160005260206000f3";
const EVIL_ID = `0x${"ee".repeat(32)}`;
const EVIL_VERIFIER = "0x00000000000000000000000000000000000e0111";

function statuses(report: VerifyReport): string {
  return report.steps.map((s) => `${s.step}:${s.status}`).join(" ");
}

function assertFailsAt(report: VerifyReport, step: StepName, code: string): void {
  assert.equal(report.ok, false, formatReport(report));
  assert.equal(report.failedStep, step, formatReport(report));
  const s = report.steps.find((x) => x.step === step)!;
  assert.equal(s.code, code, formatReport(report));
  assert.equal(s.ok, false);
}

describe("light client: all steps pass on honest evidence", () => {
  test("a public value at the latest anchored batch", async () => {
    const report = await run(V.uris.hello);
    assert.equal(report.ok, true, formatReport(report));
    assert.deepEqual(
      report.steps.map((s) => [s.step, s.code]),
      [
        ["vkey", "VKEY_OK"],
        ["proof", "PROOF_OK"],
        ["root", "ROOT_ANCHORED"],
        ["path", "PATH_OK"],
        ["value", "VALUE_OK"],
      ],
    );
    assert.equal(report.batch, LATEST);
    assert.equal(report.root, V.recording.chain.roots[String(LATEST)]);
    assert.deepEqual(report.entry, { kind: "value", version: 2, contentHash: (report.entry as { contentHash: string }).contentHash, size: 22 });
    assert.match(formatReport(report), /✓ vkey[\s\S]*✓ value[\s\S]*VERIFIED/);
    assert.ok(report.timings.totalMs >= report.timings.verifyMs);
  });

  test("an older anchored batch (--batch) sees the older version", async () => {
    const report = await run(V.uris.hello, undefined, { batch: 1 });
    assert.equal(report.ok, true, formatReport(report));
    assert.equal((report.entry as { version: number }).version, 1);
  });

  test("non-inclusion: a key never written is proven absent", async () => {
    const report = await run(V.uris.absent);
    assert.equal(report.ok, true, formatReport(report));
    assert.equal(report.steps[4]!.code, "VALUE_ABSENT");
    assert.deepEqual(report.entry, { kind: "absent" });
  });

  test("a tombstone is proven deleted, with no bytes fetched", async () => {
    const report = await run(V.uris.old, (r) => (r.node.values = {}));
    assert.equal(report.ok, true, formatReport(report));
    assert.equal(report.steps[4]!.code, "VALUE_DELETED");
    assert.deepEqual(report.entry, { kind: "deleted", version: 2 });
  });

  test("a private entry without its space salt fails the path step, bytes or not (private entries are salted; see the salted-tree tests)", async () => {
    // The recording predates salted private spaces: its private entry is an unsalted leaf and the
    // response carries no salts, which is exactly what a node sends a caller it does not authorize.
    const bytes = new TextEncoder().encode("private bytes");
    const supplied = await run(V.uris.secret, undefined, { value: bytes });
    assertFailsAt(supplied, "path", "PATH_SALT_UNPROVEN");
    assert.match(supplied.steps[3]!.reason, /private space.*no space salt.*--auth-key/);
    const none = await run(V.uris.secret);
    assertFailsAt(none, "path", "PATH_SALT_UNPROVEN");
  });

  test("supplied bytes for an absent key fail the value step", async () => {
    const report = await run(V.uris.absent, undefined, { value: new Uint8Array([1, 2, 3]) });
    assertFailsAt(report, "value", "VALUE_ABSENT");
  });

  test("the node's vkey is usable only with nodeVkeys, and only because the chain vouches for it", async () => {
    // Without the batch's key pinned nothing holds: the root rests on batches proven under that key.
    const unpinned = await run(V.uris.hello, undefined, { vkeys: BUILTIN_VKEYS });
    assertFailsAt(unpinned, "vkey", "VKEY_MISSING");
    assert.equal(unpinned.steps[1]!.status, "skipped");
    assert.equal(unpinned.steps[2]!.code, "ROOT_UNPINNED_VERIFIER", formatReport(unpinned));
    const noHash = await run(V.uris.hello, undefined, { vkeys: BUILTIN_VKEYS, nodeVkeys: true });
    assertFailsAt(noHash, "vkey", "VKEY_MISSING"); // a key without the code hash of its verifier pins nothing
    const fromNode = await run(V.uris.hello, undefined, { vkeys: BUILTIN_VKEYS, nodeVkeys: true, codeHashes: CODE_HASHES });
    assert.equal(fromNode.ok, true, formatReport(fromNode));
    assert.match(String(fromNode.steps[0]!.data?.["source"]), /node \(checked against the contract\)/);
    const lyingNode = await run(V.uris.hello, (r) => (r.node.vkeys![V.circuit] = V.vkeys[V.otherCircuit]), { vkeys: BUILTIN_VKEYS, nodeVkeys: true, codeHashes: CODE_HASHES });
    // the other circuit's key IS routed (to its own verifier), so the check that catches it is the proof
    assert.equal(lyingNode.ok, false);
  });
});

describe("light client: each tamper is rejected at the right step", () => {
  test('changed value bytes → "value"', async () => {
    const report = await run(V.uris.hello, (r) => {
      const k = valueKey(spaceOf(V.uris.hello), pathOf(V.uris.hello), 2);
      r.node.values[k] = Buffer.from("hello, light client v3").toString("hex");
    });
    assertFailsAt(report, "value", "VALUE_HASH_MISMATCH");
    assert.match(statuses(report), /vkey:passed proof:passed root:passed path:passed value:failed/);
  });

  test('entry claiming another version → "value" (leaf mismatch)', async () => {
    const report = await run(V.uris.hello, (r) => {
      const p = r.node.proofs[proofKey(V.uris.hello, LATEST)] as { entry: { version: number } };
      p.entry.version = 1;
    });
    assertFailsAt(report, "value", "VALUE_LEAF_MISMATCH");
  });

  test('a path from another root (batch 4\'s tree) → "path"', async () => {
    const report = await run(V.uris.hello, (r) => {
      const now = r.node.proofs[proofKey(V.uris.hello, LATEST)] as { proof: unknown };
      now.proof = (r.node.proofs[proofKey(V.uris.hello, LATEST - 1)] as { proof: unknown }).proof;
    });
    assertFailsAt(report, "path", "PATH_ROOT_MISMATCH");
    assert.equal(report.steps[4]!.status, "skipped");
  });

  test('a whole proof response of another batch → "path"', async () => {
    const report = await run(V.uris.hello, (r) => {
      r.node.proofs[proofKey(V.uris.hello, LATEST)] = r.node.proofs[proofKey(V.uris.hello, LATEST - 1)];
    });
    assertFailsAt(report, "path", "PATH_ROOT_MISMATCH");
  });

  test('a path for another key → "path"', async () => {
    const report = await run(V.uris.hello, (r) => {
      r.node.proofs[proofKey(V.uris.hello, LATEST)] = r.node.proofs[proofKey(V.uris.absent, LATEST)];
    });
    assertFailsAt(report, "path", "PATH_WRONG_KEY");
  });

  test('a garbled path → "path"', async () => {
    const report = await run(V.uris.hello, (r) => {
      (r.node.proofs[proofKey(V.uris.hello, LATEST)] as { proof: { siblings: unknown } }).proof.siblings = [["1", "2"]];
    });
    assertFailsAt(report, "path", "PATH_MALFORMED");
  });

  test('the batch record of another batch → "proof"', async () => {
    const report = await run(V.uris.hello, (r) => {
      r.node.batches[String(LATEST)] = r.node.batches[String(LATEST - 1)];
    });
    assertFailsAt(report, "proof", "PROOF_WRONG_BATCH");
  });

  test("another batch's proof and signals inside this batch's record → \"proof\"", async () => {
    const report = await run(V.uris.hello, (r) => {
      const b = r.node.batches[String(LATEST)] as Record<string, unknown>;
      const other = r.node.batches[String(LATEST - 1)] as Record<string, unknown>;
      b["proof"] = other["proof"];
      b["publicSignals"] = other["publicSignals"];
    });
    assertFailsAt(report, "proof", "PROOF_WRONG_BATCH");
    assert.equal(report.steps[2]!.ok, true, "the root itself is still the anchored one");
  });

  test('publicSignals rewritten to this batch (header, root) but the old proof → "proof" (pairing)', async () => {
    const report = await run(V.uris.hello, (r) => {
      const b = r.node.batches[String(LATEST)] as Record<string, unknown>;
      const other = r.node.batches[String(LATEST - 1)] as Record<string, unknown>;
      b["proof"] = other["proof"];
    });
    assertFailsAt(report, "proof", "PROOF_INVALID");
  });

  test('a proof of another deployment (chain id) → "proof"', async () => {
    const report = await run(V.uris.hello, (r) => (r.chain.chainId = 1));
    assertFailsAt(report, "proof", "PROOF_WRONG_DEPLOYMENT");
  });

  test('a valid proof of a forked batch whose root was never anchored → "root"', async () => {
    const report = await run(V.uris.hello, (r) => {
      r.node.batches[String(LATEST)] = V.fork.batch;
      r.node.proofs[proofKey(V.uris.hello, LATEST)] = V.fork.proof;
      r.node.values[valueKey(spaceOf(V.uris.hello), pathOf(V.uris.hello), 2)] = V.fork.value;
    });
    // The fork's proof is a valid Groth16 proof from the anchored roots(n - 1): only the chain tells the
    // two batches apart, by the commitment it anchored and by the root it stores.
    assertFailsAt(report, "proof", "PROOF_COMMITMENT_MISMATCH");
    assert.equal(report.steps[2]!.code, "ROOT_NOT_ANCHORED");
    assert.deepEqual(
      report.steps.slice(3).map((s) => s.status),
      ["skipped", "skipped"],
    );
  });

  test('a proven batch beyond anchor.latestBatch() → "root"', async () => {
    // The chain has only anchored up to LATEST - 1; the node's batch LATEST is proven but not anchored.
    const report = await run(
      V.uris.hello,
      (r) => {
        r.chain.latestBatch = LATEST - 1;
        delete r.chain.roots[String(LATEST)];
      },
      { batch: LATEST },
    );
    assertFailsAt(report, "root", "ROOT_NOT_ANCHORED");
    assert.equal(report.steps[1]!.code, "PROOF_OK");
    assert.match(report.steps[2]!.reason, /latest batch is 4/);
  });

  test("a batch the node does not have fails vkey (no circuit named) and root", async () => {
    const report = await run(V.uris.hello, undefined, { batch: LATEST + 1 });
    assertFailsAt(report, "vkey", "VKEY_UNAVAILABLE");
    assert.equal(report.steps[2]!.code, "ROOT_NOT_ANCHORED");
  });

  test('a pinned vkey that is not the contract\'s → "vkey"', async () => {
    const wrong = pinVkeys({ [V.circuit]: V.vkeys[V.otherCircuit] }, "wrong dir");
    // the other circuit's key is routed, but to a verifier — so give the route of the pinned id the code of the batch's verifier
    const report = await run(
      V.uris.hello,
      (r) => {
        delete r.chain.routes[verifierIdOf(V.vkeys[V.otherCircuit]!).toLowerCase()];
      },
      { vkeys: wrong },
    );
    assertFailsAt(report, "vkey", "VKEY_MISMATCH");
    assert.match(report.steps[0]!.reason, /router has no verifier/);
    assert.equal(report.steps[1]!.status, "skipped");
  });

  test('a routed id whose verifier has other code than the pinned one → "vkey"', async () => {
    const report = await run(V.uris.hello, (r) => {
      const route = r.chain.routes[verifierIdOf(V.vkeys[V.circuit]!).toLowerCase()]!;
      const otherRoute = r.chain.routes[verifierIdOf(V.vkeys[V.otherCircuit]!).toLowerCase()]!;
      r.chain.routes[verifierIdOf(V.vkeys[V.circuit]!).toLowerCase()] = { ...route, verifier: otherRoute.verifier };
    });
    assertFailsAt(report, "vkey", "VKEY_MISMATCH");
    assert.match(report.steps[0]!.reason, /is not the pinned verifier/);
  });

  test('a removed route → "vkey" (revoked)', async () => {
    const report = await run(V.uris.hello, (r) => {
      const id = verifierIdOf(V.vkeys[V.circuit]!).toLowerCase();
      r.chain.routes[id] = { ...r.chain.routes[id]!, removed: true };
    });
    assertFailsAt(report, "vkey", "VKEY_REVOKED");
  });

  test('a proof whose old root is not the contract\'s roots(n - 1) → "proof"', async () => {
    // An all-no-op proof R → R is true for every R: only roots(n - 1) makes it a statement about the chain.
    const report = await run(V.uris.hello, (r) => (r.chain.roots[String(LATEST - 1)] = "12345"));
    assertFailsAt(report, "proof", "PROOF_OLD_ROOT_MISMATCH");
  });

  test('a proof whose commitment is not the anchored one → "proof"', async () => {
    const report = await run(V.uris.hello, (r) => (r.chain.anchoredBatches![LATEST - 1]!.commitment = "5"));
    assertFailsAt(report, "proof", "PROOF_COMMITMENT_MISMATCH");
  });

  test('batch n anchored under a verifier id the client does not pin → "proof" and "root"', async () => {
    const report = await run(V.uris.hello, (r) => {
      r.chain.anchoredBatches![LATEST - 1]!.verifierId = EVIL_ID;
      r.chain.routes[EVIL_ID] = { verifier: EVIL_VERIFIER, kind: 1, removed: false, activeAt: 1 };
      r.chain.code[EVIL_VERIFIER] = ALWAYS_TRUE_CODE;
    });
    assertFailsAt(report, "proof", "PROOF_WRONG_VERIFIER");
    assert.equal(report.steps[2]!.code, "ROOT_UNPINNED_VERIFIER", formatReport(report));
  });

  test('an EARLIER batch anchored through an always-true verifier → "root" (every batch the root rests on counts)', async () => {
    const report = await run(V.uris.hello, (r) => {
      r.chain.anchoredBatches![1]!.verifierId = EVIL_ID;
      r.chain.routes[EVIL_ID] = { verifier: EVIL_VERIFIER, kind: 1, removed: false, activeAt: 1 };
      r.chain.code[EVIL_VERIFIER] = ALWAYS_TRUE_CODE;
    });
    assertFailsAt(report, "root", "ROOT_UNPINNED_VERIFIER");
    assert.equal(report.steps[1]!.code, "PROOF_OK", "batch n itself is honest");
    assert.equal(report.steps[2]!.data?.["unpinnedBatch"], 2);
  });

  test('a pinned id that an earlier batch used through other code → "root"', async () => {
    // The pinned id is only a label: a router that routed it to other code at the time proves nothing.
    const report = await run(V.uris.hello, (r) => {
      const id = verifierIdOf(V.vkeys[V.circuit]!).toLowerCase();
      r.chain.anchoredBatches![0]!.verifierId = EVIL_ID;
      r.chain.routes[EVIL_ID] = { ...r.chain.routes[id]!, verifier: EVIL_VERIFIER };
      r.chain.code[EVIL_VERIFIER] = ALWAYS_TRUE_CODE;
    });
    assertFailsAt(report, "root", "ROOT_UNPINNED_VERIFIER");
  });

  test('a genesis that is not the empty tree → "root"', async () => {
    const report = await run(V.uris.hello, (r) => (r.chain.genesis!.genesisRoot = "7"));
    assertFailsAt(report, "root", "ROOT_BAD_GENESIS");
  });

  test('BatchAnchored events with a batch missing → "root"', async () => {
    const report = await run(V.uris.hello, (r) => r.chain.anchoredBatches!.splice(2, 1));
    assertFailsAt(report, "root", "ROOT_HISTORY_MISMATCH");
  });

  test("an unreachable chain fails every step, with the reason", async () => {
    const r = copy();
    const chain = { ...fixtureChainSource(r.chain), latestBatch: () => Promise.reject(new Error("connection refused")) };
    const report = await verifyUri({ uri: V.uris.hello, node: fixtureNodeSource(r.node), chain, groth16, vkeys: PINNED });
    assert.equal(report.ok, false);
    assert.equal(report.failedStep, "vkey");
    assert.match(report.steps[2]!.reason, /connection refused/);
  });
});

describe("light client: core pieces", () => {
  test("verifierIdOf matches viem keccak256(JCS(vkey)) and contracts/generated/verifiers.json", () => {
    const verifiers = JSON.parse(readFileSync(new URL("../../contracts/generated/verifiers.json", import.meta.url), "utf8")) as Record<string, { verifierId: string }>;
    for (const c of [V.circuit, V.otherCircuit]) {
      // Independent of our encoder: viem's keccak over the RFC 8785 text.
      assert.equal(verifierIdOf(V.vkeys[c]!), keccak256(stringToBytes(canonicalize(V.vkeys[c]!)!)));
      assert.equal(verifierIdOf(V.vkeys[c]!), verifiers[c]!.verifierId);
    }
    for (const [c, p] of Object.entries(BUILTIN_VKEYS)) assert.equal(verifierIdOf(p.vkey), verifiers[c]!.verifierId, c);
  });

  test("the built-in keys are the repository's circuits/keys, each pinned with its generated verifier's code hash, and flagged INSECURE", () => {
    const artifacts = JSON.parse(readFileSync(new URL("../../contracts/generated/artifacts.json", import.meta.url), "utf8")) as { contracts: Record<string, { deployedBytecode: string }> };
    assert.deepEqual(Object.keys(BUILTIN_VKEYS).sort(), ["epoch_transition_1", "epoch_transition_4"]);
    for (const [c, p] of Object.entries(BUILTIN_VKEYS)) {
      assert.deepEqual(p.vkey, JSON.parse(readFileSync(new URL(`../../circuits/keys/${c}.vkey.json`, import.meta.url), "utf8")));
      assert.equal(p.depth, 16);
      assert.equal(p.codeHash, codeHashOf(artifacts.contracts[VERIFIERS[c]!.contract]!.deployedBytecode));
      assert.ok((p.insecure ?? []).length > 0, `${c}: the repository's dev keys must be flagged insecure`);
    }
    assert.equal(insecurePins(BUILTIN_VKEYS).length, 2);
  });

  test("a report over insecure pinned keys carries a warning, in the text too", async () => {
    const provenance = JSON.parse(readFileSync(new URL(`../../circuits/keys/${V.circuit}.provenance.json`, import.meta.url), "utf8")) as unknown;
    const insecure = pinVkeys({ [V.circuit]: V.vkeys[V.circuit] }, "test vectors", { codeHashes: CODE_HASHES, provenance: { [V.circuit]: provenance } });
    const report = await run(V.uris.hello, undefined, { vkeys: insecure });
    assert.equal(report.ok, true, formatReport(report));
    assert.ok((report.warnings ?? []).length === 1, "one warning");
    assert.match(formatReport(report), /WARNING: the pinned key of epoch_transition_1_d8 is INSECURE/);
    const clean = await run(V.uris.hello);
    assert.equal(clean.warnings, undefined);
  });

  test("decodeHeader inverts batchHeader(n, epochContext(chainId, anchor))", () => {
    const b = V.recording.node.batches[String(LATEST)] as { publicSignals: string[] };
    const h = decodeHeader(BigInt(b.publicSignals[2]!));
    assert.equal(h.batch, BigInt(LATEST));
    assert.equal(h.chainId, BigInt(V.recording.chain.chainId));
    assert.equal(h.anchor, V.recording.chain.anchor.toLowerCase());
  });

  test("entryAddress derives the key locally and rejects non-KV URIs", () => {
    const a = entryAddress(V.uris.hello);
    const p = V.recording.node.proofs[proofKey(V.uris.hello, LATEST)] as { key: string; spaceId: string };
    assert.equal(a.key?.toString(), p.key);
    assert.equal(a.isPublic, true);
    // A private space's key is salted: the URI alone does not give it (the path step derives it from the proven salt).
    assert.equal(entryAddress(V.uris.secret).key, undefined);
    assert.equal(a.spaceId, p.spaceId);
    assert.throws(() => entryAddress("https://example.com"), LightClientUriError);
    assert.throws(() => entryAddress(`${spaceOf(V.uris.hello)}/sql/x`), LightClientUriError);
  });

  test("verifyEvidence never throws on garbage node JSON", async () => {
    const r = copy();
    const base = {
      uri: V.uris.hello,
      batch: LATEST,
      anchored: got({ chainId: r.chain.chainId, anchor: r.chain.anchor, latestBatch: LATEST, batch: LATEST, root: BigInt(r.chain.roots[String(LATEST)]!) }),
      vkey: missing<never>("n/a"),
      history: missing<never>("n/a"),
      value: undefined,
    };
    for (const junk of [null, 42, "x", [], { number: LATEST }, { number: LATEST, newRoot: "-1" }, { root: "1", proof: { kind: "nope" } }]) {
      const verdict = await verifyEvidence({ ...base, batchRecord: got(junk), stateProof: got(junk) }, groth16);
      assert.equal(verdict.ok, false);
      assert.equal(verdict.steps.length, 5);
    }
  });

  test("the root step does not need the pairing library", () => {
    const r = copy();
    const root = checkRoot(
      {
        uri: V.uris.hello,
        batch: LATEST,
        anchored: got({ chainId: r.chain.chainId, anchor: r.chain.anchor, latestBatch: LATEST, batch: LATEST, root: BigInt(r.chain.roots[String(LATEST)]!) }),
        batchRecord: got(r.node.batches[String(LATEST)]),
        vkey: missing("n/a"),
        history: got(historyOf(r, LATEST)),
        stateProof: missing("n/a"),
        value: undefined,
      },
      PINNED,
      8,
    );
    assert.equal(root.code, "ROOT_ANCHORED", root.reason);
  });

  test("an empty tree at batch n > 0 is anchored, not 'not anchored'", () => {
    const r = copy();
    const empty = emptyStateRoot(8);
    const id = verifierIdOf(V.vkeys[V.circuit]!).toLowerCase();
    const batches = [1, 2, 3].map((batch) => ({ batch, newRoot: empty, commitment: 1n, verifierId: id }));
    const history = { genesis: { genesisRoot: empty, treeDepth: 8, deployedAt: 1 }, previousRoot: empty, batches, verifiers: historyOf(r, LATEST).verifiers };
    const root = checkRoot(
      {
        uri: V.uris.absent,
        batch: 3,
        anchored: got({ chainId: r.chain.chainId, anchor: r.chain.anchor, latestBatch: 3, batch: 3, root: empty }),
        batchRecord: got({ ...(r.node.batches["3"] as object), number: 3, newRoot: empty.toString(), status: "anchored" }),
        vkey: missing("n/a"),
        history: got(history),
        stateProof: missing("n/a"),
        value: undefined,
      },
      PINNED,
      8,
    );
    assert.equal(root.code, "ROOT_ANCHORED", root.reason);
  });

  test("a Groth16 implementation that rejects everything fails only the proof step", async () => {
    const never: Groth16Verifier = { name: "never", verify: async () => false };
    const r = copy();
    const report = await verifyUri({ uri: V.uris.hello, node: fixtureNodeSource(r.node), chain: fixtureChainSource(r.chain), groth16: never, vkeys: PINNED });
    assertFailsAt(report, "proof", "PROOF_INVALID");
    assert.deepEqual(
      report.steps.map((s) => s.ok),
      [true, false, true, true, true],
    );
  });
});
