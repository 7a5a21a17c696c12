/**
 * EIP-4361 (Sign-In with Ethereum) message text and EIP-191 signature recovery.
 *
 * The CACAO carries the SIWE fields, not the text, so a verifier must rebuild the exact text that
 * the wallet signed. `formatSiweMessage` is a total function of the fields (the Rust `siwe` crate's
 * Display, which viem's `createSiweMessage` also matches): with a statement the address is followed
 * by a blank line, the statement and a blank line; without one, by two blank lines.
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { checksumAddress } from "../did.js";
import { bytesToHex, utf8ToBytes } from "../encoding.js";
import { CacaoError } from "../errors.js";

export interface SiweMessageFields {
  readonly scheme?: string;
  readonly domain: string;
  /** EIP-55 address (it is written checksummed either way). */
  readonly address: string;
  readonly statement?: string;
  readonly uri: string;
  readonly version: "1";
  readonly chainId: number;
  readonly nonce: string;
  /** RFC 3339 timestamps, written verbatim. */
  readonly issuedAt: string;
  readonly expirationTime?: string;
  readonly notBefore?: string;
  readonly requestId?: string;
  readonly resources?: readonly string[];
}

export function formatSiweMessage(fields: SiweMessageFields): string {
  for (const [name, value] of Object.entries(fields)) {
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) {
      if (typeof v === "string" && /[\r\n]/.test(v)) {
        throw new CacaoError("CACAO_MALFORMED", `SIWE field ${name} must not contain a line break`);
      }
    }
  }
  const origin = fields.scheme !== undefined ? `${fields.scheme}://${fields.domain}` : fields.domain;
  const lines = [`${origin} wants you to sign in with your Ethereum account:`, checksumAddress(fields.address), ""];
  if (fields.statement !== undefined) lines.push(fields.statement);
  lines.push("");
  lines.push(`URI: ${fields.uri}`);
  lines.push(`Version: ${fields.version}`);
  lines.push(`Chain ID: ${fields.chainId}`);
  lines.push(`Nonce: ${fields.nonce}`);
  lines.push(`Issued At: ${fields.issuedAt}`);
  if (fields.expirationTime !== undefined) lines.push(`Expiration Time: ${fields.expirationTime}`);
  if (fields.notBefore !== undefined) lines.push(`Not Before: ${fields.notBefore}`);
  if (fields.requestId !== undefined) lines.push(`Request ID: ${fields.requestId}`);
  if (fields.resources !== undefined) {
    lines.push("Resources:");
    for (const resource of fields.resources) lines.push(`- ${resource}`);
  }
  return lines.join("\n");
}

/** EIP-191 `personal_sign` digest. */
export function eip191Hash(message: string): Uint8Array {
  const body = utf8ToBytes(message);
  const prefix = utf8ToBytes(`\x19Ethereum Signed Message:\n${body.length}`);
  const bytes = new Uint8Array(prefix.length + body.length);
  bytes.set(prefix, 0);
  bytes.set(body, prefix.length);
  return keccak_256(bytes);
}

/**
 * Recover the signer address of a 65-byte `r ‖ s ‖ v` EIP-191 signature (v = 27/28 or 0/1).
 * Returns undefined for a signature that recovers no key, and for a high-s signature: (r, n − s) with
 * the other v recovers the same signer, so accepting both would give one authorization two CIDs (EIP-2).
 */
export function recoverEip191Address(message: string, signature: Uint8Array): `0x${string}` | undefined {
  if (signature.length !== 65) return undefined;
  const v = signature[64] as number;
  const recovery = v >= 27 ? v - 27 : v;
  if (recovery !== 0 && recovery !== 1) return undefined;
  try {
    const sig = secp256k1.Signature.fromBytes(signature.subarray(0, 64), "compact").addRecoveryBit(recovery);
    if (sig.hasHighS()) return undefined;
    const point = sig.recoverPublicKey(eip191Hash(message));
    const uncompressed = point.toBytes(false);
    const address = bytesToHex(keccak_256(uncompressed.subarray(1)).subarray(12));
    return checksumAddress(`0x${address}`);
  } catch {
    return undefined;
  }
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|([+-])(\d{2}):(\d{2}))$/;

/** Parse an RFC 3339 timestamp into (possibly fractional) seconds since the epoch. */
export function parseRfc3339(text: string, field: string): number {
  const m = RFC3339.exec(text);
  if (m === null) throw new CacaoError("CACAO_BAD_TIMESTAMP", `${field} is not an RFC 3339 timestamp: ${JSON.stringify(text.slice(0, 40))}`);
  const [, y, mo, d, h, mi, s, frac, , sign, oh, om] = m;
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  const offsetHours = Number(oh ?? 0);
  const offsetMinutes = Number(om ?? 0);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60 || offsetHours > 23 || offsetMinutes > 59) {
    throw new CacaoError("CACAO_BAD_TIMESTAMP", `${field} has an out-of-range date, time or offset: ${text}`);
  }
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0–99 to 1900–1999.
  const date = new Date(0);
  date.setUTCFullYear(Number(y), month - 1, day);
  date.setUTCHours(hour, minute, Math.min(second, 59), 0);
  if (date.getUTCDate() !== day) throw new CacaoError("CACAO_BAD_TIMESTAMP", `${field} names a day that does not exist: ${text}`);
  const ms = date.getTime();
  const offset = sign === undefined ? 0 : (sign === "-" ? -1 : 1) * (offsetHours * 3600 + offsetMinutes * 60);
  return ms / 1000 + (frac !== undefined ? Number(`0${frac}`) : 0) - offset;
}
