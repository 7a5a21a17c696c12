/**
 * UCAN JWTs, EdDSA (Ed25519) only.
 *
 * - 0.10.0 (current node): header `{alg, jwk?, typ, ucv}`, `att` is `{resource: {ability: [caveats]}}`,
 *   `prf` is a list of CID strings, an empty caveat list is written `[{}]` and `[]` is rejected.
 * - 0.9.0 (legacy official client): header `{alg, typ, ucv}`, `att` is `[{with, can}]`, `prf` holds
 *   DAG-JSON links `{"/": cid}` (plain strings are accepted too, as by the ssi fallback decoder).
 *
 * The invocation/delegation CID is blake3 over the JWT's ASCII bytes, exactly as received.
 */
import { type Capability, makeCapability, normalizeCaveats, wireCaveats, type Caveat } from "../capability.js";
import { type CID, parseCid, rawBlake3Cid } from "../cid.js";
import { parseDidUrl, resolveDidKey } from "../did.js";
import { bytesToUtf8, canonicalJson, decodeBase64UrlUnpadded, encodeBase64UrlUnpadded, equalBytes, isPlainObject, parseJson, utf8ToBytes } from "../encoding.js";
import { AbilityError, EncodingError, UcanError } from "../errors.js";
import { ed25519PublicJwk, type Ed25519Signer, type Ed25519Verify, nobleEd25519Verify } from "../keys.js";
import { formatCapabilityResource } from "../resource.js";
import { ABILITY_PREFIX, parseAbility } from "../abilities.js";

export type UcanVersion = "0.9.0" | "0.10.0";

/** Generous upper bound: a header far larger than any real UCAN is an attack, not a token. */
export const MAX_UCAN_LENGTH = 64 * 1024;

export interface Ucan {
  readonly version: UcanVersion;
  /** As written (a DID URL for session keys: `did:key:X#X`). */
  readonly issuer: string;
  readonly audience: string;
  readonly capabilities: readonly Capability[];
  readonly proofs: readonly CID[];
  /** Seconds since the epoch (may be fractional). Required by both versions. */
  readonly expiration: number;
  readonly notBefore: number | undefined;
  readonly nonce: string | undefined;
  /** Facts as a list of objects (0.9/0.10 arrays; a 0.10 object becomes a one-element list). */
  readonly facts: readonly Readonly<Record<string, unknown>>[];
  readonly header: Readonly<Record<string, unknown>>;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly signature: Uint8Array;
  /** ASCII of `base64url(header).base64url(payload)`: what the signature covers. */
  readonly signingInput: Uint8Array;
  readonly jwt: string;
  readonly cid: CID;
}

const JWT_SEGMENT = /^[A-Za-z0-9_-]+$/;

/** Decode and validate a UCAN's structure. Does NOT check the signature (see `verifyUcanSignature`). */
export function decodeUcan(jwt: string): Ucan {
  if (typeof jwt !== "string") throw new UcanError("UCAN_MALFORMED", "UCAN must be a string");
  if (jwt.length > MAX_UCAN_LENGTH) throw new UcanError("UCAN_MALFORMED", `UCAN is ${jwt.length} bytes, above the ${MAX_UCAN_LENGTH}-byte limit`);
  const parts = jwt.split(".");
  if (parts.length !== 3) throw new UcanError("UCAN_MALFORMED", `a UCAN JWT has 3 dot-separated parts, got ${parts.length}`);
  const [h, p, s] = parts as [string, string, string];
  for (const [name, segment] of [
    ["header", h],
    ["payload", p],
    ["signature", s],
  ] as const) {
    if (segment.includes("=")) throw new EncodingError("ENCODING_BAD_PADDING", `UCAN ${name} must be base64url without '=' padding`);
    if (!JWT_SEGMENT.test(segment)) throw new EncodingError("ENCODING_BAD_BASE64", `UCAN ${name} is not base64url`);
  }
  const header = decodeJsonSegment(h, "header");
  const payload = decodeJsonSegment(p, "payload");
  const signature = decodeBase64UrlUnpadded(s, "UCAN signature");

  const version = header["ucv"];
  if (version !== "0.9.0" && version !== "0.10.0") {
    throw new UcanError("UCAN_UNSUPPORTED_VERSION", `unsupported UCAN version ${JSON.stringify(version)} (supported: 0.9.0, 0.10.0)`);
  }
  if (header["typ"] !== "JWT") throw new UcanError("UCAN_MALFORMED", `UCAN header typ must be "JWT"`);
  if (header["alg"] !== "EdDSA") {
    throw new UcanError("UCAN_UNSUPPORTED_ALGORITHM", `unsupported UCAN algorithm ${JSON.stringify(header["alg"])} (only EdDSA/Ed25519)`);
  }
  if (signature.length !== 64) throw new UcanError("UCAN_MALFORMED", `an Ed25519 signature is 64 bytes, got ${signature.length}`);

  const issuer = requireString(payload, "iss");
  const audience = requireString(payload, "aud");
  if (!issuer.startsWith("did:")) throw new UcanError("UCAN_MALFORMED", `UCAN iss must be a DID URL, got ${JSON.stringify(issuer.slice(0, 80))}`);
  parseDidUrl(issuer);
  if (!audience.startsWith("did:") || audience.includes("#")) {
    throw new UcanError("UCAN_MALFORMED", `UCAN aud must be a DID without a fragment, got ${JSON.stringify(audience.slice(0, 80))}`);
  }
  const expiration = readTime(payload, "exp", true) as number;
  const notBefore = readTime(payload, "nbf", false);
  const nonceValue = payload["nnc"];
  if (nonceValue !== undefined && typeof nonceValue !== "string") throw new UcanError("UCAN_MALFORMED", "UCAN nnc must be a string");
  const capabilities = version === "0.9.0" ? readAttV09(payload["att"]) : readAttV010(payload["att"]);
  const proofs = readProofs(payload["prf"]);
  const facts = readFacts(payload["fct"]);

  return {
    version,
    issuer,
    audience,
    capabilities,
    proofs,
    expiration,
    notBefore,
    nonce: nonceValue,
    facts,
    header,
    payload,
    signature,
    signingInput: utf8ToBytes(`${h}.${p}`),
    jwt,
    cid: rawBlake3Cid(utf8ToBytes(jwt)),
  };
}

/**
 * Verify the Ed25519 signature against the issuer's did:key. A `jwk` in the header (0.10, written by
 * ssi) must be the same key: a token that names one key and embeds another is rejected.
 */
export function verifyUcanSignature(ucan: Ucan, verify: Ed25519Verify = nobleEd25519Verify): void {
  const key = resolveDidKey(ucan.issuer);
  if (key.keyType !== "ed25519") throw new UcanError("UCAN_UNSUPPORTED_ALGORITHM", "EdDSA UCANs need an Ed25519 did:key issuer");
  const jwk = ucan.header["jwk"];
  if (jwk !== undefined) {
    if (!isPlainObject(jwk) || jwk["kty"] !== "OKP" || jwk["crv"] !== "Ed25519" || typeof jwk["x"] !== "string") {
      throw new UcanError("UCAN_JWK_MISMATCH", "UCAN header jwk is not an Ed25519 OKP key");
    }
    const x = decodeBase64UrlUnpadded(jwk["x"] as string, "jwk.x");
    if (!equalBytes(x, key.publicKey)) throw new UcanError("UCAN_JWK_MISMATCH", "UCAN header jwk does not match the issuer did:key");
  }
  if (!verify(ucan.signature, ucan.signingInput, key.publicKey)) {
    throw new UcanError("UCAN_BAD_SIGNATURE", `UCAN signature does not verify for issuer ${ucan.issuer}`);
  }
}

export interface CreateUcanParameters {
  readonly issuer: Ed25519Signer;
  /** Defaults to the issuer's DID (self-addressed invocation). */
  readonly audience?: string;
  readonly capabilities: readonly Capability[];
  readonly proofs?: readonly (CID | string)[];
  /** Seconds since the epoch. */
  readonly expiration: number;
  readonly notBefore?: number;
  readonly nonce?: string;
  readonly facts?: readonly Readonly<Record<string, unknown>>[];
  readonly version?: UcanVersion;
}

/** Create and sign a UCAN JWT (0.10.0 by default). `iss` is the signer's verification method. */
export function createUcan(params: CreateUcanParameters): string {
  const version = params.version ?? "0.10.0";
  const issuer = params.issuer;
  const header = version === "0.10.0" ? { alg: "EdDSA", jwk: ed25519PublicJwk(issuer.publicKey), typ: "JWT", ucv: "0.10.0" } : { alg: "EdDSA", typ: "JWT", ucv: "0.9.0" };
  const proofs = (params.proofs ?? []).map((p) => p.toString());
  // Member order as the Rust producers write it: ssi's Payload struct order for 0.10
  // (iss, aud, nbf?, exp, nnc?, fct?, prf, att); serde's sorted order for the legacy 0.9 client.
  const payload: Record<string, unknown> =
    version === "0.10.0"
      ? {
          iss: issuer.verificationMethod,
          aud: params.audience ?? issuer.did,
          ...(params.notBefore !== undefined ? { nbf: params.notBefore } : {}),
          exp: params.expiration,
          ...(params.nonce !== undefined ? { nnc: params.nonce } : {}),
          ...(params.facts !== undefined && params.facts.length > 0 ? { fct: params.facts } : {}),
          prf: proofs,
          att: writeAttV010(params.capabilities),
        }
      : JSON.parse(
          canonicalJson({
            att: writeAttV09(params.capabilities),
            aud: params.audience ?? issuer.did,
            exp: params.expiration,
            iss: issuer.verificationMethod,
            ...(params.notBefore !== undefined ? { nbf: params.notBefore } : {}),
            ...(params.nonce !== undefined ? { nnc: params.nonce } : {}),
            ...(params.facts !== undefined && params.facts.length > 0 ? { fct: params.facts } : {}),
            prf: proofs.map((cid) => ({ "/": cid })),
          }),
        );
  const signingInput = `${encodeBase64UrlUnpadded(utf8ToBytes(JSON.stringify(header)))}.${encodeBase64UrlUnpadded(utf8ToBytes(JSON.stringify(payload)))}`;
  const signature = issuer.sign(utf8ToBytes(signingInput));
  return `${signingInput}.${encodeBase64UrlUnpadded(signature)}`;
}

/** `att` with resources and abilities in byte order (a BTreeMap in ssi). */
function writeAttV010(capabilities: readonly Capability[]): Record<string, Record<string, readonly Caveat[]>> {
  const att: Record<string, Record<string, readonly Caveat[]>> = {};
  const sorted = [...capabilities].map((cap) => [formatCapabilityResource(cap.resource), cap] as const).sort(([a, x], [b, y]) => compareText(a, b) || compareText(x.ability, y.ability));
  for (const [resource, cap] of sorted) {
    const abilities = (att[resource] ??= {});
    abilities[cap.ability] = wireCaveats(cap.caveats);
  }
  return att;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function writeAttV09(capabilities: readonly Capability[]): { with: string; can: string }[] {
  return capabilities.map((cap) => ({ with: formatCapabilityResource(cap.resource), can: cap.ability }));
}

function decodeJsonSegment(segment: string, what: string): Record<string, unknown> {
  const value = parseJson(bytesToUtf8(decodeBase64UrlUnpadded(segment, `UCAN ${what}`)), `UCAN ${what}`);
  if (!isPlainObject(value)) throw new UcanError("UCAN_MALFORMED", `UCAN ${what} must be a JSON object`);
  return value;
}

function requireString(payload: Record<string, unknown>, key: string): string {
  const value = payload[key];
  if (typeof value !== "string" || value.length === 0) throw new UcanError("UCAN_MALFORMED", `UCAN ${key} must be a non-empty string`);
  return value;
}

function readTime(payload: Record<string, unknown>, key: "exp" | "nbf", required: boolean): number | undefined {
  const value = payload[key];
  if (value === undefined && !required) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new UcanError("UCAN_MALFORMED", `UCAN ${key} must be a non-negative number of seconds${required ? " (required)" : ""}`);
  }
  return value;
}

function tinycloudAbility(can: unknown): string {
  if (typeof can !== "string") throw new UcanError("UCAN_MALFORMED", "UCAN ability must be a string");
  // Reference `extract_ucan_cap`: UCAN abilities carry the `tinycloud.` namespace prefix.
  if (!can.startsWith(ABILITY_PREFIX)) {
    throw new AbilityError("ABILITY_BAD_NAMESPACE", `UCAN ability "${can.slice(0, 80)}" must be in the "${ABILITY_PREFIX}" namespace`);
  }
  parseAbility(can);
  return can;
}

function readAttV09(att: unknown): Capability[] {
  if (!Array.isArray(att)) throw new UcanError("UCAN_MALFORMED", "UCAN 0.9 att must be an array of {with, can}");
  return att.map((entry: unknown) => {
    if (!isPlainObject(entry) || typeof entry["with"] !== "string") throw new UcanError("UCAN_MALFORMED", "UCAN 0.9 att entries must be {with, can}");
    return makeCapability(entry["with"], tinycloudAbility(entry["can"]));
  });
}

function readAttV010(att: unknown): Capability[] {
  if (!isPlainObject(att)) throw new UcanError("UCAN_MALFORMED", "UCAN 0.10 att must be an object {resource: {ability: [caveats]}}");
  const out: Capability[] = [];
  for (const [resource, abilities] of Object.entries(att)) {
    if (!isPlainObject(abilities)) throw new UcanError("UCAN_MALFORMED", `UCAN att["${resource.slice(0, 80)}"] must be an object of abilities`);
    for (const [ability, caveats] of Object.entries(abilities)) {
      if (!Array.isArray(caveats)) throw new UcanError("UCAN_MALFORMED", `caveats of ${ability} must be an array`);
      if (caveats.length === 0) throw new UcanError("UCAN_EMPTY_CAVEATS", `caveats of ${ability} are []: "no caveat" is written [{}]`);
      if (!caveats.every((c: unknown) => isPlainObject(c))) throw new UcanError("UCAN_MALFORMED", `caveats of ${ability} must be objects`);
      out.push(makeCapability(resource, tinycloudAbility(ability), normalizeCaveats(caveats as Caveat[])));
    }
  }
  return out;
}

function readProofs(prf: unknown): CID[] {
  if (prf === undefined) return [];
  if (!Array.isArray(prf)) throw new UcanError("UCAN_MALFORMED", "UCAN prf must be an array");
  return prf.map((entry: unknown) => {
    const text = typeof entry === "string" ? entry : isPlainObject(entry) && typeof entry["/"] === "string" ? (entry["/"] as string) : undefined;
    if (text === undefined) throw new UcanError("UCAN_BAD_PROOF_LINK", 'UCAN prf entries must be CID strings or {"/": cid} links');
    try {
      return parseCid(text);
    } catch (cause) {
      throw new UcanError("UCAN_BAD_PROOF_LINK", `UCAN prf entry is not a CID: ${text.slice(0, 80)}`, { cause });
    }
  });
}

function readFacts(fct: unknown): Readonly<Record<string, unknown>>[] {
  if (fct === undefined || fct === null) return [];
  if (isPlainObject(fct)) return [fct];
  if (Array.isArray(fct) && fct.every((f: unknown) => isPlainObject(f))) return fct as Record<string, unknown>[];
  throw new UcanError("UCAN_MALFORMED", "UCAN fct must be an object or an array of objects");
}
