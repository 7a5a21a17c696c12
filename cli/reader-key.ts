/**
 * `--auth-key <file>` and `--proof <cid,...>`: the reader's session key and the delegations it holds,
 * for `tinycloud verify` and `tinycloud audit` of private spaces (issue 12 §2). The key file is what
 * `tinycloud keygen` prints (JSON with `secretKeyHex`), or the 32-byte secret as bare hex.
 */
import { readFile } from "node:fs/promises";
import { parseCid } from "../core/cid.js";
import { hexToBytes } from "../core/encoding.js";
import { TinyCloudError } from "../core/errors.js";
import { ed25519Signer, type Ed25519Signer } from "../core/keys.js";
import type { ReaderKey } from "../lightclient/transports/read-auth.js";

export class ReaderKeyError extends TinyCloudError<"CLI_READER_KEY"> {
  override readonly name = "ReaderKeyError" as const;
  constructor(message: string) {
    super("CLI_READER_KEY", message);
  }
}

const HEX_SECRET = /^(?:0x)?[0-9a-fA-F]{64}$/;

/** The Ed25519 signer in a key file (`tinycloud keygen` JSON, or bare hex). */
export async function readSessionKey(file: string): Promise<Ed25519Signer> {
  let text: string;
  try {
    text = (await readFile(file, "utf8")).trim();
  } catch (error) {
    throw new ReaderKeyError(`--auth-key ${file}: ${(error as Error).message}`);
  }
  let hex = text;
  if (text.startsWith("{")) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ReaderKeyError(`--auth-key ${file}: not JSON, nor a hex secret key`);
    }
    const secret = (json as { secretKeyHex?: unknown }).secretKeyHex;
    if (typeof secret !== "string") throw new ReaderKeyError(`--auth-key ${file}: no "secretKeyHex" (the output of \`tinycloud keygen\`)`);
    hex = secret;
  }
  if (!HEX_SECRET.test(hex)) throw new ReaderKeyError(`--auth-key ${file}: the secret key must be 32 bytes of hex`);
  return ed25519Signer(hexToBytes(hex.replace(/^0x/, "")));
}

/** `--proof a,b,c`: delegation CIDs (each must parse). */
export function parseProofList(text: string | undefined): string[] {
  if (text === undefined || text.trim() === "") return [];
  return text.split(",").map((part) => {
    const cid = part.trim();
    try {
      return parseCid(cid).toString();
    } catch {
      throw new ReaderKeyError(`--proof: "${cid.slice(0, 80)}" is not a CID`);
    }
  });
}

/** The reader key of `--auth-key` / `--proof`, or undefined when neither is given (`--proof` needs `--auth-key`). */
export async function readerKeyOf(options: { authKey?: string; proof?: string }): Promise<ReaderKey | undefined> {
  if (options.authKey === undefined) {
    if (options.proof !== undefined) throw new ReaderKeyError("--proof needs --auth-key (the key the delegations are addressed to)");
    return undefined;
  }
  return { signer: await readSessionKey(options.authKey), proofs: parseProofList(options.proof) };
}
