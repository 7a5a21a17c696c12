/**
 * Ed25519 session/node keys. Pure (noble) by default, so the browser light client can use the same
 * code; the node may inject a native verifier (node:crypto) through `SignatureVerifier` for speed.
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { didKeyFromPublicKey } from "./did.js";
import { encodeBase64UrlUnpadded } from "./encoding.js";

/** Verifies an Ed25519 signature. Must return false (not throw) for a bad signature. */
export type Ed25519Verify = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => boolean;

export const nobleEd25519Verify: Ed25519Verify = (signature, message, publicKey) => {
  try {
    return ed25519.verify(signature, message, publicKey);
  } catch {
    return false;
  }
};

export interface Ed25519Signer {
  /** `did:key:z6Mk…` */
  readonly did: string;
  /** `did:key:z6Mk…#z6Mk…`, the UCAN `iss` and SIWE `URI` the official clients use. */
  readonly verificationMethod: string;
  readonly publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

export function ed25519Signer(secretKey: Uint8Array): Ed25519Signer {
  if (secretKey.length !== 32) throw new TypeError("Ed25519 secret key must be 32 bytes");
  const publicKey = ed25519.getPublicKey(secretKey);
  const did = didKeyFromPublicKey(publicKey, "ed25519");
  return {
    did,
    verificationMethod: `${did}#${did.slice("did:key:".length)}`,
    publicKey,
    sign: (message) => ed25519.sign(message, secretKey),
  };
}

export function generateEd25519SecretKey(): Uint8Array {
  return ed25519.utils.randomSecretKey();
}

/** Public JWK of an Ed25519 key, in the member order ssi's JWK struct writes it (alg, then kty, crv, x). */
export function ed25519PublicJwk(publicKey: Uint8Array): { alg: "EdDSA"; kty: "OKP"; crv: "Ed25519"; x: string } {
  return { alg: "EdDSA", kty: "OKP", crv: "Ed25519", x: encodeBase64UrlUnpadded(publicKey) };
}
