/**
 * The node's persistent secret and the keys derived from it (reference-node scheme):
 * - node identity key = Ed25519 from blake3(secret ‖ "tinycloud/node/identity"): signs epochs, `nodeId` in /info;
 * - per-space host key = Ed25519 from blake3(secret ‖ spaceId): `GET /peer/generate/:spaceId`, the audience of the host delegation.
 * The secret is 32 random bytes in `<dataDir>/node.key` (hex, mode 0600), created on first start.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { blake3 } from "@noble/hashes/blake3.js";
import { ed25519Signer, type Ed25519Signer } from "../../core/keys.js";
import { bytesToHex, hexToBytes, utf8ToBytes } from "../../core/encoding.js";
import { concat } from "../store/keys.js";
import { nativeEd25519Signer } from "../crypto/native-ed25519.js";

export class NodeKeys {
  readonly identity: Ed25519Signer;
  /** MAC key for opaque list cursors (bound to invoker, space, prefix and limit). */
  readonly cursorKey: Uint8Array;
  private readonly hostKeys = new Map<string, Ed25519Signer>();

  constructor(private readonly secret: Uint8Array) {
    this.identity = nativeEd25519Signer(blake3(concat([secret, utf8ToBytes("tinycloud/node/identity")])));
    this.cursorKey = blake3(concat([secret, utf8ToBytes("tinycloud/node/list-cursor")]));
  }

  /** The host key a space's owner delegates `space/host` to. */
  hostKey(spaceId: string): Ed25519Signer {
    let key = this.hostKeys.get(spaceId);
    if (key === undefined) {
      key = ed25519Signer(blake3(concat([this.secret, utf8ToBytes(spaceId)])));
      this.hostKeys.set(spaceId, key);
    }
    return key;
  }

  static async load(dataDir: string): Promise<NodeKeys> {
    await mkdir(dataDir, { recursive: true });
    const file = join(dataDir, "node.key");
    let secret: Uint8Array;
    try {
      secret = hexToBytes((await readFile(file, "utf8")).trim());
      if (secret.length !== 32) throw new Error(`${file} must hold 32 bytes of hex`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      secret = randomBytes(32);
      await writeFile(file, `${bytesToHex(secret)}\n`, { mode: 0o600, flag: "wx" });
    }
    return new NodeKeys(secret);
  }
}
