/**
 * What `verify` and `audit` check before they start, so both say the same thing, with exit status 2, about
 * a node or RPC endpoint that does not answer ("cannot reach <url>: connection refused"), an address that
 * is not a TinyCloudAnchor, and a node that anchors somewhere else. (A verification that then fails is a
 * failed check, exit status 1.)
 */
import { getAddress } from "viem";
import { TinyCloudError } from "../core/errors.js";
import { inspectAnchor, notAnAnchorMessage } from "../lightclient/transports/anchor-check.js";
import { networkReason } from "../lightclient/transports/net-error.js";
import { errorText, type ChainSource } from "../lightclient/transports/types.js";
import { viemChainSource } from "../lightclient/transports/viem-chain.js";

export type RemoteCheckCode = "CLI_UNREACHABLE" | "CLI_NOT_AN_ANCHOR" | "CLI_WRONG_CHAIN";

export class RemoteCheckError extends TinyCloudError<RemoteCheckCode> {
  override readonly name = "RemoteCheckError" as const;
}

function unreachable(url: string, error: unknown): RemoteCheckError {
  return new RemoteCheckError("CLI_UNREACHABLE", `cannot reach ${url}: ${networkReason(error) ?? errorText(error)}`);
}

/**
 * GET <node>/rollup/status: throws CLI_UNREACHABLE when the node does not answer at all; returns the
 * status, or undefined when the answer is not one (an older node, a plain KV node: the verification
 * itself then says what is missing).
 */
export async function reachNode(node: string, timeoutMs: number): Promise<unknown> {
  const base = node.replace(/\/+$/, "");
  let response: Response;
  try {
    response = await fetch(`${base}/rollup/status`, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw unreachable(base, error);
  }
  if (!response.ok) {
    await response.body?.cancel();
    return undefined;
  }
  return response.json().catch(() => undefined);
}

/**
 * The RPC endpoint answers, and `contract` is a TinyCloudAnchor there (lightclient/transports/anchor-check.ts,
 * the check the page makes too). Returns the chain id.
 */
export async function checkAnchor(options: { rpc: string; contract: string; timeoutMs: number; chain?: ChainSource }): Promise<number> {
  const chain = options.chain ?? viemChainSource({ anchor: options.contract, rpcUrl: options.rpc, timeoutMs: options.timeoutMs });
  const inspection = await inspectAnchor(chain);
  if (inspection.kind === "unreachable") throw unreachable(options.rpc, inspection.error);
  if (inspection.kind === "not-an-anchor") throw new RemoteCheckError("CLI_NOT_AN_ANCHOR", notAnAnchorMessage(options.contract, inspection.chainId, inspection.why));
  return inspection.chainId;
}

/** A node whose /rollup/status names another chain or anchor than the one given (when it names one). */
export function checkNodeChain(node: string, status: unknown, chainId: number, contract: string): void {
  const chain = (status as { chain?: unknown } | undefined)?.chain as { chainId?: unknown; anchor?: unknown } | null | undefined;
  if (chain === null || chain === undefined || typeof chain.anchor !== "string" || typeof chain.chainId !== "number") return;
  let same: boolean;
  try {
    same = chain.chainId === chainId && getAddress(chain.anchor) === getAddress(contract);
  } catch {
    same = false;
  }
  if (!same) {
    throw new RemoteCheckError("CLI_WRONG_CHAIN", `the node at ${node.replace(/\/+$/, "")} anchors to ${chain.anchor} on chain ${chain.chainId}, not to ${contract} on chain ${chainId}`);
  }
}
