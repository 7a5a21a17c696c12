/**
 * The deployment record: where the TinyCloud contracts of one chain are (anchor, router, one verifier
 * per circuit), written by `tinycloud deploy` (or the embedded dev chain) and read by the node.
 * `checkDeployment` makes sure the record still describes the chain (a reset dev chain, a record of
 * another chain, or a wrong address fail loudly instead of anchoring into the void).
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { getAddress, isAddress, isHex, keccak256, type Address, type Hex } from "viem";
import { ANCHOR_ABI, ROUTER_ABI } from "../../contracts/abi.js";
import { KIND_GROTH16_SNARKJS } from "../../contracts/artifacts.js";
import type { ChainPublicClient } from "./clients.js";
import { ChainError, toChainError } from "./contract-errors.js";
import { emptyStateRoot } from "../../core/state/state-tree.js";

export interface DeployedVerifier {
  readonly verifierId: Hex;
  readonly address: Address;
  /** keccak256 of the verifier's runtime code (contracts/generated/verifiers.json): what a light client pins. */
  readonly codeHash: Hex;
}

export interface Deployment {
  readonly chainId: number;
  readonly rpcUrl?: string;
  readonly anchor: Address;
  readonly router: Address;
  readonly owner: Address;
  /** roots[0] of the anchor (decimal): the empty tree of `depth`. */
  readonly genesisRoot: string;
  /** State tree depth the circuits were built for. */
  readonly depth: number;
  /** The router's timelock: seconds before a verifier added after deployment may verify a proof. */
  readonly verifierDelay: number;
  /** circuit name → its verifier (router id and contract address). */
  readonly verifiers: Readonly<Record<string, DeployedVerifier>>;
  /** Block and transaction that created the anchor (log scans start there). */
  readonly deployBlock: number;
  readonly deployTx: Hex;
}

/** Validate an untrusted JSON value as a Deployment (addresses checksummed). */
export function parseDeployment(value: unknown, source = "deployment"): Deployment {
  const bad = (what: string): never => {
    throw new ChainError("CHAIN_BAD_DEPLOYMENT", `${source}: ${what}`);
  };
  if (typeof value !== "object" || value === null || Array.isArray(value)) bad("not a JSON object");
  const v = value as Record<string, unknown>;
  const address = (key: string, x: unknown = v[key]): Address => (typeof x === "string" && isAddress(x, { strict: false }) ? getAddress(x) : bad(`"${key}" must be an address`));
  const int = (key: string, min: number): number => {
    const x = v[key];
    return typeof x === "number" && Number.isSafeInteger(x) && x >= min ? x : bad(`"${key}" must be an integer >= ${min}`);
  };
  const hash = (key: string, x: unknown, bytes: number): Hex =>
    typeof x === "string" && isHex(x) && x.length === 2 + 2 * bytes ? (x.toLowerCase() as Hex) : bad(`"${key}" must be ${bytes} bytes of hex`);
  const genesisRoot = v["genesisRoot"];
  if (typeof genesisRoot !== "string" || !/^(0|[1-9]\d*)$/.test(genesisRoot)) bad(`"genesisRoot" must be a decimal string`);
  const verifiersValue = v["verifiers"];
  if (typeof verifiersValue !== "object" || verifiersValue === null || Array.isArray(verifiersValue)) bad(`"verifiers" must be an object`);
  const verifiers: Record<string, DeployedVerifier> = {};
  for (const [circuit, entry] of Object.entries(verifiersValue as Record<string, unknown>)) {
    const e = (typeof entry === "object" && entry !== null ? entry : {}) as Record<string, unknown>;
    verifiers[circuit] = {
      verifierId: hash(`verifiers.${circuit}.verifierId`, e["verifierId"], 32),
      address: address(`verifiers.${circuit}.address`, e["address"]),
      codeHash: hash(`verifiers.${circuit}.codeHash`, e["codeHash"], 32),
    };
  }
  const rpcUrl = v["rpcUrl"];
  if (rpcUrl !== undefined && typeof rpcUrl !== "string") bad(`"rpcUrl" must be a string`);
  return {
    chainId: int("chainId", 1),
    ...(typeof rpcUrl === "string" ? { rpcUrl } : {}),
    anchor: address("anchor"),
    router: address("router"),
    owner: address("owner"),
    genesisRoot: genesisRoot as string,
    depth: int("depth", 1),
    verifierDelay: int("verifierDelay", 0),
    verifiers,
    deployBlock: int("deployBlock", 0),
    deployTx: hash("deployTx", v["deployTx"], 32),
  };
}

export async function loadDeployment(file: string): Promise<Deployment> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ChainError("CHAIN_BAD_DEPLOYMENT", code === "ENOENT" ? `no deployment file at ${file} (run \`tinycloud deploy\`)` : `cannot read ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ChainError("CHAIN_BAD_DEPLOYMENT", `${file} is not valid JSON`, { cause: error });
  }
  return parseDeployment(json, file);
}

/** Write atomically (temp file + rename), pretty-printed. */
export async function saveDeployment(file: string, deployment: Deployment): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, `${JSON.stringify(deployment, null, 2)}\n`);
  await rename(tmp, file);
}

/** The router id of a circuit in this deployment. */
export function deployedVerifier(deployment: Deployment, circuit: string): DeployedVerifier {
  const v = deployment.verifiers[circuit];
  if (v === undefined) {
    throw new ChainError("CHAIN_UNKNOWN_CIRCUIT", `circuit ${circuit} has no verifier in this deployment (deployed: ${Object.keys(deployment.verifiers).join(", ") || "none"})`, {
      details: { circuit },
    });
  }
  return v;
}

/**
 * Check that the deployment describes the chain behind `publicClient`: same chain id, contract code at
 * the anchor, the router and every verifier, the anchor's router and genesis root as recorded, and
 * every verifier routed under its id. Throws ChainError (CHAIN_WRONG_CHAIN_ID, CHAIN_NO_CODE,
 * CHAIN_DEPLOYMENT_MISMATCH; CHAIN_RPC_UNREACHABLE when the endpoint fails).
 */
export async function checkDeployment(publicClient: ChainPublicClient, deployment: Deployment): Promise<void> {
  const rpc = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      throw toChainError(error, what);
    }
  };
  const chainId = await rpc("reading eth_chainId", () => publicClient.getChainId());
  if (chainId !== deployment.chainId) {
    throw new ChainError("CHAIN_WRONG_CHAIN_ID", `the deployment is for chain id ${deployment.chainId}, but the RPC endpoint serves chain id ${chainId}`, {
      details: { expected: deployment.chainId, actual: chainId },
    });
  }
  const head = await rpc("reading the block number", () => publicClient.getBlockNumber());
  const contracts: [string, Address][] = [
    ["TinyCloudAnchor", deployment.anchor],
    ["TinyCloudVerifierRouter", deployment.router],
    ...Object.entries(deployment.verifiers).map(([circuit, v]): [string, Address] => [`verifier of ${circuit}`, v.address]),
  ];
  for (const [what, address] of contracts) {
    const code = await rpc(`reading the code of ${what}`, () => publicClient.getCode({ address }));
    if (code === undefined || code === "0x") {
      const reset = BigInt(deployment.deployBlock) > head ? ` (the chain is at block ${head}, before the deployment's block ${deployment.deployBlock})` : "";
      throw new ChainError(
        "CHAIN_NO_CODE",
        `no contract code for ${what} at ${address} on chain ${chainId}${reset}: the chain was reset or the deployment belongs to another network; redeploy with \`tinycloud deploy\``,
        { details: { contract: what, address } },
      );
    }
  }
  const router = await rpc("reading TinyCloudAnchor.router()", () => publicClient.readContract({ address: deployment.anchor, abi: ANCHOR_ABI, functionName: "router" }));
  if (getAddress(router) !== getAddress(deployment.router)) {
    throw new ChainError("CHAIN_DEPLOYMENT_MISMATCH", `the anchor at ${deployment.anchor} uses router ${router}, the deployment record says ${deployment.router}`);
  }
  const genesis = await rpc("reading TinyCloudAnchor.roots(0)", () => publicClient.readContract({ address: deployment.anchor, abi: ANCHOR_ABI, functionName: "roots", args: [0n] }));
  if (genesis.toString() !== deployment.genesisRoot || genesis !== emptyStateRoot(deployment.depth)) {
    throw new ChainError(
      "CHAIN_DEPLOYMENT_MISMATCH",
      `the anchor's genesis root is ${genesis}; the deployment record says ${deployment.genesisRoot}, the empty tree of depth ${deployment.depth} is ${emptyStateRoot(deployment.depth)}`,
    );
  }
  const delay = await rpc("reading TinyCloudVerifierRouter.verifierDelay()", () => publicClient.readContract({ address: deployment.router, abi: ROUTER_ABI, functionName: "verifierDelay" }));
  if (Number(delay) !== deployment.verifierDelay) {
    throw new ChainError("CHAIN_DEPLOYMENT_MISMATCH", `the router's verifier delay is ${delay} s, the deployment record says ${deployment.verifierDelay} s`);
  }
  for (const [circuit, v] of Object.entries(deployment.verifiers)) {
    const code = await rpc(`reading the code of the verifier of ${circuit}`, () => publicClient.getCode({ address: v.address }));
    if (code === undefined || keccak256(code) !== v.codeHash) {
      throw new ChainError("CHAIN_DEPLOYMENT_MISMATCH", `the verifier of ${circuit} at ${v.address} does not have the code the deployment record pins (code hash ${v.codeHash})`);
    }
    const [verifier, kind, removed] = await rpc(`reading the route of ${circuit}`, () =>
      publicClient.readContract({ address: deployment.router, abi: ROUTER_ABI, functionName: "routes", args: [v.verifierId] }),
    );
    if (getAddress(verifier) !== getAddress(v.address) || kind !== KIND_GROTH16_SNARKJS) {
      throw new ChainError("CHAIN_DEPLOYMENT_MISMATCH", `the router routes ${circuit}'s id ${v.verifierId} to ${verifier} (kind ${kind}), the deployment record says ${v.address}`);
    }
    if (removed) throw new ChainError("CHAIN_DEPLOYMENT_MISMATCH", `the router has removed the verifier of ${circuit} (id ${v.verifierId})`);
  }
}
