/** ChainSource over a viem public client (any EVM JSON-RPC). */
import { createClient, getAddress, http, type Address, type Client, type Hex, type PublicClient } from "viem";
import { getChainId, getCode, getContractEvents, readContract } from "viem/actions";
import { ANCHOR_ABI, ROUTER_ABI } from "../../contracts/abi.js";
import { errorText, TransportError, type ChainSource } from "./types.js";

/** The viem calls used (a full PublicClient satisfies it). */
export type ChainReader = Pick<PublicClient, "readContract" | "getCode" | "getChainId" | "getContractEvents">;

/**
 * A ChainReader over a bare viem client with tree-shakable actions: unlike createPublicClient it does
 * not pull every public action into a browser bundle (~70 KB gzip less).
 */
export function chainReaderOf(client: Client): ChainReader {
  return {
    readContract: ((args: Parameters<typeof readContract>[1]) => readContract(client, args)) as ChainReader["readContract"],
    getCode: ((args: Parameters<typeof getCode>[1]) => getCode(client, args)) as ChainReader["getCode"],
    getChainId: (() => getChainId(client)) as ChainReader["getChainId"],
    getContractEvents: ((args: Parameters<typeof getContractEvents>[1]) => getContractEvents(client, args)) as ChainReader["getContractEvents"],
  };
}

export interface ViemChainOptions {
  /** The anchor contract to trust. */
  readonly anchor: string;
  /** A viem public client, or … */
  readonly client?: ChainReader;
  /** … a JSON-RPC URL to make one with. */
  readonly rpcUrl?: string;
  /** For the http transport (default 15 s). */
  readonly timeoutMs?: number;
}

export function viemChainSource(options: ViemChainOptions): ChainSource {
  const anchor = getAddress(options.anchor);
  const client: ChainReader =
    options.client ??
    (options.rpcUrl !== undefined
      ? chainReaderOf(createClient({ transport: http(options.rpcUrl, { timeout: options.timeoutMs ?? 15_000, retryCount: 1 }) }))
      : (() => {
          throw new TypeError("viemChainSource needs a client or an rpcUrl");
        })());
  const where = options.rpcUrl !== undefined ? redact(options.rpcUrl) : "the chain";
  const call = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw new TransportError("TRANSPORT_RPC", `${what} on ${where} failed: ${errorText(error)}`, undefined, error);
    }
  };
  let chainId: Promise<number> | undefined;
  return {
    description: `${where} anchor ${anchor}`,
    anchor,
    chainId: () => (chainId ??= call("eth_chainId", () => client.getChainId())),
    latestBatch: () => call("anchor.latestBatch()", async () => Number(await client.readContract({ address: anchor, abi: ANCHOR_ABI, functionName: "latestBatch" }))),
    root: (batch) => call(`anchor.roots(${batch})`, () => client.readContract({ address: anchor, abi: ANCHOR_ABI, functionName: "roots", args: [BigInt(batch)] })),
    router: () => call("anchor.router()", () => client.readContract({ address: anchor, abi: ANCHOR_ABI, functionName: "router" })),
    route: (router, verifierId) =>
      call(`router.routes(${verifierId.slice(0, 10)}…)`, async () => {
        const [verifier, kind, removed, activeAt] = await client.readContract({ address: router as Address, abi: ROUTER_ABI, functionName: "routes", args: [verifierId as Hex] });
        return { verifier, kind: Number(kind), removed, activeAt: Number(activeAt) };
      }),
    genesis: () =>
      call("anchor.genesisRoot() / treeDepth() / deployedAt()", async () => {
        const [genesisRoot, treeDepth, deployedAt] = await Promise.all([
          client.readContract({ address: anchor, abi: ANCHOR_ABI, functionName: "genesisRoot" }),
          client.readContract({ address: anchor, abi: ANCHOR_ABI, functionName: "treeDepth" }),
          client.readContract({ address: anchor, abi: ANCHOR_ABI, functionName: "deployedAt" }),
        ]);
        return { genesisRoot, treeDepth: Number(treeDepth), deployedAt: Number(deployedAt) };
      }),
    anchoredBatches: (fromBlock, through) =>
      call(`BatchAnchored logs of ${anchor}`, async () => {
        const logs = await client.getContractEvents({ address: anchor, abi: ANCHOR_ABI, eventName: "BatchAnchored", fromBlock: BigInt(fromBlock), toBlock: "latest", strict: true });
        return logs
          .map((log) => ({ batch: Number(log.args.batchNumber), newRoot: log.args.newRoot, commitment: log.args.commitment, verifierId: log.args.verifierId.toLowerCase() }))
          .filter((b) => b.batch <= through);
      }),
    verifierDelay: (router) => call("router.verifierDelay()", async () => Number(await client.readContract({ address: router as Address, abi: ROUTER_ABI, functionName: "verifierDelay" }))),
    code: (address) => call(`eth_getCode(${address})`, async () => (await client.getCode({ address: address as Address })) ?? "0x"),
  };
}

/** Drop credentials and query strings (API keys) from an RPC URL before printing it. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    u.search = "";
    return u.toString().replace(/\/$/, "");
  } catch {
    return "the RPC endpoint";
  }
}
