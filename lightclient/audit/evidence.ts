/**
 * Evidence the auditor gathers from a node and re-verifies with the pure core: signed events (content-
 * addressed, signatures checked), delegations (the records authority works on), and a space's signed epoch
 * history (epoch signatures and links, KV ops, revocations with their place in the DAG).
 *
 * Nothing here trusts the node: bytes must hash to the CID they were asked for, every signature is checked,
 * and events are classified by their bytes, never by the kind the node claims.
 */
import { canonicalAbility } from "../../core/abilities.js";
import { authorizeRevocation, checkTimeWindow, DEFAULT_CLOCK_SKEW_SECONDS, DEFAULT_MAX_CHAIN_NODES, type AuthorityContext, type DelegationRecord } from "../../core/auth/authority.js";
import { decodeCacao, verifyCacao } from "../../core/auth/cacao.js";
import { type CID, multihashKey, parseCid, rawBlake3Cid, sameMultihash } from "../../core/cid.js";
import { canonicalDidOfUrl } from "../../core/did.js";
import { bytesToHex, bytesToUtf8 } from "../../core/encoding.js";
import { TinyCloudError } from "../../core/errors.js";
import { checkEpochLinks, decodeEpoch, decodeOp, type KvOp, linearize, type SignedEpoch, verifyEpoch } from "../../core/epoch/epoch.js";
import { type Ed25519Verify, nobleEd25519Verify } from "../../core/keys.js";
import { delegationFromCacao, delegationFromUcan, REVOKE_ABILITY, revocationFromUcan } from "../../core/auth/records.js";
import { decodeUcan, type Ucan, verifyUcanSignature } from "../../core/auth/ucan.js";
import type { AuditSource } from "./types.js";

/** A failure with a stable code, as checks report it. */
export type EvidenceErrorCode = "EVENT_BAD_CID" | "EVENT_MISSING" | "EVENT_CID_MISMATCH" | "EVENT_NOT_DELEGATION" | "EPOCH_MISSING" | "OP_MISSING";

export class EvidenceError extends TinyCloudError<EvidenceErrorCode> {
  override readonly name = "EvidenceError" as const;
}

/** The code and message of any error (typed core errors keep their code). */
export function describeError(error: unknown, fallback = "ERROR"): { code: string; message: string } {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { code: typeof code === "string" ? code : fallback, message: error.message };
  }
  return { code: fallback, message: String(error) };
}

export function shortCid(text: string): string {
  return text.length > 20 ? `${text.slice(0, 12)}…${text.slice(-6)}` : text;
}

// ---------------------------------------------------------------------------------------------
// Events

export type ParsedEvent = { readonly type: "ucan"; readonly cid: CID; readonly ucan: Ucan } | { readonly type: "cacao"; readonly cid: CID; readonly cacao: ReturnType<typeof decodeCacao> };

/**
 * Fetch an event and check it is the one asked for: its bytes hash (blake3, raw CID) to the CID's multihash.
 * Decodes it (JWT → UCAN, anything else → CACAO) but does not verify its signature.
 */
export async function fetchEvent(source: AuditSource, cidText: string): Promise<ParsedEvent> {
  let cid: CID;
  try {
    cid = parseCid(cidText);
  } catch (error) {
    throw new EvidenceError("EVENT_BAD_CID", `"${shortCid(cidText)}" is not a CID: ${describeError(error).message}`);
  }
  const fetched = await source.event(cid.toString());
  if (fetched === undefined) throw new EvidenceError("EVENT_MISSING", `the node does not publish event ${shortCid(cid.toString())} (GET /events/${cid.toString()} → 404)`);
  const actual = rawBlake3Cid(fetched.bytes);
  if (!sameMultihash(actual, cid)) {
    throw new EvidenceError("EVENT_CID_MISMATCH", `the bytes served for event ${shortCid(cid.toString())} hash to ${shortCid(actual.toString())}`);
  }
  const isJwt = fetched.bytes[0] === 0x65 && fetched.bytes[1] === 0x79; // "ey"
  if (isJwt) return { type: "ucan", cid, ucan: decodeUcan(bytesToUtf8(fetched.bytes)) };
  return { type: "cacao", cid, cacao: decodeCacao(fetched.bytes) };
}

/** A self-addressed UCAN whose one capability is `tinycloud.delegation/revoke` on `urn:cid:…`: a revocation. */
export function isRevocationUcan(ucan: Ucan): boolean {
  if (ucan.capabilities.length !== 1) return false;
  const cap = ucan.capabilities[0];
  if (cap === undefined || cap.resource.kind !== "urn" || !cap.resource.uri.startsWith("urn:cid:")) return false;
  let ability: string;
  try {
    ability = canonicalAbility(cap.ability);
  } catch {
    return false;
  }
  try {
    return ability === REVOKE_ABILITY && canonicalDidOfUrl(ucan.audience) === canonicalDidOfUrl(ucan.issuer);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Delegations

/**
 * Fetches delegations by CID, verifies them (content address, signature, ReCap statement) and keeps the
 * records authority needs. A delegation that fails is absent from `resolve` and its failure is kept in
 * `failures`, so an authority error "unknown proof" can say why.
 */
export class DelegationResolver {
  readonly records = new Map<string, DelegationRecord>();
  readonly failures = new Map<string, { code: string; message: string }>();
  private readonly loading = new Map<string, Promise<void>>();

  constructor(
    private readonly source: AuditSource,
    private readonly verify: Ed25519Verify = nobleEd25519Verify,
  ) {}

  resolve = (cid: CID): DelegationRecord | undefined => this.records.get(multihashKey(cid));

  failureOf(cid: CID): { code: string; message: string } | undefined {
    return this.failures.get(multihashKey(cid));
  }

  load(cid: CID): Promise<void> {
    const key = multihashKey(cid);
    let pending = this.loading.get(key);
    if (pending === undefined) {
      pending = this.fetchOne(cid, key);
      this.loading.set(key, pending);
    }
    return pending;
  }

  private async fetchOne(cid: CID, key: string): Promise<void> {
    try {
      const event = await fetchEvent(this.source, cid.toString());
      let record: DelegationRecord;
      if (event.type === "cacao") {
        record = delegationFromCacao(event.cacao, verifyCacao(event.cacao.cacao));
      } else {
        verifyUcanSignature(event.ucan, this.verify);
        if (isRevocationUcan(event.ucan)) throw new EvidenceError("EVENT_NOT_DELEGATION", `event ${shortCid(cid.toString())} is a revocation, not a delegation`);
        record = delegationFromUcan(event.ucan);
      }
      this.records.set(key, record);
    } catch (error) {
      this.failures.set(key, describeError(error, "DELEGATION_INVALID"));
    }
  }

  /**
   * Load `roots` and their ancestors breadth-first, visiting at most one more delegation than the core's
   * chain bound (so the core, not the loader, reports a chain that is too deep).
   */
  async closure(roots: readonly CID[]): Promise<void> {
    let frontier = [...roots];
    const seen = new Set<string>();
    let budget = DEFAULT_MAX_CHAIN_NODES + 1;
    while (frontier.length > 0 && budget > 0) {
      const next: CID[] = [];
      const batch = frontier.filter((cid) => {
        const key = multihashKey(cid);
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
      const taken = batch.slice(0, budget);
      budget -= taken.length;
      await Promise.all(taken.map((cid) => this.load(cid)));
      for (const cid of taken) next.push(...(this.resolve(cid)?.proofs ?? []));
      frontier = next;
    }
  }

  /** Every loaded delegation reachable from `roots` (the chain that authority walks). */
  reachable(roots: readonly CID[]): DelegationRecord[] {
    const out: DelegationRecord[] = [];
    const seen = new Set<string>();
    const queue = [...roots];
    while (queue.length > 0 && out.length <= DEFAULT_MAX_CHAIN_NODES) {
      const cid = queue.shift() as CID;
      const key = multihashKey(cid);
      if (seen.has(key)) continue;
      seen.add(key);
      const record = this.records.get(key);
      if (record === undefined) continue;
      out.push(record);
      queue.push(...record.proofs);
    }
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// A space's history

export interface HistoryEpoch {
  readonly cid: CID;
  readonly text: string;
  readonly key: string;
  readonly epoch: SignedEpoch;
  /** Position in the linearized history. */
  index: number;
}

/** One KV op of the history, in linear order. */
export interface HistoryWrite {
  readonly epoch: HistoryEpoch;
  /** Position among the epoch's ops (`epochOpCids`). */
  readonly position: number;
  readonly invocation: CID;
  readonly opCid: CID;
  readonly op: KvOp | undefined;
  readonly opError?: string;
}

export interface HistoryRevocation {
  readonly epoch: HistoryEpoch;
  readonly entry: number;
  readonly revocation: CID;
  readonly target: CID;
  readonly valid: boolean;
  readonly reason: string;
}

/**
 * A space's published history up to a seq: its signed epochs (verified, linked), KV writes in order, the
 * delegation events it records, and its revocations (each re-authorized).
 */
export class SpaceHistory {
  readonly epochs = new Map<string, HistoryEpoch>();
  order: HistoryEpoch[] = [];
  readonly writes: HistoryWrite[] = [];
  /** Delegation events recorded in the history (multihash key → first epoch that holds it). */
  readonly delegationEvents = new Map<string, HistoryEpoch>();
  readonly revocations: HistoryRevocation[] = [];
  /** Problems with the history itself (bad epoch, missing parent, foreign signer...). */
  readonly problems: { code: string; message: string }[] = [];
  readonly warnings: string[] = [];
  /** Invocation multihash key → the writes that name it (more than one = a replay). */
  readonly invocationSites = new Map<string, HistoryWrite[]>();
  private readonly ancestorCache = new Map<string, Set<string>>();
  signer: string | undefined;

  private constructor(readonly spaceId: string) {}

  static async load(options: {
    source: AuditSource;
    spaceId: string;
    maxSeq: number | undefined;
    nodeId: string | undefined;
    delegations: DelegationResolver;
    verify?: Ed25519Verify;
    /** The node's tolerance on token nbf/exp (revocations are re-checked with it). */
    clockSkewSeconds?: number;
  }): Promise<SpaceHistory> {
    const { source, spaceId, maxSeq, nodeId, delegations } = options;
    const verify = options.verify ?? nobleEd25519Verify;
    const history = new SpaceHistory(spaceId);
    history.signer = nodeId;
    const listing = await source.spaceEpochs(spaceId, maxSeq);
    if (listing === undefined) {
      history.problems.push({ code: "HISTORY_MISSING", message: `the node publishes no epoch history for ${spaceId}` });
      return history;
    }
    const wanted = listing.filter((e) => maxSeq === undefined || e.seq <= maxSeq);
    const loaded = await Promise.all(
      wanted.map(async (entry) => {
        try {
          return { entry, info: await fetchEpoch(source, entry.cid, verify) };
        } catch (error) {
          return { entry, error: describeError(error, "EPOCH_INVALID") };
        }
      }),
    );
    for (const item of loaded) {
      if (item.error !== undefined) {
        history.problems.push({ code: item.error.code, message: `epoch ${shortCid(item.entry.cid)} (seq ${item.entry.seq}): ${item.error.message}` });
        continue;
      }
      const { cid, epoch } = item.info;
      if (epoch.space !== spaceId) {
        history.problems.push({ code: "EPOCH_SPACE_MISMATCH", message: `epoch ${shortCid(cid.toString())} belongs to ${epoch.space}, not ${spaceId}` });
        continue;
      }
      if (epoch.seq !== item.entry.seq) {
        history.problems.push({ code: "EPOCH_BAD_SEQ", message: `epoch ${shortCid(cid.toString())} is listed at seq ${item.entry.seq} but has seq ${epoch.seq}` });
      }
      if (history.signer === undefined) history.signer = epoch.signer;
      if (epoch.signer !== history.signer) {
        history.problems.push({ code: "EPOCH_FOREIGN_SIGNER", message: `epoch ${shortCid(cid.toString())} is signed by ${epoch.signer}, not by the node ${history.signer}` });
        continue;
      }
      const key = bytesToHex(cid.bytes);
      history.epochs.set(key, { cid, text: cid.toString(), key, epoch, index: -1 });
    }
    // Links: every parent present, seq = 1 + max(parent seq).
    for (const node of history.epochs.values()) {
      try {
        checkEpochLinks(
          node.epoch,
          node.epoch.parents.flatMap((p) => {
            const parent = history.epochs.get(bytesToHex(p.bytes));
            return parent === undefined ? [] : [{ cid: parent.cid, epoch: parent.epoch }];
          }),
        );
      } catch (error) {
        const { code, message } = describeError(error, "EPOCH_LINKS");
        history.problems.push({ code, message: `epoch ${shortCid(node.text)}: ${message}` });
      }
    }
    history.order = linearize([...history.epochs.values()]);
    history.order.forEach((node, index) => (node.index = index));

    // KV ops, in order.
    const opLoads: Promise<void>[] = [];
    const writes: HistoryWrite[][] = history.order.map(() => []);
    history.order.forEach((node, i) => {
      let position = 0;
      node.epoch.events.forEach((entry) => {
        if (!Array.isArray(entry)) return;
        const invocation = entry[0] as CID;
        for (let j = 1; j < entry.length; j++) {
          const opCid = entry[j] as CID;
          const at = position++;
          opLoads.push(
            fetchOp(source, opCid).then(
              (op) => void writes[i]!.push({ epoch: node, position: at, invocation, opCid, op }),
              (error) => void writes[i]!.push({ epoch: node, position: at, invocation, opCid, op: undefined, opError: describeError(error).message }),
            ),
          );
        }
      });
    });
    await Promise.all(opLoads);
    for (const list of writes) {
      list.sort((a, b) => a.position - b.position);
      for (const write of list) {
        history.writes.push(write);
        const key = multihashKey(write.invocation);
        const sites = history.invocationSites.get(key);
        if (sites === undefined) history.invocationSites.set(key, [write]);
        else sites.push(write);
        if (write.opError !== undefined) history.problems.push({ code: "OP_INVALID", message: `op ${shortCid(write.opCid.toString())} of epoch ${shortCid(write.epoch.text)}: ${write.opError}` });
      }
    }

    // Delegation and revocation events, classified by their bytes.
    const singles: { node: HistoryEpoch; entry: number; cid: CID }[] = [];
    for (const node of history.order) {
      node.epoch.events.forEach((entry, index) => {
        if (!Array.isArray(entry)) singles.push({ node, entry: index, cid: entry });
      });
    }
    const parsed = await Promise.all(
      singles.map(async (s) => {
        try {
          return { ...s, event: await fetchEvent(source, s.cid.toString()), error: undefined };
        } catch (error) {
          return { ...s, event: undefined, error: describeError(error) };
        }
      }),
    );
    const revoked = new Map<string, HistoryEpoch>();
    for (const item of parsed) {
      if (item.error !== undefined) {
        history.warnings.push(`event ${shortCid(item.cid.toString())} of epoch ${shortCid(item.node.text)} cannot be read: ${item.error.code} ${item.error.message}`);
        continue;
      }
      const event = item.event as ParsedEvent;
      if (event.type === "ucan" && isRevocationUcan(event.ucan)) {
        const outcome = await checkRevocation(event.ucan, item.node, delegations, revoked, verify, options.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS);
        history.revocations.push({ epoch: item.node, entry: item.entry, revocation: item.cid, target: outcome.target, valid: outcome.valid, reason: outcome.reason });
        if (outcome.valid) {
          const key = multihashKey(outcome.target);
          if (!revoked.has(key)) revoked.set(key, item.node);
        } else {
          history.warnings.push(`revocation ${shortCid(item.cid.toString())} in epoch ${shortCid(item.node.text)} is not valid and is ignored: ${outcome.reason}`);
        }
        continue;
      }
      const key = multihashKey(item.cid);
      if (!history.delegationEvents.has(key)) history.delegationEvents.set(key, item.node);
    }
    return history;
  }

  /** Is `epoch` in the published history (and valid)? */
  get(cidText: string): HistoryEpoch | undefined {
    try {
      return this.epochs.get(bytesToHex(parseCid(cidText).bytes));
    } catch {
      return undefined;
    }
  }

  /** Strict ancestors of an epoch (keys), by its parent links. */
  ancestors(node: HistoryEpoch): Set<string> {
    const cached = this.ancestorCache.get(node.key);
    if (cached !== undefined) return cached;
    const out = new Set<string>();
    const queue = node.epoch.parents.map((p) => bytesToHex(p.bytes));
    while (queue.length > 0) {
      const key = queue.pop() as string;
      if (out.has(key)) continue;
      out.add(key);
      const parent = this.epochs.get(key);
      if (parent !== undefined) queue.push(...parent.epoch.parents.map((p) => bytesToHex(p.bytes)));
    }
    this.ancestorCache.set(node.key, out);
    return out;
  }

  /**
   * The valid revocation of `cid` that the node had recorded before `node` (in an ancestor epoch), if any:
   * an invocation held by `node` cannot use that delegation.
   */
  revokedBefore(cid: CID, node: HistoryEpoch): HistoryRevocation | undefined {
    const before = this.ancestors(node);
    const key = multihashKey(cid);
    return this.revocations.find((r) => r.valid && multihashKey(r.target) === key && before.has(r.epoch.key));
  }

  /** The writes to `path` that `node` builds on (its ancestors and itself), in order. */
  writesTo(path: string, node: HistoryEpoch): HistoryWrite[] {
    const before = this.ancestors(node);
    return this.writes.filter((w) => w.op?.key === path && (w.epoch.key === node.key || before.has(w.epoch.key)));
  }
}

async function fetchEpoch(source: AuditSource, cidText: string, verify: Ed25519Verify): Promise<{ cid: CID; epoch: SignedEpoch }> {
  const cid = parseCid(cidText);
  const bytes = await source.epoch(cid.toString());
  if (bytes === undefined) throw new EvidenceError("EPOCH_MISSING", `the node does not publish epoch ${shortCid(cid.toString())}`);
  const decoded = decodeEpoch(bytes, cid);
  verifyEpoch(decoded.epoch, verify);
  return decoded;
}

/** Fetch, decode and signature-check one epoch by CID (outside of a history listing). */
export function fetchVerifiedEpoch(source: AuditSource, cidText: string, verify: Ed25519Verify = nobleEd25519Verify): Promise<{ cid: CID; epoch: SignedEpoch }> {
  return fetchEpoch(source, cidText, verify);
}

async function fetchOp(source: AuditSource, cid: CID): Promise<KvOp> {
  const bytes = await source.block(cid.toString());
  if (bytes === undefined) throw new EvidenceError("OP_MISSING", `the node does not publish op block ${shortCid(cid.toString())}`);
  return decodeOp(bytes, cid).op;
}

/** Re-authorize a revocation at its epoch's time, against the revocations recorded before it. */
async function checkRevocation(
  ucan: Ucan,
  node: HistoryEpoch,
  delegations: DelegationResolver,
  revokedSoFar: ReadonlyMap<string, HistoryEpoch>,
  verify: Ed25519Verify,
  clockSkewSeconds: number,
): Promise<{ target: CID; valid: boolean; reason: string }> {
  let target: CID;
  try {
    verifyUcanSignature(ucan, verify);
    const revocation = revocationFromUcan(ucan);
    target = revocation.target;
    const now = node.epoch.time / 1000;
    const window = checkTimeWindow({ notBefore: ucan.notBefore, expiration: ucan.expiration }, now, false, "revocation", clockSkewSeconds);
    if (window) return { target, valid: false, reason: `${window.code}: ${window.message}` };
    await delegations.closure([target, ...revocation.proofs]);
    const record = delegations.resolve(target);
    if (record === undefined) {
      const why = delegations.failureOf(target);
      return { target, valid: false, reason: `target ${shortCid(target.toString())} is not a valid delegation${why ? ` (${why.code}: ${why.message})` : ""}` };
    }
    const ctx: AuthorityContext = { now, resolve: delegations.resolve, isRevoked: (cid) => revokedSoFar.has(multihashKey(cid)), clockSkewSeconds };
    const decision = authorizeRevocation(revocation, record, ctx);
    if (!decision.ok) return { target, valid: false, reason: `${decision.error.code}: ${decision.error.message}` };
    return { target, valid: true, reason: `revoked by ${decision.value.principal}` };
  } catch (error) {
    const { code, message } = describeError(error);
    return { target: ucan.cid, valid: false, reason: `${code}: ${message}` };
  }
}
