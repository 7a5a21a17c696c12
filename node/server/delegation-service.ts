/**
 * `POST /delegate` and `POST /revoke`: register delegations (creating a space on its host delegation)
 * and revocations, each recorded as an event in the epoch DAG of every space it touches.
 */
import { authorizeRevocation, checkTimeWindow, type DelegationRecord, validateDelegation } from "../../core/auth/authority.js";
import { canonicalAbility } from "../../core/abilities.js";
import type { Capability } from "../../core/capability.js";
import { type CID, parseCid, sameMultihash } from "../../core/cid.js";
import { bytesToUtf8, utf8ToBytes } from "../../core/encoding.js";
import { AuthorityError } from "../../core/errors.js";
import { encodeCacaoHeader } from "../../core/auth/cacao.js";
import { type ResourceUri, formatSpaceId, spaceKey } from "../../core/resource.js";
import { revocationFromUcan } from "../../core/auth/records.js";
import { decodeUcan, verifyUcanSignature } from "../../core/auth/ucan.js";
import { decodeAuthorization, delegationCanonicalId, verifiedDelegation } from "../../core/auth/verify.js";
import { Batch } from "../store/store.js";
import { loadAuthorityContext } from "./authority-loader.js";
import { HttpError } from "./http-error.js";
import type { Ledger } from "./ledger.js";
import type { ServiceDeps } from "./service-deps.js";
import type { StorageQuota } from "./storage-quota.js";

export const HOST_ABILITY = "tinycloud.space/host";

export interface DelegateResult {
  readonly cid: CID;
  /** Space ids (in the form the token used) the delegation is now part of. */
  readonly activated: string[];
  /** Space ids that do not exist (yet) on this node. */
  readonly skipped: string[];
  /** The token spoke the legacy orbit protocol (official client 0.2.1). */
  readonly legacy: boolean;
  /** False when the delegation touches no space hosted here (nor a delegation registered here): nothing was kept. */
  readonly stored: boolean;
}

/** A host capability: `space/host` on the bare space (legacy `orbit/host`) or on `<space>/space`. */
function isHostCapability(capability: Capability): capability is Capability & { resource: ResourceUri } {
  const r = capability.resource;
  return canonicalAbility(capability.ability) === HOST_ABILITY && r.kind === "tinycloud" && r.path === undefined && (r.service === undefined || r.service === "space");
}

export class DelegationService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly ledger: Ledger,
    /** Counts a stored delegation's bytes against each hosted space it joins (storage-quota.ts). */
    private readonly quota?: StorageQuota,
  ) {}

  async delegate(header: string): Promise<DelegateResult> {
    const token = decodeAuthorization(header);
    const record = verifiedDelegation(token, this.deps.verify);
    const bytes = token.kind === "cacao" ? token.cacao.bytes : utf8ToBytes(token.ucan.jwt);
    const canonicalId = delegationCanonicalId(token);
    // One signed delegation is one delegation, whatever its encoding: a revoked one stays revoked, and a
    // re-encoding of an active one is answered as the one already stored (not registered a second time).
    const known = await this.deps.store.delegationCidOf(canonicalId);
    for (const cid of known === undefined ? [record.cid] : [known, record.cid]) {
      if (await this.deps.store.isRevoked(cid)) {
        throw new AuthorityError("AUTH_REVOKED", `delegation ${cid.toString()} has been revoked; it cannot be registered again, under any encoding`);
      }
    }
    if (known !== undefined && !sameMultihash(known, record.cid)) {
      const original = await this.deps.store.getEvent(known);
      if (original !== undefined) return this.delegate(tokenHeader(token.kind, original.bytes));
    }
    const spaces = spacesOf(record.capabilities);
    const legacy = spaces.length > 0 && spaces.every((s) => s.space.form === "orbit");
    const hosts = record.capabilities.filter(isHostCapability);

    const ctx = await loadAuthorityContext(this.deps.store, record.proofs, this.deps.now(), record.capabilities, this.deps.clockSkewSeconds);
    const validation = validateDelegation(record, ctx);
    if (!validation.ok) throw validation.error;

    const created = new Set<string>();
    for (const host of hosts) if (await this.host(record, canonicalId, host.resource, bytes)) created.add(spaceKeyId(host.resource));

    const activated: string[] = [];
    const skipped: string[] = [];
    const hostedIds: string[] = [];
    for (const { id, space } of spaces) {
      const existing = await this.deps.store.getSpace(id);
      const written = formatSpaceId(space);
      if (existing === undefined) skipped.push(written);
      else {
        activated.push(written);
        hostedIds.push(id);
      }
    }
    // The legacy protocol answers 404 for a delegation into an orbit that is not hosted here; the
    // official client depends on it to start its host flow. Nothing is stored in that case.
    if (legacy && skipped.length > 0) throw new HttpError("SPACE_NOT_FOUND", `Orbit not found: ${skipped.join(", ")}`);
    // What touches nothing hosted here is not stored (issue 12 §3): otherwise anyone could park and
    // publish any number of delegations for spaces this node does not host.
    if (!(activated.length > 0 || (spaces.length === 0 && (await this.namesRegisteredDelegation(record))))) {
      return { cid: record.cid, activated, skipped, legacy, stored: false };
    }

    // A re-POST stores nothing new and is not counted again; a new space was counted with its genesis.
    if (!(await this.deps.store.hasDelegation(record.cid))) {
      for (const id of hostedIds) if (!created.has(id)) await this.charge(id, bytes.length);
    }
    await this.deps.store.write(this.stageDelegation(record, canonicalId, bytes));
    for (const { id } of spaces) await this.recordInSpace(id, record.cid);
    return { cid: record.cid, activated, skipped, legacy, stored: true };
  }

  /** A space-less delegation (the right to revoke `urn:cid:<d>`) is kept only when `d` is registered here. */
  private async namesRegisteredDelegation(record: DelegationRecord): Promise<boolean> {
    for (const { resource } of record.capabilities) {
      if (resource.kind !== "urn" || !resource.uri.startsWith("urn:cid:")) continue;
      try {
        if (await this.deps.store.hasDelegation(parseCid(resource.uri.slice("urn:cid:".length)))) return true;
      } catch {
        // Not a CID: names nothing registered.
      }
    }
    return false;
  }

  private stageDelegation(record: DelegationRecord, canonicalId: string, bytes: Uint8Array): Batch {
    const batch = new Batch();
    this.deps.store.putEvent(batch, record.cid, "delegation", bytes);
    this.deps.store.putDelegation(batch, record, bytes);
    this.deps.store.putDelegationId(batch, canonicalId, record.cid);
    return batch;
  }

  /** Create the space of a host delegation (idempotent: an existing space is left as it is). True if it created it. */
  private async host(record: DelegationRecord, canonicalId: string, resource: ResourceUri, bytes: Uint8Array): Promise<boolean> {
    const id = spaceKeyId(resource);
    if (record.issuer !== resource.space.did) {
      throw new HttpError("HOST_NOT_OWNER", `only the owner ${resource.space.did} can host ${formatSpaceId(resource.space)}`);
    }
    const hostKey = this.deps.keys.hostKey(formatSpaceId(resource.space)).did;
    const hostKeyCurrent = this.deps.keys.hostKey(id).did;
    if (![hostKey, hostKeyCurrent, this.deps.keys.identity.did].includes(record.audience)) {
      throw new HttpError("HOST_WRONG_NODE", `host delegation is addressed to ${record.audience}, not to this node (GET /peer/generate/<spaceId> gives ${hostKey})`);
    }
    return this.ledger.withSpace(id, async () => {
      if ((await this.deps.store.getSpace(id)) !== undefined) return false;
      const refusal = this.quota?.reserve(id, bytes.length);
      if (refusal) throw refusal;
      const batch = this.stageDelegation(record, canonicalId, bytes);
      this.quota?.stage(batch, id);
      this.ledger.genesis(batch, { id, form: resource.space.form, owner: resource.space.did, name: resource.space.name, host: record.cid, created: Date.now() }, record.cid);
      try {
        await this.deps.store.write(batch);
      } catch (error) {
        this.quota?.release(id, bytes.length);
        throw error;
      }
      return true;
    });
  }

  /** Count `bytes` against a hosted space (under its lock, so the persisted count is exact), or refuse with 413/507. */
  private async charge(spaceId: string, bytes: number): Promise<void> {
    if (this.quota === undefined) return;
    const quota = this.quota;
    await this.ledger.withSpace(spaceId, async () => {
      const refusal = quota.reserve(spaceId, bytes);
      if (refusal) throw refusal;
      const batch = new Batch();
      quota.stage(batch, spaceId);
      try {
        await this.deps.store.write(batch);
      } catch (error) {
        quota.release(spaceId, bytes);
        throw error;
      }
    });
  }

  /** Append the event to a space's DAG unless the space already holds it (re-POSTs are idempotent). */
  private async recordInSpace(spaceId: string, event: CID): Promise<void> {
    await this.ledger.withSpace(spaceId, async () => {
      const space = await this.deps.store.getSpace(spaceId);
      if (space === undefined || (await this.deps.store.spaceHasEvent(spaceId, event))) return;
      const batch = new Batch();
      this.ledger.appendEpoch(batch, space, [event], [event]);
      await this.deps.store.write(batch);
    });
  }

  async revoke(header: string): Promise<{ revoked: true; cid: CID }> {
    if (!header.includes(".")) throw new HttpError("REVOCATION_FORMAT", "a revocation is a UCAN JWT with tinycloud.delegation/revoke on urn:cid:<delegation>");
    const ucan = decodeUcan(header);
    verifyUcanSignature(ucan, this.deps.verify);
    const revocation = revocationFromUcan(ucan);
    const window = checkTimeWindow({ notBefore: ucan.notBefore, expiration: ucan.expiration }, this.deps.now(), false, "revocation", this.deps.clockSkewSeconds);
    if (window) throw window;
    const target = await this.deps.store.getDelegation(revocation.target);
    if (target === undefined) throw new HttpError("DELEGATION_NOT_FOUND", `no delegation ${revocation.target.toString()} is registered here`);
    const ctx = await loadAuthorityContext(this.deps.store, revocation.proofs, this.deps.now(), [], this.deps.clockSkewSeconds);
    const decision = authorizeRevocation(revocation, target, ctx);
    if (!decision.ok) throw decision.error;
    if (await this.deps.store.isRevoked(target.cid)) return { revoked: true, cid: target.cid };

    const batch = new Batch();
    this.deps.store.putEvent(batch, revocation.cid, "revocation", utf8ToBytes(ucan.jwt));
    this.deps.store.putRevocation(batch, target.cid, { revocation: revocation.cid, revoker: decision.value.principal, time: Date.now() });
    // A delegation stored before canonical ids existed has no mapping yet: write it now, so that no
    // re-encoding of the revoked delegation can be registered afresh.
    const stored = await this.deps.store.getEvent(target.cid);
    if (stored !== undefined) this.deps.store.putDelegationId(batch, delegationCanonicalId(decodeAuthorization(tokenHeader(target.kind, stored.bytes))), target.cid);
    await this.deps.store.write(batch);
    for (const { id } of spacesOf(target.capabilities)) await this.recordInSpace(id, revocation.cid);
    return { revoked: true, cid: target.cid };
  }

  /** Status of a delegation by CID, for `GET /delegations/:cid`. */
  async status(cidText: string): Promise<{ cid: string; exists: true; revoked: boolean; expired: boolean; active: boolean }> {
    let cid: CID;
    try {
      cid = parseCid(cidText);
    } catch (error) {
      throw new HttpError("BAD_CID", error instanceof Error ? error.message : "not a CID");
    }
    const record = await this.deps.store.getDelegation(cid);
    // Unknown is a 404, like /events/:cid: a delegation that was skipped (no hosted space) was never stored.
    if (record === undefined) throw new HttpError("DELEGATION_NOT_FOUND", `no delegation ${cid.toString()} is registered here`);
    const revoked = await this.deps.store.isRevoked(cid);
    const expired = record.expiration !== undefined && this.deps.now() > record.expiration + this.deps.clockSkewSeconds;
    return { cid: cid.toString(), exists: true, revoked, expired, active: !revoked && !expired };
  }
}

/** The `Authorization` value of a stored delegation event. */
function tokenHeader(kind: "cacao" | "ucan", bytes: Uint8Array): string {
  return kind === "cacao" ? encodeCacaoHeader(bytes) : bytesToUtf8(bytes);
}

/** Canonical store id of a space (current spelling, whatever the token used). */
export function spaceKeyId(resource: ResourceUri): string {
  return formatSpaceId({ ...resource.space, form: "space" });
}

function spacesOf(capabilities: readonly Capability[]): { id: string; space: ResourceUri["space"] }[] {
  const seen = new Map<string, { id: string; space: ResourceUri["space"] }>();
  for (const c of capabilities) {
    if (c.resource.kind !== "tinycloud") continue;
    const key = spaceKey(c.resource.space);
    if (!seen.has(key)) seen.set(key, { id: spaceKeyId(c.resource), space: c.resource.space });
  }
  return [...seen.values()];
}
