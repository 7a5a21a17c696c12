/**
 * `--auth-key <file>` and `--proof <cid,...>`: the reader's session key and the delegations it holds,
 * for `tinycloud verify` and `tinycloud audit` of private spaces (issue 12 §2). The key file is what
 * `tinycloud keygen` prints (JSON with `secretKeyHex`), or the 32-byte secret as bare hex; the text is
 * parsed as the light-client page parses a pasted key (lightclient/transports/reader-key-text.ts).
 */
import { readFile } from "node:fs/promises";
import { TinyCloudError } from "../core/errors.js";
import type { Ed25519Signer } from "../core/keys.js";
import type { ReaderKey } from "../lightclient/transports/read-auth.js";
import { parseProofCids, ReaderKeyTextError, signerFromKeyText } from "../lightclient/transports/reader-key-text.js";

export class ReaderKeyError extends TinyCloudError<"CLI_READER_KEY"> {
  override readonly name = "ReaderKeyError" as const;
  constructor(message: string) {
    super("CLI_READER_KEY", message);
  }
}

/** `run()`, with the text parser's error as a ReaderKeyError prefixed by the option it came from. */
function asOption<T>(prefix: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof ReaderKeyTextError) throw new ReaderKeyError(`${prefix}: ${error.message}`);
    throw error;
  }
}

/** The Ed25519 signer in a key file (`tinycloud keygen` JSON, or bare hex). */
export async function readSessionKey(file: string): Promise<Ed25519Signer> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new ReaderKeyError(`--auth-key ${file}: ${(error as Error).message}`);
  }
  return asOption(`--auth-key ${file}`, () => signerFromKeyText(text));
}

/** `--proof a,b,c`: delegation CIDs (each must parse). */
export function parseProofList(text: string | undefined): string[] {
  return asOption("--proof", () => parseProofCids(text));
}

/** The reader key of `--auth-key` / `--proof`, or undefined when neither is given (`--proof` needs `--auth-key`). */
export async function readerKeyOf(options: { authKey?: string; proof?: string }): Promise<ReaderKey | undefined> {
  if (options.authKey === undefined) {
    if (options.proof !== undefined) throw new ReaderKeyError("--proof needs --auth-key (the key the delegations are addressed to)");
    return undefined;
  }
  return { signer: await readSessionKey(options.authKey), proofs: parseProofList(options.proof) };
}
