/**
 * CACAO (CAIP-74) with SIWE (EIP-4361) + ReCap (EIP-5573): the wallet-signed root delegation.
 *
 * Bytes: DAG-CBOR `{h:{t:"eip4361"}, p:{…}, s:{t:"eip191", s:<65 bytes>}}`; header value: base64url
 * WITH canonical padding; CID: raw blake3 of the exact received bytes.
 *
 * Two wire spellings exist and both are decoded and reproduced byte-for-byte:
 * - legacy (official client 0.2.1 / cacaos 0.5.1): `version: "1"` (text), `requestId`, and the
 *   signature as a CBOR ARRAY of 65 integers (not a byte string) — observed in the official wasm's output;
 * - current (node 1.16, cacaos 1.0): `version: 1` (integer), `request_id`, signature as a byte string.
 * The signature is checked by rebuilding the SIWE text from `p` and recovering the EIP-191 signer.
 */
import * as dagCbor from "@ipld/dag-cbor";
import { type CID, rawBlake3Cid } from "../cid.js";
import { type PkhDid, parseDid } from "../did.js";
import { decodeBase64UrlPadded, encodeBase64UrlPadded, isPlainObject } from "../encoding.js";
import { CacaoError, EncodingError } from "../errors.js";
import { checkRecapStatement, extractRecap, type Recap } from "./recap.js";
import { formatSiweMessage, parseRfc3339, recoverEip191Address, type SiweMessageFields } from "./siwe.js";

/** Generous bound: a SIWE with hundreds of resources is still far below this. */
export const MAX_CACAO_BYTES = 64 * 1024;

export interface CacaoWireForm {
  /** `"1"` (legacy) or `1`. */
  readonly versionAsText: boolean;
  readonly requestIdKey: "requestId" | "request_id";
  /** Signature as a CBOR array of integers (legacy cacaos 0.5.1) instead of a byte string. */
  readonly signatureAsArray: boolean;
}

export const LEGACY_CACAO_FORM: CacaoWireForm = { versionAsText: true, requestIdKey: "requestId", signatureAsArray: true };
/** cacaos 1.0 (node 1.16): `version` is the integer 1, `request_id`, signature as a byte string. */
export const CURRENT_CACAO_FORM: CacaoWireForm = { versionAsText: false, requestIdKey: "request_id", signatureAsArray: false };

export interface Cacao {
  readonly siwe: SiweMessageFields;
  /** `did:pkh:eip155:<chain>:<address>` as written in `p.iss`. */
  readonly issuer: string;
  /** 65-byte `r ‖ s ‖ v`. */
  readonly signature: Uint8Array;
  readonly form: CacaoWireForm;
}

export interface DecodedCacao {
  readonly cacao: Cacao;
  readonly bytes: Uint8Array;
  readonly cid: CID;
}

const PAYLOAD_KEYS = new Set(["domain", "iss", "statement", "aud", "version", "nonce", "iat", "exp", "nbf", "requestId", "request_id", "resources", "scheme"]);

/** Decode an `Authorization` header value (base64url with padding) into a CACAO. */
export function decodeCacaoHeader(header: string): DecodedCacao {
  if (header.length > (MAX_CACAO_BYTES * 4) / 3 + 4) throw new CacaoError("CACAO_MALFORMED", "CACAO header is too large");
  return decodeCacao(decodeBase64UrlPadded(header, "CACAO header"));
}

export function encodeCacaoHeader(bytes: Uint8Array): string {
  return encodeBase64UrlPadded(bytes);
}

/** Decode and validate CACAO bytes. Does NOT verify the signature (see `verifyCacao`). */
export function decodeCacao(bytes: Uint8Array): DecodedCacao {
  if (bytes.length > MAX_CACAO_BYTES) throw new CacaoError("CACAO_MALFORMED", `CACAO is ${bytes.length} bytes, above ${MAX_CACAO_BYTES}`);
  let value: unknown;
  try {
    value = dagCbor.decode(bytes);
  } catch (cause) {
    throw new EncodingError("ENCODING_BAD_CBOR", `CACAO is not valid DAG-CBOR: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  if (!isPlainObject(value)) throw new CacaoError("CACAO_MALFORMED", "CACAO must be a CBOR map {h, p, s}");
  requireOnlyKeys(value, ["h", "p", "s"], "CACAO");
  const h = value["h"];
  const p = value["p"];
  const s = value["s"];
  if (!isPlainObject(h) || !isPlainObject(p) || !isPlainObject(s)) throw new CacaoError("CACAO_MALFORMED", "CACAO h, p and s must be maps");
  requireOnlyKeys(h, ["t"], "CACAO header");
  if (h["t"] !== "eip4361") throw new CacaoError("CACAO_UNSUPPORTED_TYPE", `unsupported CACAO header type ${JSON.stringify(h["t"])} (only eip4361)`);
  requireOnlyKeys(s, ["t", "s"], "CACAO signature");
  if (s["t"] !== "eip191") throw new CacaoError("CACAO_UNSUPPORTED_TYPE", `unsupported CACAO signature type ${JSON.stringify(s["t"])} (only eip191)`);
  const { signature, asArray } = readSignature(s["s"]);

  for (const key of Object.keys(p)) {
    if (!PAYLOAD_KEYS.has(key)) throw new CacaoError("CACAO_MALFORMED", `CACAO payload has an unknown field "${key.slice(0, 40)}"`);
  }
  if ("requestId" in p && "request_id" in p) throw new CacaoError("CACAO_MALFORMED", "CACAO payload has both requestId and request_id");
  const version = p["version"];
  if (version !== "1" && version !== 1) throw new CacaoError("CACAO_MALFORMED", `SIWE version must be 1, got ${JSON.stringify(version)}`);
  const issuer = text(p, "iss", true);
  const pkh = parseIssuer(issuer);
  const requestIdKey = "request_id" in p ? "request_id" : "requestId";
  const resources = p["resources"];
  if (resources !== undefined && (!Array.isArray(resources) || !resources.every((r: unknown) => typeof r === "string"))) {
    throw new CacaoError("CACAO_MALFORMED", "CACAO resources must be a list of strings");
  }
  const siwe: SiweMessageFields = {
    ...optional("scheme", text(p, "scheme", false)),
    domain: text(p, "domain", true),
    address: pkh.address,
    ...optional("statement", text(p, "statement", false)),
    uri: text(p, "aud", true),
    version: "1",
    chainId: pkh.chainId,
    nonce: text(p, "nonce", true),
    issuedAt: text(p, "iat", true),
    ...optional("expirationTime", text(p, "exp", false)),
    ...optional("notBefore", text(p, "nbf", false)),
    ...optional("requestId", text(p, requestIdKey, false)),
    ...optional("resources", resources as string[] | undefined),
  };
  // Validate timestamps now so a bad one is a decode error, not a surprise during authorization.
  parseRfc3339(siwe.issuedAt, "iat");
  if (siwe.expirationTime !== undefined) parseRfc3339(siwe.expirationTime, "exp");
  if (siwe.notBefore !== undefined) parseRfc3339(siwe.notBefore, "nbf");
  const cacao: Cacao = {
    siwe,
    issuer,
    signature,
    form: { versionAsText: version === "1", requestIdKey, signatureAsArray: asArray },
  };
  return { cacao, bytes, cid: rawBlake3Cid(bytes) };
}

/** Encode a CACAO as DAG-CBOR in its wire form (canonical key order comes from dag-cbor). */
export function encodeCacao(cacao: Cacao): Uint8Array {
  const { siwe, form } = cacao;
  const p: Record<string, unknown> = {
    domain: siwe.domain,
    iss: cacao.issuer,
    aud: siwe.uri,
    version: form.versionAsText ? "1" : 1,
    nonce: siwe.nonce,
    iat: siwe.issuedAt,
  };
  if (siwe.statement !== undefined) p["statement"] = siwe.statement;
  if (siwe.expirationTime !== undefined) p["exp"] = siwe.expirationTime;
  if (siwe.notBefore !== undefined) p["nbf"] = siwe.notBefore;
  if (siwe.requestId !== undefined) p[form.requestIdKey] = siwe.requestId;
  if (siwe.resources !== undefined) p["resources"] = [...siwe.resources];
  if (siwe.scheme !== undefined) p["scheme"] = siwe.scheme;
  const s = form.signatureAsArray ? Array.from(cacao.signature) : cacao.signature;
  return dagCbor.encode({ h: { t: "eip4361" }, p, s: { t: "eip191", s } });
}

/** The exact EIP-4361 text the wallet signed. */
export function cacaoMessage(cacao: Cacao): string {
  return formatSiweMessage(cacao.siwe);
}

/**
 * Verify a CACAO completely: EIP-191 signer = `iss`, ReCap present and last, statement generated from
 * the ReCap. Returns the ReCap. (Time bounds are checked by authority, against a caller-supplied now.)
 */
export function verifyCacao(cacao: Cacao): Recap {
  const recap = extractRecap(cacao.siwe.resources);
  checkRecapStatement(cacao.siwe.statement, recap);
  const recovered = recoverEip191Address(cacaoMessage(cacao), cacao.signature);
  if (recovered === undefined) throw new CacaoError("CACAO_BAD_SIGNATURE", "CACAO signature is not a valid EIP-191 secp256k1 signature");
  if (recovered !== cacao.siwe.address) {
    throw new CacaoError("CACAO_ISSUER_MISMATCH", `CACAO is signed by ${recovered}, not by its issuer ${cacao.siwe.address}`, {
      details: { recovered, issuer: cacao.issuer },
    });
  }
  return recap;
}

/** Build a CACAO from SIWE fields and the wallet's 65-byte signature (hex or bytes). */
export function cacaoFromSiwe(siwe: SiweMessageFields, signature: Uint8Array, form: CacaoWireForm = CURRENT_CACAO_FORM): Cacao {
  if (signature.length !== 65) throw new CacaoError("CACAO_BAD_SIGNATURE", `an EIP-191 signature is 65 bytes, got ${signature.length}`);
  return { siwe, issuer: `did:pkh:eip155:${siwe.chainId}:${siwe.address}`, signature, form };
}

function parseIssuer(issuer: string): PkhDid {
  const did = parseDid(issuer);
  if (did.method !== "pkh") throw new CacaoError("CACAO_MALFORMED", `CACAO iss must be a did:pkh:eip155 wallet, got ${issuer.slice(0, 80)}`);
  return did;
}

function readSignature(value: unknown): { signature: Uint8Array; asArray: boolean } {
  if (value instanceof Uint8Array) {
    if (value.length !== 65) throw new CacaoError("CACAO_BAD_SIGNATURE", `CACAO signature must be 65 bytes, got ${value.length}`);
    return { signature: value, asArray: false };
  }
  if (Array.isArray(value) && value.length === 65 && value.every((b: unknown) => Number.isInteger(b) && (b as number) >= 0 && (b as number) <= 255)) {
    return { signature: Uint8Array.from(value as number[]), asArray: true };
  }
  throw new CacaoError("CACAO_BAD_SIGNATURE", "CACAO signature must be 65 bytes");
}

function text(map: Record<string, unknown>, key: string, required: true): string;
function text(map: Record<string, unknown>, key: string, required: boolean): string | undefined;
function text(map: Record<string, unknown>, key: string, required: boolean): string | undefined {
  const value = map[key];
  if (value === undefined) {
    if (required) throw new CacaoError("CACAO_MALFORMED", `CACAO payload is missing "${key}"`);
    return undefined;
  }
  if (typeof value !== "string") throw new CacaoError("CACAO_MALFORMED", `CACAO payload field "${key}" must be text`);
  return value;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function requireOnlyKeys(map: Record<string, unknown>, allowed: readonly string[], what: string): void {
  for (const key of Object.keys(map)) {
    if (!allowed.includes(key)) throw new CacaoError("CACAO_MALFORMED", `${what} has an unknown field "${key.slice(0, 40)}"`);
  }
}
