// Generated vectors come from independent tools only (official wasm, viem, siwe, multiformats). Regenerate: node --import tsx test/vectors/generate.ts
//
// Nothing under node/ is imported here. The tools are:
//   @tinycloudlabs/web-sdk-wasm 0.2.1 (the official client's wasm), viem, siwe,
//   multiformats, @ipld/dag-cbor, @noble/hashes, @noble/curves.
//
// Determinism. The official wasm draws randomness (SIWE nonces of the host and
// prepareSession messages, session keys, UCAN `nnc` UUIDs) from
// globalThis.crypto.getRandomValues and reads the clock (UCAN `exp` = now + 60 s)
// with `new Date()`. While the wasm runs, this script replaces the first with a
// blake3 keystream seeded by a per-scenario label and freezes the second at
// INVOKE_NOW. The wasm's own code still produces every byte; only its entropy
// and clock are fixed, so regeneration gives identical files. Everything the
// script computes itself (signatures, CIDs, did:keys) is deterministic anyway.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import * as dagCbor from "@ipld/dag-cbor";
import { ed25519 } from "@noble/curves/ed25519.js";
import { blake3 } from "@noble/hashes/blake3.js";
import { bytesToHex, concatBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { initialized, tcwSession, tinycloud } from "@tinycloudlabs/web-sdk-wasm";
import { base58btc } from "multiformats/bases/base58";
import { CID } from "multiformats/cid";
import { from as hasherFrom } from "multiformats/hashes/hasher";
import { SiweMessage } from "siwe";
import { recoverMessageAddress, verifyMessage, type Hex } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { createSiweMessage } from "viem/siwe";

// ---------------------------------------------------------------------------
// Fixed inputs

const OUT_DIR = dirname(fileURLToPath(import.meta.url));

const WALLET_KEY: Hex = "0x1111111111111111111111111111111111111111111111111111111111111111";
const OTHER_WALLET_KEY: Hex = "0x2222222222222222222222222222222222222222222222222222222222222222";
const EXPECTED_WALLET_ADDRESS = "0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A";

const DOMAIN = "localhost";
const ISSUED_AT = "2026-11-24T01:37:00.000Z";
const EXPIRATION_TIME = "2036-11-24T01:37:00.000Z";
const NOT_BEFORE = "2026-11-24T01:36:00.000Z";
/** The frozen wasm clock for UCAN invocations; exp = this + 60 s. */
const INVOKE_NOW = "2026-11-24T01:37:30.123Z";
const INVOKE_NOW_MS = Date.parse(INVOKE_NOW);

/** Ed25519 secret key of the host peer (what GET /peer/generate would return as did:key). */
const HOST_PEER_SECRET = new Uint8Array(32).fill(0x42);
/** Ed25519 secret key used as the SIWE URI (session key) in the viem vectors. */
const VIEM_SESSION_SECRET = new Uint8Array(32).fill(0x07);

const RECAP_PREFIX = "I further authorize the stated URI to perform the following actions on my behalf: ";

const RAW_CODE = 0x55;
const DAG_CBOR_CODE = 0x71;
const BLAKE3_CODE = 0x1e;

// ---------------------------------------------------------------------------
// Helpers

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const blake3Hasher = hasherFrom({
  name: "blake3",
  code: BLAKE3_CODE,
  encode: (bytes: Uint8Array) => new Uint8Array(blake3(bytes)),
});

function hex(bytes: Uint8Array): string {
  return bytesToHex(bytes);
}

async function cidOf(code: number, bytes: Uint8Array): Promise<CID> {
  const digest = await blake3Hasher.digest(bytes);
  return CID.createV1(code, digest);
}

async function cidSet(bytes: Uint8Array): Promise<{
  cidRaw: string;
  cidRawBase58btc: string;
  cidDagCbor: string;
}> {
  const raw = await cidOf(RAW_CODE, bytes);
  const dag = await cidOf(DAG_CBOR_CODE, bytes);
  return {
    cidRaw: raw.toString(),
    cidRawBase58btc: raw.toString(base58btc),
    cidDagCbor: dag.toString(),
  };
}

/** did:key for an Ed25519 public key: "z" + base58btc(0xed 0x01 || key). */
function didKeyFromEd25519(publicKey: Uint8Array): string {
  return `did:key:${base58btc.encode(concatBytes(new Uint8Array([0xed, 0x01]), publicKey))}`;
}

function didKeyFromJwkX(x: string): string {
  return didKeyFromEd25519(new Uint8Array(Buffer.from(x, "base64url")));
}

/** Converts decoded DAG-CBOR into JSON: bytes become "0x…" hex strings, links {"/": cid}. */
function toJson(value: unknown): Json {
  if (value === null || typeof value === "boolean" || typeof value === "string") return value;
  if (typeof value === "number") return value;
  if (value instanceof Uint8Array) return `0x${hex(value)}`;
  const cid = CID.asCID(value);
  if (cid !== null) return { "/": cid.toString() };
  if (Array.isArray(value)) return value.map(toJson);
  if (typeof value === "object") {
    const out: { [key: string]: Json } = {};
    for (const [k, v] of Object.entries(value)) out[k] = toJson(v);
    return out;
  }
  throw new Error(`cannot convert ${typeof value} to JSON`);
}

/** JCS (RFC 8785) for values made only of strings, arrays and objects. */
function jcs(value: Json): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(jcs).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${jcs(value[k] ?? null)}`).join(",")}}`;
  }
  throw new Error("jcs(): only strings, arrays and objects are used here");
}

type Att = { [uri: string]: { [ability: string]: Json[] } };

/** ReCap statement clauses per tinycloud-protocol.md §1.5 / sdk-wire.md §5.1. */
function recapStatement(att: Att): string {
  const clauses: string[] = [];
  for (const uri of Object.keys(att).sort()) {
    const byNamespace = new Map<string, string[]>();
    for (const ability of Object.keys(att[uri] ?? {}).sort()) {
      const slash = ability.lastIndexOf("/");
      const ns = ability.slice(0, slash);
      const name = ability.slice(slash + 1);
      byNamespace.set(ns, [...(byNamespace.get(ns) ?? []), name]);
    }
    for (const ns of [...byNamespace.keys()].sort()) {
      const names = (byNamespace.get(ns) ?? []).map((n) => `'${n}'`).join(", ");
      clauses.push(`(${clauses.length + 1}) '${ns}': ${names} for '${uri}'.`);
    }
  }
  return RECAP_PREFIX + clauses.join(" ");
}

function recapResource(att: Att, prf: string[]): { json: string; urn: string } {
  const json = jcs({ att, prf });
  return { json, urn: `urn:recap:${Buffer.from(json, "utf8").toString("base64url")}` };
}

function must(condition: boolean, what: string): void {
  if (!condition) throw new Error(`vector self-check failed: ${what}`);
}

function parseJson<T>(text: unknown, what: string): T {
  if (typeof text !== "string") throw new Error(`${what}: expected a JSON string from the wasm`);
  return JSON.parse(text) as T;
}

// --- entropy and clock for the wasm -----------------------------------------

const realGetRandomValues = globalThis.crypto.getRandomValues.bind(globalThis.crypto);
const RealDate = globalThis.Date;

function seedRandom(label: string): void {
  const seed = utf8ToBytes(`tinycloud-vectors/${label}`);
  let counter = 0;
  const fill = <T extends ArrayBufferView | null>(view: T): T => {
    if (view === null) return view;
    const target = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    const ctr = new Uint8Array(8);
    new DataView(ctr.buffer).setBigUint64(0, BigInt(counter++), true);
    target.set(blake3(concatBytes(seed, ctr), { dkLen: target.length }));
    return view;
  };
  Object.defineProperty(globalThis.crypto, "getRandomValues", {
    value: fill,
    configurable: true,
    writable: true,
  });
}

function freezeClock(ms: number): void {
  const frozen = new Proxy(RealDate, {
    construct(target, args, newTarget) {
      return Reflect.construct(target, args.length === 0 ? [ms] : args, newTarget) as object;
    },
    get(target, prop, receiver) {
      if (prop === "now") return () => ms;
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
  globalThis.Date = frozen;
}

function restoreEnvironment(): void {
  Object.defineProperty(globalThis.crypto, "getRandomValues", {
    value: realGetRandomValues,
    configurable: true,
    writable: true,
  });
  globalThis.Date = RealDate;
}

// --- CACAO handling ---------------------------------------------------------

type CacaoPayload = {
  aud: string;
  iss: string;
  iat: string;
  nonce: string;
  domain: string;
  version: unknown;
  exp?: string;
  nbf?: string;
  statement?: string;
  requestId?: string;
  request_id?: string;
  resources?: string[];
  scheme?: string;
};

type Cacao = { h: { t: string }; p: CacaoPayload; s: { t: string; s: Uint8Array | number[] } };

/** The wasm writes the 65-byte signature as a CBOR array of uints, not a byte string. */
function cacaoSignatureBytes(s: Uint8Array | number[]): Uint8Array {
  return s instanceof Uint8Array ? s : new Uint8Array(s);
}

/** Rebuilds the SIWE text from a CACAO payload with the npm `siwe` package (what a server does). */
function siweTextFromCacao(p: CacaoPayload): string {
  const parts = p.iss.split(":");
  const address = parts[parts.length - 1] ?? "";
  const chainId = Number(parts[parts.length - 2]);
  const fields: Record<string, unknown> = {
    domain: p.domain,
    address,
    uri: p.aud,
    version: String(p.version),
    chainId,
    nonce: p.nonce,
    issuedAt: p.iat,
  };
  if (p.scheme !== undefined) fields["scheme"] = p.scheme;
  if (p.statement !== undefined) fields["statement"] = p.statement;
  if (p.exp !== undefined) fields["expirationTime"] = p.exp;
  if (p.nbf !== undefined) fields["notBefore"] = p.nbf;
  const requestId = p.requestId ?? p.request_id;
  if (requestId !== undefined) fields["requestId"] = requestId;
  if (p.resources !== undefined) fields["resources"] = p.resources;
  return new SiweMessage(fields as unknown as ConstructorParameters<typeof SiweMessage>[0]).prepareMessage();
}

async function describeCacaoHeader(authorization: string, signedSiwe: string, signature: Hex, expectedSigner: string): Promise<Record<string, Json>> {
  const bytes = new Uint8Array(Buffer.from(authorization, "base64url"));
  const decoded = dagCbor.decode<Cacao>(bytes);
  const reencoded = dagCbor.encode(decoded);
  const recovered = await recoverMessageAddress({ message: signedSiwe, signature });
  const rebuilt = siweTextFromCacao(decoded.p);
  const ids = await cidSet(bytes);
  const lastResource = decoded.p.resources?.[decoded.p.resources.length - 1] ?? "";
  const recapJsonText = lastResource.startsWith("urn:recap:") ? Buffer.from(lastResource.slice("urn:recap:".length), "base64url").toString("utf8") : "";
  const recap = recapJsonText === "" ? null : (JSON.parse(recapJsonText) as { att: Att; prf: Json[] });
  const checks = {
    headerIsPadded: authorization.endsWith("="),
    headerLengthMod4: authorization.length % 4,
    headerUsesUrlAlphabet: !/[+/]/.test(authorization),
    cacaoSignatureEqualsSignature: `0x${hex(cacaoSignatureBytes(decoded.s.s))}` === signature.toLowerCase(),
    dagCborReencodeIdentical: hex(reencoded) === hex(bytes),
    siweFromCacaoEqualsSignedText: rebuilt === signedSiwe,
    siweParseRoundTrip: new SiweMessage(signedSiwe).prepareMessage() === signedSiwe,
    recoveredEqualsSigner: recovered === expectedSigner,
    viemVerifyMessage: await verifyMessage({ address: recovered, message: signedSiwe, signature }),
    recapIsLastResource: recap !== null,
    recapJsonIsJcs: recap !== null && jcs(recap as unknown as Json) === recapJsonText,
    recapUnpadded: !lastResource.includes("="),
    statementEndsWithRecapText: recap !== null && (decoded.p.statement ?? "").endsWith(recapStatement(recap.att)),
  };
  must(checks.statementEndsWithRecapText, "statement ends with the ReCap text rebuilt from att");
  must(checks.cacaoSignatureEqualsSignature, "CACAO s.s equals the wallet signature");
  must(checks.dagCborReencodeIdentical, "dag-cbor re-encode is byte-identical");
  must(checks.siweFromCacaoEqualsSignedText, "SIWE rebuilt from CACAO equals the signed text");
  must(checks.headerUsesUrlAlphabet, "header uses the base64url alphabet");
  return {
    authorization,
    cacaoHex: hex(bytes),
    cacaoByteLength: bytes.length,
    decoded: toJson(decoded),
    cacaoPayloadKeys: Object.keys(decoded.p),
    cacaoVersionType: typeof decoded.p.version,
    recapJson: recapJsonText,
    cacaoSignatureCborType: decoded.s.s instanceof Uint8Array ? "byte-string" : "array-of-uint",
    ...ids,
    recoveredAddress: recovered,
    checks,
  };
}

// --- UCAN handling ----------------------------------------------------------

type Jwk = { kty: string; crv: string; x: string; d?: string; kid?: string; alg?: string };

async function describeUcan(label: string, jwt: string, jwk: Jwk, request: { service: string; path: string; action: string }, expectedPrf: string): Promise<Record<string, Json>> {
  const [h, p, s] = jwt.split(".");
  if (h === undefined || p === undefined || s === undefined) throw new Error("not a JWT");
  const header = JSON.parse(Buffer.from(h, "base64url").toString("utf8")) as Json;
  const payloadText = Buffer.from(p, "base64url").toString("utf8");
  const payload = JSON.parse(payloadText) as { [k: string]: Json };
  const sig = new Uint8Array(Buffer.from(s, "base64url"));
  const publicKey = new Uint8Array(Buffer.from(jwk.x, "base64url"));
  const signingInput = utf8ToBytes(`${h}.${p}`);
  const exp = payload["exp"];
  if (typeof exp !== "number") throw new Error("UCAN without numeric exp");
  const prf = payload["prf"];
  const checks = {
    ed25519SignatureValid: ed25519.verify(sig, signingInput, publicKey),
    issEqualsDidKeyOfJwk: payload["iss"] === didKeyFromJwkX(jwk.x),
    audEqualsIss: payload["aud"] === payload["iss"],
    expEqualsNowPlus60: exp === INVOKE_NOW_MS / 1000 + 60,
    prfIsSessionDelegationCid: Array.isArray(prf) && JSON.stringify(prf) === JSON.stringify([{ "/": expectedPrf }]),
    signatureIs64Bytes: sig.length === 64,
    segmentsUnpadded: !jwt.includes("="),
  };
  must(checks.ed25519SignatureValid, `${label}: EdDSA signature verifies against jwk.x`);
  must(checks.prfIsSessionDelegationCid, `${label}: prf is the session delegation CID`);
  return {
    session: label,
    service: request.service,
    path: request.path,
    action: request.action,
    nowMs: INVOKE_NOW_MS,
    nowIso: INVOKE_NOW,
    authorization: jwt,
    header,
    payload,
    payloadJsonText: payloadText,
    exp,
    signatureHex: hex(sig),
    ...(await cidSet(utf8ToBytes(jwt))),
    checks,
  };
}

function writeJson(name: string, value: Json): void {
  writeFileSync(join(OUT_DIR, name), `${JSON.stringify(value, null, 2)}\n`);
}

// ---------------------------------------------------------------------------
// official-wasm.json

const INVOCATION_REQUESTS = [
  { service: "kv", path: "default/hello.txt", action: "get" },
  { service: "kv", path: "default/hello.txt", action: "put" },
  { service: "kv", path: "default", action: "list" },
  { service: "kv", path: "default/hello.txt", action: "del" },
  { service: "kv", path: "default/hello.txt", action: "metadata" },
  { service: "capabilities", path: "all", action: "read" },
] as const;

type WasmSession = {
  delegationHeader: { Authorization: string };
  delegationCid: string;
  jwk: Jwk;
  orbitId: string;
  verificationMethod: string;
};

async function generateOfficialWasm(wallet: PrivateKeyAccount, other: PrivateKeyAccount): Promise<{ official: Json; hostCacao: Uint8Array; ucanJwt: string; sessionCacao: Uint8Array }> {
  await initialized;
  freezeClock(INVOKE_NOW_MS);
  try {
    const address = wallet.address;
    const hostPeerPublic = ed25519.getPublicKey(HOST_PEER_SECRET);
    const hostPeerDid = didKeyFromEd25519(hostPeerPublic);

    // --- orbit ids
    const orbitIdArgs: Array<[string, number, string | null]> = [
      [address, 1, null],
      [address, 8453, null],
      [address, 1, "photos"],
      [address.toLowerCase(), 1, null],
      [other.address, 1, null],
    ];
    const orbitIds = orbitIdArgs.map(([a, c, n]) => ({
      address: a,
      chainId: c,
      name: n,
      orbitId: tinycloud.makeOrbitId(a, c, n),
    }));
    const orbitId = tinycloud.makeOrbitId(address, 1);
    const otherOrbitId = tinycloud.makeOrbitId(other.address, 1);

    // --- host delegations
    const hostFor = async (label: string, signer: PrivateKeyAccount, oid: string): Promise<{ json: Record<string, Json>; siwe: string; bytes: Uint8Array }> => {
      seedRandom(label);
      const config = {
        address: signer.address,
        chainId: 1,
        domain: DOMAIN,
        issuedAt: ISSUED_AT,
        orbitId: oid,
        peerId: hostPeerDid,
      };
      const siwe = tinycloud.generateHostSIWEMessage(JSON.stringify(config));
      const signature = await signer.signMessage({ message: siwe });
      const headers = parseJson<{ Authorization: string }>(tinycloud.siweToDelegationHeaders(JSON.stringify({ siwe, signature })), "siweToDelegationHeaders");
      const described = await describeCacaoHeader(headers.Authorization, siwe, signature, signer.address);
      return {
        json: { hostConfig: config, siwe, signature, ...described },
        siwe,
        bytes: new Uint8Array(Buffer.from(headers.Authorization, "base64url")),
      };
    };
    const host = await hostFor("host", wallet, orbitId);
    const otherHost = await hostFor("host-other", other, otherOrbitId);

    // --- session via prepareSession / completeSessionSetup
    seedRandom("prepare-session");
    const sessionConfig = {
      actions: {
        kv: { default: ["get", "put", "list", "del", "metadata"] },
        capabilities: { all: ["read"] },
      },
      address,
      chainId: 1,
      domain: DOMAIN,
      issuedAt: ISSUED_AT,
      orbitId,
      expirationTime: EXPIRATION_TIME,
    };
    const prepared = parseJson<{ jwk: Jwk; orbitId: string; siwe: string; verificationMethod: string }>(await tinycloud.prepareSession(JSON.stringify(sessionConfig)), "prepareSession");
    const preparedSignature = await wallet.signMessage({ message: prepared.siwe });
    const preparedSession = parseJson<WasmSession>(tinycloud.completeSessionSetup(JSON.stringify({ ...prepared, signature: preparedSignature })), "completeSessionSetup");
    const preparedDescribed = await describeCacaoHeader(preparedSession.delegationHeader.Authorization, prepared.siwe, preparedSignature, address);
    must(preparedDescribed["cidDagCbor"] === preparedSession.delegationCid, "prepareSession delegationCid = CIDv1(dag-cbor, blake3(header bytes))");

    // --- session the way TinyCloudWeb.signIn + activateSession does it
    seedRandom("client-session");
    const shortOrbit = `pkh:eip155:1:${address}://default`; // TinyCloudStorage's orbitId (no "tinycloud:")
    const clientTargets: Array<[string, string, string[]]> = [
      ["tinycloud", `${shortOrbit}/capabilities/all`, ["capabilities/read"]],
      ["tinycloud", `${shortOrbit}/kv/default`, ["kv/put", "kv/get", "kv/list", "kv/del", "kv/metadata"]],
    ];
    const clientManager = new tcwSession.TCWSessionManager();
    for (const [ns, target, actions] of clientTargets) {
      must(clientManager.addTargetedActions(ns, target, actions), "addTargetedActions returned true");
    }
    const clientDid = await clientManager.getDID();
    const clientJwkText = clientManager.jwk();
    if (clientJwkText === undefined) throw new Error("TCWSessionManager.jwk() returned undefined");
    const clientSiweConfig = {
      address,
      chainId: 1,
      domain: DOMAIN,
      issuedAt: ISSUED_AT,
      nonce: "tcVectorsClient01",
    };
    const clientSiwe = await clientManager.build(clientSiweConfig); // consumes the manager
    const clientSignature = await wallet.signMessage({ message: clientSiwe });
    const clientSession = parseJson<WasmSession>(
      tinycloud.completeSessionSetup(
        JSON.stringify({
          jwk: JSON.parse(clientJwkText) as Json,
          orbitId: `tinycloud:${shortOrbit}`,
          service: "kv",
          siwe: clientSiwe,
          signature: clientSignature,
          verificationMethod: new SiweMessage(clientSiwe).uri,
        }),
      ),
      "completeSessionSetup (client flow)",
    );
    const clientDescribed = await describeCacaoHeader(clientSession.delegationHeader.Authorization, clientSiwe, clientSignature, address);
    must(clientDescribed["cidDagCbor"] === clientSession.delegationCid, "client delegationCid matches");
    must(didKeyFromJwkX(clientSession.jwk.x) === clientDid, "did:key from jwk.x equals getDID()");

    // --- TCWSessionManager with custom statement, notBefore and requestId
    seedRandom("custom-statement");
    const customTargets: Array<[string, string, string[]]> = [["tinycloud", `${shortOrbit}/kv/default/obj.json`, ["kv/get", "kv/metadata"]]];
    const customManager = new tcwSession.TCWSessionManager();
    for (const [ns, target, actions] of customTargets) {
      must(customManager.addTargetedActions(ns, target, actions), "addTargetedActions returned true");
    }
    const customDid = await customManager.getDID();
    const customSiweConfig = {
      address,
      chainId: 1,
      domain: DOMAIN,
      issuedAt: ISSUED_AT,
      nonce: "tcVectorsCustom01",
      expirationTime: EXPIRATION_TIME,
      notBefore: NOT_BEFORE,
      requestId: "req-0001",
      statement: "I am giving permission to read this data.",
      resources: ["https://example.com/terms"],
    };
    const customSiwe = await customManager.build(customSiweConfig);
    const customSignature = await wallet.signMessage({ message: customSiwe });
    const customHeaders = parseJson<{ Authorization: string }>(tinycloud.siweToDelegationHeaders(JSON.stringify({ siwe: customSiwe, signature: customSignature })), "siweToDelegationHeaders (custom)");
    const customDescribed = await describeCacaoHeader(customHeaders.Authorization, customSiwe, customSignature, address);

    // --- invocations
    const invocations: Json[] = [];
    let firstClientJwt = "";
    for (const [label, session] of [
      ["clientSession", clientSession],
      ["preparedSession", preparedSession],
    ] as const) {
      seedRandom(`invoke-${label}`);
      for (const req of INVOCATION_REQUESTS) {
        const out = parseJson<{ Authorization: string }>(await tinycloud.invoke(JSON.stringify(session), req.service, req.path, req.action), "invoke");
        if (firstClientJwt === "") firstClientJwt = out.Authorization;
        invocations.push(await describeUcan(label, out.Authorization, session.jwk, req, session.delegationCid));
      }
    }

    // --- negative material derived from the positive headers
    const unpadded: Json[] = [];
    for (const [of, auth] of [
      ["host", host.json["authorization"]],
      ["otherWalletHost", otherHost.json["authorization"]],
      ["preparedSession", preparedSession.delegationHeader.Authorization],
      ["clientSession", clientSession.delegationHeader.Authorization],
      ["customStatement", customHeaders.Authorization],
    ] as const) {
      if (typeof auth !== "string") continue;
      const stripped = auth.replace(/=+$/, "");
      unpadded.push({
        of,
        originalHadPadding: stripped !== auth,
        authorization: stripped,
        note:
          stripped === auth
            ? "original has no padding (byte length divisible by 3): identical, NOT a negative case"
            : 'same bytes, base64url without "=" padding; a strict (URL_SAFE canonical) decoder rejects it',
      });
    }
    const standardAlphabet = host.json["authorization"];
    const hostStd = typeof standardAlphabet === "string" ? Buffer.from(standardAlphabet, "base64url").toString("base64") : "";
    seedRandom("host-wrong-signer");
    const wrongSignature = await other.signMessage({ message: host.siwe });
    const wrongHeaders = parseJson<{ Authorization: string }>(
      tinycloud.siweToDelegationHeaders(JSON.stringify({ siwe: host.siwe, signature: wrongSignature })),
      "siweToDelegationHeaders (wrong signer)",
    );
    const wrongBytes = new Uint8Array(Buffer.from(wrongHeaders.Authorization, "base64url"));
    const wrongRecovered = await recoverMessageAddress({ message: host.siwe, signature: wrongSignature });

    const official: Json = {
      _about: {
        tool: "@tinycloudlabs/web-sdk-wasm@0.2.1 (initialized, tinycloud.*, tcwSession.TCWSessionManager)",
        signing: "viem privateKeyToAccount(key).signMessage({message}) (EIP-191 personal_sign)",
        regenerate: "node --import tsx test/vectors/generate.ts",
        determinism:
          "While the wasm runs, globalThis.crypto.getRandomValues is a blake3 keystream seeded by a per-scenario label and `new Date()` is frozen at constants.invokeNowIso. Nonces, session keys, UCAN nnc and exp are therefore reproducible.",
        bytesInDecoded: 'Uint8Array values in "decoded" are 0x-prefixed lowercase hex; links would be {"/": cid}.',
        cids: "cidRaw = CIDv1(raw 0x55, blake3 0x1e) of the exact header bytes (what POST /delegate returns); cidDagCbor = CIDv1(dag-cbor 0x71, blake3) (the client delegationCid).",
      },
      constants: {
        walletAddress: address,
        otherWalletAddress: other.address,
        domain: DOMAIN,
        issuedAt: ISSUED_AT,
        expirationTime: EXPIRATION_TIME,
        notBefore: NOT_BEFORE,
        invokeNowIso: INVOKE_NOW,
        invokeNowMs: INVOKE_NOW_MS,
        hostPeer: {
          ed25519SecretHex: hex(HOST_PEER_SECRET),
          ed25519PublicHex: hex(hostPeerPublic),
          did: hostPeerDid,
        },
      },
      orbitIds,
      host: host.json,
      otherWalletHost: otherHost.json,
      preparedSession: {
        sessionConfig,
        prepared,
        signature: preparedSignature,
        session: preparedSession,
        didKeyOfJwk: didKeyFromJwkX(preparedSession.jwk.x),
        verificationMethodHasFragment: preparedSession.verificationMethod.includes("#"),
        ...preparedDescribed,
      },
      clientSession: {
        flow: 'TCWSessionManager.addTargetedActions("tinycloud", "pkh:…://default/…") + build(SiweConfig) + completeSessionSetup({jwk, orbitId: "tinycloud:"+orbitId, service: "kv", siwe, signature, verificationMethod: new SiweMessage(siwe).uri}) as TinyCloudWeb.signIn/activateSession do',
        targetedActions: clientTargets.map(([ns, target, actions]) => ({ namespace: ns, target, actions })),
        siweConfig: clientSiweConfig,
        did: clientDid,
        siwe: clientSiwe,
        signature: clientSignature,
        session: clientSession,
        ...clientDescribed,
      },
      customStatementDelegation: {
        flow: "TCWSessionManager.addTargetedActions + build(SiweConfig with statement, notBefore, requestId, resources) + siweToDelegationHeaders",
        targetedActions: customTargets.map(([ns, target, actions]) => ({ namespace: ns, target, actions })),
        siweConfig: customSiweConfig,
        did: customDid,
        siwe: customSiwe,
        signature: customSignature,
        ...customDescribed,
      },
      invocations,
      negative: {
        unpaddedHeaders: unpadded,
        hostStandardBase64Alphabet: {
          of: "host",
          authorization: hostStd,
          differsFromOriginal: hostStd !== host.json["authorization"],
          note: "same bytes in the standard base64 alphabet (+/); a base64url decoder should reject it when it differs",
        },
        hostSignedByOtherWallet: {
          note: "the host SIWE text for the main wallet, signed by the other wallet; the wasm encodes it without checking, a verifier must reject it (recovered address != iss)",
          siwe: host.siwe,
          signature: wrongSignature,
          recoveredAddress: wrongRecovered,
          authorization: wrongHeaders.Authorization,
          cacaoHex: hex(wrongBytes),
          ...(await cidSet(wrongBytes)),
        },
      },
    };
    return {
      official,
      hostCacao: host.bytes,
      ucanJwt: firstClientJwt,
      sessionCacao: new Uint8Array(Buffer.from(clientSession.delegationHeader.Authorization, "base64url")),
    };
  } finally {
    restoreEnvironment();
  }
}

// ---------------------------------------------------------------------------
// siwe-viem.json

type SiweVectorInput = {
  name: string;
  signer: "wallet" | "otherWallet";
  chainId: number;
  domain: string;
  uri: string;
  nonce: string;
  issuedAt: string;
  statement?: string;
  expirationTime?: string;
  notBefore?: string;
  requestId?: string;
  scheme?: string;
  resources?: string[];
  recap?: { att: Att; customStatement?: string };
};

async function generateSiweViem(wallet: PrivateKeyAccount, other: PrivateKeyAccount): Promise<Json> {
  await initialized;
  const sessionDid = didKeyFromEd25519(ed25519.getPublicKey(VIEM_SESSION_SECRET));
  const photos = (chainId: number, address: string): Att => ({
    [`tinycloud:pkh:eip155:${chainId}:${address}:default/kv/photos`]: {
      "tinycloud.kv/get": [{}],
      "tinycloud.kv/put": [{}],
    },
  });
  const inputs: SiweVectorInput[] = [
    {
      name: "minimal-no-statement",
      signer: "wallet",
      chainId: 1,
      domain: DOMAIN,
      uri: "https://localhost/login",
      nonce: "tcVectors0001",
      issuedAt: ISSUED_AT,
    },
    {
      name: "with-statement",
      signer: "wallet",
      chainId: 1,
      domain: "example.com",
      uri: "https://example.com/login",
      nonce: "tcVectors0002",
      issuedAt: ISSUED_AT,
      statement: "Sign in to the TinyCloud vectors.",
    },
    {
      name: "expiration-notbefore-requestid",
      signer: "wallet",
      chainId: 1,
      domain: "example.com",
      uri: sessionDid,
      nonce: "tcVectors0003",
      issuedAt: ISSUED_AT,
      statement: "Time bounded.",
      expirationTime: EXPIRATION_TIME,
      notBefore: NOT_BEFORE,
      requestId: "req-0003",
    },
    {
      name: "scheme-and-plain-resources",
      signer: "wallet",
      chainId: 1,
      domain: "example.com:8443",
      uri: "https://example.com:8443/login",
      nonce: "tcVectors0004",
      issuedAt: ISSUED_AT,
      scheme: "https",
      resources: ["ipfs://bafybeiemxf5abjwjbikoz4mc3a3dla6ual3jsgpdr4cjr3oz3evfyavhwq/", "https://example.com/terms"],
    },
    {
      name: "recap-chain-1",
      signer: "wallet",
      chainId: 1,
      domain: DOMAIN,
      uri: sessionDid,
      nonce: "tcVectors0005",
      issuedAt: ISSUED_AT,
      expirationTime: EXPIRATION_TIME,
      recap: { att: photos(1, wallet.address) },
    },
    {
      name: "recap-chain-1-custom-statement-and-resources",
      signer: "wallet",
      chainId: 1,
      domain: DOMAIN,
      uri: sessionDid,
      nonce: "tcVectors0006",
      issuedAt: ISSUED_AT,
      expirationTime: EXPIRATION_TIME,
      notBefore: NOT_BEFORE,
      requestId: "req-0006",
      resources: ["https://example.com/terms"],
      recap: { att: photos(1, wallet.address), customStatement: "I am giving permission to read this data." },
    },
    {
      name: "recap-chain-8453",
      signer: "wallet",
      chainId: 8453,
      domain: DOMAIN,
      uri: sessionDid,
      nonce: "tcVectors0007",
      issuedAt: ISSUED_AT,
      expirationTime: EXPIRATION_TIME,
      recap: { att: photos(8453, wallet.address) },
    },
    {
      name: "other-wallet-chain-8453",
      signer: "otherWallet",
      chainId: 8453,
      domain: "example.com",
      uri: sessionDid,
      nonce: "tcVectors0008",
      issuedAt: ISSUED_AT,
      statement: "Other wallet signs in.",
      expirationTime: EXPIRATION_TIME,
    },
    {
      name: "timestamps-without-milliseconds",
      signer: "wallet",
      chainId: 1,
      domain: DOMAIN,
      uri: sessionDid,
      nonce: "tcVectors0009",
      issuedAt: "2026-11-24T01:37:00Z",
      expirationTime: "2036-11-24T01:37:00Z",
    },
  ];

  const vectors: Json[] = [];
  for (const input of inputs) {
    const signer = input.signer === "wallet" ? wallet : other;
    let statement = input.statement;
    let resources = input.resources;
    let recapJson: Json = null;
    if (input.recap !== undefined) {
      const recap = recapResource(input.recap.att, []);
      const generated = recapStatement(input.recap.att);
      statement = input.recap.customStatement === undefined ? generated : `${input.recap.customStatement} ${generated}`;
      resources = [...(input.resources ?? []), recap.urn];
      recapJson = {
        att: input.recap.att,
        prf: [],
        jcsJson: recap.json,
        resource: recap.urn,
        generatedStatement: generated,
      };
    }
    const viemParams = {
      address: signer.address,
      chainId: input.chainId,
      domain: input.domain,
      uri: input.uri,
      nonce: input.nonce,
      version: "1" as const,
      issuedAt: new Date(input.issuedAt),
      ...(statement !== undefined ? { statement } : {}),
      ...(input.expirationTime !== undefined ? { expirationTime: new Date(input.expirationTime) } : {}),
      ...(input.notBefore !== undefined ? { notBefore: new Date(input.notBefore) } : {}),
      ...(input.requestId !== undefined ? { requestId: input.requestId } : {}),
      ...(input.scheme !== undefined ? { scheme: input.scheme } : {}),
      ...(resources !== undefined ? { resources } : {}),
    };
    const message = createSiweMessage(viemParams);
    const siweFields = {
      domain: input.domain,
      address: signer.address,
      uri: input.uri,
      version: "1",
      chainId: input.chainId,
      nonce: input.nonce,
      issuedAt: input.issuedAt,
      ...(statement !== undefined ? { statement } : {}),
      ...(input.expirationTime !== undefined ? { expirationTime: input.expirationTime } : {}),
      ...(input.notBefore !== undefined ? { notBefore: input.notBefore } : {}),
      ...(input.requestId !== undefined ? { requestId: input.requestId } : {}),
      ...(input.scheme !== undefined ? { scheme: input.scheme } : {}),
      ...(resources !== undefined ? { resources } : {}),
    };
    const siweText = new SiweMessage(siweFields).prepareMessage();
    const signature = await signer.signMessage({ message });
    const recoveredAddress = await recoverMessageAddress({ message, signature });
    must(recoveredAddress === signer.address, `${input.name}: signature recovers the signer`);

    // Cross-check the ReCap text against the official wasm's siwe-recap builder.
    let wasmCrossCheck: Json = null;
    if (input.recap !== undefined) {
      seedRandom(`siwe-viem-${input.name}`);
      try {
        const manager = new tcwSession.TCWSessionManager();
        for (const [uri, abilities] of Object.entries(input.recap.att)) {
          must(uri.startsWith("tinycloud:"), "recap uri starts with tinycloud:");
          manager.addTargetedActions("tinycloud", uri.slice("tinycloud:".length), Object.keys(abilities));
        }
        const wasmText = await manager.build(
          {
            address: signer.address,
            chainId: input.chainId,
            domain: input.domain,
            issuedAt: input.issuedAt,
            nonce: input.nonce,
            ...(input.expirationTime !== undefined ? { expirationTime: input.expirationTime } : {}),
            ...(input.notBefore !== undefined ? { notBefore: input.notBefore } : {}),
            ...(input.requestId !== undefined ? { requestId: input.requestId } : {}),
            ...(input.recap.customStatement !== undefined ? { statement: input.recap.customStatement } : {}),
            ...(input.resources !== undefined ? { resources: input.resources } : {}),
          },
          null,
          input.uri,
        );
        wasmCrossCheck = {
          tool: "@tinycloudlabs/web-sdk-wasm TCWSessionManager.build(config, null, uri)",
          fullTextEqual: wasmText === message,
          wasmText,
        };
      } finally {
        restoreEnvironment();
      }
    }

    vectors.push({
      name: input.name,
      signer: input.signer,
      address: signer.address,
      chainId: input.chainId,
      params: {
        domain: input.domain,
        uri: input.uri,
        nonce: input.nonce,
        version: "1",
        issuedAt: input.issuedAt,
        statement: statement ?? null,
        expirationTime: input.expirationTime ?? null,
        notBefore: input.notBefore ?? null,
        requestId: input.requestId ?? null,
        scheme: input.scheme ?? null,
        resources: resources ?? null,
      },
      recap: recapJson,
      message,
      signature,
      recoveredAddress,
      siweMessage: siweText,
      viemAndSiweAgree: siweText === message,
      wasmCrossCheck,
    });
  }
  return {
    _about: {
      tool: "viem/siwe createSiweMessage (text), viem account.signMessage (EIP-191), viem recoverMessageAddress; cross-checked with siwe@3 new SiweMessage(...).prepareMessage() and, for recap vectors, the official wasm",
      regenerate: "node --import tsx test/vectors/generate.ts",
      signedText: '"signature" is over "message" (the viem text). "siweMessage" is the siwe package text for the same fields.',
      recap:
        'urn:recap: + base64url-no-pad(JCS({"att":…,"prf":[]})); statement = [custom + " "] + "I further authorize the stated URI to perform the following actions on my behalf: (1) \'<ns>\': \'<name>\', … for \'<uri>\'."',
      nullMeans: "a null param was not passed",
    },
    sessionDid,
    vectors,
  };
}

// ---------------------------------------------------------------------------
// cids.json

async function generateCids(hostCacao: Uint8Array, ucanJwt: string, sessionCacao: Uint8Array): Promise<Json> {
  // Sanity: the published BLAKE3 test vector for the empty input.
  must(hex(blake3(new Uint8Array(0))) === "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262", 'blake3("") known answer');
  const pattern = new Uint8Array(1000);
  for (let i = 0; i < pattern.length; i++) pattern[i] = (i * 31 + 7) & 0xff;
  const inputs: Array<{ name: string; bytes: Uint8Array; note?: string }> = [
    { name: "empty", bytes: new Uint8Array(0) },
    { name: "hello", bytes: utf8ToBytes("hello") },
    { name: "pattern-1000", bytes: pattern, note: "byte[i] = (i * 31 + 7) & 0xff, i = 0..999" },
    { name: "host-cacao", bytes: hostCacao, note: "official-wasm.json host.cacaoHex (the decoded Authorization header)" },
    { name: "session-cacao", bytes: sessionCacao, note: "official-wasm.json clientSession.cacaoHex; cidDagCbor must equal clientSession.session.delegationCid" },
    { name: "ucan-jwt", bytes: utf8ToBytes(ucanJwt), note: "official-wasm.json invocations[0].authorization as ASCII bytes" },
  ];
  const vectors: Json[] = [];
  for (const input of inputs) {
    const digest = await blake3Hasher.digest(input.bytes);
    const raw = CID.createV1(RAW_CODE, digest);
    const dag = CID.createV1(DAG_CBOR_CODE, digest);
    vectors.push({
      name: input.name,
      note: input.note ?? null,
      inputLength: input.bytes.length,
      inputHex: hex(input.bytes),
      blake3Hex: hex(digest.digest),
      multihashHex: hex(digest.bytes),
      cidRawBase32: raw.toString(),
      cidRawBase58btc: raw.toString(base58btc),
      cidRawBytesHex: hex(raw.bytes),
      cidDagCborBase32: dag.toString(),
      cidDagCborBase58btc: dag.toString(base58btc),
    });
  }

  const hostCid = await cidOf(RAW_CODE, hostCacao);
  const ucanCid = await cidOf(RAW_CODE, utf8ToBytes(ucanJwt));
  const epoch1 = { parents: [] as CID[], events: [hostCid] };
  const epoch1Bytes = dagCbor.encode(epoch1);
  const epoch1Cid = await cidOf(DAG_CBOR_CODE, epoch1Bytes);
  const epoch2 = { parents: [epoch1Cid], events: [ucanCid, [ucanCid, epoch1Cid]] };
  const epoch2Bytes = dagCbor.encode(epoch2);
  const epoch2Cid = await cidOf(DAG_CBOR_CODE, epoch2Bytes);
  const dagCborVectors: Json[] = [
    {
      name: "epoch-single-event",
      note: "{parents: [], events: [CID(raw, blake3(host CACAO))]}",
      object: toJson(epoch1),
      encodedHex: hex(epoch1Bytes),
      cid: epoch1Cid.toString(),
      cidBase58btc: epoch1Cid.toString(base58btc),
    },
    {
      name: "epoch-with-parent-and-multiple",
      note: '{parents: [epoch-single-event CID], events: [CID(raw, ucan-jwt), [CID(raw, ucan-jwt), epoch-single-event CID]]} (the second event is the kinded "multiple" form)',
      object: toJson(epoch2),
      encodedHex: hex(epoch2Bytes),
      cid: epoch2Cid.toString(),
      cidBase58btc: epoch2Cid.toString(base58btc),
    },
  ];
  return {
    _about: {
      tool: 'multiformats@14 CID.createV1 + hasher.from({name: "blake3", code: 0x1e, encode: noble blake3}); @ipld/dag-cbor encode',
      regenerate: "node --import tsx test/vectors/generate.ts",
      codes: { raw: RAW_CODE, dagCbor: DAG_CBOR_CODE, blake3: BLAKE3_CODE },
    },
    vectors,
    dagCbor: dagCborVectors,
  };
}

// ---------------------------------------------------------------------------

async function main(): Promise<void> {
  const wallet = privateKeyToAccount(WALLET_KEY);
  const other = privateKeyToAccount(OTHER_WALLET_KEY);
  must(wallet.address === EXPECTED_WALLET_ADDRESS, "wallet address");
  mkdirSync(OUT_DIR, { recursive: true });

  const { official, hostCacao, ucanJwt, sessionCacao } = await generateOfficialWasm(wallet, other);
  const siweViem = await generateSiweViem(wallet, other);
  const cids = await generateCids(hostCacao, ucanJwt, sessionCacao);

  writeJson("official-wasm.json", official);
  writeJson("siwe-viem.json", siweViem);
  writeJson("cids.json", cids);
  console.log(`wrote official-wasm.json, siwe-viem.json, cids.json to ${OUT_DIR}`);
}

await main();
