/**
 * Errors of the chain layer: `ChainError` (typed, stable codes) and the decoding of contract reverts
 * into TinyCloudAnchor / TinyCloudVerifierRouter custom errors.
 *
 * viem wraps an RPC failure in several layers (CallExecutionError → RawContractError → RpcRequestError
 * …); `decodeContractError` walks the chain for the revert data and decodes it with the contracts'
 * ABIs, `isTransientRpcError` tells a network/RPC outage (retry) from a deterministic failure.
 */
import { BaseError, ChainMismatchError, decodeErrorResult, HttpRequestError, InsufficientFundsError, RpcRequestError, SocketClosedError, TimeoutError, WebSocketRequestError, type Hex } from "viem";
import { ANCHOR_ABI, ROUTER_ABI } from "../../contracts/abi.js";
import { TinyCloudError } from "../../core/errors.js";

export type ChainErrorCode =
  /** The JSON-RPC endpoint cannot be reached or keeps failing. */
  | "CHAIN_RPC_UNREACHABLE"
  /** eth_chainId is not the chain the caller (or the deployment file) expects. */
  | "CHAIN_WRONG_CHAIN_ID"
  /** The sending account cannot pay for the transaction. */
  | "CHAIN_INSUFFICIENT_FUNDS"
  /** A transaction was mined but reverted, or a call reverted. */
  | "CHAIN_REVERTED"
  /** No contract code where the deployment record says a contract is (chain reset, wrong chain). */
  | "CHAIN_NO_CODE"
  /** The contracts exist but do not match the deployment record. */
  | "CHAIN_DEPLOYMENT_MISMATCH"
  /** A deployment JSON file is missing fields or malformed. */
  | "CHAIN_BAD_DEPLOYMENT"
  /** The chain holds a different batch history than this node. */
  | "CHAIN_HISTORY_MISMATCH"
  /** A circuit has no verifier in the deployment / generated artifacts. */
  | "CHAIN_UNKNOWN_CIRCUIT"
  /** A batch record cannot be submitted as is (no proof, signals for another deployment, …). */
  | "CHAIN_BAD_BATCH"
  /** The sending (configured sequencer) account is not authorized by the anchor's owner. */
  | "CHAIN_NOT_SEQUENCER"
  /**
   * The chain configuration is incomplete or contradictory (missing RPC URL, key, contract…; a remote
   * chain without --rpc).
   */
  | "CHAIN_BAD_CONFIG"
  /** A private key or address argument is malformed. */
  | "CHAIN_BAD_KEY"
  /** The compiled contract artifacts are missing or incomplete. */
  | "CHAIN_NO_ARTIFACTS"
  /**
   * Keys whose toxic waste is known or derivable (dev ptau, deterministic phase 2) on a chain other than
   * the local dev chain, without --allow-insecure-keys.
   */
  | "CHAIN_INSECURE_KEYS"
  /** The node's proving keys are not the ones its deployment routes (their proofs could never anchor). */
  | "CHAIN_KEYS_NOT_DEPLOYED"
  /** A local anvil could not be started. */
  | "CHAIN_ANVIL_FAILED";

export class ChainError extends TinyCloudError<ChainErrorCode> {
  override readonly name = "ChainError" as const;
}

/** A decoded custom error of TinyCloudAnchor or TinyCloudVerifierRouter, e.g. `TinyCloudAnchor__InvalidProof`. */
export interface DecodedContractError {
  readonly name: string;
  readonly args: readonly unknown[];
  /** The raw revert data. */
  readonly data: Hex;
}

const ERROR_ABI = [...ANCHOR_ABI, ...ROUTER_ABI].filter((item) => item.type === "error");

/** The revert data somewhere in a (viem) error chain, if any. */
export function revertData(error: unknown): Hex | undefined {
  let found: Hex | undefined;
  const visit = (e: unknown): void => {
    for (let depth = 0; e !== undefined && e !== null && depth < 16 && found === undefined; depth++) {
      const data = (e as { data?: unknown }).data;
      if (typeof data === "string" && /^0x[0-9a-fA-F]*$/.test(data) && data.length >= 10) found = data as Hex;
      else if (typeof data === "object" && data !== null && typeof (data as { data?: unknown }).data === "string") {
        const inner = (data as { data: string }).data;
        if (/^0x[0-9a-fA-F]*$/.test(inner) && inner.length >= 10) found = inner as Hex;
      }
      e = (e as { cause?: unknown }).cause;
    }
  };
  visit(error);
  return found;
}

/** Decode a revert into one of the contracts' custom errors; undefined when there is none (or it is unknown). */
export function decodeContractError(error: unknown): DecodedContractError | undefined {
  const data = revertData(error);
  if (data === undefined) return undefined;
  try {
    const decoded = decodeErrorResult({ abi: ERROR_ABI, data });
    return { name: decoded.errorName, args: (decoded.args ?? []) as readonly unknown[], data };
  } catch {
    return undefined;
  }
}

/** `Name(arg, …)` for logs and messages. */
export function formatContractError(decoded: DecodedContractError): string {
  return `${decoded.name}(${decoded.args.map((a) => (typeof a === "bigint" ? a.toString() : String(a))).join(", ")})`;
}

const TRANSIENT_MESSAGE =
  /fetch failed|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|socket hang up|other side closed|network error|timed? ?out|took too long|rate limit|too many requests|service unavailable|bad gateway|gateway time-?out|(?:status|HTTP)[ :]*(?:429|502|503|504)\b/i;

/**
 * True for failures that say nothing about the request itself: the endpoint is down, the connection
 * dropped, a proxy answered 5xx/429, the request timed out. Such a request can be repeated.
 */
export function isTransientRpcError(error: unknown): boolean {
  if (error instanceof ChainError) return error.code === "CHAIN_RPC_UNREACHABLE";
  if (decodeContractError(error) !== undefined) return false;
  if (error instanceof BaseError) {
    const transient = error.walk(
      (e) =>
        e instanceof HttpRequestError ||
        e instanceof TimeoutError ||
        e instanceof SocketClosedError ||
        e instanceof WebSocketRequestError ||
        (e instanceof RpcRequestError && (e.code === -32005 || e.code === 429)),
    );
    if (transient !== null && transient !== undefined) return true;
  }
  return TRANSIENT_MESSAGE.test(messageChain(error));
}

/** All messages of an error and its causes, joined (no stack). */
export function messageChain(error: unknown): string {
  const parts: string[] = [];
  let e: unknown = error;
  for (let depth = 0; e !== undefined && e !== null && depth < 8; depth++) {
    if (e instanceof Error) {
      const short = (e as { shortMessage?: unknown }).shortMessage;
      parts.push(typeof short === "string" ? short : e.message);
      const details = (e as { details?: unknown }).details;
      if (typeof details === "string" && details !== "") parts.push(details);
      e = e.cause;
    } else {
      parts.push(String(e));
      break;
    }
  }
  return parts.join(": ");
}

/** A short one-line description of any chain failure (viem's messages carry multi-line request dumps). */
export function describeChainError(error: unknown): string {
  if (error instanceof ChainError) return error.message;
  const decoded = decodeContractError(error);
  if (decoded !== undefined) return `reverted with ${formatContractError(decoded)}`;
  if (error instanceof BaseError) {
    const details = error.details ? ` (${firstLine(error.details)})` : "";
    return `${firstLine(error.shortMessage)}${details}`;
  }
  return firstLine(error instanceof Error ? error.message : String(error));
}

function firstLine(text: string): string {
  return (text.split("\n")[0] ?? "").trim();
}

/**
 * Map a failure of an RPC interaction to a ChainError with a clear message (`what` names the action:
 * "deploying TinyCloudAnchor"). Already-typed errors pass through unchanged.
 */
export function toChainError(error: unknown, what: string, rpcUrl?: string): ChainError {
  if (error instanceof ChainError) return error;
  const where = rpcUrl !== undefined ? ` at ${redactUrl(rpcUrl)}` : "";
  if (error instanceof BaseError) {
    if (error.walk((e) => e instanceof InsufficientFundsError)) {
      return new ChainError("CHAIN_INSUFFICIENT_FUNDS", `${what}: the sending account has insufficient funds for gas × price + value`, { cause: error });
    }
    const mismatch = error.walk((e) => e instanceof ChainMismatchError);
    if (mismatch) return new ChainError("CHAIN_WRONG_CHAIN_ID", `${what}: ${firstLine((mismatch as BaseError).shortMessage)}`, { cause: error });
  }
  if (/insufficient funds/i.test(messageChain(error))) {
    return new ChainError("CHAIN_INSUFFICIENT_FUNDS", `${what}: the sending account has insufficient funds for gas × price + value`, { cause: error });
  }
  const decoded = decodeContractError(error);
  if (decoded !== undefined) {
    return new ChainError("CHAIN_REVERTED", `${what}: reverted with ${formatContractError(decoded)}`, { cause: error, details: { error: decoded.name } });
  }
  if (isTransientRpcError(error)) {
    return new ChainError("CHAIN_RPC_UNREACHABLE", `${what}: the JSON-RPC endpoint${where} is unreachable or failing (${describeChainError(error)})`, { cause: error });
  }
  return new ChainError("CHAIN_REVERTED", `${what}: ${describeChainError(error)}`, { cause: error });
}

/** An RPC URL without credentials in it (user:pass@ or an API key in the path/query is kept out of logs). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    const hasSecretPath = u.pathname.length > 20 || u.search !== "";
    return `${u.protocol}//${u.host}${hasSecretPath ? "/…" : u.pathname === "/" ? "" : u.pathname}`;
  } catch {
    return "<invalid url>";
  }
}
