/**
 * The anchor contract, read with viem over JSON-RPC (any EVM chain). Only reads: latestBatch, roots(n),
 * header(n), and the BatchAnchored event of a batch, found through the node's claimed transaction (a hint:
 * its receipt must hold the event, emitted by this anchor) or else by a log query.
 */
import { createPublicClient, getAddress, http, parseEventLogs, type Hex, type PublicClient } from "viem";
import { ANCHOR_ABI, ROUTER_ABI } from "../../contracts/abi.js";
import type { AnchoredEvent, AuditChain } from "./types.js";

export interface ViemChainOptions {
  readonly rpcUrl: string;
  readonly anchor: string;
  /** First block to search for BatchAnchored logs when the node's transaction hint fails (default 0). */
  readonly fromBlock?: bigint;
}

export class ViemAuditChain implements AuditChain {
  readonly anchor: `0x${string}`;
  private readonly client: PublicClient;
  private readonly fromBlock: bigint;

  constructor(options: ViemChainOptions) {
    this.anchor = getAddress(options.anchor);
    this.client = createPublicClient({ transport: http(options.rpcUrl, { retryCount: 1, timeout: 20_000 }) });
    this.fromBlock = options.fromBlock ?? 0n;
  }

  chainId(): Promise<number> {
    return this.client.getChainId();
  }

  latestBatch(): Promise<bigint> {
    return this.client.readContract({ address: this.anchor, abi: ANCHOR_ABI, functionName: "latestBatch" });
  }

  root(n: bigint): Promise<bigint> {
    return this.client.readContract({ address: this.anchor, abi: ANCHOR_ABI, functionName: "roots", args: [n] });
  }

  header(n: bigint): Promise<bigint> {
    return this.client.readContract({ address: this.anchor, abi: ANCHOR_ABI, functionName: "header", args: [n] });
  }

  async route(verifierId: `0x${string}`): Promise<{ verifier: string; kind: number; removed: boolean } | undefined> {
    const router = await this.client.readContract({ address: this.anchor, abi: ANCHOR_ABI, functionName: "router" });
    const [verifier, kind, removed] = await this.client.readContract({ address: router, abi: ROUTER_ABI, functionName: "routes", args: [verifierId] });
    return { verifier, kind: Number(kind), removed };
  }

  async anchoredEvents(n: bigint, txHint?: string): Promise<readonly AnchoredEvent[]> {
    if (txHint !== undefined && /^0x[0-9a-fA-F]{64}$/.test(txHint)) {
      const receipt = await this.client.getTransactionReceipt({ hash: txHint as Hex }).catch(() => undefined);
      if (receipt !== undefined && receipt.status === "success") {
        const logs = parseEventLogs({ abi: ANCHOR_ABI, eventName: "BatchAnchored", logs: receipt.logs }).filter((log) => getAddress(log.address) === this.anchor && log.args.batchNumber === n);
        if (logs.length > 0) return logs.map((log) => toEvent(log.args, log.transactionHash, log.blockNumber));
      }
    }
    const logs = await this.client.getContractEvents({
      address: this.anchor,
      abi: ANCHOR_ABI,
      eventName: "BatchAnchored",
      args: { batchNumber: n },
      fromBlock: this.fromBlock,
      toBlock: "latest",
    });
    return logs.map((log) => toEvent(log.args as EventArgs, log.transactionHash, log.blockNumber));
  }
}

interface EventArgs {
  batchNumber?: bigint;
  newRoot?: bigint;
  commitment?: bigint;
  verifierId?: Hex;
}

function toEvent(args: EventArgs, transactionHash: Hex | null, blockNumber: bigint | null): AnchoredEvent {
  return {
    batchNumber: args.batchNumber ?? -1n,
    newRoot: args.newRoot ?? -1n,
    commitment: args.commitment ?? -1n,
    verifierId: args.verifierId ?? "0x",
    transactionHash: transactionHash ?? "0x",
    blockNumber: blockNumber ?? -1n,
  };
}
