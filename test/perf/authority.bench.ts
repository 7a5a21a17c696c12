/**
 * Issue #2 benchmark: full verifications of an invocation chain per second, next to raw Ed25519
 * verifies per second with the same verifier on the same machine. Target ratio: >= 0.5.
 *
 * "Full verification" = what a node does per request: decode the UCAN JWT, check its Ed25519
 * signature, resolve its proof chain (wallet CACAO → session key → sub-delegate) from registered,
 * already-verified delegations, and check attenuation, time windows and revocation of every link.
 * Delegation signatures are verified once, at registration (as the reference node does).
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import type { Ed25519Verify } from "../../core/keys.js";
import { nobleEd25519Verify } from "../../core/keys.js";
import { verifyInvocationHeader } from "../../core/auth/verify.js";
import { decodeUcan } from "../../core/auth/ucan.js";
import { nativeEd25519Verify } from "../../node/crypto/native-ed25519.js";
import { DelegationBook, NOW, sessionKey, signSession, signUcan, wallet } from "../helpers/actors.js";
import { fmt, measure, printTable } from "./harness.js";

export async function run(): Promise<void> {
  const alice = wallet(0x11);
  const session = sessionKey(1);
  const bob = sessionKey(2);
  const photos = `${alice.space()}/kv/photos`;
  const book = new DelegationBook();
  const root = await signSession(alice, session, { capabilities: [{ resource: photos, abilities: ["tinycloud.kv/get", "tinycloud.kv/put"] }] });
  book.add(root.header);
  const share = book.add(signUcan(session, { audience: bob.did, capabilities: [[`${photos}/shared`, "tinycloud.kv/get"]], proofs: [root.cid] }));

  // Distinct tokens (fresh nonces), as real traffic has; generated before timing.
  const tokens = Array.from({ length: 512 }, (_, i) =>
    signUcan(bob, { audience: bob.did, capabilities: [[`${photos}/shared/${i}.jpg`, "tinycloud.kv/get"]], proofs: [share.cid], expiration: NOW + 120 }),
  );
  const ctx = book.context(NOW);
  const sample = decodeUcan(tokens[0] as string);
  const publicKey = ed25519.getPublicKey(new Uint8Array(32).fill(2));

  const rows: string[][] = [["verifier", "chain verifies/s", "raw Ed25519 verifies/s", "ratio (target >= 0.5)"]];
  const results: Record<string, number> = {};
  for (const [label, verify] of [
    ["noble (pure JS, browser)", nobleEd25519Verify],
    ["node:crypto (native, node default)", nativeEd25519Verify],
  ] as [string, Ed25519Verify][]) {
    const chain = await measure(`chain/${label}`, (i) => {
      const result = verifyInvocationHeader(tokens[i % tokens.length] as string, ctx, { maxLifetimeSeconds: 300, verify });
      if (!result.authorization.ok) throw new Error(result.authorization.error.message);
    });
    const raw = await measure(`raw/${label}`, () => {
      if (!verify(sample.signature, sample.signingInput, publicKey)) throw new Error("raw verify failed");
    });
    const ratio = chain.opsPerSecond / raw.opsPerSecond;
    results[label] = ratio;
    rows.push([label, fmt(chain.opsPerSecond), fmt(raw.opsPerSecond), fmt(ratio, 2)]);
  }
  printTable("Invocation chain verification (wallet CACAO -> session UCAN -> invocation; 3 links)", rows);
}
