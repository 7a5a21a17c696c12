/**
 * Who may read a private space's history through the GET routes (issue: private spaces stay private).
 *
 * A caller proves a read capability the same way it invokes anything: `Authorization: <UCAN invocation>`
 * (iss = aud = the reader's key, `prf` = delegations registered here), checked against the delegation
 * chain exactly as POST /invoke checks it. Unlike an invocation, a read token is NOT consumed by the
 * replay guard: a GET changes nothing, and an auditor walking hundreds of batches may reuse one token for
 * its (short, at most `invocationMaxLifetimeSeconds`) lifetime. It is a bearer token for that lifetime.
 *
 * Two reads are distinguished:
 * - an ENTRY (a state proof of one KV uri): a capability covering `tinycloud.kv/get` on that uri;
 * - a SPACE's history (its events, epochs, op blocks, full batch updates): `tinycloud.kv/get` on the
 *   space's whole kv service (`<space>/kv`), because that history names every key of the space.
 */
import { type Capability, capabilityCovers, makeCapability } from "../../core/capability.js";
import { isPublicSpaceId } from "../../core/state/privacy.js";
import { parseSpaceId, resourceOf, type ResourceUri } from "../../core/resource.js";
import { HttpError } from "./http-error.js";
import { verifyInvocationToken } from "./invocation-token.js";
import type { ServiceDeps } from "./service-deps.js";

/** The capabilities a request holds: none (anonymous), or those of one verified invocation. */
export interface ReadGrant {
  readonly capabilities: readonly Capability[];
}

const ANONYMOUS: ReadGrant = { capabilities: [] };

const READ = "tinycloud.kv/get";

export class ReadGate {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly maxLifetimeSeconds: number,
  ) {}

  /** The grant an `Authorization` header carries (anonymous without one). A bad token is a 4xx, never ignored. */
  async grant(authorization: string | string[] | undefined): Promise<ReadGrant> {
    if (authorization === undefined || authorization === "") return ANONYMOUS;
    if (typeof authorization !== "string") throw new HttpError("BAD_AUTHORIZATION", "send one Authorization header");
    if (!authorization.includes(".")) throw new HttpError("NOT_A_UCAN", "a read of a private space is authorized by a UCAN invocation (a JWT)");
    const { capabilities } = await verifyInvocationToken(this.deps, authorization, this.maxLifetimeSeconds);
    return { capabilities };
  }

  /** May this grant read the whole history of `spaceId`? Public spaces: anyone. */
  canReadSpace(grant: ReadGrant, spaceId: string): boolean {
    if (isPublicSpaceId(spaceId)) return true;
    const wanted = makeCapability(resourceOf(parseSpaceId(spaceId), "kv"), READ);
    return grant.capabilities.some((held) => capabilityCovers(held, wanted));
  }

  /** May this grant read the entry `resource` (a kv uri) of `spaceId`? */
  canReadEntry(grant: ReadGrant, spaceId: string, resource: ResourceUri): boolean {
    if (isPublicSpaceId(spaceId)) return true;
    const { query: _query, fragment: _fragment, ...entry } = resource;
    const wanted = makeCapability(entry, READ);
    return grant.capabilities.some((held) => capabilityCovers(held, wanted));
  }

  /**
   * Refuse unless the grant reads one of the spaces `cid`'s bytes belong to. ONE suffices: the bytes are
   * the same in each (content addressing), so bytes that a public space holds are public already. No
   * recorded owner (bytes in no space's history) counts as private.
   */
  requireAnyOwner(grant: ReadGrant, owners: readonly string[], what: string): void {
    if (owners.some((spaceId) => this.canReadSpace(grant, spaceId))) return;
    // The message names no space: which space a CID belongs to is itself private.
    throw privateSpace(what);
  }
}

export function privateSpace(what: string, spaceId?: string): HttpError {
  return new HttpError(
    "PRIVATE_SPACE",
    `${what} belongs to ${spaceId ?? "a private space"}: send Authorization: <UCAN invocation> holding tinycloud.kv/get on ${spaceId !== undefined ? `${spaceId}/kv` : "<space>/kv"} (see README, "Privacy")`,
  );
}
