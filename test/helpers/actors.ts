/**
 * Test actors: wallets (viem accounts, an independent EIP-191 signer), Ed25519 session keys, and an
 * in-memory delegation book that registers tokens exactly as a node does (decode → verify → validate).
 */
import { privateKeyToAccount } from "viem/accounts";
import { type AuthorityContext, type DelegationRecord, validateDelegation } from "../../core/auth/authority.js";
import type { Capability } from "../../core/capability.js";
import { makeCapability } from "../../core/capability.js";
import { type CID, multihashKey } from "../../core/cid.js";
import { hexToBytes } from "../../core/encoding.js";
import type { AuthorityError, Result } from "../../core/errors.js";
import { ed25519Signer, type Ed25519Signer } from "../../core/keys.js";
import { completeSession, prepareSession, type SessionRequest } from "../../core/auth/session.js";
import { createUcan } from "../../core/auth/ucan.js";
import { decodeAuthorization, verifiedDelegation } from "../../core/auth/verify.js";

/** 2033-05-18T03:33:20Z: a fixed "now" for authority tests. */
export const NOW = 2_000_000_000;

export function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

export interface Wallet {
  readonly address: `0x${string}`;
  readonly did: string;
  readonly chainId: number;
  signMessage(message: string): Promise<Uint8Array>;
  space(name?: string): string;
}

export function wallet(seedByte: number, chainId = 1): Wallet {
  const account = privateKeyToAccount(`0x${seedByte.toString(16).padStart(2, "0").repeat(32)}`);
  return {
    address: account.address,
    did: `did:pkh:eip155:${chainId}:${account.address}`,
    chainId,
    signMessage: async (message) => hexToBytes(await account.signMessage({ message })),
    space: (name = "default") => `tinycloud:pkh:eip155:${chainId}:${account.address}:${name}`,
  };
}

export function sessionKey(seedByte: number): Ed25519Signer {
  return ed25519Signer(new Uint8Array(32).fill(seedByte));
}

export interface SessionOptions extends Partial<Omit<SessionRequest, "address" | "chainId" | "delegatee">> {
  readonly capabilities: SessionRequest["capabilities"];
}

/** A wallet-signed CACAO delegating to `to` (a session key or any DID). Returns the Authorization header. */
export async function signSession(from: Wallet, to: Ed25519Signer | string, options: SessionOptions): Promise<{ header: string; cid: CID }> {
  const prepared = prepareSession({
    address: from.address,
    chainId: from.chainId,
    domain: "app.example",
    delegatee: typeof to === "string" ? to : to.verificationMethod,
    nonce: "testnonce0001",
    issuedAt: iso(NOW - 3600),
    expirationTime: iso(NOW + 3600),
    ...options,
  });
  const completed = completeSession(prepared, await from.signMessage(prepared.message));
  return { header: completed.header, cid: completed.cid };
}

export interface UcanOptions {
  readonly audience: string;
  readonly capabilities: readonly (Capability | [string, string])[];
  readonly proofs?: readonly CID[];
  readonly expiration?: number;
  readonly notBefore?: number;
  readonly facts?: readonly Record<string, unknown>[];
}

export function signUcan(issuer: Ed25519Signer, options: UcanOptions): string {
  return createUcan({
    issuer,
    audience: options.audience,
    capabilities: options.capabilities.map((c) => (Array.isArray(c) ? makeCapability(c[0], c[1]) : c)),
    proofs: options.proofs ?? [],
    expiration: options.expiration ?? NOW + 1800,
    ...(options.notBefore !== undefined ? { notBefore: options.notBefore } : {}),
    ...(options.facts !== undefined ? { facts: options.facts } : {}),
    nonce: `urn:uuid:${crypto.randomUUID()}`,
  });
}

/** Registered delegations and revocations, as a node's store would hold them. */
export class DelegationBook {
  readonly records = new Map<string, DelegationRecord>();
  readonly revoked = new Set<string>();

  context(now = NOW, maxChainNodes?: number): AuthorityContext {
    return {
      now,
      resolve: (cid) => this.records.get(multihashKey(cid)),
      isRevoked: (cid) => this.revoked.has(multihashKey(cid)),
      ...(maxChainNodes !== undefined ? { maxChainNodes } : {}),
    };
  }

  /** Decode, verify the signature, validate authority; store on success. */
  register(header: string, now = NOW): Result<DelegationRecord, AuthorityError> {
    const record = verifiedDelegation(decodeAuthorization(header));
    const result = validateDelegation(record, this.context(now));
    if (!result.ok) return result;
    this.records.set(multihashKey(record.cid), record);
    return { ok: true, value: record };
  }

  /** Register and fail the test on rejection. */
  add(header: string, now = NOW): DelegationRecord {
    const result = this.register(header, now);
    if (!result.ok) throw new Error(`expected registration to succeed: ${result.error.code} ${result.error.message}`);
    return result.value;
  }

  revoke(cid: CID): void {
    this.revoked.add(multihashKey(cid));
  }
}
