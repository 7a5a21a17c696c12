/**
 * Ed25519 verification through node:crypto (OpenSSL), several times faster than the pure-JS verifier
 * the core uses by default. Injected by the node; never imported by the pure core or the browser.
 */
import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from "node:crypto";
import { type Ed25519Signer, ed25519Signer, type Ed25519Verify } from "../../core/keys.js";

const SPKI_ED25519_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
const cache = new Map<string, KeyObject>();
const CACHE_LIMIT = 10_000;

function keyObject(publicKey: Uint8Array): KeyObject {
  const id = Buffer.from(publicKey).toString("base64");
  let key = cache.get(id);
  if (key === undefined) {
    key = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]), format: "der", type: "spki" });
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
    cache.set(id, key);
  }
  return key;
}

export const nativeEd25519Verify: Ed25519Verify = (signature, message, publicKey) => {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  try {
    return verify(null, message, keyObject(publicKey), signature);
  } catch {
    return false;
  }
};

const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

/** An Ed25519 signer backed by node:crypto; same keys and signatures as the core's noble signer. */
export function nativeEd25519Signer(secretKey: Uint8Array): Ed25519Signer {
  const base = ed25519Signer(secretKey);
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, secretKey]), format: "der", type: "pkcs8" });
  return { ...base, sign: (message) => new Uint8Array(sign(null, message, privateKey)) };
}
