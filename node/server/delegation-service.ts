/**
 * `POST /delegate` and `POST /revoke`: register delegations (creating a space on its host delegation)
 * and revocations, each recorded as an event in the epoch DAG of every space it touches.
 */
import { authorizeRevocation, checkTimeWindow, type DelegationRecord, validateDelegation } from "../../core/auth/authority.js";
import { canonicalAbility } from "../../core/abilities.js";
import type { Capability } from "../../core/capability.js";
import { type CID, parseCid } from "../../core/cid.js";
import { utf8ToBytes } from "../../core/encoding.js";
import { type ResourceUri, formatSpaceId, spaceKey } from "../../core/resource.js";
import { revocationFromUcan } from "../../core/auth/records.js";
import { decodeUcan, verifyUcanSignature } from "../../core/auth/ucan.js";
import { decodeAuthorization, verifiedDelegation } from "../../core/auth/verify.js";
import { Batch } from "../store/store.js";
import { loadAuthorityContext } from "./authority-loader.js";
import { HttpError } from "./http-error.js";
import type { Ledger } from "./ledger.js";
import type { ServiceDeps } from "./service-deps.js";

export const HOST_ABILITY = "tinycloud.space/host";

export interface DelegateResult {
  readonly cid: CID;
  /** Space ids (in the form the token used) the delegation is now part of. */
  readonly activated: string[];
  /** Space ids that do not exist (yet) on this node. */
  readonly skipped: string[];
  /** The token spoke the legacy orbit protocol (official client 0.2.1). */
  readonly legacy: boolean;
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
  ) {}

  async delegate(header: string): Promise<DelegateResult> {
    const token = decodeAuthorization(header);
    const record = verifiedDelegation(token, this.deps.verify);
    const bytes = token.kind === "cacao" ? token.cacao.bytes : utf8ToBytes(token.ucan.jwt);
    const spaces = spacesOf(record.capabilities);
    const legacy = spaces.length > 0 && spaces.every((s) => s.space.form === "orbit");
    const hosts = record.capabilities.filter(isHostCapability);

    const ctx = await loadAuthorityContext(this.deps.store, record.proofs, this.deps.now(), record.capabilities, this.deps.clockSkewSeconds);
    const validation = validateDelegation(record, ctx);
    if (!validation.ok) throw validation.error;

    for (const host of hosts) await this.host(record, host.resource, bytes);

    const activated: string[] = [];
    const skipped: string[] = [];
    for (const { id, space } of spaces) {
      const existing = await this.deps.store.getSpace(id);
      const written = formatSpaceId(space);
      if (existing === undefined) skipped.push(written);
      else activated.push(written);
    }
    // The legacy protocol answers 404 for a delegation into an orbit that is not hosted here; the
    // official client depends on it to start its host flow. Nothing is stored in that case.
    if (legacy && skipped.length > 0) throw new HttpError("SPACE_NOT_FOUND", `Orbit not found: ${skipped.join(", ")}`);

    await this.deps.store.write(this.stageDelegation(record, bytes));
    for (const { id } of spaces) await this.recordInSpace(id, record.cid);
    return { cid: record.cid, activated, skipped, legacy };
  }

  private stageDelegation(record: DelegationRecord, bytes: Uint8Array): Batch {
    const batch = new Batch();
    this.deps.store.putEvent(batch, record.cid, "delegation", bytes);
    this.deps.store.putDelegation(batch, record, bytes);
    return batch;
  }

  /** Create the space of a host delegation (idempotent: an existing space is left as it is). */
  private async host(record: DelegationRecord, resource: ResourceUri, bytes: Uint8Array): Promise<void> {
    const id = spaceKeyId(resource);
    if (record.issuer !== resource.space.did) {
      throw new HttpError("HOST_NOT_OWNER", `only the owner ${resource.space.did} can host ${formatSpaceId(resource.space)}`);
    }
    const hostKey = this.deps.keys.hostKey(formatSpaceId(resource.space)).did;
    const hostKeyCurrent = this.deps.keys.hostKey(id).did;
    if (![hostKey, hostKeyCurrent, this.deps.keys.identity.did].includes(record.audience)) {
      throw new HttpError("HOST_WRONG_NODE", `host delegation is addressed to ${record.audience}, not to this node (GET /peer/generate/<spaceId> gives ${hostKey})`);
    }
    await this.ledger.withSpace(id, async () => {
      if ((await this.deps.store.getSpace(id)) !== undefined) return;
      const batch = this.stageDelegation(record, bytes);
      this.ledger.genesis(batch, { id, form: resource.space.form, owner: resource.space.did, name: resource.space.name, host: record.cid, created: Date.now() }, record.cid);
      await this.deps.store.write(batch);
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
    await this.deps.store.write(batch);
    for (const { id } of spacesOf(target.capabilities)) await this.recordInSpace(id, revocation.cid);
    return { revoked: true, cid: target.cid };
  }

  /** Status of a delegation by CID, for `GET /delegations/:cid`. */
  async status(cidText: string): Promise<{ cid: string; exists: boolean; revoked: boolean; expired: boolean; active: boolean }> {
    let cid: CID;
    try {
      cid = parseCid(cidText);
    } catch (error) {
      throw new HttpError("BAD_CID", error instanceof Error ? error.message : "not a CID");
    }
    const record = await this.deps.store.getDelegation(cid);
    if (record === undefined) return { cid: cidText, exists: false, revoked: false, expired: false, active: false };
    const revoked = await this.deps.store.isRevoked(cid);
    const expired = record.expiration !== undefined && this.deps.now() > record.expiration + this.deps.clockSkewSeconds;
    return { cid: cid.toString(), exists: true, revoked, expired, active: !revoked && !expired };
  }
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
