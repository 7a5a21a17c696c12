/**
 * viem clients for one JSON-RPC endpoint: a public client (reads, receipts, logs) and, with a private
 * key, a wallet client for a local account (transactions are signed in this process; the key is never
 * sent anywhere, logged or put into an error message).
 */
import { createPublicClient, createWalletClient, defineChain, http, type Account, type Chain, type Hex, type PublicClient, type Transport, type WalletClient } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { ChainError, redactUrl, toChainError } from "./contract-errors.js";

export type ChainPublicClient = PublicClient<Transport, Chain>;
export type ChainWalletClient = WalletClient<Transport, Chain, Account>;

export interface ChainClientOptions {
  readonly rpcUrl: string;
  /** Must match eth_chainId when given (checked by `connectChain`). */
  readonly chainId?: number;
  /** Hex private key (0x + 64 hex digits) of the sending account. */
  readonly privateKey?: string;
  /** Per-request timeout (default 15 s). */
  readonly timeoutMs?: number;
  /** viem's transport-level retries (default 0: callers retry with their own policy). */
  readonly retryCount?: number;
  /** Polling interval for receipts/blocks (default 1 s; anvil tests use less). */
  readonly pollingIntervalMs?: number;
}

export interface ChainClients {
  readonly chain: Chain;
  readonly publicClient: ChainPublicClient;
  /** Present when a private key was given. */
  readonly walletClient?: ChainWalletClient;
  readonly account?: PrivateKeyAccount;
}

/** A private key from user input, checked without ever echoing it. */
export function parsePrivateKey(text: string, source = "private key"): Hex {
  const trimmed = text.trim();
  const hex = trimmed.startsWith("0x") || trimmed.startsWith("0X") ? trimmed.slice(2) : trimmed;
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new ChainError("CHAIN_BAD_KEY", `${source} must be 32 bytes of hex (0x followed by 64 hex digits)`);
  if (/^0+$/.test(hex)) throw new ChainError("CHAIN_BAD_KEY", `${source} must not be zero`);
  return `0x${hex.toLowerCase()}`;
}

export function chainFor(chainId: number, rpcUrl: string): Chain {
  return defineChain({
    id: chainId,
    name: chainId === 31337 ? "anvil" : `chain ${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
}

/** Clients for a chain whose id is already known (no network access here). */
export function createChainClients(options: ChainClientOptions & { chainId: number }): ChainClients {
  const chain = chainFor(options.chainId, options.rpcUrl);
  const transport = http(options.rpcUrl, { timeout: options.timeoutMs ?? 15_000, retryCount: options.retryCount ?? 0 });
  const pollingInterval = options.pollingIntervalMs ?? 1_000;
  const publicClient = createPublicClient({ chain, transport, pollingInterval }) as ChainPublicClient;
  if (options.privateKey === undefined) return { chain, publicClient };
  let account: PrivateKeyAccount;
  try {
    account = privateKeyToAccount(parsePrivateKey(options.privateKey));
  } catch (error) {
    if (error instanceof ChainError) throw error;
    // viem's message could include the key: never pass it on.
    throw new ChainError("CHAIN_BAD_KEY", "the private key is not a valid secp256k1 key");
  }
  const walletClient = createWalletClient({ chain, transport, account, pollingInterval }) as ChainWalletClient;
  return { chain, publicClient, walletClient, account };
}

/**
 * Ask the endpoint for its chain id (clear error when unreachable; mismatch with `options.chainId` is
 * CHAIN_WRONG_CHAIN_ID), then create the clients for it.
 */
export async function connectChain(options: ChainClientOptions): Promise<ChainClients & { chainId: number }> {
  let url: URL;
  try {
    url = new URL(options.rpcUrl);
  } catch {
    throw new ChainError("CHAIN_RPC_UNREACHABLE", "invalid RPC URL (expected http(s)://host:port/…)");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new ChainError("CHAIN_RPC_UNREACHABLE", `RPC URL must be http(s)://, got ${url.protocol}`);
  const probe = createPublicClient({ transport: http(options.rpcUrl, { timeout: options.timeoutMs ?? 15_000, retryCount: options.retryCount ?? 1 }) });
  let chainId: number;
  try {
    chainId = await probe.getChainId();
  } catch (error) {
    const typed = toChainError(error, "reading eth_chainId", options.rpcUrl);
    throw typed.code === "CHAIN_RPC_UNREACHABLE"
      ? typed
      : new ChainError("CHAIN_RPC_UNREACHABLE", `${typed.message} — is ${redactUrl(options.rpcUrl)} an Ethereum JSON-RPC endpoint?`, { cause: error });
  }
  if (options.chainId !== undefined && options.chainId !== chainId) {
    throw new ChainError("CHAIN_WRONG_CHAIN_ID", `the RPC endpoint serves chain id ${chainId}, but chain id ${options.chainId} was expected`, {
      details: { expected: options.chainId, actual: chainId },
    });
  }
  return { ...createChainClients({ ...options, chainId }), chainId };
}
