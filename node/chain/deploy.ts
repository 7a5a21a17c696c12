/**
 * Deploy the TinyCloud contracts: one Groth16 verifier per circuit, TinyCloudVerifierRouter(deployer,
 * verifierDelay, routes) with those verifiers routed under their ids (keccak256(JCS(vkey))) and active
 * at once, and TinyCloudAnchor(owner, router, depth), whose genesis root is the contract's own constant
 * for the empty tree of `depth`; then authorize the sequencers and, if the owner is not the deployer,
 * hand both owned contracts to the owner. Verifiers the owner adds later wait `verifierDelay` seconds.
 *
 * Every transaction carries an explicit gas limit (no eth_estimateGas) and is awaited to its receipt
 * before the next one is sent.
 */
import { encodeDeployData, getAddress, type Abi, type Address, type Hash, type Hex, type TransactionReceipt } from "viem";
import { ANCHOR_ABI, ROUTER_ABI } from "../../contracts/abi.js";
import { KIND_GROTH16_SNARKJS, loadContractArtifacts, loadVerifiers } from "../../contracts/artifacts.js";
import type { ChainPublicClient, ChainWalletClient } from "./clients.js";
import { ChainError, toChainError } from "./contract-errors.js";
import type { DeployedVerifier, Deployment } from "./deployment.js";
import { emptyStateRoot } from "../../core/state/state-tree.js";

export interface DeployStackOptions {
  readonly walletClient: ChainWalletClient;
  readonly publicClient: ChainPublicClient;
  /** Circuit names (keys of contracts/generated/verifiers.json). */
  readonly circuits: readonly string[];
  /** State tree depth of the circuits: the anchor's genesis is the empty tree of this depth. */
  readonly depth: number;
  /** Seconds before a verifier added after deployment may verify a proof (the router's timelock). */
  readonly verifierDelay: number;
  /** Accounts allowed to submit batches. */
  readonly sequencers: readonly Address[];
  /** Owner of the anchor and the router (default: the deployer). */
  readonly owner?: Address;
  /** Confirmations per transaction (default 1). */
  readonly confirmations?: number;
  /** Recorded in the Deployment (omit for secrets-bearing URLs). */
  readonly rpcUrl?: string;
  readonly onProgress?: (event: DeployProgress) => void;
}

export type DeployProgress =
  | { readonly kind: "deployed"; readonly contract: string; readonly address: Address; readonly tx: Hash; readonly gasUsed: bigint; readonly block: bigint }
  | { readonly kind: "call"; readonly description: string; readonly tx: Hash; readonly gasUsed: bigint };

/** The router's bound on its timelock (TinyCloudVerifierRouter.MAX_VERIFIER_DELAY: 365 days). */
export const MAX_VERIFIER_DELAY = 365 * 24 * 3600;

/** Default timelock of `tinycloud deploy`: two days to notice a new verifier before it can write a root. */
export const DEFAULT_VERIFIER_DELAY = 2 * 24 * 3600;

/** Gas for a contract call of the stack (addVerifier / setSequencer / transferOwnership use ~30–70k). */
const CALL_GAS = 200_000n;

/**
 * A safe explicit gas limit for creating a contract: the intrinsic cost (53,000 + 16/calldata byte + 2/
 * initcode word), the code deposit (200/byte of runtime code) and a margin for the constructor.
 */
export function deployGasLimit(bytecode: Hex, deployedBytecode: Hex): bigint {
  const init = BigInt((bytecode.length - 2) / 2);
  const runtime = BigInt((deployedBytecode.length - 2) / 2);
  return 53_000n + 16n * init + 2n * ((init + 31n) / 32n) + 200n * runtime + 300_000n;
}

export async function deployStack(options: DeployStackOptions): Promise<Deployment> {
  const { walletClient, publicClient } = options;
  const deployer = walletClient.account.address;
  const owner = options.owner !== undefined ? getAddress(options.owner) : deployer;
  const confirmations = options.confirmations ?? 1;
  if (options.circuits.length === 0) throw new ChainError("CHAIN_UNKNOWN_CIRCUIT", "no circuits to deploy verifiers for");
  if (options.sequencers.length === 0) throw new ChainError("CHAIN_BAD_KEY", "at least one sequencer address is needed");

  let artifacts;
  let verifiersFile;
  try {
    artifacts = loadContractArtifacts();
    verifiersFile = loadVerifiers();
  } catch (error) {
    throw new ChainError("CHAIN_NO_ARTIFACTS", `cannot read the compiled contracts (contracts/generated): ${(error as Error).message}`, { cause: error });
  }
  const artifact = (name: string) => {
    const a = artifacts.contracts[name];
    if (a === undefined) throw new ChainError("CHAIN_NO_ARTIFACTS", `contract ${name} is not in contracts/generated/artifacts.json (run \`npm run generate\`)`);
    return a;
  };
  const circuitInfo = options.circuits.map((circuit) => {
    const info = verifiersFile[circuit];
    if (info === undefined) {
      throw new ChainError("CHAIN_UNKNOWN_CIRCUIT", `circuit ${circuit} has no verifier in contracts/generated/verifiers.json (known: ${Object.keys(verifiersFile).join(", ")})`, {
        details: { circuit },
      });
    }
    return { circuit, ...info, artifact: artifact(info.contract) };
  });

  // The chain the wallet is configured for must be the one the endpoint serves.
  const chainId = await rpc("reading eth_chainId", () => publicClient.getChainId());
  if (chainId !== walletClient.chain.id) {
    throw new ChainError("CHAIN_WRONG_CHAIN_ID", `the RPC endpoint serves chain id ${chainId}, the wallet is configured for ${walletClient.chain.id}`);
  }

  const send = async (what: string, tx: () => Promise<Hash>): Promise<TransactionReceipt> => {
    const hash = await rpc(what, tx);
    const receipt = await rpc(`${what}: waiting for the receipt of ${hash}`, () => publicClient.waitForTransactionReceipt({ hash, confirmations, timeout: 120_000, pollingInterval: 250 }));
    if (receipt.status !== "success") throw new ChainError("CHAIN_REVERTED", `${what}: transaction ${hash} reverted (gas used ${receipt.gasUsed})`, { details: { tx: hash } });
    return receipt;
  };

  const deploy = async (name: string, abi: Abi, bytecode: Hex, deployedBytecode: Hex, args: readonly unknown[]): Promise<{ address: Address; receipt: TransactionReceipt }> => {
    const data = encodeDeployData({ abi, bytecode, args });
    const receipt = await send(`deploying ${name}`, () => walletClient.sendTransaction({ data, gas: deployGasLimit(bytecode, deployedBytecode) }));
    if (receipt.contractAddress === null || receipt.contractAddress === undefined) throw new ChainError("CHAIN_REVERTED", `deploying ${name}: the receipt has no contract address`);
    const address = getAddress(receipt.contractAddress);
    options.onProgress?.({ kind: "deployed", contract: name, address, tx: receipt.transactionHash, gasUsed: receipt.gasUsed, block: receipt.blockNumber });
    return { address, receipt };
  };

  const call = async (description: string, address: Address, abi: Abi, functionName: string, args: readonly unknown[]): Promise<void> => {
    const receipt = await send(description, () => walletClient.writeContract({ address, abi, functionName, args, gas: CALL_GAS } as never));
    options.onProgress?.({ kind: "call", description, tx: receipt.transactionHash, gasUsed: receipt.gasUsed });
  };

  const verifiers: Record<string, DeployedVerifier> = {};
  for (const v of circuitInfo) {
    const deployed = await deploy(`${v.contract} (${v.circuit})`, v.artifact.abi, v.artifact.bytecode, v.artifact.deployedBytecode, []);
    verifiers[v.circuit] = { verifierId: v.verifierId, address: deployed.address, codeHash: v.codeHash };
  }

  if (!Number.isSafeInteger(options.verifierDelay) || options.verifierDelay < 0 || options.verifierDelay > MAX_VERIFIER_DELAY) {
    throw new ChainError("CHAIN_BAD_CONFIG", `the verifier delay must be 0..${MAX_VERIFIER_DELAY} seconds, got ${String(options.verifierDelay)}`);
  }
  const routerArtifact = artifact("TinyCloudVerifierRouter");
  const routed = Object.values(verifiers);
  const router = await deploy("TinyCloudVerifierRouter", ROUTER_ABI, routerArtifact.bytecode, routerArtifact.deployedBytecode, [
    deployer,
    BigInt(options.verifierDelay),
    routed.map((v) => v.verifierId),
    routed.map((v) => v.address),
    routed.map(() => KIND_GROTH16_SNARKJS),
  ]);

  const anchorArtifact = artifact("TinyCloudAnchor");
  const anchor = await deploy("TinyCloudAnchor", ANCHOR_ABI, anchorArtifact.bytecode, anchorArtifact.deployedBytecode, [deployer, router.address, options.depth]);
  // The anchor computes its genesis itself; a contract built from other sources would disagree here.
  const genesisRoot = await rpc("reading TinyCloudAnchor.genesisRoot()", () => publicClient.readContract({ address: anchor.address, abi: ANCHOR_ABI, functionName: "genesisRoot" }));
  if (genesisRoot !== emptyStateRoot(options.depth)) {
    throw new ChainError("CHAIN_DEPLOYMENT_MISMATCH", `the anchor's genesis root ${genesisRoot} is not the empty tree of depth ${options.depth} (${emptyStateRoot(options.depth)})`);
  }
  for (const sequencer of options.sequencers) {
    await call(`anchor.setSequencer(${getAddress(sequencer)}, true)`, anchor.address, ANCHOR_ABI, "setSequencer", [getAddress(sequencer), true]);
  }
  if (owner !== deployer) {
    await call(`router.transferOwnership(${owner})`, router.address, ROUTER_ABI, "transferOwnership", [owner]);
    await call(`anchor.transferOwnership(${owner})`, anchor.address, ANCHOR_ABI, "transferOwnership", [owner]);
  }

  return {
    chainId,
    ...(options.rpcUrl !== undefined ? { rpcUrl: options.rpcUrl } : {}),
    anchor: anchor.address,
    router: router.address,
    owner,
    genesisRoot: genesisRoot.toString(),
    depth: options.depth,
    verifierDelay: options.verifierDelay,
    verifiers,
    deployBlock: Number(anchor.receipt.blockNumber),
    deployTx: anchor.receipt.transactionHash,
  };
}

async function rpc<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw toChainError(error, what);
  }
}
