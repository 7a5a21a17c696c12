/**
 * Which Groth16 keys may go on which chain.
 *
 * A key made from the dev ptau (whose τ is derived from a public seed) or whose phase 2 has no secret
 * contribution (a deterministic beacon, whose seed is published) lets anyone forge a proof for any public
 * signals. Such keys are fine on the local dev chain (chain id 31337 behind a loopback URL, or the
 * embedded anvil), where nothing of value is anchored; anywhere else `tinycloud deploy` and the node
 * refuse them unless the operator passes --allow-insecure-keys, a flag whose name says what it does.
 *
 * The security of a key is read from its provenance (circuits/keys/<circuit>.provenance.json, written by
 * `tinycloud setup` / `tinycloud ceremony finalize`). A key without provenance counts as insecure.
 */
import { existsSync, readFileSync } from "node:fs";
import { ChainError } from "./contract-errors.js";
import { insecurityOf } from "../../core/key-security.js";

export { insecurityOf };

/** Anvil's and Hardhat's default chain id. */
export const DEV_CHAIN_ID = 31337;

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

/** The local dev chain: the embedded anvil, or chain id 31337 behind a loopback RPC URL. */
export function isDevChain(chainId: number, rpcUrl: string | undefined, embedded = false): boolean {
  if (embedded) return true;
  if (chainId !== DEV_CHAIN_ID || rpcUrl === undefined) return false;
  try {
    return LOOPBACK_HOSTS.has(new URL(rpcUrl).hostname);
  } catch {
    return false;
  }
}

/** insecurityOf for circuits/keys/<circuit>.provenance.json of this checkout. */
export function committedKeyInsecurity(circuit: string): string[] {
  const file = new URL(`../../circuits/keys/${circuit}.provenance.json`, import.meta.url);
  if (!existsSync(file)) return [`no provenance file circuits/keys/${circuit}.provenance.json`];
  try {
    return insecurityOf(JSON.parse(readFileSync(file, "utf8")));
  } catch {
    return [`circuits/keys/${circuit}.provenance.json is not valid JSON`];
  }
}

export interface KeyPolicyInput {
  readonly chainId: number;
  readonly rpcUrl: string | undefined;
  readonly embedded?: boolean;
  /** circuit → reasons its key is insecure (empty array: secure). */
  readonly keys: Readonly<Record<string, readonly string[]>>;
  readonly allowInsecureKeys: boolean;
  /** Who asks: "deploy" or "the node" (for the message). */
  readonly who: string;
}

/**
 * Throws CHAIN_INSECURE_KEYS when an insecure key would be used on a chain other than the dev chain
 * without the explicit flag; returns the warning lines to print otherwise (empty when all keys are secure).
 */
export function enforceKeyPolicy(input: KeyPolicyInput): string[] {
  const insecure = Object.entries(input.keys).filter(([, reasons]) => reasons.length > 0);
  if (insecure.length === 0) return [];
  const lines = insecure.map(([circuit, reasons]) => `  ${circuit}: ${reasons.join("; ")}`);
  const dev = isDevChain(input.chainId, input.rpcUrl, input.embedded === true);
  if (!dev && !input.allowInsecureKeys) {
    throw new ChainError(
      "CHAIN_INSECURE_KEYS",
      [
        `${input.who} refuses INSECURE proving keys on chain ${input.chainId} (only the local dev chain, id ${DEV_CHAIN_ID} on a loopback URL, takes them): anyone can forge proofs for them.`,
        ...lines,
        "Make real keys with `tinycloud setup` (a secret phase-2 contribution from the OS CSPRNG) or a `tinycloud ceremony`, regenerate the verifiers, and deploy again;",
        "or pass --allow-insecure-keys to accept forgeable proofs on this chain.",
      ].join("\n"),
    );
  }
  return [`WARNING: INSECURE proving keys${dev ? " (fine on the local dev chain only)" : " (--allow-insecure-keys)"}: anyone can forge proofs for them`, ...lines];
}
