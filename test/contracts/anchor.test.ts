/**
 * TinyCloudAnchor + TinyCloudVerifierRouter on Hardhat's EDR network, with the real snarkjs verifiers
 * (EpochTransition1D8Verifier / EpochTransition2D8Verifier from contracts/generated/artifacts.json)
 * and real Groth16 proofs of batches built with the state-tree oracle (test/helpers/proven-batch-factory.ts).
 *
 * Run: npm run test:contracts (hardhat test nodejs). Every submitBatch is sent with an explicit gas
 * limit: gas estimation must never decide the gas of a call into a Groth16 verifier (toolchain.md §3).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { network } from "hardhat";
import { BaseError, ContractFunctionRevertedError, decodeErrorResult, getAddress, getContract, parseEventLogs, type Abi, type Address, type Hex, zeroAddress } from "viem";
import { ANCHOR_ABI, ROUTER_ABI, KIND_BATCH_VERIFIER, KIND_GROTH16_SNARKJS, loadContractArtifacts } from "../../contracts/artifacts.js";
import { epochContext } from "../../core/rollup/header.js";
import { emptyStateRoot, FIELD_MODULUS, MAX_STATE_TREE_DEPTH, StateTree } from "../../core/state/state-tree.js";
import { D8_DEPTH, ProvenBatchFactory, type EpochCircuit, type ProvenBatch } from "../helpers/proven-batch-factory.js";

const GAS = 1_500_000n;
/** The router timelock of these tests (seconds). */
const DELAY = 3600n;
/**
 * Creation code of a "verifier" whose runtime code (600160005260206000f3: mstore(0, 1) return(0, 32))
 * answers true to any call: what a malicious router owner would register.
 */
const ALWAYS_TRUE_INITCODE = "0x69600160005260206000f3600052600a6016f3" as Hex;
const ERRORS_ABI = [...ANCHOR_ABI, ...ROUTER_ABI].filter((x) => x.type === "error") as Abi;

/** The custom error a call reverted with: name and args, decoded with the anchor's and the router's ABIs. */
function revertOf(error: unknown): { errorName: string; args: readonly unknown[] } {
  if (error instanceof BaseError) {
    const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
    if (reverted instanceof ContractFunctionRevertedError && reverted.raw) {
      const decoded = decodeErrorResult({ abi: ERRORS_ABI, data: reverted.raw });
      return { errorName: decoded.errorName, args: decoded.args ?? [] };
    }
    const withData = error.walk((e) => typeof (e as { data?: unknown }).data === "string");
    const data = (withData as { data?: Hex } | null)?.data;
    if (data?.startsWith("0x") && data.length >= 10) {
      const decoded = decodeErrorResult({ abi: ERRORS_ABI, data });
      return { errorName: decoded.errorName, args: decoded.args ?? [] };
    }
  }
  throw error;
}

async function expectRevert(call: Promise<unknown>, errorName: string, args?: readonly unknown[]): Promise<void> {
  let failure: unknown;
  try {
    await call;
  } catch (error) {
    failure = error;
  }
  assert.ok(failure !== undefined, `expected a revert with ${errorName}, the call succeeded`);
  const got = revertOf(failure);
  assert.equal(got.errorName, errorName);
  if (args) assert.deepEqual(got.args, args);
}

describe("TinyCloudAnchor with real Groth16 proofs", { timeout: 600_000 }, () => {
  let connection: Awaited<ReturnType<typeof network.create>>;
  let viem: Awaited<ReturnType<typeof network.create>>["viem"];
  let publicClient: Awaited<ReturnType<typeof viem.getPublicClient>>;
  let owner: Address;
  let sequencer: Address;
  let stranger: Address;
  let chainId: number;
  let circuits: EpochCircuit[];
  let c1: EpochCircuit;
  let c2: EpochCircuit;
  const factory = new ProvenBatchFactory();
  let router: Address;
  let anchor: Address;
  const verifierAddress: Record<string, Address> = {};
  let tree: StateTree; // the anchored state, mirrored by the oracle
  const anchored: ProvenBatch[] = [];

  const artifacts = loadContractArtifacts();

  async function deploy(name: string, args: readonly unknown[] = []): Promise<Address> {
    const [wallet] = await viem.getWalletClients();
    const artifact = artifacts.contracts[name]!;
    const hash = await wallet!.deployContract({ abi: artifact.abi, bytecode: artifact.bytecode, args, gas: 5_000_000n });
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    assert.equal(receipt.status, "success");
    return getAddress(receipt.contractAddress!);
  }

  async function write(address: Address, abi: Abi, functionName: string, args: readonly unknown[], account: Address) {
    const [wallet] = await viem.getWalletClients();
    // Simulate first (eth_call at the pending state) so a revert surfaces as a decodable custom error,
    // then send with an explicit gas limit.
    await publicClient.simulateContract({ address, abi, functionName, args, account, gas: GAS });
    const hash = await wallet!.writeContract({ address, abi, functionName, args, account, gas: GAS, chain: wallet!.chain });
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    assert.equal(receipt.status, "success");
    return receipt;
  }

  const submit = (b: Pick<ProvenBatch, "batchNumber" | "newRoot" | "commitment" | "proof">, verifierId: Hex, account: Address = sequencer, at: Address = anchor) =>
    write(at, ANCHOR_ABI, "submitBatch", [verifierId, b.batchNumber, b.newRoot, b.commitment, b.proof], account);

  const read = <T>(functionName: string, args: readonly unknown[] = [], at: Address = anchor, abi: Abi = ANCHOR_ABI): Promise<T> =>
    publicClient.readContract({ address: at, abi, functionName, args }) as Promise<T>;

  /** Move the chain's clock forward (EDR's evm_increaseTime) and mine a block at the new time. */
  async function increaseTime(seconds: bigint): Promise<void> {
    await connection.provider.request({ method: "evm_increaseTime", params: [Number(seconds)] });
    await connection.provider.request({ method: "evm_mine", params: [] });
  }

  const nextBatch = async (): Promise<bigint> => (await read<bigint>("latestBatch")) + 1n;

  /** Prove the next batch on top of the anchored tree (a clone unless `commit`). */
  async function proveNext(circuit: EpochCircuit, updates: number, options: { commit?: boolean; context?: bigint; batchNumber?: bigint; base?: StateTree } = {}): Promise<ProvenBatch> {
    const base = options.base ?? tree;
    const t = options.commit ? base : base.fork();
    return factory.proveWrites({
      tree: t,
      circuit: circuit.name,
      batchNumber: options.batchNumber ?? (await nextBatch()),
      context: options.context ?? epochContext(chainId, anchor),
      updates,
    });
  }

  async function anchorBatch(circuit: EpochCircuit, updates: number): Promise<void> {
    const before = tree.fork();
    const batch = await proveNext(circuit, updates, { commit: true });
    try {
      const receipt = await submit(batch, circuit.verifierId);
      const [event] = parseEventLogs({ abi: ANCHOR_ABI, logs: receipt.logs, eventName: "BatchAnchored" });
      assert.ok(event, "BatchAnchored emitted");
      assert.deepEqual(event.args, { batchNumber: batch.batchNumber, newRoot: tree.root, commitment: batch.commitment, verifierId: circuit.verifierId });
      assert.equal(await read<bigint>("latestRoot"), tree.root);
      assert.equal(await read<bigint>("latestBatch"), batch.batchNumber);
      assert.equal(await read<bigint>("roots", [batch.batchNumber]), tree.root);
      assert.equal(await read<bigint>("roots", [batch.batchNumber - 1n]), batch.oldRoot);
      console.log(`    batch ${batch.batchNumber} (${circuit.name}, ${updates} update(s)): gasUsed ${receipt.gasUsed}, proved in ${batch.proveSeconds.toFixed(2)} s`);
      anchored.push(batch);
    } catch (error) {
      tree = before;
      throw error;
    }
  }

  before(async () => {
    circuits = await factory.circuits();
    [c1, c2] = circuits as [EpochCircuit, EpochCircuit];
    connection = await network.create();
    viem = connection.viem;
    publicClient = await viem.getPublicClient();
    const wallets = await viem.getWalletClients();
    [owner, sequencer, stranger] = wallets.map((w) => getAddress(w.account.address)) as [Address, Address, Address];
    chainId = await publicClient.getChainId();

    for (const c of circuits) verifierAddress[c.name] = await deploy(c.contract);
    // The deployment's verifiers are routed by the constructor, active at once.
    router = await deploy("TinyCloudVerifierRouter", [owner, DELAY, circuits.map((c) => c.verifierId), circuits.map((c) => verifierAddress[c.name]), circuits.map(() => KIND_GROTH16_SNARKJS)]);
    tree = new StateTree(D8_DEPTH);
    anchor = await deploy("TinyCloudAnchor", [owner, router, D8_DEPTH]);
    await write(anchor, ANCHOR_ABI, "setSequencer", [sequencer, true], owner);
  });

  after(async () => {
    await factory.close();
    await connection?.close();
  });

  it("compiles under Hardhat to the bytecode in contracts/generated/artifacts.json", async () => {
    const hre = (await import("hardhat")).default;
    for (const name of ["TinyCloudAnchor", "TinyCloudVerifierRouter", c1.contract, c2.contract]) {
      const built = await hre.artifacts.readArtifact(name);
      assert.equal(built.bytecode, artifacts.contracts[name]!.bytecode, `${name} creation code`);
      assert.equal(built.deployedBytecode, artifacts.contracts[name]!.deployedBytecode, `${name} runtime code`);
    }
  });

  it("starts at the genesis root with the configured router, owner and sequencer", async () => {
    assert.equal(await read<bigint>("latestBatch"), 0n);
    assert.equal(await read<bigint>("latestRoot"), new StateTree(D8_DEPTH).root);
    assert.equal(getAddress(await read<Address>("router")), router);
    assert.equal(getAddress(await read<Address>("owner")), owner);
    assert.equal(await read<boolean>("isSequencer", [sequencer]), true);
    assert.equal(await read<boolean>("isSequencer", [stranger]), false);
    const header = await read<bigint>("header", [5n]);
    assert.equal(header, (5n << 192n) | epochContext(chainId, anchor));
    const [verifier, kind, removed, activeAt] = await read<readonly [Address, number, boolean, bigint]>("routes", [c1.verifierId], router, ROUTER_ABI);
    assert.deepEqual([getAddress(verifier), kind, removed], [verifierAddress[c1.name], KIND_GROTH16_SNARKJS, false]);
    assert.ok(activeAt <= (await publicClient.getBlock()).timestamp, "a deployment verifier is active at once");
    assert.equal(await read<bigint>("verifierDelay", [], router, ROUTER_ABI), DELAY);
  });

  it("takes its genesis root from the contract: the empty tree of the chosen depth, never a deployer's choice", async () => {
    assert.equal(await read<bigint>("genesisRoot"), emptyStateRoot(D8_DEPTH));
    assert.equal(await read<bigint>("roots", [0n]), emptyStateRoot(D8_DEPTH));
    assert.equal(await read<number>("treeDepth"), D8_DEPTH);
    assert.ok((await read<bigint>("deployedAt")) > 0n);
    const d16 = await deploy("TinyCloudAnchor", [owner, router, 16]);
    assert.equal(await read<bigint>("genesisRoot", [], d16), emptyStateRoot(16));
    for (const depth of [0, MAX_STATE_TREE_DEPTH + 1, 255]) {
      await expectRevert(deploy("TinyCloudAnchor", [owner, router, depth]), "TinyCloudAnchor__UnsupportedDepth", [depth]);
    }
  });

  it("anchors consecutive batches proven with the B=1 and B=2 circuits", async () => {
    await anchorBatch(c1, 1);
    await anchorBatch(c2, 2);
    await anchorBatch(c2, 1); // padded with a no-op step
    await anchorBatch(c1, 1);
    assert.equal(await read<bigint>("latestBatch"), 4n);
  });

  describe("rejects", () => {
    it("a proof from an old root other than the stored one", async () => {
      const forked = tree.fork();
      forked.set(factory.freshKey(), 42n); // a different state the sequencer never anchored
      const batch = await proveNext(c1, 1, { base: forked });
      assert.notEqual(batch.oldRoot, tree.root);
      await expectRevert(submit(batch, c1.verifierId), "TinyCloudAnchor__InvalidProof", [batch.batchNumber]);
    });

    it("a wrong new root, a wrong commitment and a proof of another batch", async () => {
      const batch = await proveNext(c1, 1);
      await expectRevert(submit({ ...batch, newRoot: batch.newRoot + 1n }, c1.verifierId), "TinyCloudAnchor__InvalidProof", [batch.batchNumber]);
      await expectRevert(submit({ ...batch, commitment: batch.commitment + 1n }, c1.verifierId), "TinyCloudAnchor__InvalidProof", [batch.batchNumber]);
      const previous = anchored.at(-1)!;
      await expectRevert(submit({ ...batch, proof: previous.proof }, c1.verifierId), "TinyCloudAnchor__InvalidProof", [batch.batchNumber]);
      // The previous batch's proof with its own roots, relabelled as the next batch: header mismatch.
      await expectRevert(submit({ ...previous, batchNumber: batch.batchNumber }, previous.circuit.verifierId), "TinyCloudAnchor__InvalidProof", [batch.batchNumber]);
      // Under the wrong circuit's verifier id.
      await expectRevert(submit(batch, c2.verifierId), "TinyCloudAnchor__InvalidProof", [batch.batchNumber]);
      // Malformed proof bytes.
      await expectRevert(submit({ ...batch, proof: `${batch.proof}00` }, c1.verifierId), "TinyCloudAnchor__InvalidProof", [batch.batchNumber]);
      await expectRevert(submit({ ...batch, proof: "0x" }, c1.verifierId), "TinyCloudAnchor__InvalidProof", [batch.batchNumber]);
    });

    it("a wrong batch number, a proof for a later batch and a replayed batch", async () => {
      const next = await nextBatch();
      const later = await proveNext(c1, 1, { batchNumber: next + 1n });
      await expectRevert(submit(later, c1.verifierId), "TinyCloudAnchor__WrongBatchNumber", [next, next + 1n]);
      await expectRevert(submit({ ...later, batchNumber: next }, c1.verifierId), "TinyCloudAnchor__InvalidProof", [next]);
      const replay = anchored.at(-1)!;
      await expectRevert(submit(replay, replay.circuit.verifierId), "TinyCloudAnchor__WrongBatchNumber", [next, replay.batchNumber]);
      const first = anchored[0]!;
      await expectRevert(submit(first, first.circuit.verifierId), "TinyCloudAnchor__WrongBatchNumber", [next, first.batchNumber]);
    });

    it("a proof made for another anchor address or another chain id", async () => {
      const other = await deploy("TinyCloudAnchor", [owner, router, D8_DEPTH]);
      const forOther = await proveNext(c1, 1, { context: epochContext(chainId, other) });
      await expectRevert(submit(forOther, c1.verifierId), "TinyCloudAnchor__InvalidProof", [forOther.batchNumber]);
      const forOtherChain = await proveNext(c1, 1, { context: epochContext(chainId + 1, anchor) });
      await expectRevert(submit(forOtherChain, c1.verifierId), "TinyCloudAnchor__InvalidProof", [forOtherChain.batchNumber]);
      // ... while the same kind of proof is accepted by the anchor it was made for (fresh anchor: batch 1).
      await write(other, ANCHOR_ABI, "setSequencer", [sequencer, true], owner);
      // Its genesis is the empty tree (the contract's own constant), so its batch 1 starts there.
      const forOtherFirst = await factory.proveWrites({ tree: new StateTree(D8_DEPTH), circuit: c1.name, batchNumber: 1n, context: epochContext(chainId, other), updates: 1 });
      await submit(forOtherFirst, c1.verifierId, sequencer, other);
      await expectRevert(submit(forOtherFirst, c1.verifierId), "TinyCloudAnchor__WrongBatchNumber");
    });

    it("a submitter that is not an authorized sequencer", async () => {
      const batch = await proveNext(c1, 1);
      await expectRevert(submit(batch, c1.verifierId, stranger), "TinyCloudAnchor__NotSequencer", [stranger]);
      await expectRevert(submit(batch, c1.verifierId, owner), "TinyCloudAnchor__NotSequencer", [owner]);
    });

    it("field elements out of range", async () => {
      const batch = await proveNext(c1, 1);
      await expectRevert(submit({ ...batch, newRoot: FIELD_MODULUS }, c1.verifierId), "TinyCloudAnchor__FieldElementOutOfRange", [FIELD_MODULUS]);
      await expectRevert(submit({ ...batch, commitment: FIELD_MODULUS + 5n }, c1.verifierId), "TinyCloudAnchor__FieldElementOutOfRange", [FIELD_MODULUS + 5n]);
      // newRoot + p has the same residue mod p: without the range check it would pass the pairing check.
      await expectRevert(submit({ ...batch, newRoot: batch.newRoot + FIELD_MODULUS }, c1.verifierId), "TinyCloudAnchor__FieldElementOutOfRange", [batch.newRoot + FIELD_MODULUS]);
    });

    it("unknown and removed verifier ids", async () => {
      const batch = await proveNext(c1, 1);
      const unknown = `0x${"ab".repeat(32)}` as Hex;
      await expectRevert(submit(batch, unknown), "TinyCloudVerifierRouter__UnknownVerifier", [unknown]);
      // Retire the B=1 key: its proofs stop verifying, B=2 proofs still anchor.
      await write(router, ROUTER_ABI, "removeVerifier", [c1.verifierId], owner);
      await expectRevert(submit(batch, c1.verifierId), "TinyCloudVerifierRouter__VerifierRemoved", [c1.verifierId]);
      await expectRevert(write(router, ROUTER_ABI, "addVerifier", [c1.verifierId, verifierAddress[c1.name], KIND_GROTH16_SNARKJS], owner), "TinyCloudVerifierRouter__VerifierExists", [c1.verifierId]);
      await expectRevert(write(router, ROUTER_ABI, "removeVerifier", [c1.verifierId], owner), "TinyCloudVerifierRouter__VerifierRemoved", [c1.verifierId]);
      await expectRevert(write(router, ROUTER_ABI, "removeVerifier", [unknown], owner), "TinyCloudVerifierRouter__UnknownVerifier", [unknown]);
      await anchorBatch(c2, 1);
    });
  });

  describe("owner powers", () => {
    it("a verifier the owner adds verifies nothing before the timelock; removing one is immediate", async () => {
      const id = `0x${"a1".repeat(32)}` as Hex;
      const receipt = await write(router, ROUTER_ABI, "addVerifier", [id, verifierAddress[c1.name], KIND_GROTH16_SNARKJS], owner);
      const [added] = parseEventLogs({ abi: ROUTER_ABI, logs: receipt.logs, eventName: "VerifierAdded" });
      const { timestamp } = await publicClient.getBlock({ blockNumber: receipt.blockNumber });
      assert.equal(added?.args.activeAt, timestamp + DELAY);
      const batch = await proveNext(c1, 1);
      await expectRevert(submit(batch, id), "TinyCloudVerifierRouter__NotYetActive", [id, timestamp + DELAY]);
      // Half the delay (the chain's clock also follows wall time, and proving takes seconds under load).
      await increaseTime(DELAY / 2n);
      await expectRevert(submit(batch, id), "TinyCloudVerifierRouter__NotYetActive", [id, timestamp + DELAY]);
      await increaseTime(DELAY / 2n + 1n);
      assert.equal(await read<boolean>("verifyBatch", [id, batch.proof, [batch.oldRoot, batch.newRoot, batch.header, batch.commitment]], router, ROUTER_ABI), true);
      await write(router, ROUTER_ABI, "removeVerifier", [id], owner);
      await expectRevert(submit(batch, id), "TinyCloudVerifierRouter__VerifierRemoved", [id]);
    });

    it("the owner CAN write any root through a verifier of its own, but only after the timelock, and the event names it", async () => {
      // This is why light clients pin verifier ids and code hashes (test/e2e/lightclient-attack.test.ts).
      const [wallet] = await viem.getWalletClients();
      const hash = await wallet!.sendTransaction({ data: ALWAYS_TRUE_INITCODE, gas: 200_000n, account: owner, chain: wallet!.chain });
      const alwaysTrue = getAddress((await publicClient.waitForTransactionReceipt({ hash })).contractAddress!);
      const id = `0x${"a2".repeat(32)}` as Hex;
      await write(router, ROUTER_ABI, "addVerifier", [id, alwaysTrue, KIND_GROTH16_SNARKJS], owner);
      const n = await nextBatch();
      const madeUp = { batchNumber: n, newRoot: 12345n, commitment: 678n, proof: `0x${"00".repeat(256)}` as Hex };
      await expectRevert(submit(madeUp, id), "TinyCloudVerifierRouter__NotYetActive");
      await increaseTime(DELAY + 1n);
      const receipt = await submit(madeUp, id);
      const [event] = parseEventLogs({ abi: ANCHOR_ABI, logs: receipt.logs, eventName: "BatchAnchored" });
      assert.equal(event?.args.verifierId, id);
      assert.equal(await read<bigint>("roots", [n]), 12345n);
      // Anchoring stops here for honest batches (the tree no longer matches): retire the id and leave
      // this anchor; later tests use a fresh one.
      await write(router, ROUTER_ABI, "removeVerifier", [id], owner);
      tree = new StateTree(D8_DEPTH);
      anchor = await deploy("TinyCloudAnchor", [owner, router, D8_DEPTH]);
      await write(anchor, ANCHOR_ABI, "setSequencer", [sequencer, true], owner);
    });
  });

  describe("administration", () => {
    it("refuses admin calls from non-owners", async () => {
      await expectRevert(write(anchor, ANCHOR_ABI, "setSequencer", [stranger, true], stranger), "TinyCloudAnchor__NotOwner", [stranger]);
      await expectRevert(write(anchor, ANCHOR_ABI, "transferOwnership", [stranger], sequencer), "TinyCloudAnchor__NotOwner", [sequencer]);
      const id = `0x${"cd".repeat(32)}` as Hex;
      await expectRevert(write(router, ROUTER_ABI, "addVerifier", [id, verifierAddress[c2.name], KIND_GROTH16_SNARKJS], stranger), "TinyCloudVerifierRouter__NotOwner", [stranger]);
      await expectRevert(write(router, ROUTER_ABI, "removeVerifier", [c2.verifierId], sequencer), "TinyCloudVerifierRouter__NotOwner", [sequencer]);
      await expectRevert(write(router, ROUTER_ABI, "transferOwnership", [stranger], stranger), "TinyCloudVerifierRouter__NotOwner", [stranger]);
    });

    it("validates router registrations", async () => {
      const id = `0x${"ef".repeat(32)}` as Hex;
      await expectRevert(write(router, ROUTER_ABI, "addVerifier", [id, zeroAddress, KIND_GROTH16_SNARKJS], owner), "TinyCloudVerifierRouter__ZeroAddress", []);
      await expectRevert(write(router, ROUTER_ABI, "addVerifier", [id, verifierAddress[c2.name], 0], owner), "TinyCloudVerifierRouter__BadKind", [0]);
      await expectRevert(write(router, ROUTER_ABI, "addVerifier", [id, verifierAddress[c2.name], 3], owner), "TinyCloudVerifierRouter__BadKind", [3]);
      await expectRevert(write(router, ROUTER_ABI, "addVerifier", [c2.verifierId, verifierAddress[c2.name], KIND_GROTH16_SNARKJS], owner), "TinyCloudVerifierRouter__VerifierExists", [c2.verifierId]);
      // A KIND_BATCH_VERIFIER route to a contract without verifyBatch: the call fails, the proof is rejected.
      await write(router, ROUTER_ABI, "addVerifier", [id, verifierAddress[c2.name], KIND_BATCH_VERIFIER], owner);
      await increaseTime(DELAY + 1n);
      const batch = await proveNext(c2, 1);
      assert.equal(await read<boolean>("verifyBatch", [id, batch.proof, [batch.oldRoot, batch.newRoot, batch.header, batch.commitment]], router, ROUTER_ABI), false);
      assert.equal(await read<boolean>("verifyBatch", [c2.verifierId, batch.proof, [batch.oldRoot, batch.newRoot, batch.header, batch.commitment]], router, ROUTER_ABI), true);
      await expectRevert(submit(batch, id), "TinyCloudAnchor__InvalidProof", [batch.batchNumber]);
    });

    it("rejects zero addresses in the constructors and setters", async () => {
      await expectRevert(deploy("TinyCloudAnchor", [zeroAddress, router, D8_DEPTH]), "TinyCloudAnchor__ZeroAddress", []);
      await expectRevert(deploy("TinyCloudAnchor", [owner, zeroAddress, D8_DEPTH]), "TinyCloudAnchor__ZeroAddress", []);
      await expectRevert(deploy("TinyCloudVerifierRouter", [zeroAddress, DELAY, [], [], []]), "TinyCloudVerifierRouter__ZeroAddress", []);
      await expectRevert(deploy("TinyCloudVerifierRouter", [owner, DELAY, [c1.verifierId], [zeroAddress], [KIND_GROTH16_SNARKJS]]), "TinyCloudVerifierRouter__ZeroAddress", []);
      await expectRevert(deploy("TinyCloudVerifierRouter", [owner, DELAY, [c1.verifierId], [], [KIND_GROTH16_SNARKJS]]), "TinyCloudVerifierRouter__LengthMismatch", []);
      await expectRevert(deploy("TinyCloudVerifierRouter", [owner, 366n * 86400n, [], [], []]), "TinyCloudVerifierRouter__DelayTooLong", [366n * 86400n]);
      await expectRevert(write(anchor, ANCHOR_ABI, "setSequencer", [zeroAddress, true], owner), "TinyCloudAnchor__ZeroAddress", []);
      await expectRevert(write(anchor, ANCHOR_ABI, "transferOwnership", [zeroAddress], owner), "TinyCloudAnchor__ZeroAddress", []);
    });

    it("refuses to deploy on a chain whose id does not fit the header's 32 bits", async () => {
      const big = 2 ** 32;
      const other = await network.create({ override: { chainId: big } });
      try {
        const client = await other.viem.getPublicClient();
        assert.equal(await client.getChainId(), big);
        const [wallet] = await other.viem.getWalletClients();
        const artifact = artifacts.contracts["TinyCloudAnchor"]!;
        // EDR rejects a reverting transaction at submission, with the revert data.
        await expectRevert(wallet!.deployContract({ abi: artifact.abi, bytecode: artifact.bytecode, args: [owner, router, D8_DEPTH], gas: 5_000_000n }), "TinyCloudAnchor__ChainIdTooLarge", [
          BigInt(big),
        ]);
      } finally {
        await other.close();
      }
    });

    it("revokes sequencers and transfers ownership", async () => {
      const receipt = await write(anchor, ANCHOR_ABI, "setSequencer", [sequencer, false], owner);
      const [set] = parseEventLogs({ abi: ANCHOR_ABI, logs: receipt.logs, eventName: "SequencerSet" });
      assert.deepEqual(set?.args, { sequencer, authorized: false });
      const batch = await proveNext(c2, 2);
      await expectRevert(submit(batch, c2.verifierId), "TinyCloudAnchor__NotSequencer", [sequencer]);
      await write(anchor, ANCHOR_ABI, "setSequencer", [sequencer, true], owner);

      const moved = await write(anchor, ANCHOR_ABI, "transferOwnership", [stranger], owner);
      const [ownership] = parseEventLogs({ abi: ANCHOR_ABI, logs: moved.logs, eventName: "OwnershipTransferred" });
      assert.deepEqual(ownership?.args, { from: owner, to: stranger });
      await expectRevert(write(anchor, ANCHOR_ABI, "setSequencer", [stranger, true], owner), "TinyCloudAnchor__NotOwner", [owner]);
      await write(anchor, ANCHOR_ABI, "transferOwnership", [owner], stranger);
      await write(router, ROUTER_ABI, "transferOwnership", [stranger], owner);
      assert.equal(getAddress(await read<Address>("owner", [], router, ROUTER_ABI)), stranger);
      await write(router, ROUTER_ABI, "transferOwnership", [owner], stranger);

      // The chain keeps going after all of this.
      await anchorBatch(c2, 2);
      const contract = getContract({ address: anchor, abi: ANCHOR_ABI, client: publicClient });
      assert.equal(await contract.read.latestRoot(), tree.root);
    });
  });
});
