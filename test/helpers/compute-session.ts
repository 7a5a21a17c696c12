/** A space owner signed in with KV and compute abilities, and a delegate's session from a grant (compute e2e tests). */
import { formatSpaceId, spaceIdFor } from "../../core/resource.js";
import type { CID } from "../../core/cid.js";
import type { Ed25519Signer } from "../../core/keys.js";
import { NodeHttp, signIn, TinyCloudSession, type WalletSigner } from "../../node/client/client.js";

export const ALL_KV = ["tinycloud.kv/get", "tinycloud.kv/put", "tinycloud.kv/del", "tinycloud.kv/list", "tinycloud.kv/metadata"];

export function computeOwner(url: string, wallet: WalletSigner & { did: string }, sessionSecretKey?: Uint8Array): Promise<TinyCloudSession> {
  const spaceId = formatSpaceId(spaceIdFor(wallet.did, "default"));
  return signIn({
    url,
    wallet,
    ...(sessionSecretKey !== undefined ? { sessionSecretKey } : {}),
    capabilities: [
      { resource: `${spaceId}/kv`, abilities: ALL_KV },
      { resource: `${spaceId}/compute`, abilities: ["tinycloud.compute/deploy", "tinycloud.compute/execute"] },
    ],
  });
}

/** The session of a key that holds only the given delegations (no wallet). */
export function delegateSession(url: string, spaceId: string, key: Ed25519Signer, proofs: readonly CID[]): TinyCloudSession {
  return new TinyCloudSession(new NodeHttp(url, fetch), spaceId, key, proofs);
}
