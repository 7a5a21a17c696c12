/**
 * `auditBatch`: re-check one rollup batch from published data alone.
 *
 * A private space's update is sealed (key and leaf value only) unless the source holds a read capability for
 * the space: it counts in the roots and the commitment but is not event-checked (salt-check.ts). A readable
 * private space is checked like a public one, with salted keys and leaves and its salt leaf.
 *
 * Per update (see event-check.ts): the signed invocation, what it invokes, the signed epoch that holds it,
 * the delegation chain down to the space owner (with revocations before that epoch), and that the update's
 * key / content hash / version / value follow from it.
 *
 * Per batch:
 *   record      the published record is well-formed and is batch N
 *   roots       replaying batches 1..N into a fresh StateTree(depth) gives each record's oldRoot → newRoot
 *   events      eventCids = the update events deduplicated in order; eventsHash = eventsHashOf(those CIDs).
 *               With sealed updates (private spaces the auditor cannot read) the readable updates' events
 *               must appear in eventCids in order, and eventsHash = eventsHashOf(eventCids)
 *   header      batchHeader(N, epochContext(chainId, anchor)) for the chain given (else the record's, which
 *               must name batch N); the contract's header(N) agrees
 *   commitment  Poseidon(header, updatesHash(updates), eventsHash) = the record's commitment
 *   history     every space the batch writes to: the node-signed history is intact, and its KV writes up to
 *               the last one in this batch appear in batches 1..N exactly once, in order (no omitted,
 *               duplicated or reordered write)
 *   proof       the Groth16 proof verifies against the PINNED verification key of the record's circuit with
 *               public signals [oldRoot, newRoot, header, commitment] computed here
 *   chain-root  anchor.roots(N) = the recomputed newRoot, roots(N-1) = the recomputed oldRoot, roots(0) = the
 *               genesis root of the depth
 *   chain-event the BatchAnchored event of batch N carries the recomputed newRoot and commitment, and the
 *               verifier id of the pinned key
 */
import { DEFAULT_CLOCK_SKEW_SECONDS } from "../../core/auth/authority.js";
import { batchHeader, decodeHeader, epochContext } from "../../core/rollup/header.js";
import { epochCommitment, updatesHash } from "../../core/rollup/commitment.js";
import { verifierIdOf } from "../../core/rollup/verifier-id.js";
import { type CID, multihashKey, parseCid } from "../../core/cid.js";
import { type Ed25519Verify, nobleEd25519Verify } from "../../core/keys.js";
import { STATE_TREE_DEPTH, StateTree } from "../../core/state/state-tree.js";
import { eventsHashOf } from "../../core/rollup/events-hash.js";
import { checkEvent } from "./event-check.js";
import { DelegationResolver, describeError, fetchVerifiedEpoch, shortCid, SpaceHistory } from "./evidence.js";
import { parseBatchRecord } from "./record.js";
import { checkSaltLeaf, committedSalts, isSaltLeaf, sealedVerdict } from "./salt-check.js";
import { isSealed } from "../../core/rollup/wire.js";
import { AuditSourceError, CachingSource } from "./source.js";
import { type AuditChain, type AuditReport, type AuditSource, type Check, type EventVerdict, fail, type Groth16Verify, pass, type PublishedBatch, type PublishedUpdate, skip } from "./types.js";

export interface AuditOptions {
  readonly batch: number;
  readonly source: AuditSource;
  /** The anchor contract to check against; without it the chain checks are skipped. */
  readonly chain?: AuditChain;
  /** State tree depth; default: `_d<k>` of the record's circuit name, else 16. */
  readonly depth?: number;
  /** The PINNED verification key of a circuit (never the node's copy). */
  readonly vkey?: (circuit: string) => Promise<object | undefined>;
  readonly groth16?: Groth16Verify;
  /** An unproven batch passes the proof check as "skipped" instead of failing it. */
  readonly allowUnproven?: boolean;
  /** Seconds an invocation may have expired before its epoch was stamped (default 5). */
  readonly graceSeconds?: number;
  /** The audited node's clock-skew tolerance on token nbf/exp (its `--clock-skew`; default the node's default, 30). */
  readonly clockSkewSeconds?: number;
  readonly verify?: Ed25519Verify;
  /** Progress lines (the CLI prints them to stderr). */
  readonly progress?: (line: string) => void;
}

const CIRCUIT_NAME = /^[a-z0-9_]{1,64}$/;

/** The depth a circuit name implies: `…_d8` → 8, otherwise the node's default 16. */
export function depthOfCircuit(circuit: string | undefined): number {
  const match = circuit === undefined ? null : /_d(\d{1,3})$/.exec(circuit);
  return match ? Number(match[1]) : STATE_TREE_DEPTH;
}

export async function auditBatch(options: AuditOptions): Promise<AuditReport> {
  const n = options.batch;
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError("the batch number must be a positive integer");
  const source = options.source instanceof CachingSource ? options.source : new CachingSource(options.source);
  const verify = options.verify ?? nobleEd25519Verify;
  const clockSkewSeconds = options.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS;
  const progress = options.progress ?? (() => undefined);
  const checks: Check[] = [];
  const warnings: string[] = [];
  const recomputed: { -readonly [K in keyof AuditReport["recomputed"]]: AuditReport["recomputed"][K] } = {};
  let events: EventVerdict[] = [];

  const report = (record: PublishedBatch | undefined, depth: number): AuditReport => {
    const failedChecks = checks.filter((c) => c.status === "fail").length;
    const eventsFailed = events.filter((e) => !e.ok).length;
    const eventsSealed = events.filter((e) => e.sealed === true).length;
    return {
      batch: n,
      source: source.label,
      ok: failedChecks === 0 && eventsFailed === 0,
      ...(record !== undefined ? { status: record.status } : {}),
      ...(record?.circuit !== undefined ? { circuit: record.circuit } : {}),
      depth,
      recomputed,
      events,
      checks,
      warnings,
      summary: {
        events: events.length,
        eventsPassed: events.length - eventsFailed - eventsSealed,
        eventsFailed,
        eventsSealed,
        checksPassed: checks.filter((c) => c.status === "pass").length,
        checksFailed: failedChecks,
        checksSkipped: checks.filter((c) => c.status === "skip").length,
      },
    };
  };

  // --- the record
  progress(`fetching batch ${n} from ${source.label}`);
  let record: PublishedBatch;
  try {
    const json = await source.batch(n);
    if (json === undefined) {
      checks.push(fail("record", "BATCH_NOT_FOUND", `the node publishes no batch ${n}`));
      return report(undefined, options.depth ?? STATE_TREE_DEPTH);
    }
    record = parseBatchRecord(json, n);
    checks.push(pass("record", `batch ${n}: ${record.updates.length} update(s), status ${record.status}${record.circuit !== undefined ? `, circuit ${record.circuit}` : ""}`));
  } catch (error) {
    // A node that cannot be read at all is an operational error, not an audit finding.
    if (error instanceof AuditSourceError) throw error;
    const { code, message } = describeError(error, "RECORD_MALFORMED");
    checks.push(fail("record", code, message));
    return report(undefined, options.depth ?? STATE_TREE_DEPTH);
  }
  const depth = options.depth ?? depthOfCircuit(record.circuit);

  // --- roots: replay batches 1..N
  progress(`replaying batches 1..${n} (state tree depth ${depth})`);
  const tree = new StateTree(depth);
  const genesisRoot = tree.root;
  const earlier: PublishedBatch[] = [];
  let oldRoot: bigint | undefined;
  let newRoot: bigint | undefined;
  {
    let failure: Check | undefined;
    for (let k = 1; k <= n && failure === undefined; k++) {
      let current: PublishedBatch;
      if (k === n) current = record;
      else {
        try {
          const json = await source.batch(k);
          if (json === undefined) {
            failure = fail("roots", "BATCH_MISSING", `batch ${k} is not published: the tree before batch ${n} cannot be rebuilt`);
            break;
          }
          current = parseBatchRecord(json, k);
        } catch (error) {
          const { code, message } = describeError(error, "RECORD_MALFORMED");
          failure = fail("roots", code, `batch ${k}: ${message}`);
          break;
        }
        earlier.push(current);
      }
      if (tree.root !== current.oldRoot) {
        failure = fail("roots", "ROOT_CHAIN_BROKEN", `batch ${k} starts from root ${current.oldRoot}, but batches 1..${k - 1} end at ${tree.root}`);
        break;
      }
      if (k === n) oldRoot = tree.root;
      try {
        for (const u of current.updates) tree.set(u.key, u.value);
      } catch (error) {
        failure = fail("roots", "ROOT_REPLAY_FAILED", `batch ${k}: ${describeError(error).message}`);
        break;
      }
      if (tree.root !== current.newRoot) {
        failure = fail("roots", "ROOT_MISMATCH", `replaying batch ${k}'s updates gives root ${tree.root}, the record says ${current.newRoot}`);
        break;
      }
      if (k === n) newRoot = tree.root;
    }
    if (failure !== undefined) checks.push(failure);
    else checks.push(pass("roots", `batches 1..${n} replayed from the genesis root: ${oldRoot} → ${newRoot}`));
  }
  if (oldRoot !== undefined) recomputed.oldRoot = oldRoot.toString();
  if (newRoot !== undefined) recomputed.newRoot = newRoot.toString();

  // --- events hash
  let eventsHash: bigint | undefined;
  {
    const sealed = record.updates.filter((u) => isSealed(u)).length;
    let ours: CID[] | undefined;
    try {
      const seen = new Set<string>();
      ours = [];
      for (const u of record.updates) {
        if (isSealed(u)) continue;
        const cid = parseCid(u.event);
        if (!seen.has(cid.toString())) {
          seen.add(cid.toString());
          ours.push(cid);
        }
      }
    } catch (error) {
      checks.push(fail("events", "EVENT_BAD_CID", describeError(error).message));
    }
    let listedCids: CID[] | undefined;
    try {
      listedCids = record.eventCids.map((c) => parseCid(c));
    } catch {
      listedCids = undefined;
    }
    if (ours !== undefined) {
      const listed = record.eventCids.map((c) => {
        try {
          return parseCid(c).toString();
        } catch {
          return `invalid:${c}`;
        }
      });
      const expected = ours.map((c) => c.toString());
      if (sealed === 0) {
        eventsHash = eventsHashOf(ours);
        recomputed.eventsHash = eventsHash.toString();
        if (listed.length !== expected.length || listed.some((c, i) => c !== expected[i])) {
          checks.push(fail("events", "EVENT_LIST_MISMATCH", `eventCids [${listed.map(shortCid).join(", ")}] are not the update events in order [${expected.map(shortCid).join(", ")}]`));
        } else if (record.eventsHash !== eventsHash) {
          checks.push(fail("events", "EVENTS_HASH_MISMATCH", `eventsHash of the update events is ${eventsHash}, the record says ${record.eventsHash}`));
        } else checks.push(pass("events", `${expected.length} event(s), eventsHash ${eventsHash}`));
      } else if (listedCids === undefined) {
        checks.push(fail("events", "EVENT_BAD_CID", "eventCids lists a string that is not a CID"));
      } else {
        // The sealed updates' events are not known: what can be checked is that the readable updates'
        // events are listed in order among them, no more events than updates, and the hash of the list.
        eventsHash = eventsHashOf(listedCids);
        recomputed.eventsHash = eventsHash.toString();
        if (!isSubsequence(expected, listed) || new Set(listed).size !== listed.length || listed.length > record.updates.length) {
          checks.push(
            fail("events", "EVENT_LIST_MISMATCH", `eventCids [${listed.map(shortCid).join(", ")}] do not list the readable updates' events [${expected.map(shortCid).join(", ")}] once each, in order`),
          );
        } else if (record.eventsHash !== eventsHash) {
          checks.push(fail("events", "EVENTS_HASH_MISMATCH", `eventsHash of eventCids is ${eventsHash}, the record says ${record.eventsHash}`));
        } else
          checks.push(
            pass(
              "events",
              `${listed.length} event(s), eventsHash ${eventsHash}; ${sealed} sealed update(s) of private spaces: their events are bound by the hash, not matched to updates (no read capability)`,
            ),
          );
      }
    }
  }

  // --- header (and the deployment context it binds)
  let header: bigint | undefined;
  let context: bigint | undefined;
  if (options.chain !== undefined) {
    try {
      const chainId = await options.chain.chainId();
      context = epochContext(chainId, options.chain.anchor);
      header = batchHeader(n, context);
      recomputed.chainId = chainId;
      recomputed.anchor = options.chain.anchor;
      const onChain = await options.chain.header(BigInt(n)).catch(() => undefined);
      if (record.header !== header) {
        checks.push(
          fail(
            "header",
            "HEADER_MISMATCH",
            `the record's header ${record.header} is not batch ${n} of chain ${chainId} / anchor ${options.chain.anchor} (${header}): it was cut for another deployment`,
          ),
        );
      } else if (onChain !== undefined && onChain !== header) {
        checks.push(fail("header", "HEADER_MISMATCH", `the contract computes header(${n}) = ${onChain}, not ${header}`));
      } else checks.push(pass("header", `batch ${n} of chain ${chainId}, anchor ${options.chain.anchor}`));
    } catch (error) {
      const { code, message } = describeError(error, "CHAIN_ERROR");
      checks.push(fail("header", code, `cannot read the chain: ${message}`));
    }
  } else {
    const claimed = record.header;
    const decoded = decodeHeader(claimed);
    context = decoded.context;
    if (decoded.batch !== BigInt(n)) {
      checks.push(fail("header", "HEADER_MISMATCH", `the record's header names batch ${decoded.batch}, not ${n}`));
    } else {
      header = claimed;
      const chainId = Number(decoded.chainId);
      const anchor = decoded.anchor;
      recomputed.chainId = chainId;
      recomputed.anchor = anchor;
      checks.push(
        pass(
          "header",
          context === 0n ? `batch ${n}, bound to no chain (anchoring off)` : `batch ${n}, bound to chain ${chainId} / anchor ${anchor} (from the record: pass --rpc and --contract to check it)`,
        ),
      );
    }
  }
  if (header !== undefined) recomputed.header = header.toString();

  // --- commitment
  let commitment: bigint | undefined;
  if (header !== undefined && context !== undefined && eventsHash !== undefined) {
    try {
      const updates = record.updates.map((u) => ({ key: u.key, newValue: u.value }));
      recomputed.updatesHash = updatesHash(updates).toString();
      commitment = epochCommitment({ context, batchNumber: n, updates, eventsHash });
      recomputed.commitment = commitment.toString();
      if (record.commitment !== commitment) checks.push(fail("commitment", "COMMITMENT_MISMATCH", `Poseidon(header, updatesHash, eventsHash) = ${commitment}, the record says ${record.commitment}`));
      else checks.push(pass("commitment", `commitment ${commitment}`));
    } catch (error) {
      checks.push(fail("commitment", "COMMITMENT_ERROR", describeError(error).message));
    }
  } else checks.push(skip("commitment", "SKIPPED", "not computed: header or events failed"));

  // --- every event of the batch
  progress(`checking ${record.updates.length} event(s)`);
  const nodeId = await source.nodeId().catch(() => undefined);
  if (nodeId === undefined) warnings.push("the node does not say who it is (/info nodeId): epochs are only checked to share one signer");
  const delegations = new DelegationResolver(source, verify);
  const histories = new Map<string, SpaceHistory>();
  const spaces = [...new Set(record.updates.flatMap((u) => (isSealed(u) ? [] : [u.spaceId])))];
  for (const spaceId of spaces) {
    // Read each space's history up to the newest epoch this batch uses.
    let maxSeq = 0;
    for (const u of record.updates.flatMap((x) => (!isSealed(x) && x.spaceId === spaceId ? [x] : []))) {
      const e = await fetchVerifiedEpoch(source, u.epoch, verify).catch(() => undefined);
      if (e !== undefined && e.epoch.space === spaceId) maxSeq = Math.max(maxSeq, e.epoch.seq);
    }
    progress(`reading the history of ${spaceId} (epochs 1..${maxSeq})`);
    histories.set(spaceId, await SpaceHistory.load({ source, spaceId, maxSeq: maxSeq > 0 ? maxSeq : undefined, nodeId, delegations, verify, clockSkewSeconds }));
  }
  const ctx = { source, delegations, histories, verify, graceSeconds: options.graceSeconds ?? 5, clockSkewSeconds, spaceSalts: committedSalts([...earlier, record]) };
  // A batch that ends with a salt leaf was cut between it and its write: that write opens batch N+1.
  const lastUpdate = record.updates[record.updates.length - 1];
  let next: PublishedBatch | undefined;
  if (lastUpdate !== undefined && !isSealed(lastUpdate) && isSaltLeaf(lastUpdate)) {
    const json = await source.batch(n + 1).catch(() => undefined);
    try {
      next = json === undefined ? undefined : parseBatchRecord(json, n + 1);
    } catch (error) {
      warnings.push(`batch ${n + 1} (read to justify the salt leaf that ends batch ${n}) is malformed: ${describeError(error).message}`);
    }
  }
  events = [];
  for (const [i, u] of record.updates.entries()) {
    if (isSealed(u)) events.push(sealedVerdict(u, i));
    else if (isSaltLeaf(u)) events.push(checkSaltLeaf(record, i, earlier, next));
    else events.push(await checkEvent(ctx, u, i));
  }
  for (const history of histories.values()) warnings.push(...history.warnings.map((w) => `${history.spaceId}: ${w}`));

  // --- history: no omitted, duplicated or reordered write
  {
    const problems: string[] = [];
    for (const history of histories.values()) {
      for (const p of history.problems) problems.push(`${history.spaceId}: ${p.code} ${p.message}`);
      const batched: { update: PublishedUpdate; batch: number }[] = [];
      // A salt leaf shares its event with the write after it (checked by checkSaltLeaf): not a write of its own.
      for (const b of [...earlier, record]) for (const u of b.updates) if (!isSealed(u) && u.spaceId === history.spaceId && !isSaltLeaf(u)) batched.push({ update: u, batch: b.number });
      const problem = compareWithHistory(history, batched);
      if (problem !== undefined) problems.push(`${history.spaceId}: ${problem}`);
    }
    if (problems.length > 0) checks.push(fail("history", "HISTORY_MISMATCH", problems.join("; ")));
    else checks.push(pass("history", `${histories.size} space history(ies) intact; their writes appear in batches 1..${n} exactly once, in order`));
  }

  // --- proof
  let pinnedVkey: object | undefined;
  if (record.circuit !== undefined && CIRCUIT_NAME.test(record.circuit) && options.vkey !== undefined) pinnedVkey = await options.vkey(record.circuit).catch(() => undefined);
  {
    const signals = [oldRoot, newRoot, header, commitment];
    if (record.proof === undefined) {
      if (options.allowUnproven) checks.push(skip("proof", "PROOF_MISSING", `batch ${n} is not proven yet (status ${record.status})`));
      else checks.push(fail("proof", "PROOF_MISSING", `batch ${n} carries no proof (status ${record.status})`));
    } else if (record.circuit === undefined || !CIRCUIT_NAME.test(record.circuit)) {
      checks.push(fail("proof", "CIRCUIT_UNKNOWN", `the record does not name a valid circuit (${JSON.stringify(record.circuit)})`));
    } else if (pinnedVkey === undefined) {
      checks.push(fail("proof", "VKEY_NOT_PINNED", `no pinned verification key for circuit ${record.circuit}`));
    } else if (options.groth16 === undefined) {
      checks.push(skip("proof", "NO_VERIFIER", "no Groth16 verifier given"));
    } else if (signals.some((s) => s === undefined)) {
      checks.push(fail("proof", "SIGNALS_UNAVAILABLE", "the public signals could not be recomputed (see the failed checks above)"));
    } else {
      const publicSignals = signals.map((s) => (s as bigint).toString());
      let valid = false;
      let error: string | undefined;
      try {
        valid = await options.groth16(pinnedVkey, publicSignals, record.proof);
      } catch (e) {
        error = describeError(e).message;
      }
      const differs = record.publicSignals !== undefined && record.publicSignals.join(",") !== publicSignals.join(",");
      if (valid)
        checks.push(pass("proof", `Groth16 proof verifies against the pinned ${record.circuit} key with the recomputed signals${differs ? " (the node's own publicSignals differ; ignored)" : ""}`));
      else
        checks.push(
          fail(
            "proof",
            "PROOF_INVALID",
            `the Groth16 proof does not verify against the pinned ${record.circuit} key with signals [oldRoot, newRoot, header, commitment] = [${publicSignals.join(", ")}]${error !== undefined ? `: ${error}` : ""}`,
          ),
        );
    }
  }

  // --- chain
  if (options.chain === undefined) {
    checks.push(skip("chain-root", "NO_CHAIN", "no --rpc/--contract given"));
    checks.push(skip("chain-event", "NO_CHAIN", "no --rpc/--contract given"));
  } else {
    const chain = options.chain;
    try {
      const latest = await chain.latestBatch();
      if (latest < BigInt(n)) {
        checks.push(fail("chain-root", "BATCH_NOT_ANCHORED", `the anchor's latest batch is ${latest}: batch ${n} is not anchored`));
      } else {
        const [root, previous, genesis] = await Promise.all([chain.root(BigInt(n)), chain.root(BigInt(n - 1)), chain.root(0n)]);
        const problems: string[] = [];
        if (genesis !== genesisRoot) problems.push(`roots(0) = ${genesis} is not the empty tree of depth ${depth} (${genesisRoot})`);
        if (newRoot === undefined || root !== newRoot) problems.push(`roots(${n}) = ${root}, recomputed ${newRoot ?? "?"}`);
        if (oldRoot === undefined || previous !== oldRoot) problems.push(`roots(${n - 1}) = ${previous}, recomputed ${oldRoot ?? "?"}`);
        if (problems.length > 0) checks.push(fail("chain-root", "ROOT_NOT_ANCHORED", problems.join("; ")));
        else checks.push(pass("chain-root", `anchor.roots(${n}) = ${root} (latest anchored batch ${latest})`));
      }
    } catch (error) {
      checks.push(fail("chain-root", "CHAIN_ERROR", `cannot read the anchor: ${describeError(error).message}`));
    }
    try {
      const anchored = await chain.anchoredEvents(BigInt(n), record.anchorTx);
      if (anchored.length === 0) checks.push(fail("chain-event", "EVENT_NOT_FOUND", `no BatchAnchored event for batch ${n} on ${chain.anchor}`));
      else {
        const ev = anchored[0]!;
        const problems: string[] = [];
        if (anchored.length > 1) problems.push(`${anchored.length} BatchAnchored events for one batch`);
        if (commitment === undefined || ev.commitment !== commitment) problems.push(`commitment ${ev.commitment}, recomputed ${commitment ?? "?"}`);
        if (newRoot === undefined || ev.newRoot !== newRoot) problems.push(`newRoot ${ev.newRoot}, recomputed ${newRoot ?? "?"}`);
        if (pinnedVkey !== undefined) {
          const pinnedId = verifierIdOf(pinnedVkey);
          if (ev.verifierId.toLowerCase() !== pinnedId.toLowerCase()) problems.push(`verified by verifier ${ev.verifierId}, not the pinned ${record.circuit} key (${pinnedId})`);
        } else warnings.push("no pinned key: the anchoring verifier id was not compared");
        if (record.anchorTx !== undefined && record.anchorTx.toLowerCase() !== ev.transactionHash.toLowerCase())
          warnings.push(`the node names anchor transaction ${record.anchorTx}, the chain has ${ev.transactionHash}`);
        if (problems.length > 0) checks.push(fail("chain-event", "ANCHOR_EVENT_MISMATCH", problems.join("; ")));
        else checks.push(pass("chain-event", `BatchAnchored(${n}) in tx ${ev.transactionHash} (block ${ev.blockNumber}) carries the recomputed root and commitment, verifier ${ev.verifierId}`));
      }
    } catch (error) {
      checks.push(fail("chain-event", "CHAIN_ERROR", `cannot read BatchAnchored events: ${describeError(error).message}`));
    }
  }

  return report(record, depth);
}

/** Does `sub` appear in `list` in order (not necessarily adjacent)? */
function isSubsequence(sub: readonly string[], list: readonly string[]): boolean {
  let at = 0;
  for (const item of list) if (at < sub.length && item === sub[at]) at++;
  return at === sub.length;
}

/**
 * The space's KV writes (history order) against its updates in batches 1..N (batch order): every write up to
 * the last one batched must be batched exactly once, in the same order.
 */
function compareWithHistory(history: SpaceHistory, batched: readonly { update: PublishedUpdate; batch: number }[]): string | undefined {
  const writes = history.writes;
  const index = new Map<string, number>();
  writes.forEach((w, i) => {
    const key = multihashKey(w.invocation);
    if (!index.has(key)) index.set(key, i);
  });
  let last = -1;
  const seen = new Set<number>();
  for (const { update, batch } of batched) {
    let position: number | undefined;
    try {
      position = index.get(multihashKey(parseCid(update.event)));
    } catch {
      position = undefined;
    }
    if (position === undefined) {
      // Reported per event when it is in this batch; an earlier batch's stray update is reported here.
      if (!history.get(update.epoch)) return `update seq ${update.seq} (batch ${batch}) names epoch ${shortCid(update.epoch)}, which is not in the history`;
      return `update seq ${update.seq} (batch ${batch}) names invocation ${shortCid(update.event)}, which the history does not hold`;
    }
    if (seen.has(position)) return `the write of invocation ${shortCid(update.event)} is batched twice (again in batch ${batch})`;
    if (position < last) return `update seq ${update.seq} (batch ${batch}) is out of history order`;
    seen.add(position);
    last = position;
  }
  for (let i = 0; i <= last; i++) {
    if (!seen.has(i)) {
      const w = writes[i]!;
      return `the write of "${w.op?.key ?? "?"}" by invocation ${shortCid(w.invocation.toString())} (epoch seq ${w.epoch.epoch.seq}) is missing from batches 1..${batched[batched.length - 1]?.batch ?? "?"}, though later writes are included`;
    }
  }
  return undefined;
}
