/**
 * The node's connection to the chain it anchors to.
 *
 * - "embedded": launch anvil on 127.0.0.1 (state kept in <data>/chain/anvil-state.json), deploy the
 *   router, the verifiers and the anchor with anvil's first dev account (owner and sequencer), and
 *   reuse that deployment on the next start. If the chain state was lost, the same account and nonces
 *   redeploy the contracts at the same addresses, so the node's batches (which commit to chain id and
 *   anchor address) still anchor: the anchorer re-submits them from batch 1.
 * - "remote": an existing deployment (`tinycloud deploy`) on any EVM chain, from a deployment file or
 *   the anchor's address; the sequencer key comes from the environment.
 *
 * The batch context `epochContext(chainId, anchor)` is fixed here, before the sequencer opens.
 */
import { mkdir } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Address } from "viem";
import { ANCHOR_ABI, ROUTER_ABI } from "../../contracts/abi.js";
import { loadVerifiers } from "../../contracts/artifacts.js";
import { epochContext } from "../../core/rollup/header.js";
import { emptyStateRoot } from "../../core/state/state-tree.js";
import type { RollupStore } from "../rollup/rollup-store.js";
import type { BatchRecord } from "../rollup/types.js";
import type { NodeConfig } from "../server/config.js";
import { Anchorer } from "./anchorer.js";
import { startAnvil, type AnvilInstance } from "./anvil.js";
import { connectChain as connectClients, type ChainClients } from "./clients.js";
import { ChainError, isTransientRpcError, toChainError } from "./contract-errors.js";
import { deployStack } from "./deploy.js";
import { checkDeployment, loadDeployment, saveDeployment, type DeployedVerifier, type Deployment } from "./deployment.js";

export interface ChainConnection {
  readonly deployment: Deployment;
  readonly rpcUrl: string;
  readonly embedded: boolean;
  /** The address that submits batches. */
  readonly sequencer: Address;
  /** `epochContext(chainId, anchor)`: what every batch commits to. */
  readonly context: bigint;
  readonly clients: ChainClients;
  startAnchorer(rollup: RollupStore, onAnchored: (record: BatchRecord) => void): Anchorer;
  /** For /rollup/status. */
  describe(): Record<string, unknown>;
  close(): Promise<void>;
}

/**
 * The router timelock of the embedded dev chain: short, so trying `addVerifier` by hand takes minutes,
 * but not zero, so the dev chain behaves like a real deployment (a new verifier is not live at once).
 */
export const EMBEDDED_VERIFIER_DELAY = 300;

export async function connectChain(config: NodeConfig): Promise<ChainConnection | undefined> {
  if (config.chain === "off") return undefined;
  const circuits = [...(config.circuits ?? [])];
  const genesisRoot = emptyStateRoot(config.stateTreeDepth);
  let anvil: AnvilInstance | undefined;
  try {
    let clients: ChainClients & { chainId: number };
    let deployment: Deployment;
    let rpcUrl: string;
    if (config.chain === "embedded") {
      const dir = join(config.dataDir, "chain");
      await mkdir(dir, { recursive: true });
      anvil = await startAnvil({ port: config.chainPort, statePath: join(dir, "anvil-state.json") });
      rpcUrl = anvil.rpcUrl;
      const key = anvil.accounts[0]?.privateKey as string;
      clients = await connectClients({ rpcUrl, privateKey: key, pollingIntervalMs: 250 });
      const file = join(dir, "deployment.json");
      const existing = existsSync(file) ? await loadDeployment(file) : undefined;
      const usable =
        existing !== undefined &&
        (await checkDeployment(clients.publicClient, existing).then(
          () => true,
          () => false,
        ));
      if (usable && existing !== undefined) {
        deployment = existing;
      } else {
        deployment = await deployStack({
          publicClient: clients.publicClient,
          walletClient: clients.walletClient!,
          circuits,
          depth: config.stateTreeDepth,
          verifierDelay: EMBEDDED_VERIFIER_DELAY,
          sequencers: [clients.account!.address],
        });
        if (existing !== undefined && existing.anchor !== deployment.anchor) {
          throw new ChainError("CHAIN_BAD_DEPLOYMENT", `the embedded chain was reset and the anchor redeployed at ${deployment.anchor}, not ${existing.anchor}; use a fresh --data directory`);
        }
        await saveDeployment(file, { ...deployment, rpcUrl });
      }
    } else {
      if (config.rpcUrl === undefined) throw new ChainError("CHAIN_BAD_CONFIG", "a remote chain needs --rpc URL");
      if (config.sequencerKey === undefined) throw new ChainError("CHAIN_BAD_CONFIG", "set TINYCLOUD_SEQUENCER_KEY to the sequencer's private key (it is never read from the command line)");
      rpcUrl = config.rpcUrl;
      clients = await connectClients({ rpcUrl, privateKey: config.sequencerKey });
      if (config.deploymentFile !== undefined) deployment = await loadDeployment(config.deploymentFile);
      else if (config.anchorAddress !== undefined) deployment = await deploymentFromChain(clients, config.anchorAddress as Address, circuits, config.stateTreeDepth);
      else throw new ChainError("CHAIN_BAD_CONFIG", "a remote chain needs --contract ADDR (the TinyCloudAnchor) or --deployment FILE");
      if (deployment.chainId !== clients.chainId) throw new ChainError("CHAIN_WRONG_CHAIN_ID", `the deployment is on chain ${deployment.chainId}, the RPC serves chain ${clients.chainId}`);
      await checkDeployment(clients.publicClient, deployment);
      const isSequencer = await clients.publicClient.readContract({ address: deployment.anchor, abi: ANCHOR_ABI, functionName: "isSequencer", args: [clients.account!.address] });
      if (!isSequencer) throw new ChainError("CHAIN_NOT_SEQUENCER", `${clients.account!.address} is not an authorized sequencer of ${deployment.anchor}; the owner must call setSequencer`);
    }
    if (BigInt(deployment.genesisRoot) !== genesisRoot || deployment.depth !== config.stateTreeDepth) {
      throw new ChainError("CHAIN_BAD_DEPLOYMENT", `the anchor's genesis root is for a depth-${deployment.depth} tree; the node uses depth ${config.stateTreeDepth}`);
    }
    for (const circuit of circuits) {
      if (deployment.verifiers[circuit] === undefined)
        throw new ChainError("CHAIN_BAD_DEPLOYMENT", `circuit ${circuit} has no verifier in the deployment; register it in the router (or restrict --circuits)`);
    }
    const context = epochContext(clients.chainId, deployment.anchor);
    const sequencer = clients.account!.address;
    let anchorer: Anchorer | undefined;
    const stopAnvil = anvil;
    return {
      deployment,
      rpcUrl,
      embedded: config.chain === "embedded",
      sequencer,
      context,
      clients,
      startAnchorer(rollup, onAnchored) {
        anchorer = new Anchorer({
          publicClient: clients.publicClient,
          walletClient: clients.walletClient!,
          deployment,
          rollup,
          confirmations: config.confirmations,
          pollIntervalMs: config.chain === "embedded" ? 250 : 2_000,
          onAnchored,
          log: (line: string) => {
            if (!config.quiet) console.log(`anchorer: ${line}`);
          },
        });
        anchorer.start();
        return anchorer;
      },
      describe: () => ({
        chainId: clients.chainId,
        rpcUrl: config.chain === "embedded" ? rpcUrl : undefined,
        embedded: config.chain === "embedded",
        anchor: deployment.anchor,
        router: deployment.router,
        sequencer,
        deployBlock: deployment.deployBlock,
        genesisRoot: deployment.genesisRoot,
        depth: deployment.depth,
        verifierDelay: deployment.verifierDelay,
        verifiers: deployment.verifiers,
      }),
      close: async () => {
        await anchorer?.stop();
        await stopAnvil?.stop();
      },
    };
  } catch (error) {
    await anvil?.stop();
    throw error;
  }
}

/** A deployment record rebuilt from the anchor's address: router from the anchor, verifiers from the router. */
async function deploymentFromChain(clients: ChainClients & { chainId: number }, anchor: Address, circuits: readonly string[], depth: number): Promise<Deployment> {
  const { publicClient } = clients;
  // A wrong --contract (no code, or some other contract) gets one line naming it, not viem's decoding error.
  const notAnAnchor = (why: string) => new ChainError("CHAIN_BAD_CONFIG", `${anchor} is not a TinyCloudAnchor on chain ${clients.chainId} (${why})`);
  const code = await publicClient.getCode({ address: anchor }).catch((error: unknown) => {
    throw toChainError(error, `reading the code at ${anchor}`);
  });
  if (code === undefined || code === "0x") throw notAnAnchor("no contract code at this address");
  const [router, owner, genesis, deployedAt] = await Promise.all([
    publicClient.readContract({ address: anchor, abi: ANCHOR_ABI, functionName: "router" }),
    publicClient.readContract({ address: anchor, abi: ANCHOR_ABI, functionName: "owner" }),
    publicClient.readContract({ address: anchor, abi: ANCHOR_ABI, functionName: "roots", args: [0n] }),
    publicClient.readContract({ address: anchor, abi: ANCHOR_ABI, functionName: "deployedAt" }),
  ]).catch((error: unknown) => {
    if (isTransientRpcError(error)) throw toChainError(error, `reading the anchor at ${anchor}`);
    throw notAnAnchor("router(), owner(), roots(0) or deployedAt() fails");
  });
  if (genesis !== emptyStateRoot(depth)) throw notAnAnchor(`roots(0) is not the empty state tree of depth ${depth}`);
  const verifierDelay = await publicClient.readContract({ address: router, abi: ROUTER_ABI, functionName: "verifierDelay" });
  const table = loadVerifiers();
  const verifiers: Record<string, DeployedVerifier> = {};
  for (const circuit of circuits) {
    const entry = table[circuit];
    if (entry === undefined) throw new ChainError("CHAIN_BAD_CONFIG", `unknown circuit ${circuit}`);
    const [address, , removed] = await publicClient.readContract({ address: router, abi: ROUTER_ABI, functionName: "routes", args: [entry.verifierId] });
    if (address === "0x0000000000000000000000000000000000000000" || removed) {
      throw new ChainError("CHAIN_BAD_DEPLOYMENT", `the router at ${router} has no live verifier for ${circuit} (id ${entry.verifierId})`);
    }
    verifiers[circuit] = { verifierId: entry.verifierId, address, codeHash: entry.codeHash };
  }
  return {
    chainId: clients.chainId,
    anchor,
    router,
    owner,
    genesisRoot: genesis.toString(),
    depth,
    verifierDelay: Number(verifierDelay),
    verifiers,
    deployBlock: Number(deployedAt),
    deployTx: "0x",
  };
}
