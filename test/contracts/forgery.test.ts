/**
 * Issue 10 on chain: the Solidity verifiers accept a proof forged from published data when the key's
 * phase 2 is deterministic, and reject it when the key has a CSPRNG contribution.
 *
 * Deterministic: the committed EpochTransition1D8Verifier and Poseidon2Verifier (contracts/generated,
 * made with `--insecure-deterministic`); δ comes from their provenance files. CSPRNG: poseidon2 keys made
 * by runSetup in a temporary root, their verifier compiled with the project's solc settings; the attacker
 * tries the deterministic recipe's δ (the only δ derivable from public data). Run: npm run test:contracts.
 */
import assert from "node:assert/strict";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { network } from "hardhat";
import { getAddress, type Abi, type Address } from "viem";
import * as snarkjs from "snarkjs";
import { loadContractArtifacts, type ContractArtifact } from "../../contracts/artifacts.js";
import { releaseSnarkjsWorkers, runSetup } from "../../prover/setup/artifacts.js";
import { compileContracts } from "../../prover/setup/contracts.js";
import { createReporter } from "../../prover/setup/progress.js";
import { beaconDelta, forgeProof, publishedBeaconDelta } from "../helpers/groth16-forge.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** verifyProof(uint[2], uint[2][2], uint[2], uint[N]) arguments; G2 coordinates go (c1, c0) on chain. */
function calldata(proof: snarkjs.Groth16Proof, publicSignals: readonly string[]): readonly unknown[] {
  const n = (s: string) => BigInt(s);
  return [
    [n(proof.pi_a[0]!), n(proof.pi_a[1]!)],
    [
      [n(proof.pi_b[0]![1]!), n(proof.pi_b[0]![0]!)],
      [n(proof.pi_b[1]![1]!), n(proof.pi_b[1]![0]!)],
    ],
    [n(proof.pi_c[0]!), n(proof.pi_c[1]!)],
    publicSignals.map(n),
  ];
}

describe("Groth16 verifiers on chain: forged proofs (issue 10)", { timeout: 600_000 }, () => {
  let viem: Awaited<ReturnType<typeof network.create>>["viem"];
  let publicClient: Awaited<ReturnType<typeof viem.getPublicClient>>;
  let tmp: string;

  before(async () => {
    ({ viem } = await network.create());
    publicClient = await viem.getPublicClient();
    tmp = await mkdtemp(join(tmpdir(), "tinycloud-forgery-chain-"));
  });

  after(async () => {
    await releaseSnarkjsWorkers();
    await rm(tmp, { recursive: true, force: true });
  });

  async function deploy(artifact: ContractArtifact): Promise<Address> {
    const [wallet] = await viem.getWalletClients();
    const hash = await wallet!.deployContract({ abi: artifact.abi, bytecode: artifact.bytecode, gas: 5_000_000n });
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    assert.equal(receipt.status, "success");
    return getAddress(receipt.contractAddress!);
  }

  async function verifies(address: Address, abi: Abi, proof: snarkjs.Groth16Proof, signals: readonly string[]): Promise<boolean> {
    // eth_call runs with the block gas limit on EDR, so out-of-gas cannot masquerade as `false` (toolchain.md §3);
    // the honest-proof controls below would catch it.
    return (await publicClient.readContract({ address, abi, functionName: "verifyProof", args: calldata(proof, signals) })) as boolean;
  }

  async function committed(name: string): Promise<{ provenance: Record<string, unknown>; vkey: snarkjs.VerificationKey }> {
    return {
      provenance: JSON.parse(await readFile(join(ROOT, "circuits", "keys", `${name}.provenance.json`), "utf8")) as Record<string, unknown>,
      vkey: JSON.parse(await readFile(join(ROOT, "circuits", "keys", `${name}.vkey.json`), "utf8")) as snarkjs.VerificationKey,
    };
  }

  it("the committed anchor verifier (deterministic dev key) ACCEPTS a forged state transition", async () => {
    const artifact = loadContractArtifacts().contracts["EpochTransition1D8Verifier"]!;
    const address = await deploy(artifact);
    const { provenance, vkey } = await committed("epoch_transition_1_d8");
    // oldRoot, newRoot, header, commitment of a transition that never happened.
    const signals = ["1", "2", "3", "4"];
    const forged = forgeProof(vkey, signals, publishedBeaconDelta(provenance)!);
    assert.equal(await snarkjs.groth16.verify(vkey, signals, forged), true);
    assert.equal(await verifies(address, artifact.abi, forged, signals), true, "the deployed verifier accepts the forgery");
    assert.equal(await verifies(address, artifact.abi, forged, ["1", "2", "3", "5"]), false, "control: other signals fail");
  });

  it("a CSPRNG key's verifier REJECTS the forgery and accepts an honest proof", async () => {
    await mkdir(join(tmp, "circuits", "test"), { recursive: true });
    await cp(join(ROOT, "circuits", "test", "poseidon2.circom"), join(tmp, "circuits", "test", "poseidon2.circom"));
    const manifest = JSON.parse(await readFile(join(ROOT, "circuits", "circuits.json"), "utf8")) as { circuits: Array<{ name: string }> };
    await writeFile(join(tmp, "circuits", "circuits.json"), JSON.stringify({ circuits: manifest.circuits.filter((c) => c.name === "poseidon2") }));
    const [build] = await runSetup({ root: tmp, phase2: "csprng", reporter: createReporter({ silent: true }) });
    const artifact = (await compileContracts(tmp)).contracts["Poseidon2Verifier"]!;
    const address = await deploy(artifact);
    const vkey = JSON.parse(await readFile(build!.published.verificationKey, "utf8")) as snarkjs.VerificationKey;

    const honest = await snarkjs.groth16.fullProve({ a: "3", b: "4" }, build!.wasm, build!.zkey);
    assert.equal(await verifies(address, artifact.abi, honest.proof, honest.publicSignals), true);

    const recipe = createHash("sha256").update(`tinycloud dev zkey beacon v1\0${build!.hash}\0${build!.ptau.id}`).digest("hex");
    const forged = forgeProof(vkey, ["4242", "77"], beaconDelta(recipe, 10));
    assert.equal(await verifies(address, artifact.abi, forged, ["4242", "77"]), false);

    // Same circuit, committed deterministic key: the same attack succeeds.
    const det = await committed("poseidon2");
    const detArtifact = loadContractArtifacts().contracts["Poseidon2Verifier"]!;
    const detAddress = await deploy(detArtifact);
    const detForged = forgeProof(det.vkey, ["4242", "77"], publishedBeaconDelta(det.provenance)!);
    assert.equal(await verifies(detAddress, detArtifact.abi, detForged, ["4242", "77"]), true);
  });
});
