/**
 * What the state tree publishes about a private space, and how a reader who holds its secrets checks it.
 *
 * A space named `public` is public: its keys and leaves are the plain formulas of state-tree.ts, and
 * everything about it is served to anyone. Every other space is private: an outsider learns at most
 * that it exists and opaque commitments. Two salts make that hold against a guessing attacker:
 *
 * - the SPACE SALT (one per space, 248 random bits) salts every key of the space
 *   (`stateKey(spaceId, service, path, spaceSalt)`), so a guessed key name cannot be located among the
 *   published keys. It is committed in the tree once, at the public position
 *   `spaceSaltKey(spaceId) = stateKey(spaceId, "space", "salt")` with leaf value `H2(spaceSalt, 0)`: at
 *   any root a space has exactly one salt, so a reader who checks the salt leaf and the entry against the
 *   same root gets the one leaf that path has at that root (a node cannot answer from another salt);
 * - the LEAF SALT (one per stored version, 248 random bits) makes the leaf value
 *   `H4(contentHash, version, deleted, salt)` a hiding commitment: a guessed value cannot be confirmed.
 *
 * Both reach authorized readers with the value (the node's proof response and the batch records it
 * serves to a holder of a read capability), so they verify exactly as a public reader does.
 */
import { parseSpaceId } from "../resource.js";
import { hash2, stateKey } from "./state-tree.js";

/** The space name that makes a space public (reads need no authorization). */
export const PUBLIC_SPACE_NAME = "public";

/** The service and path of the leaf that commits a private space's salt. */
export const SPACE_SALT_SERVICE = "space";
export const SPACE_SALT_PATH = "salt";

/** Salts are 248-bit (31 bytes), like state keys: below p, and the width the key encoding takes. */
export const SALT_BYTES = 31;

/** Is this space id public? Anything that does not parse as a space id is private (fail closed). */
export function isPublicSpaceId(spaceId: string): boolean {
  try {
    return parseSpaceId(spaceId).name === PUBLIC_SPACE_NAME;
  } catch {
    return false;
  }
}

/** Where a private space's salt is committed (a public, unsalted key: it reveals only that the space exists). */
export function spaceSaltKey(spaceId: string): bigint {
  return stateKey(spaceId, SPACE_SALT_SERVICE, SPACE_SALT_PATH);
}

/** The leaf value that commits a space salt: `H2(spaceSalt, 0)` (hiding: the salt is 248 random bits). */
export function spaceSaltLeafValue(spaceSalt: bigint): bigint {
  return hash2(spaceSalt, 0n);
}

/** A salt from 31 random bytes (the caller supplies them: core does no I/O). */
export function saltFromBytes(bytes: Uint8Array): bigint {
  if (!(bytes instanceof Uint8Array) || bytes.length !== SALT_BYTES) throw new TypeError(`a salt is ${SALT_BYTES} bytes`);
  let out = 0n;
  for (const byte of bytes) out = (out << 8n) | BigInt(byte);
  return out;
}
