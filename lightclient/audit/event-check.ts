/**
 * The verdict on one state update of a batch: does it follow from a signed invocation that the space owner
 * authorized, and that the node recorded in its signed history?
 *
 *   event      the invocation is published, hashes to the update's `event` CID, is a UCAN with a valid signature
 *   invocation it is an invocation (aud = its issuer) of exactly one kv/put or kv/del, on exactly
 *              <update.spaceId>/kv/<update.path>
 *   epoch      the update's epoch is in the space's published, node-signed history and lists this invocation
 *              with a KV op on that path (once: no replay)
 *   authority  the delegation chain (CACAO / UCAN, every signature re-verified) authorizes the invocation at
 *              the epoch's time, rooted at the space owner; no delegation of the chain was revoked in an
 *              epoch before it; every delegation of the chain was itself a valid attenuation of its parents
 *   update     key = stateKey(spaceId, "kv", path); deleted and contentHash follow from the epoch's op (the
 *              op's value CID is blake3 of the content); version = how many writes to that path the history
 *              holds up to this one; value = leafValue(contentHash, version, deleted). A private space's key
 *              is salted with the space salt its salt leaf commits, and its leaf with the update's own salt:
 *              stateKey(spaceId, "kv", path, spaceSalt), leafValue(contentHash, version, deleted, salt)
 */
import { requireKnownAbility } from "../../core/abilities.js";
import { authorizeInvocation, isRootAuthority, validateDelegation, type AuthorityContext, type DelegationRecord, type InvocationRecord } from "../../core/auth/authority.js";
import { type Capability, capabilityCovers } from "../../core/capability.js";
import { type CID, multihashKey, parseCid } from "../../core/cid.js";
import { canonicalDidOfUrl } from "../../core/did.js";
import type { KvOp } from "../../core/epoch/epoch.js";
import type { Ed25519Verify } from "../../core/keys.js";
import { invocationFromUcan } from "../../core/auth/records.js";
import { formatSpaceId } from "../../core/resource.js";
import { leafValue, stateKey } from "../../core/state/state-tree.js";
import { isPublicSpaceId } from "../../core/state/privacy.js";
import { type Ucan, verifyUcanSignature } from "../../core/auth/ucan.js";
import { type DelegationResolver, describeError, fetchEvent, fetchVerifiedEpoch, type HistoryEpoch, type HistoryWrite, shortCid, type SpaceHistory } from "./evidence.js";
import { type Check, type EventVerdict, fail, pass, type PublishedUpdate, skip, type AuditSource } from "./types.js";

export interface EventCheckContext {
  readonly source: AuditSource;
  readonly delegations: DelegationResolver;
  readonly histories: ReadonlyMap<string, SpaceHistory>;
  readonly verify: Ed25519Verify;
  /**
   * Seconds an invocation may have expired before its epoch's time: the node checks the invocation when it
   * arrives, the epoch is stamped when the write commits (a group commit may queue it briefly).
   */
  readonly graceSeconds: number;
  /** The node's tolerance on token nbf/exp: it accepted what lies within it, so the audit does too. */
  readonly clockSkewSeconds: number;
  /** Each readable private space's salt, as its salt leaf commits it (salt-check.ts committedSalts). */
  readonly spaceSalts: ReadonlyMap<string, bigint>;
}

const WRITE_ABILITIES = new Set(["tinycloud.kv/put", "tinycloud.kv/del"]);

/** contentHash of a put: the first 31 bytes of the blake3 digest in the op's raw value CID. */
export function contentHashOfOp(op: KvOp): bigint {
  if (op.op === "del") return 0n;
  const digest = op.value.multihash.digest;
  let x = 0n;
  for (const byte of digest.subarray(0, 31)) x = (x << 8n) | BigInt(byte);
  return x;
}

export async function checkEvent(ctx: EventCheckContext, update: PublishedUpdate, index: number): Promise<EventVerdict> {
  const checks: Check[] = [];
  const warnings: string[] = [];
  let opKind: "put" | "del" | "?" = update.deleted ? "del" : "put";
  let chain: EventVerdict["chain"];
  let invoker: string | undefined;

  const finish = (): EventVerdict => {
    const failed = checks.find((c) => c.status === "fail");
    const authority = checks.find((c) => c.name === "authority" && c.status === "pass");
    return {
      index,
      seq: update.seq,
      event: update.event,
      epoch: update.epoch,
      spaceId: update.spaceId,
      path: update.path,
      op: opKind,
      ok: failed === undefined,
      code: failed?.code ?? "OK",
      reason: failed !== undefined ? `${failed.name}: ${failed.reason}` : (authority?.reason ?? "authorized"),
      checks,
      ...(chain !== undefined ? { chain } : {}),
      ...(invoker !== undefined ? { invoker } : {}),
      warnings,
    };
  };
  const skipRest = (after: string): EventVerdict => {
    const names = ["event", "invocation", "epoch", "authority", "update"];
    for (const name of names.slice(names.indexOf(after) + 1)) {
      if (!checks.some((c) => c.name === name)) checks.push(skip(name, "SKIPPED", `not checked: ${after} failed`));
    }
    return finish();
  };

  // 1. The signed event.
  let ucan: Ucan;
  try {
    const event = await fetchEvent(ctx.source, update.event);
    if (event.type !== "ucan") {
      checks.push(fail("event", "EVENT_NOT_INVOCATION", `event ${shortCid(update.event)} is a CACAO (a wallet delegation), not an invocation`));
      return skipRest("event");
    }
    ucan = event.ucan;
    verifyUcanSignature(ucan, ctx.verify);
    checks.push(pass("event", `UCAN ${ucan.version} signed by ${ucan.issuer.split("#")[0]}`));
  } catch (error) {
    const { code, message } = describeError(error, "EVENT_INVALID");
    checks.push(fail("event", code, message));
    return skipRest("event");
  }

  // 2. What it invokes.
  let capability: Capability;
  let ability: string;
  try {
    invoker = canonicalDidOfUrl(ucan.issuer);
    if (canonicalDidOfUrl(ucan.audience) !== invoker) {
      checks.push(fail("invocation", "NOT_AN_INVOCATION", `the token is addressed to ${ucan.audience}, not to its issuer: it is a delegation, not an invocation`));
      return skipRest("invocation");
    }
    if (ucan.capabilities.length !== 1) {
      checks.push(fail("invocation", "INVOCATION_NOT_A_WRITE", `a KV write invokes exactly one capability, this one invokes ${ucan.capabilities.length}`));
      return skipRest("invocation");
    }
    capability = ucan.capabilities[0] as Capability;
    ability = requireKnownAbility(capability.ability);
    if (!WRITE_ABILITIES.has(ability)) {
      checks.push(fail("invocation", "INVOCATION_NOT_A_WRITE", `the invocation invokes ${ability}, not tinycloud.kv/put or tinycloud.kv/del`));
      return skipRest("invocation");
    }
    opKind = ability === "tinycloud.kv/del" ? "del" : "put";
    const resource = capability.resource;
    if (resource.kind !== "tinycloud" || resource.service !== "kv" || resource.path === undefined) {
      checks.push(fail("invocation", "CAPABILITY_MISMATCH", `${ability} is invoked on ${describeResource(capability)}, not on a KV key`));
      return skipRest("invocation");
    }
    const spaceId = formatSpaceId({ ...resource.space, form: "space" });
    const mismatches: string[] = [];
    if (spaceId !== update.spaceId) mismatches.push(`space ${spaceId} ≠ ${update.spaceId}`);
    if (resource.path !== update.path) mismatches.push(`path "${resource.path}" ≠ "${update.path}"`);
    if (update.service !== "kv") mismatches.push(`service "${update.service}" ≠ "kv"`);
    if (ability === "tinycloud.kv/put" && resource.query !== undefined) mismatches.push(`a put takes no query (?${resource.query})`);
    if (mismatches.length > 0) {
      checks.push(fail("invocation", "CAPABILITY_MISMATCH", `the invocation does not write the updated key: ${mismatches.join("; ")}`));
      return skipRest("invocation");
    }
    checks.push(pass("invocation", `${ability} on ${update.spaceId}/kv/${update.path}`));
  } catch (error) {
    const { code, message } = describeError(error, "INVOCATION_INVALID");
    checks.push(fail("invocation", code, message));
    return skipRest("invocation");
  }

  // 3. The signed epoch that holds it.
  const history = ctx.histories.get(update.spaceId);
  const node = history?.get(update.epoch);
  let write: HistoryWrite;
  if (history === undefined || node === undefined) {
    let why = `epoch ${shortCid(update.epoch)} is not in the published history of ${update.spaceId}`;
    let code = "EPOCH_NOT_IN_HISTORY";
    try {
      const fetched = await fetchVerifiedEpoch(ctx.source, update.epoch, ctx.verify);
      if (fetched.epoch.space !== update.spaceId) why = `epoch ${shortCid(update.epoch)} belongs to ${fetched.epoch.space}, not ${update.spaceId}`;
      else if (history?.signer !== undefined && fetched.epoch.signer !== history.signer)
        why = `epoch ${shortCid(update.epoch)} is signed by ${fetched.epoch.signer}, not by the node ${history.signer}`;
    } catch (error) {
      ({ code, message: why } = describeError(error, "EPOCH_INVALID"));
    }
    checks.push(fail("epoch", code, why));
    return skipRest("epoch");
  }
  {
    const key = multihashKey(ucan.cid);
    const sites = history.invocationSites.get(key) ?? [];
    const here = sites.filter((w) => w.epoch.key === node.key);
    if (here.length === 0) {
      checks.push(fail("epoch", "EPOCH_MISSING_EVENT", `epoch ${shortCid(update.epoch)} (seq ${node.epoch.seq}) does not list invocation ${shortCid(update.event)}`));
      return skipRest("epoch");
    }
    if (sites.length > 1) {
      checks.push(
        fail(
          "epoch",
          "INVOCATION_REPLAYED",
          `invocation ${shortCid(update.event)} appears ${sites.length} times in the history (epochs ${sites.map((s) => s.epoch.epoch.seq).join(", ")}): an invocation is single-use`,
        ),
      );
      return skipRest("epoch");
    }
    const onPath = here.filter((w) => w.op?.key === update.path);
    if (onPath.length !== 1) {
      const keys = here.map((w) => (w.op === undefined ? `unreadable op (${w.opError ?? "?"})` : `${w.op.op} "${w.op.key}"`));
      checks.push(fail("epoch", "EPOCH_OP_MISMATCH", `the epoch records this invocation as ${keys.join(", ")}, not as one write to "${update.path}"`));
      return skipRest("epoch");
    }
    write = onPath[0] as HistoryWrite;
    checks.push(pass("epoch", `held by epoch seq ${node.epoch.seq} (${shortCid(node.text)}), signed by ${node.epoch.signer}, time ${new Date(node.epoch.time).toISOString()}`));
  }

  // 4. Authority: signature chain down to the space owner, revocations before the epoch.
  const now = node.epoch.time / 1000;
  try {
    const capabilities = ucan.capabilities.map((c) => ({ ...c, ability: requireKnownAbility(c.ability) }));
    const record: InvocationRecord = { ...invocationFromUcan(ucan), capabilities };
    await ctx.delegations.closure(record.proofs);
    const isRevoked = (cid: CID) => history.revokedBefore(cid, node) !== undefined;
    const authority: AuthorityContext = { now, resolve: ctx.delegations.resolve, isRevoked, clockSkewSeconds: ctx.clockSkewSeconds };
    const decision = authorizeInvocation({ ...record, expiration: record.expiration + ctx.graceSeconds }, authority);
    if (!decision.ok) {
      checks.push(fail("authority", decision.error.code, explainAuthorityFailure(decision.error, ctx.delegations, history, node)));
    } else {
      // The node checked each delegation when it registered it; re-check every one of the chain now.
      let chainFailure: Check | undefined;
      for (const delegation of ctx.delegations.reachable(record.proofs)) {
        const valid = validateDelegation(delegation, authority);
        if (!valid.ok) {
          chainFailure = fail("authority", valid.error.code, `delegation ${shortCid(delegation.cid.toString())} (${delegation.issuer} → ${delegation.audience}) is not valid: ${valid.error.message}`);
          break;
        }
      }
      if (chainFailure !== undefined) checks.push(chainFailure);
      else {
        chain = describeChain(capability, decision.value.grants[0] ?? null, authority);
        const path =
          chain.length === 0
            ? `${invoker} (the space owner)`
            : [...chain]
                .reverse()
                .map((c, i) => `${i === 0 ? `${c.issuer} ` : ""}→ ${c.kind.toUpperCase()} ${shortCid(c.cid)} → ${c.audience}`)
                .join(" ");
        checks.push(pass("authority", `authorized: ${path}`, { chain }));
        for (const link of chain) {
          const recorded = history.delegationEvents.get(multihashKey(parseCid(link.cid)));
          if (recorded === undefined) warnings.push(`delegation ${shortCid(link.cid)} is not recorded in the space's history`);
          else if (recorded.key !== node.key && !history.ancestors(node).has(recorded.key))
            warnings.push(`delegation ${shortCid(link.cid)} is recorded only after the epoch that uses it (seq ${recorded.epoch.seq})`);
        }
      }
    }
  } catch (error) {
    const { code, message } = describeError(error, "AUTHORITY_ERROR");
    checks.push(fail("authority", code, message));
  }

  // 5. The update's fields follow from the event.
  {
    const op = write.op as KvOp;
    const problems: string[] = [];
    // The formulas follow from the space name, never from what the update claims: a public space's key and
    // leaf are unsalted; a private space's are salted with THE space salt (its salt leaf) and the update's leaf salt.
    const isPublic = isPublicSpaceId(update.spaceId);
    const committed = ctx.spaceSalts.get(update.spaceId);
    if (isPublic) {
      if (update.spaceSalt !== undefined || update.salt !== undefined) problems.push("a public space's update carries salts (its key and leaf are unsalted)");
    } else {
      if (committed === undefined) problems.push("no salt leaf of the space in batches 1..N commits the salt its key needs");
      else if (update.spaceSalt !== committed) problems.push("spaceSalt is not the salt the space's salt leaf commits");
      if (update.salt === undefined) problems.push("a private space's update carries no leaf salt");
    }
    const keySalt = isPublic ? undefined : committed;
    const expectedKey = isPublic || keySalt !== undefined ? stateKey(update.spaceId, "kv", update.path, keySalt) : undefined;
    if (expectedKey !== undefined && update.key !== expectedKey) problems.push(`key ${update.key} ≠ stateKey(space, "kv", path${isPublic ? "" : ", spaceSalt"}) ${expectedKey}`);
    const deleted = op.op === "del";
    if (deleted !== (opKind === "del")) problems.push(`the invocation is a ${opKind} but the epoch records a ${op.op}`);
    if (update.deleted !== deleted) problems.push(`deleted ${update.deleted} ≠ ${deleted} (the epoch's op is a ${op.op})`);
    const contentHash = contentHashOfOp(op);
    if (update.contentHash !== contentHash)
      problems.push(`contentHash ${update.contentHash} ≠ ${contentHash} (blake3 of the content the epoch records, ${op.op === "put" ? shortCid(op.value.toString()) : "tombstone"})`);
    const writes = history.writesTo(update.path, node);
    const version = writes.indexOf(write) + 1;
    if (update.version !== version) problems.push(`version ${update.version} ≠ ${version} (writes to "${update.path}" in the history up to this one)`);
    if (isPublic || update.salt !== undefined) {
      const value = leafValue(contentHash, version, deleted, isPublic ? undefined : update.salt);
      if (update.value !== value) problems.push(`value ${update.value} ≠ leafValue(contentHash, version, deleted${isPublic ? "" : ", salt"}) ${value}`);
    }
    if (problems.length > 0) checks.push(fail("update", "UPDATE_MISMATCH", `the update does not follow from the event: ${problems.join("; ")}`));
    else checks.push(pass("update", `leaf (${op.op}, version ${version}) follows from the epoch's op`, { version, contentHash: contentHash.toString() }));
  }
  return finish();
}

function describeResource(capability: Capability): string {
  const r = capability.resource;
  if (r.kind === "urn") return r.uri;
  return `${formatSpaceId(r.space)}${r.service !== undefined ? `/${r.service}` : ""}${r.path !== undefined ? `/${r.path}` : ""}`;
}

function explainAuthorityFailure(
  error: { code: string; message: string; details?: Readonly<Record<string, unknown>> | undefined },
  delegations: DelegationResolver,
  history: SpaceHistory,
  node: HistoryEpoch,
): string {
  let message = error.message;
  const cidText = typeof error.details?.["cid"] === "string" ? (error.details["cid"] as string) : undefined;
  if (error.code === "AUTH_UNKNOWN_PROOF" && cidText !== undefined) {
    const why = delegations.failureOf(parseCid(cidText));
    if (why !== undefined) message += ` (${why.code}: ${why.message})`;
  }
  if (error.code === "AUTH_REVOKED" && cidText !== undefined) {
    const revocation = history.revokedBefore(parseCid(cidText), node);
    if (revocation !== undefined) message += ` by ${shortCid(revocation.revocation.toString())} in epoch seq ${revocation.epoch.epoch.seq}, before this write's epoch (seq ${node.epoch.seq})`;
  }
  return message;
}

/** The delegations that carry the capability from the space owner to the invoker, invoker's first. */
function describeChain(capability: Capability, first: DelegationRecord | null, ctx: AuthorityContext): { cid: string; kind: string; issuer: string; audience: string }[] {
  const out: { cid: string; kind: string; issuer: string; audience: string }[] = [];
  let current = first;
  while (current !== null && out.length < 64) {
    out.push({ cid: current.cid.toString(), kind: current.kind, issuer: current.issuer, audience: current.audience });
    if (isRootAuthority(current.issuer, capability, ctx.resolve)) break;
    const next: DelegationRecord | undefined = current.proofs
      .map((cid) => ctx.resolve(cid))
      .find((p): p is DelegationRecord => p !== undefined && p.audience === current!.issuer && p.capabilities.some((held) => capabilityCovers(held, capability)));
    current = next ?? null;
  }
  return out;
}
