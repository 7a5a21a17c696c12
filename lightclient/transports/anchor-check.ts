/**
 * Is this address a TinyCloudAnchor? Asked before anything else by `tinycloud verify` / `audit`
 * (cli/remote-checks.ts) and by the page, so both tell "this address is not a TinyCloudAnchor" apart from
 * "no batch anchored yet" and from an RPC that does not answer.
 *
 * A TinyCloudAnchor has code, and its genesis root is the empty state tree of its depth: a property the
 * anchor computes itself, which no other contract's answers to genesisRoot() and treeDepth() match by
 * accident (an EOA has no code; another contract reverts or answers something else).
 */
import { emptyStateRoot, MAX_STATE_TREE_DEPTH } from "../../core/state/state-tree.js";
import type { AnchorGenesis } from "../core/types.js";
import { networkReason } from "./net-error.js";
import type { ChainSource } from "./types.js";

export type AnchorInspection =
  | { readonly kind: "anchor"; readonly chainId: number; readonly genesis: AnchorGenesis }
  /** The RPC endpoint gave no answer (`error` is what failed). */
  | { readonly kind: "unreachable"; readonly error: unknown }
  | { readonly kind: "not-an-anchor"; readonly chainId: number; readonly why: string };

export async function inspectAnchor(chain: ChainSource): Promise<AnchorInspection> {
  let chainId: number;
  let code: string;
  try {
    chainId = await chain.chainId();
    code = await chain.code(chain.anchor);
  } catch (error) {
    return { kind: "unreachable", error };
  }
  if (code === "0x" || code === "") return { kind: "not-an-anchor", chainId, why: "no contract code at this address" };
  let genesis: AnchorGenesis;
  try {
    genesis = await chain.genesis();
  } catch (error) {
    if (networkReason(error) !== undefined) return { kind: "unreachable", error };
    return { kind: "not-an-anchor", chainId, why: "genesisRoot(), treeDepth() or deployedAt() fails" };
  }
  if (!Number.isSafeInteger(genesis.treeDepth) || genesis.treeDepth < 1 || genesis.treeDepth > MAX_STATE_TREE_DEPTH || emptyStateRoot(genesis.treeDepth) !== genesis.genesisRoot) {
    return { kind: "not-an-anchor", chainId, why: "its genesis root is not the empty state tree" };
  }
  return { kind: "anchor", chainId, genesis };
}

/** The one-line message for an address that is not an anchor (the CLI and the page say the same). */
export function notAnAnchorMessage(anchor: string, chainId: number, why: string): string {
  return `${anchor} is not a TinyCloudAnchor on chain ${chainId} (${why})`;
}
