/**
 * The public `header` signal of EpochTransition and the deployment context inside it:
 *
 *     header  = batchNumber · 2^192 + context
 *     context = chainId · 2^160 + anchorContract
 *
 * The anchor contract computes the same value itself (`uint256(batch) << 192 | block.chainid << 160 |
 * uint160(address(this))`), so a proof binds one batch of one deployment. The bounds keep header < 2^253 < p.
 */
import { type Field, toField } from "../state/field.js";

/** Largest batch number + 1 that fits the header. */
export const MAX_BATCH_NUMBER = 1n << 61n;
/** Largest chain id + 1 that fits the header; the anchor contract's constructor enforces the same bound. */
export const MAX_CHAIN_ID = 1n << 32n;

const ADDRESS_MASK = (1n << 160n) - 1n;
const CONTEXT_MASK = (1n << 192n) - 1n;

/** `batchNumber · 2^192 + context`. RangeError when either does not fit. */
export function batchHeader(batchNumber: bigint | number, context: bigint): Field {
  const n = toField(batchNumber, "batchNumber");
  if (n >= MAX_BATCH_NUMBER) throw new RangeError("batchNumber must be below 2^61");
  if (context < 0n || context > CONTEXT_MASK) throw new RangeError("context must be below 2^192");
  return toField((n << 192n) | context, "header");
}

/** `chainId · 2^160 + contract`. chainId must be below 2^32 (every public EVM chain id in use is). */
export function epochContext(chainId: bigint | number, contract: `0x${string}` | bigint): bigint {
  const id = typeof chainId === "number" ? BigInt(chainId) : chainId;
  if (id < 0n || id >= MAX_CHAIN_ID) throw new RangeError("chainId must be in [0, 2^32)");
  const address = typeof contract === "bigint" ? contract : /^0x[0-9a-fA-F]{40}$/.test(contract) ? BigInt(contract) : -1n;
  if (address < 0n || address > ADDRESS_MASK) throw new RangeError("contract must be a 20-byte address");
  return (id << 160n) | address;
}

export interface DecodedContext {
  readonly chainId: bigint;
  /** 0x + 40 lowercase hex digits */
  readonly anchor: `0x${string}`;
}

export interface DecodedHeader extends DecodedContext {
  readonly batch: bigint;
  readonly context: bigint;
}

export function decodeContext(context: bigint): DecodedContext {
  return { chainId: (context >> 160n) & (MAX_CHAIN_ID - 1n), anchor: `0x${(context & ADDRESS_MASK).toString(16).padStart(40, "0")}` };
}

export function decodeHeader(header: bigint): DecodedHeader {
  const context = header & CONTEXT_MASK;
  return { batch: header >> 192n, context, ...decodeContext(context) };
}

/** "chain 31337, anchor 0x…", or "no chain (anchoring off)" for context 0. */
export function describeContext(context: bigint): string {
  if (context === 0n) return "no chain (anchoring off)";
  const { chainId, anchor } = decodeContext(context);
  return `chain ${chainId}, anchor ${anchor}`;
}
