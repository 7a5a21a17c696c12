/**
 * The router-owner attack on the light client, on a real anvil with the real contracts and real proofs.
 *
 * An all-no-op batch R → R is a TRUE statement for any R, so its Groth16 proof is genuine. A router
 * owner who wants the light client to print VERIFIED for a value nobody wrote:
 *   1. registers an always-true verifier (runtime code: mstore(0, 1) return(0, 32));
 *   2. waits out the timelock, then anchors a made-up root R* (a tree holding the forged value);
 *   3. runs a node that serves batch n with a genuine no-op proof R* → R* under the PINNED key, a state
 *      proof of the forged value in R*, and the bytes.
 * Before issue 10 every step passed. Now the client requires publicSignals[0] = roots(n − 1) and every
 * batch up to n anchored under a pinned (verifier id, code hash): the attack fails at "proof" and
 * "root". The honest history before it still verifies (so the test can fail the other way too).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { blake3 } from "@noble/hashes/blake3.js";
import { getAddress, type Address, type Hex } from "viem";
import { ANCHOR_ABI, ROUTER_ABI } from "../../contracts/abi.js";
import { loadVerifiers } from "../../contracts/artifacts.js";
import { bytesToHex, fixtureNodeSource, formatReport, pinVkeys, proofKey, snarkjsGroth16, valueKey, verifyUri, viemChainSource, type NodeRecording } from "../../lightclient/index.js";
import { encodeGroth16Proof } from "../../core/rollup/calldata.js";
import { formatSpaceId, spaceIdFor } from "../../core/resource.js";
import { contentHashField, leafValue, stateKey, stateProofToJson, type StateTree } from "../../core/state/state-tree.js";
import { batchHeader, epochContext } from "../../core/rollup/header.js";
import { epochCommitment } from "../../core/rollup/commitment.js";
import { releaseSnarkjsWorkers } from "../../prover/setup/artifacts.js";
import { startTestChain, TEST_VERIFIER_DELAY, type TestChain } from "../helpers/anvil.js";
import { ProvenBatchFactory } from "../helpers/proven-batch-factory.js";

const CIRCUIT = "epoch_transition_1_d8";
const ALWAYS_TRUE_INITCODE = "0x69600160005260206000f3600052600a6016f3" as Hex;
const GAS = 1_500_000n;

const owner = getAddress("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266");
const space = formatSpaceId(spaceIdFor(`did:pkh:eip155:1:${owner}`, "public"));
const path = "docs/balance.txt";
const uri = `${space}/kv/${path}`;
const forged = new TextEncoder().encode("balance: 1,000,000 (nobody wrote this)");

const vkeyOf = (c: string): object => JSON.parse(readFileSync(new URL(`../../circuits/keys/${c}.vkey.json`, import.meta.url), "utf8")) as object;
const verifiers = loadVerifiers();
const PINNED = pinVkeys({ epoch_transition_1_d8: vkeyOf("epoch_transition_1_d8"), epoch_transition_2_d8: vkeyOf("epoch_transition_2_d8") }, "test pins", {
  codeHashes: { epoch_transition_1_d8: verifiers["epoch_transition_1_d8"]!.codeHash, epoch_transition_2_d8: verifiers["epoch_transition_2_d8"]!.codeHash },
});

function proofResponse(t: StateTree, batch: number, entry?: unknown): unknown {
  const key = stateKey(space, "kv", path);
  return { uri, spaceId: space, path, key: key.toString(), batch, status: "anchored", root: t.root.toString(), proof: stateProofToJson(t.prove(key)), ...(entry !== undefined ? { entry } : {}) };
}

describe("light client vs a router owner with an always-true verifier (anvil)", { timeout: 600_000 }, () => {
  let chain: TestChain;
  const factory = new ProvenBatchFactory();
  let records: ReturnType<ProvenBatchFactory["records"]>;
  let context: bigint;
  const node: NodeRecording = { description: "the attacker's node", batches: {}, proofs: {}, values: {} };
  let snarkjs: Parameters<typeof snarkjsGroth16>[0];

  const send = async (from: TestChain["owner"], address: Address, abi: typeof ANCHOR_ABI | typeof ROUTER_ABI, functionName: string, args: readonly unknown[]) => {
    const hash = await from.walletClient!.writeContract({ address, abi, functionName, args, gas: GAS } as never);
    const receipt = await from.publicClient.waitForTransactionReceipt({ hash });
    assert.equal(receipt.status, "success", `${functionName} reverted`);
  };
  const lightClient = (batch: number) =>
    verifyUri({ uri, node: fixtureNodeSource(node), chain: viemChainSource({ anchor: chain.deployment.anchor, rpcUrl: chain.anvil.rpcUrl }), groth16: snarkjsGroth16(snarkjs), vkeys: PINNED, batch });

  before(async () => {
    snarkjs = (await import("snarkjs" as string)) as Parameters<typeof snarkjsGroth16>[0];
    chain = await startTestChain();
    context = epochContext(chain.anvil.chainId, chain.deployment.anchor);
    records = factory.records(context);
    // Two honest batches, anchored by the sequencer under the deployment's (pinned) verifiers.
    for (const size of [1, 2] as const) {
      const record = await records.next(size);
      await send(chain.sequencer, chain.deployment.anchor, ANCHOR_ABI, "submitBatch", [
        chain.deployment.verifiers[record.circuit!]!.verifierId,
        BigInt(record.number),
        BigInt(record.newRoot),
        BigInt(record.commitment),
        encodeGroth16Proof(record.proof),
      ]);
      node.batches[String(record.number)] = { ...record, status: "anchored" };
      node.proofs[proofKey(uri, record.number)] = proofResponse(records.tree, record.number);
    }
  });

  after(async () => {
    await factory.close();
    await chain?.stop();
    await releaseSnarkjsWorkers();
  });

  test("default: the honest history verifies (the URI is proven absent at batch 2)", async () => {
    const report = await lightClient(2);
    assert.equal(report.ok, true, formatReport(report));
    assert.equal(report.entry?.kind, "absent");
  });

  test("attack: an always-true verifier anchors a made-up root; a genuine no-op proof for it is rejected at proof and root", async () => {
    const { owner: ownerClients, deployment } = chain;
    // 1. The owner's verifier, registered under a fresh id.
    const hash = await ownerClients.walletClient!.sendTransaction({ data: ALWAYS_TRUE_INITCODE, gas: 200_000n });
    const evil = getAddress((await ownerClients.publicClient.waitForTransactionReceipt({ hash })).contractAddress!);
    const evilId = `0x${"e1".repeat(32)}` as Hex;
    await send(ownerClients, deployment.router, ROUTER_ABI, "addVerifier", [evilId, evil, 1]);
    await send(ownerClients, deployment.anchor, ANCHOR_ABI, "setSequencer", [ownerClients.account!.address, true]);

    // 2. A made-up tree R*: the honest tree plus the forged value.
    const fake = records.tree.fork();
    fake.set(stateKey(space, "kv", path), leafValue(contentHashField(forged), 1, false));
    const n = 3;
    const commitment = epochCommitment({ context, batchNumber: n, updates: [], eventsHash: 0n });
    const submit = [evilId, BigInt(n), fake.root, commitment, `0x${"00".repeat(256)}`] as const;
    // The timelock holds it back...
    await assert.rejects(
      ownerClients.publicClient.simulateContract({
        address: deployment.anchor,
        abi: [...ANCHOR_ABI, ...ROUTER_ABI.filter((x) => x.type === "error")],
        functionName: "submitBatch",
        args: submit,
        account: ownerClients.account!.address,
      }),
      /TinyCloudVerifierRouter__NotYetActive/,
    );
    // ...until it has passed.
    await ownerClients.publicClient.request({ method: "evm_increaseTime" as never, params: [TEST_VERIFIER_DELAY + 1] as never });
    await ownerClients.publicClient.request({ method: "evm_mine" as never, params: [] as never });
    await send(ownerClients, deployment.anchor, ANCHOR_ABI, "submitBatch", submit);
    assert.equal(await ownerClients.publicClient.readContract({ address: deployment.anchor, abi: ANCHOR_ABI, functionName: "roots", args: [BigInt(n)] }), fake.root);

    // 3. The attacker's node: a GENUINE no-op proof R* → R* under the pinned key of epoch_transition_1_d8.
    const proven = await factory.prove({ circuit: CIRCUIT, batchNumber: n, context, eventsHash: 0n, witnesses: [], oldTreeRoot: fake.treeRoot, oldSize: fake.size });
    assert.deepEqual(proven.publicSignals, [fake.root, fake.root, batchHeader(n, context), commitment].map(String), "a true statement: R* → R* with no updates");
    // A well-formed record (it passes the batch schema the light client parses with), as an attacker sends.
    node.batches[String(n)] = {
      ...(node.batches["2"] as object),
      number: n,
      oldRoot: fake.root.toString(),
      newRoot: fake.root.toString(),
      updates: [],
      eventCids: [],
      eventsHash: "0",
      header: batchHeader(n, context).toString(),
      commitment: commitment.toString(),
      status: "anchored",
      circuit: CIRCUIT,
      proof: proven.proof,
      publicSignals: proven.publicSignals,
    };
    const entry = { version: 1, deleted: false, contentHash: contentHashField(forged).toString(), etag: bytesToHex(blake3(forged)), size: forged.length };
    node.proofs[proofKey(uri, n)] = proofResponse(fake, n, entry);
    node.values[valueKey(space, path, 1)] = bytesToHex(forged);

    const report = await lightClient(n);
    assert.equal(report.ok, false, `the forged value must NOT verify:\n${formatReport(report)}`);
    const step = (name: string) => report.steps.find((s) => s.step === name)!;
    assert.equal(step("vkey").code, "VKEY_OK", "the pinned key itself is genuine and routed");
    assert.equal(step("proof").code, "PROOF_OLD_ROOT_MISMATCH", formatReport(report));
    assert.equal(step("root").code, "ROOT_UNPINNED_VERIFIER", formatReport(report));
    assert.equal(step("root").data?.["unpinnedBatch"], n);
    // And the honest batches before the attack still verify.
    assert.equal((await lightClient(2)).ok, true);
  });
});
