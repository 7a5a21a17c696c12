/**
 * A reader's session key and delegation CIDs as text: what `tinycloud verify --auth-key FILE --proof CIDS`
 * reads from a file (cli/reader-key.ts) and what a user pastes into the page. The key is the JSON that
 * `tinycloud keygen` prints (`secretKeyHex`) or the 32-byte secret as bare hex. Browser-safe, no I/O.
 */
import { parseCid } from "../../core/cid.js";
import { hexToBytes } from "../../core/encoding.js";
import { TinyCloudError } from "../../core/errors.js";
import { ed25519Signer, type Ed25519Signer } from "../../core/keys.js";

export class ReaderKeyTextError extends TinyCloudError<"READER_KEY_TEXT"> {
  override readonly name = "ReaderKeyTextError" as const;
  constructor(message: string) {
    super("READER_KEY_TEXT", message);
  }
}

const HEX_SECRET = /^(?:0x)?[0-9a-fA-F]{64}$/;

/** The Ed25519 signer of a key text (`tinycloud keygen` JSON, or bare hex). */
export function signerFromKeyText(raw: string): Ed25519Signer {
  const text = raw.trim();
  let hex = text;
  if (text.startsWith("{")) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ReaderKeyTextError("not JSON, nor a hex secret key");
    }
    const secret = (json as { secretKeyHex?: unknown }).secretKeyHex;
    if (typeof secret !== "string") throw new ReaderKeyTextError('no "secretKeyHex" (the output of `tinycloud keygen`)');
    hex = secret;
  }
  if (!HEX_SECRET.test(hex)) throw new ReaderKeyTextError("the secret key must be 32 bytes of hex");
  return ed25519Signer(hexToBytes(hex.replace(/^0x/, "")));
}

/** `a,b,c` (commas or white space): delegation CIDs, each of which must parse. */
export function parseProofCids(text: string | undefined): string[] {
  if (text === undefined || text.trim() === "") return [];
  return text
    .split(/[\s,]+/)
    .filter((part) => part !== "")
    .map((cid) => {
      try {
        return parseCid(cid).toString();
      } catch {
        throw new ReaderKeyTextError(`"${cid.slice(0, 80)}" is not a CID`);
      }
    });
}
