/**
 * The only randomness a compute function sees: 32 bytes derived from the signed invocation, so that a
 * re-execution by an auditor gets the same bytes: sha256("tc:compute/seed@1" ‖ invocation token hash).
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { SEED_DOMAIN } from "./abi.js";

export function executionSeed(invocationHash: Uint8Array): Uint8Array {
  const domain = new TextEncoder().encode(SEED_DOMAIN);
  const input = new Uint8Array(domain.length + invocationHash.length);
  input.set(domain, 0);
  input.set(invocationHash, domain.length);
  return sha256(input);
}
