/**
 * The core's authority checks are synchronous and pure; the store is asynchronous. Before a check we
 * walk the cited proofs (breadth-first, bounded) and load every ancestor and its revocation flag into
 * maps the synchronous resolver reads. A missing ancestor is simply absent: the core reports it.
 */
import { type AuthorityContext, DEFAULT_MAX_CHAIN_NODES, type DelegationRecord } from "../../core/auth/authority.js";
import { type CID, multihashKey, parseCid } from "../../core/cid.js";
import type { Capability } from "../../core/capability.js";
import type { NodeStore } from "../store/store.js";

export async function loadAuthorityContext(store: NodeStore, roots: readonly CID[], now: number, capabilities: readonly Capability[] = [], clockSkewSeconds = 0): Promise<AuthorityContext> {
  const records = new Map<string, DelegationRecord>();
  const revoked = new Set<string>();
  // urn:cid resources name delegations whose holders have root authority over revoking them.
  const targets = capabilities.flatMap((c) => (c.resource.kind === "urn" && c.resource.uri.startsWith("urn:cid:") ? [safeCid(c.resource.uri.slice(8))] : [])).filter((c): c is CID => c !== undefined);
  const queue: CID[] = [...roots, ...targets];
  // One more than the core's bound, so the core (not the loader) reports a chain that is too deep.
  let budget = DEFAULT_MAX_CHAIN_NODES + 1 + targets.length;
  while (queue.length > 0 && budget > 0) {
    const cid = queue.shift() as CID;
    const key = multihashKey(cid);
    if (records.has(key)) continue;
    const record = await store.getDelegation(cid);
    if (record === undefined) continue;
    budget--;
    records.set(key, record);
    if (await store.isRevoked(cid)) revoked.add(key);
    queue.push(...record.proofs);
  }
  return {
    now,
    clockSkewSeconds,
    resolve: (cid) => records.get(multihashKey(cid)),
    isRevoked: (cid) => revoked.has(multihashKey(cid)),
  };
}

function safeCid(text: string): CID | undefined {
  try {
    return parseCid(text);
  } catch {
    return undefined;
  }
}
