/**
 * Building wallet-rooted delegations (the node's own client, the CLI and tests): the equivalent of the
 * official SDK's `prepareSession` / `completeSessionSetup`, for both the current and the legacy spelling.
 * The wallet signs `formatSiweMessage(fields)` with `personal_sign`; the CACAO carries the fields.
 */
import { canonicalAbility } from "../abilities.js";
import { cacaoFromSiwe, type CacaoWireForm, CURRENT_CACAO_FORM, encodeCacao, encodeCacaoHeader, LEGACY_CACAO_FORM } from "./cacao.js";
import type { Caveat } from "../capability.js";
import { type CID, rawBlake3Cid } from "../cid.js";
import { checksumAddress } from "../did.js";
import { encodeRecap, type Recap, statementWithRecap } from "./recap.js";
import { formatSiweMessage, type SiweMessageFields } from "./siwe.js";

export interface RequestedCapability {
  /** Resource URI (`tinycloud:pkh:eip155:1:0x…:default/kv/photos`) or URN. */
  readonly resource: string;
  /** Abilities; written in the current form (`tinycloud.kv/get`) unless `legacy` is set. */
  readonly abilities: readonly string[];
  readonly caveats?: readonly Caveat[];
}

export interface SessionRequest {
  readonly address: string;
  readonly chainId: number;
  readonly domain: string;
  /** The delegatee: the session key's DID or DID URL (`did:key:z…#z…`), written as the SIWE URI. */
  readonly delegatee: string;
  readonly capabilities: readonly RequestedCapability[];
  readonly nonce: string;
  /** RFC 3339. */
  readonly issuedAt: string;
  readonly expirationTime?: string;
  readonly notBefore?: string;
  readonly requestId?: string;
  /** Human text placed before the generated ReCap statement. */
  readonly statement?: string;
  readonly proofs?: readonly CID[];
  /** Legacy orbit spelling: abilities as `kv/get`, CACAO in the cacaos 0.5 form. */
  readonly legacy?: boolean;
}

export interface PreparedSession {
  readonly siwe: SiweMessageFields;
  /** The exact text for the wallet to sign. */
  readonly message: string;
  readonly recap: Recap;
  readonly form: CacaoWireForm;
}

export function prepareSession(request: SessionRequest): PreparedSession {
  const att: Record<string, Record<string, readonly Caveat[]>> = {};
  for (const cap of request.capabilities) {
    const abilities = (att[cap.resource] ??= {});
    for (const ability of cap.abilities) {
      const written = request.legacy ? legacyAbility(ability) : canonicalAbility(ability);
      abilities[written] = cap.caveats ?? [];
    }
  }
  const recap: Recap = { att, prf: request.proofs ?? [] };
  const siwe: SiweMessageFields = {
    domain: request.domain,
    address: checksumAddress(request.address),
    statement: statementWithRecap(recap, request.statement),
    uri: request.delegatee,
    version: "1",
    chainId: request.chainId,
    nonce: request.nonce,
    issuedAt: request.issuedAt,
    ...(request.expirationTime !== undefined ? { expirationTime: request.expirationTime } : {}),
    ...(request.notBefore !== undefined ? { notBefore: request.notBefore } : {}),
    ...(request.requestId !== undefined ? { requestId: request.requestId } : {}),
    resources: [encodeRecap(recap)],
  };
  return { siwe, message: formatSiweMessage(siwe), recap, form: request.legacy ? LEGACY_CACAO_FORM : CURRENT_CACAO_FORM };
}

export interface CompletedSession {
  /** `Authorization` header value: base64url with padding. */
  readonly header: string;
  readonly bytes: Uint8Array;
  /** Raw blake3 CID, as `POST /delegate` answers and UCAN `prf` cites. */
  readonly cid: CID;
}

export function completeSession(prepared: PreparedSession, signature: Uint8Array): CompletedSession {
  const bytes = encodeCacao(cacaoFromSiwe(prepared.siwe, signature, prepared.form));
  return { header: encodeCacaoHeader(bytes), bytes, cid: rawBlake3Cid(bytes) };
}

/** `tinycloud.kv/get` → `kv/get`, `tinycloud.space/host` → `orbit/host` (the 0.2.1 ReCap spelling). */
function legacyAbility(ability: string): string {
  const canonical = canonicalAbility(ability);
  if (canonical === "tinycloud.space/host") return "orbit/host";
  return canonical.startsWith("tinycloud.") ? canonical.slice("tinycloud.".length) : canonical;
}
