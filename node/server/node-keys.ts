/**
 * The node's persistent secret and the keys derived from it (reference-node scheme):
 * - node identity key = Ed25519 from blake3(secret ‖ "tinycloud/node/identity"): signs epochs, `nodeId` in /info;
 * - per-space host key = Ed25519 from blake3(secret ‖ spaceId): `GET /peer/generate/:spaceId`, the audience of the host delegation.
 * The secret is 32 random bytes in `<dataDir>/node.key` (hex, mode 0600), created on first start.
 *
 * Host keys are cached in a small LRU: anyone may ask `GET /peer/generate/:spaceId` for any number of
 * distinct names, so an unbounded map grew without limit (about 5 MB per 1,000 names). Deriving one costs
 * about 250 µs (blake3 + Ed25519 public key, measured), a map hit about 0.01 µs; the LRU keeps the spaces
 * being hosted right now cheap and bounds memory at HOST_KEY_CACHE_SIZE entries.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { blake3 } from "@noble/hashes/blake3.js";
import { ed25519Signer, type Ed25519Signer } from "../../core/keys.js";
import { bytesToHex, hexToBytes, utf8ToBytes } from "../../core/encoding.js";
import { concat } from "../store/keys.js";
import { nativeEd25519Signer } from "../crypto/native-ed25519.js";

/** How many per-space host keys are kept derived (least recently used dropped first). */
export const HOST_KEY_CACHE_SIZE = 1024;

export class NodeKeys {
  readonly identity: Ed25519Signer;
  /** MAC key for opaque list cursors (bound to invoker, space, prefix and limit). */
  readonly cursorKey: Uint8Array;
  private readonly hostKeys = new Map<string, Ed25519Signer>();

  constructor(private readonly secret: Uint8Array) {
    this.identity = nativeEd25519Signer(blake3(concat([secret, utf8ToBytes("tinycloud/node/identity")])));
    this.cursorKey = blake3(concat([secret, utf8ToBytes("tinycloud/node/list-cursor")]));
  }

  /** The host key a space's owner delegates `space/host` to (derived again when it has left the cache). */
  hostKey(spaceId: string): Ed25519Signer {
    let key = this.hostKeys.get(spaceId);
    if (key !== undefined) {
      // A Map iterates in insertion order: re-inserting makes this the most recently used.
      this.hostKeys.delete(spaceId);
    } else {
      key = ed25519Signer(blake3(concat([this.secret, utf8ToBytes(spaceId)])));
      if (this.hostKeys.size >= HOST_KEY_CACHE_SIZE) this.hostKeys.delete(this.hostKeys.keys().next().value as string);
    }
    this.hostKeys.set(spaceId, key);
    return key;
  }

  /** How many host keys are cached now (at most HOST_KEY_CACHE_SIZE). */
  get hostKeyCacheSize(): number {
    return this.hostKeys.size;
  }

  static async load(dataDir: string): Promise<NodeKeys> {
    await privateDir(dataDir);
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

/**
 * Create (or keep) a directory only its owner can enter: mode 0700 whatever the umask, and an existing
 * one is narrowed to 0700 too (the data directory holds the node secret and every stored value).
 */
export async function privateDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: 0o700 });
  await chmod(path, 0o700);
}
