/**
 * TinyCloud resource URIs.
 *
 * Two spellings reach a node:
 * - current (whitepaper Appendix B, node 1.16): `tinycloud:<did-suffix>:<space>/<service>/<path>`
 * - legacy orbit (official client 0.2.1, node 4ac251f): `tinycloud:<did-suffix>://<name>/<service>/<path>`
 * Both name the same space (DID + name); `form` records which spelling to write back.
 *
 * The reference node leaves names and paths unvalidated ("TODO validation"); we validate them so a bad
 * part gets a precise error instead of silently addressing a different key:
 * - space and service names: 1*(ALPHA / DIGIT / "-" / "_")
 * - path segments: RFC 3986 pchar (unreserved / pct-encoded / sub-delims / ":" / "@"), valid percent
 *   escapes that decode to UTF-8, and no "." or ".." segments (they would alias other keys).
 *   The whitepaper's pchar omits sub-delims; we keep them because real keys use `+ ( ) , ;`.
 * Other resource kinds are URNs: `urn:cid:<cid>` (revocation targets) and
 * `urn:tinycloud:encryption:<ownerDid>:<name>` (encryption networks); they match only by equality.
 */
import { canonicalDid } from "./did.js";
import { DidError, ResourceUriError } from "./errors.js";
import { parseCid } from "./cid.js";

export const SCHEME = "tinycloud:";

export type SpaceForm = "space" | "orbit";

export interface SpaceId {
  /** Canonical DID of the space owner (controller). */
  readonly did: string;
  readonly name: string;
  readonly form: SpaceForm;
}

export interface ResourceUri {
  readonly kind: "tinycloud";
  readonly space: SpaceId;
  /** Absent: the bare space. */
  readonly service?: string;
  /** Absent: the whole service. Kept exactly as written (percent-encoded). */
  readonly path?: string;
  readonly query?: string;
  readonly fragment?: string;
}

export interface UrnResource {
  readonly kind: "urn";
  readonly uri: string;
}

export type CapabilityResource = ResourceUri | UrnResource;

const NAME = /^[A-Za-z0-9_-]+$/;
// pchar without pct-encoded, which is checked separately.
const PATH_CHAR = /^[A-Za-z0-9\-._~!$&'()*+,;=:@%/]$/;

export function parseResourceUri(text: string): ResourceUri {
  if (typeof text !== "string") throw new ResourceUriError("URI_BAD_SCHEME", "resource URI must be a string");
  if (!text.startsWith(SCHEME)) {
    throw new ResourceUriError("URI_BAD_SCHEME", `resource URI must start with "${SCHEME}": ${clip(text)}`);
  }
  let rest = text.slice(SCHEME.length);
  let fragment: string | undefined;
  let query: string | undefined;
  const hash = rest.indexOf("#");
  if (hash !== -1) {
    fragment = rest.slice(hash + 1);
    rest = rest.slice(0, hash);
  }
  const question = rest.indexOf("?");
  if (question !== -1) {
    query = rest.slice(question + 1);
    rest = rest.slice(0, question);
  }

  const slash = rest.indexOf("/");
  let didSuffix: string;
  let name: string;
  let form: SpaceForm;
  let afterSpace: string | undefined;
  if (slash > 0 && rest[slash - 1] === ":" && rest[slash + 1] === "/") {
    // Legacy orbit form: `<did-suffix>://<name>[/<service>...]`
    form = "orbit";
    didSuffix = rest.slice(0, slash - 1);
    const tail = rest.slice(slash + 2);
    const next = tail.indexOf("/");
    name = next === -1 ? tail : tail.slice(0, next);
    afterSpace = next === -1 ? undefined : tail.slice(next + 1);
  } else {
    form = "space";
    const spacePart = slash === -1 ? rest : rest.slice(0, slash);
    afterSpace = slash === -1 ? undefined : rest.slice(slash + 1);
    const colon = spacePart.lastIndexOf(":");
    if (colon === -1) throw new ResourceUriError("URI_MISSING_SPACE", `resource URI has no ":<space>" after the DID: ${clip(text)}`);
    didSuffix = spacePart.slice(0, colon);
    name = spacePart.slice(colon + 1);
  }

  const space = makeSpaceId(didSuffix, name, form, text);
  let service: string | undefined;
  let path: string | undefined;
  if (afterSpace !== undefined) {
    const next = afterSpace.indexOf("/");
    service = next === -1 ? afterSpace : afterSpace.slice(0, next);
    if (service.length === 0) throw new ResourceUriError("URI_MISSING_SERVICE", `resource URI has an empty service after the space: ${clip(text)}`);
    if (!NAME.test(service)) {
      throw new ResourceUriError("URI_BAD_SERVICE", `service name "${clip(service)}" may only contain letters, digits, "-" and "_"`);
    }
    if (next !== -1) {
      path = afterSpace.slice(next + 1);
      validatePath(path);
    }
  } else if (query !== undefined) {
    // A bare space id never carries a query; a fragment is allowed (it is compared for equality).
    throw new ResourceUriError("URI_MISSING_SERVICE", `a query needs a service: ${clip(text)}`);
  }
  return {
    kind: "tinycloud",
    space,
    ...(service !== undefined ? { service } : {}),
    ...(path !== undefined ? { path } : {}),
    ...(query !== undefined ? { query } : {}),
    ...(fragment !== undefined ? { fragment } : {}),
  };
}

function makeSpaceId(didSuffix: string, name: string, form: SpaceForm, original: string): SpaceId {
  if (didSuffix.length === 0) throw new ResourceUriError("URI_BAD_DID", `resource URI has no DID: ${clip(original)}`);
  let did: string;
  try {
    did = canonicalDid(`did:${didSuffix}`);
  } catch (cause) {
    const reason = cause instanceof DidError ? cause.message : String(cause);
    throw new ResourceUriError("URI_BAD_DID", `resource URI has an invalid DID: ${reason}`, { cause });
  }
  if (name.length === 0) throw new ResourceUriError("URI_MISSING_SPACE", `resource URI has an empty space name: ${clip(original)}`);
  if (!NAME.test(name)) {
    throw new ResourceUriError("URI_BAD_SPACE_NAME", `space name "${clip(name)}" may only contain letters, digits, "-" and "_"`);
  }
  return { did, name, form };
}

/** Validate a KV/SQL path as written in a URI (percent-encoded). */
export function validatePath(path: string): void {
  if (path.length === 0) {
    throw new ResourceUriError("URI_BAD_PATH", 'empty path: omit the trailing "/" to address the whole service');
  }
  for (const ch of path) {
    if (!PATH_CHAR.test(ch)) {
      throw new ResourceUriError("URI_BAD_PATH", `path contains a character that must be percent-encoded: ${JSON.stringify(ch)}`);
    }
  }
  for (const segment of path.split("/")) {
    let decoded: string;
    if (/%(?![0-9A-Fa-f]{2})/.test(segment)) {
      throw new ResourceUriError("URI_BAD_PERCENT_ENCODING", `path segment "${clip(segment)}" has a "%" not followed by two hex digits`);
    }
    try {
      decoded = decodeURIComponent(segment);
    } catch (cause) {
      throw new ResourceUriError("URI_BAD_PERCENT_ENCODING", `path segment "${clip(segment)}" does not decode to UTF-8`, { cause });
    }
    if (decoded === "." || decoded === "..") {
      throw new ResourceUriError("URI_DOT_SEGMENT", `path segment "${segment}" is not allowed: "." and ".." would alias other keys`);
    }
    if (decoded.includes("/") || decoded.includes("\u0000")) {
      throw new ResourceUriError("URI_BAD_PATH", `path segment "${clip(segment)}" encodes "/" or NUL`);
    }
  }
}

export function formatSpaceId(space: SpaceId): string {
  const suffix = space.did.slice("did:".length);
  return space.form === "orbit" ? `${SCHEME}${suffix}://${space.name}` : `${SCHEME}${suffix}:${space.name}`;
}

export function formatResourceUri(resource: ResourceUri): string {
  let text = formatSpaceId(resource.space);
  if (resource.service !== undefined) {
    text += `/${resource.service}`;
    if (resource.path !== undefined) text += `/${resource.path}`;
    if (resource.query !== undefined) text += `?${resource.query}`;
  }
  if (resource.fragment !== undefined) text += `#${resource.fragment}`;
  return text;
}

/** Parse a bare space id (`tinycloud:pkh:…:default` or the orbit form); anything after it is an error. */
export function parseSpaceId(text: string): SpaceId {
  const parsed = parseResourceUri(text);
  if (parsed.service !== undefined || parsed.fragment !== undefined) {
    throw new ResourceUriError("URI_MISSING_SPACE", `expected a bare space id, got a resource URI: ${clip(text)}`);
  }
  return parsed.space;
}

/** The space id of an owner DID and a space name: the DID ↔ space bijection. */
export function spaceIdFor(ownerDid: string, name: string, form: SpaceForm = "space"): SpaceId {
  if (!ownerDid.startsWith("did:")) throw new ResourceUriError("URI_BAD_DID", `not a DID: ${clip(ownerDid)}`);
  return makeSpaceId(ownerDid.slice(4), name, form, ownerDid);
}

export function sameSpace(a: SpaceId, b: SpaceId): boolean {
  return a.did === b.did && a.name === b.name;
}

/** Stable key for a space, independent of the URI spelling. */
export function spaceKey(space: SpaceId): string {
  return `${space.did}:${space.name}`;
}

export function resourceOf(space: SpaceId, service?: string, path?: string): ResourceUri {
  if (service !== undefined && !NAME.test(service)) {
    throw new ResourceUriError("URI_BAD_SERVICE", `service name "${clip(service)}" may only contain letters, digits, "-" and "_"`);
  }
  if (path !== undefined) validatePath(path);
  return { kind: "tinycloud", space, ...(service !== undefined ? { service } : {}), ...(path !== undefined ? { path } : {}) };
}

/**
 * Path containment on "/" boundaries (reference `ResourceId::extends`): `photos` covers `photos` and
 * `photos/x`, never `photos2`. A base ending in "/" covers anything below it.
 */
export function pathCovers(base: string | undefined, child: string | undefined): boolean {
  if (base === undefined) return true;
  if (child === undefined) return false;
  if (!child.startsWith(base)) return false;
  return base.endsWith("/") || child.length === base.length || child[base.length] === "/";
}

/**
 * Does `base` cover `child`? Same space, same service, same fragment, path containment. The reference
 * node ignores the query; we require a base with a query to match it exactly, so a query can only narrow.
 */
export function resourceCovers(base: CapabilityResource, child: CapabilityResource): boolean {
  if (base.kind === "urn" || child.kind === "urn") {
    return base.kind === "urn" && child.kind === "urn" && base.uri === child.uri;
  }
  if (!sameSpace(base.space, child.space)) return false;
  if (base.service !== child.service) return false;
  if (base.fragment !== child.fragment) return false;
  if (base.query !== undefined && base.query !== child.query) return false;
  if (base.service === undefined) return true;
  return pathCovers(base.path, child.path);
}

export function parseUrnResource(text: string): UrnResource {
  if (text.startsWith("urn:cid:")) {
    try {
      parseCid(text.slice("urn:cid:".length));
    } catch (cause) {
      throw new ResourceUriError("URI_BAD_URN", `urn:cid resource does not hold a valid CID: ${clip(text)}`, { cause });
    }
    return { kind: "urn", uri: text };
  }
  if (text.startsWith("urn:tinycloud:encryption:")) {
    const body = text.slice("urn:tinycloud:encryption:".length);
    const colon = body.lastIndexOf(":");
    const owner = colon === -1 ? "" : body.slice(0, colon);
    const name = colon === -1 ? "" : body.slice(colon + 1);
    try {
      canonicalDid(owner);
    } catch (cause) {
      throw new ResourceUriError("URI_BAD_URN", `encryption network URN has an invalid owner DID: ${clip(text)}`, { cause });
    }
    if (!NAME.test(name)) throw new ResourceUriError("URI_BAD_URN", `encryption network name "${clip(name)}" is invalid`);
    return { kind: "urn", uri: text };
  }
  throw new ResourceUriError("URI_BAD_URN", `unsupported URN resource: ${clip(text)}`);
}

/** Parse any capability resource: a tinycloud URI or one of the supported URNs. */
export function parseCapabilityResource(text: string): CapabilityResource {
  if (typeof text === "string" && text.startsWith("urn:")) return parseUrnResource(text);
  return parseResourceUri(text);
}

export function formatCapabilityResource(resource: CapabilityResource): string {
  return resource.kind === "urn" ? resource.uri : formatResourceUri(resource);
}

/** The urn:cid resource naming a delegation (revocation target, status queries). */
export function cidUrn(cid: { toString(): string }): UrnResource {
  return { kind: "urn", uri: `urn:cid:${cid.toString()}` };
}

function clip(text: string): string {
  return text.length > 100 ? `${text.slice(0, 97)}...` : text;
}
