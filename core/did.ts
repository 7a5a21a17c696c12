/**
 * DIDs used by TinyCloud: `did:pkh:eip155:<chain>:<address>` for wallets and `did:key` for
 * Ed25519 / secp256k1 keys, plus DID URLs (`did:key:z6Mk…#z6Mk…`) as UCAN issuers and SIWE URIs.
 *
 * Canonical form: pkh addresses in EIP-55 checksum case, chain id a positive decimal without
 * leading zeros. The reference node compares DID strings after this canonicalization, so every
 * comparison in the core goes through `canonicalDid`.
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { base58btc } from "multiformats/bases/base58";
import { varint } from "multiformats";
import { getAddress } from "viem";
import { DidError } from "./errors.js";

export const ED25519_PUB_MULTICODEC = 0xed;
export const SECP256K1_PUB_MULTICODEC = 0xe7;

export type KeyType = "ed25519" | "secp256k1";

export interface PkhDid {
  readonly method: "pkh";
  readonly did: string;
  readonly namespace: "eip155";
  readonly chainId: number;
  /** EIP-55 checksummed address. */
  readonly address: `0x${string}`;
}

export interface KeyDid {
  readonly method: "key";
  readonly did: string;
  readonly keyType: KeyType;
  readonly publicKey: Uint8Array;
  /** The multibase identifier (`z6Mk…`), also the default verification-method fragment. */
  readonly multibase: string;
}

export type ParsedDid = PkhDid | KeyDid;

export interface DidUrl {
  readonly did: string;
  readonly fragment?: string;
}

const METHOD_NAME = /^[a-z0-9]+$/;
// did-syntax method-specific-id: idchar = ALPHA / DIGIT / "." / "-" / "_" / pct-encoded, with ':' separators.
const METHOD_SPECIFIC_ID = /^(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})*(?::(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})*)*$/;
const DECIMAL = /^[1-9][0-9]*$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/** Split a DID URL into the DID and its fragment. Paths and queries on DID URLs are not used here. */
export function parseDidUrl(text: string): DidUrl {
  if (typeof text !== "string") throw new DidError("DID_MALFORMED", "DID must be a string");
  const hash = text.indexOf("#");
  if (hash === -1) return { did: text };
  const fragment = text.slice(hash + 1);
  if (fragment.length === 0 || /[#\s]/.test(fragment)) {
    throw new DidError("DID_BAD_FRAGMENT", `DID URL has an invalid fragment: ${clip(text)}`);
  }
  return { did: text.slice(0, hash), fragment };
}

function splitDid(text: string): { method: string; id: string } {
  if (typeof text !== "string" || !text.startsWith("did:")) {
    throw new DidError("DID_MALFORMED", `not a DID (must start with "did:"): ${clip(String(text))}`);
  }
  const rest = text.slice(4);
  const colon = rest.indexOf(":");
  if (colon <= 0) throw new DidError("DID_MALFORMED", `DID has no method-specific id: ${clip(text)}`);
  const method = rest.slice(0, colon);
  const id = rest.slice(colon + 1);
  if (!METHOD_NAME.test(method)) throw new DidError("DID_MALFORMED", `DID method "${clip(method)}" is not lowercase alphanumeric`);
  if (id.length === 0 || !METHOD_SPECIFIC_ID.test(id) || id.endsWith(":")) {
    throw new DidError("DID_MALFORMED", `DID has an invalid method-specific id: ${clip(text)}`);
  }
  return { method, id };
}

/**
 * Parsed DIDs are memoized: the same few session keys and wallets appear in every request, and
 * parsing is the expensive part of a chain check (EIP-55 keccak, Ed25519 point decompression).
 * Results are immutable, and only successful parses are cached, so the cache cannot change an answer.
 */
const parsedDids = new Map<string, ParsedDid>();
const PARSED_DID_CACHE_LIMIT = 4096;

/** Parse a did:pkh (eip155) or did:key. Other methods are rejected with DID_UNSUPPORTED_METHOD. */
export function parseDid(text: string): ParsedDid {
  let parsed = parsedDids.get(text);
  if (parsed === undefined) {
    parsed = Object.freeze(parseDidUncached(text));
    if (parsedDids.size >= PARSED_DID_CACHE_LIMIT) parsedDids.delete(parsedDids.keys().next().value as string);
    parsedDids.set(text, parsed);
  }
  // Byte arrays cannot be frozen: hand out a copy so no caller can corrupt the cached key.
  return parsed.method === "key" ? { ...parsed, publicKey: parsed.publicKey.slice() } : parsed;
}

function parseDidUncached(text: string): ParsedDid {
  if (typeof text === "string" && text.includes("#")) {
    throw new DidError("DID_MALFORMED", `expected a DID, got a DID URL with a fragment: ${clip(text)}`);
  }
  const { method, id } = splitDid(text);
  if (method === "pkh") return parsePkh(id, text);
  if (method === "key") return parseKey(id, text);
  throw new DidError("DID_UNSUPPORTED_METHOD", `unsupported DID method "did:${method}" (supported: did:pkh:eip155, did:key)`);
}

/**
 * Canonical string of any syntactically valid DID: pkh is EIP-55 canonicalized, did:key is
 * validated, other methods pass through unchanged (reference-node behaviour).
 */
export function canonicalDid(text: string): string {
  const { method } = splitDid(text);
  if (method === "pkh" || method === "key") return parseDid(text).did;
  return text;
}

/** Canonical DID of a DID or DID URL with its fragment stripped (delegatee matching). */
export function canonicalDidOfUrl(text: string): string {
  return canonicalDid(parseDidUrl(text).did);
}

function parsePkh(id: string, original: string): PkhDid {
  const parts = id.split(":");
  if (parts.length !== 3) {
    throw new DidError("DID_MALFORMED", `did:pkh must be did:pkh:<namespace>:<chain>:<address>: ${clip(original)}`);
  }
  const [namespace, chain, address] = parts as [string, string, string];
  if (namespace !== "eip155") {
    throw new DidError("DID_UNSUPPORTED_METHOD", `unsupported did:pkh namespace "${clip(namespace)}" (only eip155)`);
  }
  if (!DECIMAL.test(chain) || !Number.isSafeInteger(Number(chain))) {
    throw new DidError("DID_BAD_CHAIN_ID", `did:pkh chain id must be a positive decimal integer without leading zeros, got "${clip(chain)}"`);
  }
  const chainId = Number(chain);
  const checksummed = checksumAddress(address);
  return { method: "pkh", namespace, chainId, address: checksummed, did: `did:pkh:eip155:${chainId}:${checksummed}` };
}

/**
 * EIP-55 checksum an address. All-lowercase and all-uppercase addresses carry no checksum and are
 * accepted; a mixed-case address must already be correctly checksummed (it is almost certainly a typo otherwise).
 */
export function checksumAddress(address: string): `0x${string}` {
  if (!ADDRESS.test(address)) {
    throw new DidError("DID_BAD_ADDRESS", `not a 20-byte hex address: ${clip(address)}`);
  }
  const body = address.slice(2);
  const checksummed = getAddress(`0x${body.toLowerCase()}`);
  const mixed = body !== body.toLowerCase() && body !== body.toUpperCase();
  if (mixed && checksummed !== address) {
    throw new DidError("DID_BAD_CHECKSUM", `address has an invalid EIP-55 checksum: ${address} (expected ${checksummed})`);
  }
  return checksummed;
}

function parseKey(id: string, original: string): KeyDid {
  if (!id.startsWith("z")) {
    throw new DidError("DID_BAD_KEY", `did:key must use base58btc multibase ('z' prefix): ${clip(original)}`);
  }
  let bytes: Uint8Array;
  try {
    bytes = base58btc.decode(id);
  } catch (cause) {
    throw new DidError("DID_BAD_KEY", `did:key is not valid base58btc: ${clip(original)}`, { cause });
  }
  let codec: number;
  let offset: number;
  try {
    [codec, offset] = varint.decode(bytes);
  } catch (cause) {
    throw new DidError("DID_BAD_KEY", "did:key has no multicodec prefix", { cause });
  }
  const key = bytes.subarray(offset);
  if (codec === ED25519_PUB_MULTICODEC) {
    if (key.length !== 32) throw new DidError("DID_BAD_KEY", `Ed25519 did:key must hold 32 bytes, got ${key.length}`);
    try {
      ed25519.Point.fromBytes(key);
    } catch (cause) {
      throw new DidError("DID_BAD_KEY", "Ed25519 did:key is not a valid curve point", { cause });
    }
    return { method: "key", keyType: "ed25519", publicKey: key, multibase: id, did: original };
  }
  if (codec === SECP256K1_PUB_MULTICODEC) {
    if (key.length !== 33) throw new DidError("DID_BAD_KEY", `secp256k1 did:key must hold a 33-byte compressed key, got ${key.length}`);
    try {
      secp256k1.Point.fromBytes(key);
    } catch (cause) {
      throw new DidError("DID_BAD_KEY", "secp256k1 did:key is not a valid curve point", { cause });
    }
    return { method: "key", keyType: "secp256k1", publicKey: key, multibase: id, did: original };
  }
  throw new DidError("DID_UNSUPPORTED_KEY_TYPE", `did:key multicodec 0x${codec.toString(16)} is not supported (Ed25519 0xed, secp256k1 0xe7)`);
}

/** `did:key:z…` for a public key. */
export function didKeyFromPublicKey(publicKey: Uint8Array, keyType: KeyType = "ed25519"): string {
  const codec = keyType === "ed25519" ? ED25519_PUB_MULTICODEC : SECP256K1_PUB_MULTICODEC;
  const expected = keyType === "ed25519" ? 32 : 33;
  if (publicKey.length !== expected) throw new DidError("DID_BAD_KEY", `${keyType} public key must be ${expected} bytes`);
  const prefix = varint.encodeTo(codec, new Uint8Array(varint.encodingLength(codec)));
  const bytes = new Uint8Array(prefix.length + publicKey.length);
  bytes.set(prefix, 0);
  bytes.set(publicKey, prefix.length);
  return `did:key:${base58btc.encode(bytes)}`;
}

/** The conventional verification method of a did:key: `did:key:X#X`. */
export function didKeyVerificationMethod(didKey: string): string {
  const parsed = parseDid(didKey);
  if (parsed.method !== "key") throw new DidError("DID_UNSUPPORTED_METHOD", "verification methods are only derived for did:key");
  return `${parsed.did}#${parsed.multibase}`;
}

/**
 * Resolve the signing key of a did:key DID URL. The fragment, when present, must name the key
 * itself: a did:key document has exactly one verification method.
 */
export function resolveDidKey(didUrl: string): KeyDid {
  const { did, fragment } = parseDidUrl(didUrl);
  const parsed = parseDid(did);
  if (parsed.method !== "key") {
    throw new DidError("DID_UNSUPPORTED_METHOD", `cannot resolve a signing key for ${parsed.method === "pkh" ? "did:pkh (wallets sign CACAOs, not UCANs)" : did}`);
  }
  if (fragment !== undefined && fragment !== parsed.multibase) {
    throw new DidError("DID_BAD_FRAGMENT", `did:key fragment "#${clip(fragment)}" does not name the key ${parsed.multibase}`);
  }
  return parsed;
}

/** did:pkh:eip155 DID for a chain and address. */
export function pkhDid(chainId: number, address: string): string {
  return parsePkh(`eip155:${chainId}:${address}`, `did:pkh:eip155:${chainId}:${address}`).did;
}

function clip(text: string): string {
  return text.length > 100 ? `${text.slice(0, 97)}...` : text;
}
