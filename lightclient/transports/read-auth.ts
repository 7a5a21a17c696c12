/**
 * Read authorization for private spaces (issue 12 §2): a reader who holds a delegation of
 * `tinycloud.kv/get` signs its requests with a UCAN invocation, sent as the `Authorization` header
 * exactly like POST /invoke (iss = aud = the reader's did:key, `prf` = CIDs of delegations registered at
 * the node). The node accepts a read token on GET routes several times within its lifetime (at most
 * 300 s); POST /invoke consumes it, so each value fetch gets a fresh one.
 *
 * Browser-safe: the signer is injected (an Ed25519 session key), nothing here does I/O.
 */
import { makeCapability } from "../../core/capability.js";
import { createUcan } from "../../core/auth/ucan.js";
import type { Ed25519Signer } from "../../core/keys.js";
import { formatCapabilityResource, parseSpaceId, resourceOf } from "../../core/resource.js";

/** A fresh `Authorization` header value: an invocation of tinycloud.kv/get on `resource` (a KV URI, maybe with `?version=N`). */
export type ReadAuthorization = (resource: string) => string | Promise<string>;

/** The node refuses read tokens that live longer than this (seconds). */
export const MAX_READ_TOKEN_SECONDS = 300;

export interface ReaderKey {
  /** The reader's session key (its did:key is the delegation's audience). */
  readonly signer: Ed25519Signer;
  /** CIDs of the delegations to the reader, registered at the node (POST /delegate). */
  readonly proofs: readonly string[];
  /** Token lifetime in seconds (default 120, at most 300). */
  readonly lifetimeSeconds?: number;
  /** Clock in ms (default Date.now). */
  readonly now?: () => number;
}

const KV_GET = "tinycloud.kv/get";

function lifetimeOf(key: ReaderKey): number {
  const seconds = key.lifetimeSeconds ?? 120;
  if (!Number.isSafeInteger(seconds) || seconds < 10 || seconds > MAX_READ_TOKEN_SECONDS) throw new RangeError(`a read token lives 10..${MAX_READ_TOKEN_SECONDS} s, not ${seconds}`);
  return seconds;
}

/** Sign one read invocation carrying tinycloud.kv/get on each resource. */
export function signReadInvocation(key: ReaderKey, resources: readonly string[]): string {
  const now = Math.floor((key.now ?? Date.now)() / 1000);
  return createUcan({
    issuer: key.signer,
    audience: key.signer.did,
    capabilities: resources.map((r) => makeCapability(r, KV_GET)),
    proofs: key.proofs,
    expiration: now + lifetimeOf(key),
    nonce: `urn:uuid:${crypto.randomUUID()}`,
  });
}

/** One fresh invocation per request (the light client: a proof read, then a value fetch via POST /invoke). */
export function readAuthorization(key: ReaderKey): ReadAuthorization {
  lifetimeOf(key);
  return (resource) => signReadInvocation(key, [resource]);
}

/** `<space>/kv`: the whole kv service of a space, what a whole-space history read needs. */
export function spaceKvResource(spaceId: string): string {
  return formatCapabilityResource(resourceOf({ ...parseSpaceId(spaceId), form: "space" }, "kv"));
}

/**
 * The auditor's header: ONE invocation with tinycloud.kv/get on `<space>/kv` for every space it may read,
 * reused for every request (GET reads are not consumed) and re-signed once it is within a third of its
 * lifetime of expiring, so a long audit never sends an expired token.
 */
export function spacesAuthorization(key: ReaderKey, spaceIds: readonly string[]): () => string {
  const lifetime = lifetimeOf(key);
  if (spaceIds.length === 0) throw new RangeError("name at least one space to read");
  const resources = spaceIds.map(spaceKvResource);
  const clock = key.now ?? Date.now;
  let token: { header: string; expires: number } | undefined;
  return () => {
    const now = clock();
    if (token === undefined || now > token.expires - (lifetime * 1000) / 3) token = { header: signReadInvocation(key, resources), expires: now + lifetime * 1000 };
    return token.header;
  };
}
