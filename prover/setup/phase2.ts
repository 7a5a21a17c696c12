/**
 * Groth16 phase-2 (circuit-specific) contributions, shared by `tinycloud setup` (artifacts.ts) and the
 * multi-party ceremony (ceremony.ts).
 *
 * The secret of a contribution is δ_i; the key's δ is their product. One contribution whose δ_i nobody
 * knows makes the key sound. `contributeSecret` draws the entropy from the OS CSPRNG and hands it only to
 * snarkjs (which mixes in 64 more random bytes of its own); it is never written, logged or returned.
 * A public beacon (`applyBeacon`) has a derivable δ_i by design, so it is only allowed after a secret
 * contribution (except in the explicitly insecure deterministic dev mode).
 *
 * `readZkeyContributions` parses the zkey's MPC section (section 10) and recomputes each contribution
 * hash the way snarkjs does (blake2b-512 over the uncompressed points and the transcript), so a
 * transcript can be written without the cost of a full verification; `verifyZkey` runs the full
 * `snarkjs zkey verify` (from the r1cs and the ptau) and cross-checks the two.
 */
import { randomBytes } from "node:crypto";
import * as binFileUtils from "@iden3/binfileutils";
import { blake2b } from "@noble/hashes/blake2.js";
import type { SnarkjsLogger } from "snarkjs";
import { TinyCloudError } from "../../core/errors.js";
import { closingLeftOpenFiles, readBinFile } from "./file-handles.js";
import type { ContributionRecord, KeyTranscript } from "./key-security.js";

export type KeyErrorCode =
  | "KEY_BAD_ZKEY"
  | "KEY_CONTRIBUTION_FAILED"
  | "KEY_BEACON_INVALID"
  | "KEY_BEACON_WITHOUT_SECRET"
  | "KEY_VERIFY_FAILED"
  | "CEREMONY_BAD_DIR"
  | "CEREMONY_BAD_NAME"
  | "CEREMONY_BAD_PTAU"
  | "CEREMONY_STATE_MISMATCH"
  | "CEREMONY_NO_CONTRIBUTIONS"
  | "CEREMONY_FINALIZED";

/** An expected failure while making, checking or finishing phase-2 keys (bad file, tampered key, misuse). */
export class KeyError extends TinyCloudError<KeyErrorCode> {
  override readonly name = "KeyError" as const;
}

/** How `tinycloud setup` makes phase 2. */
export type Phase2Mode = "csprng" | "insecure-deterministic";

export interface ZkeyContribution extends ContributionRecord {
  /** Present on beacon contributions. */
  beacon?: { hashHex: string; numIterationsExp: number };
}

export interface ZkeyContributions {
  /** snarkjs' circuit hash (hex). */
  circuitHash: string;
  contributions: ZkeyContribution[];
}

/** Entropy per secret contribution. snarkjs hashes it with 64 bytes of its own randomness. */
const ENTROPY_BYTES = 64;

/** A secret phase-2 contribution with CSPRNG entropy. Returns the contribution hash (hex). */
export async function contributeSecret(oldZkey: string, newZkey: string, name: string, onMessage?: (message: string) => void): Promise<string> {
  const snarkjs = await import("snarkjs");
  const log = collectingLogger(onMessage);
  let hash: unknown;
  try {
    // The entropy lives only in this call's arguments; it is not kept in any variable that outlives it.
    hash = await snarkjs.zKey.contribute(oldZkey, newZkey, name, randomBytes(ENTROPY_BYTES).toString("hex"), log.logger);
  } catch (error) {
    throw new KeyError("KEY_CONTRIBUTION_FAILED", `contribution to ${oldZkey} failed: ${(error as Error).message}`, { cause: error });
  }
  if (!(hash instanceof Uint8Array) || log.errors.length > 0) throw new KeyError("KEY_CONTRIBUTION_FAILED", `contribution to ${oldZkey} failed: ${log.errors.join("; ") || "no contribution hash"}`);
  return toHex(hash);
}

/** A public beacon contribution (snarkjs zkey beacon). Returns the contribution hash (hex). */
export async function applyBeacon(oldZkey: string, newZkey: string, name: string, beaconHashHex: string, numIterationsExp: number, onMessage?: (message: string) => void): Promise<string> {
  checkBeacon(beaconHashHex, numIterationsExp);
  const snarkjs = await import("snarkjs");
  const log = collectingLogger(onMessage);
  let hash: unknown;
  try {
    hash = await snarkjs.zKey.beacon(oldZkey, newZkey, name, beaconHashHex, numIterationsExp, log.logger);
  } catch (error) {
    throw new KeyError("KEY_CONTRIBUTION_FAILED", `beacon on ${oldZkey} failed: ${(error as Error).message}`, { cause: error });
  }
  if (!(hash instanceof Uint8Array) || log.errors.length > 0) throw new KeyError("KEY_CONTRIBUTION_FAILED", `beacon on ${oldZkey} failed: ${log.errors.join("; ") || "no contribution hash"}`);
  return toHex(hash);
}

/** The limits snarkjs enforces (1..255 bytes of hex, 2^10..2^63 iterations), as a typed error up front. */
export function checkBeacon(beaconHashHex: string, numIterationsExp: number): void {
  if (!/^([0-9a-fA-F]{2}){1,255}$/.test(beaconHashHex))
    throw new KeyError("KEY_BEACON_INVALID", `beacon ${JSON.stringify(beaconHashHex)}: must be 1 to 255 bytes of hex (an even number of hex digits)`);
  if (!Number.isInteger(numIterationsExp) || numIterationsExp < 10 || numIterationsExp > 63)
    throw new KeyError("KEY_BEACON_INVALID", `beacon iterations exponent ${numIterationsExp}: must be an integer from 10 to 63 (2^N SHA-256 iterations)`);
}

/** The contributions recorded in a zkey, with the hashes snarkjs prints. Throws KEY_BAD_ZKEY on a malformed file. */
export async function readZkeyContributions(file: string): Promise<ZkeyContributions> {
  let section: Uint8Array;
  try {
    const { fd, sections } = await readBinFile(file, "zkey", 2);
    try {
      if (!sections[10]?.[0]) throw new Error("no MPC section (10): not a Groth16 zkey");
      section = await binFileUtils.readSection(fd, sections, 10);
    } finally {
      await fd.close();
    }
  } catch (error) {
    throw new KeyError("KEY_BAD_ZKEY", `${file}: not a readable Groth16 zkey: ${(error as Error).message}`, { cause: error });
  }
  const { buildBn128 } = await import("ffjavascript");
  const curve = await buildBn128();
  const g1 = 64;
  const g2 = 128;
  const view = new DataView(section.buffer, section.byteOffset, section.byteLength);
  let pos = 0;
  const take = (n: number): Uint8Array => {
    if (pos + n > section.byteLength) throw new KeyError("KEY_BAD_ZKEY", `${file}: MPC section is truncated`);
    const out = section.subarray(pos, pos + n);
    pos += n;
    return out;
  };
  const u32 = (): number => {
    take(4);
    return view.getUint32(pos - 4, true);
  };
  const circuitHash = toHex(take(64));
  const n = u32();
  const contributions: ZkeyContribution[] = [];
  for (let i = 0; i < n; i++) {
    const hasher = blake2b.create({ dkLen: 64 });
    try {
      for (let k = 0; k < 3; k++) {
        const out = new Uint8Array(g1);
        curve.G1.toRprUncompressed(out, 0, curve.G1.fromRprLEM(take(g1), 0));
        hasher.update(out);
      }
      const out = new Uint8Array(g2);
      curve.G2.toRprUncompressed(out, 0, curve.G2.fromRprLEM(take(g2), 0));
      hasher.update(out);
    } catch (error) {
      if (error instanceof KeyError) throw error;
      throw new KeyError("KEY_BAD_ZKEY", `${file}: contribution #${i + 1} has an invalid point: ${(error as Error).message}`, { cause: error });
    }
    hasher.update(take(64)); // transcript
    const type = u32();
    const paramsLength = u32();
    const params = take(paramsLength);
    let name = "";
    let exp: number | undefined;
    let beaconHash: string | undefined;
    for (let p = 0; p < params.length; ) {
      const kind = params[p++]!;
      if (kind === 1 || kind === 3) {
        const len = params[p++] ?? 0;
        const bytes = params.subarray(p, p + len);
        p += len;
        if (kind === 1) name = new TextDecoder().decode(bytes);
        else beaconHash = toHex(bytes);
      } else if (kind === 2) {
        exp = params[p++];
      } else {
        throw new KeyError("KEY_BAD_ZKEY", `${file}: contribution #${i + 1} has an unknown parameter ${kind}`);
      }
    }
    if (type !== 0 && type !== 1) throw new KeyError("KEY_BAD_ZKEY", `${file}: contribution #${i + 1} has an unknown type ${type}`);
    const record: ZkeyContribution = { name, hash: toHex(hasher.digest()), type: type === 1 ? "beacon" : "secret" };
    if (type === 1) {
      if (beaconHash === undefined || exp === undefined) throw new KeyError("KEY_BAD_ZKEY", `${file}: beacon contribution #${i + 1} lacks its beacon parameters`);
      record.beacon = { hashHex: beaconHash, numIterationsExp: exp };
    }
    contributions.push(record);
  }
  if (pos !== section.byteLength) throw new KeyError("KEY_BAD_ZKEY", `${file}: MPC section has ${section.byteLength - pos} trailing bytes`);
  return { circuitHash, contributions };
}

/**
 * `snarkjs zkey verify` of the whole chain: the initial key is rebuilt from the r1cs and the ptau, every
 * contribution's proof of knowledge and δ chain is checked, and the key's L and H sections must match.
 * Throws KEY_VERIFY_FAILED (with snarkjs' reason) when anything does not check out.
 */
export async function verifyZkey(r1cs: string, ptau: string, zkey: string, onMessage?: (message: string) => void): Promise<ZkeyContributions> {
  // Parse first: a malformed file gets a precise error instead of a snarkjs exception.
  const recorded = await readZkeyContributions(zkey);
  const snarkjs = await import("snarkjs");
  const log = collectingLogger(onMessage);
  const reasons: string[] = [];
  // A few of snarkjs' checks report through console.log ("INVALID(i): ...") instead of the logger:
  // capture those as reasons while it runs, and pass any other output through.
  const consoleLog = console.log;
  console.log = (...args: unknown[]) => {
    const line = args.map(String).join(" ").trim();
    if (line.startsWith("INVALID")) reasons.push(line);
    else consoleLog(...args);
  };
  let ok: unknown;
  try {
    ok = await closingLeftOpenFiles(() => snarkjs.zKey.verifyFromR1cs(r1cs, ptau, zkey, log.logger));
  } catch (error) {
    throw new KeyError("KEY_VERIFY_FAILED", `${zkey}: verification failed: ${(error as Error).message}`, { cause: error });
  } finally {
    console.log = consoleLog;
  }
  reasons.push(...log.errors);
  if (ok !== true) throw new KeyError("KEY_VERIFY_FAILED", `${zkey}: does not verify against ${r1cs} and ${ptau}: ${reasons.join("; ") || "snarkjs reported failure"}`);
  const reported = parseVerifyLog(log.infos);
  if (reported.circuitHash !== recorded.circuitHash || reported.hashes.join() !== recorded.contributions.map((c) => c.hash).join()) {
    throw new KeyError("KEY_VERIFY_FAILED", `${zkey}: the contribution hashes snarkjs verified differ from the ones recorded in the file`);
  }
  return recorded;
}

/** Circuit hash and contribution hashes (oldest first) from `zKey.verifyFromR1cs`'s log. */
function parseVerifyLog(messages: string[]): { circuitHash: string; hashes: string[] } {
  let circuitHash = "";
  const hashes: string[] = [];
  for (const m of messages) {
    const [title, ...rest] = m.split("\n");
    const hex = rest.join("").replace(/\s+/g, "");
    if (!/^[0-9a-f]{128}$/.test(hex)) continue;
    if (title === "Circuit Hash: ") circuitHash = hex;
    else if (/^contribution #\d+ /.test(title ?? "")) hashes.unshift(hex); // snarkjs lists the newest first
  }
  return { circuitHash, hashes };
}

export function transcriptOf(circuit: string, contributions: ZkeyContributions): KeyTranscript {
  return { format: 1, circuit, circuitHash: contributions.circuitHash, contributions: contributions.contributions.map(({ name, hash, type }) => ({ name, hash, type })) };
}

function collectingLogger(onMessage?: (message: string) => void): { logger: SnarkjsLogger; errors: string[]; infos: string[] } {
  const errors: string[] = [];
  const infos: string[] = [];
  const note = (m: string) => onMessage?.(m);
  return {
    errors,
    infos,
    logger: {
      debug: note,
      info: (m) => {
        infos.push(m);
        note(m);
      },
      warn: note,
      error: (m) => errors.push(m),
    },
  };
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}
