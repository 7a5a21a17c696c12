/**
 * Pinned verification keys and how the chain vouches for them (ids and code hashes:
 * core/rollup/verifier-id.ts).
 *
 * The id is only a label: the router's owner chooses which contract it routes to. What binds a pinned
 * key to the contract that checked the proofs is the pinned pair (vkey, codeHash): codeHash is
 * keccak256 of the verifier's runtime code as the generator compiled it (contracts/generated/
 * verifiers.json), compared with `codeHashOf(eth_getCode(route.verifier))`.
 */
import type { Groth16Vkey } from "./types.js";

export { codeHashOf, verifierIdOf } from "../../core/rollup/verifier-id.js";

/** Base field of BN254 (curve coordinates live here). */
export const BN254_BASE_FIELD = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;

/** The number of public signals of EpochTransition: [oldRoot, newRoot, header, commitment]. */
export const EPOCH_PUBLIC_SIGNALS = 4;

const DECIMAL = /^(0|[1-9][0-9]{0,79})$/;

function isCoordinate(x: unknown): x is string {
  return typeof x === "string" && DECIMAL.test(x) && BigInt(x) < BN254_BASE_FIELD;
}

function isG1(p: unknown): boolean {
  return Array.isArray(p) && p.length === 3 && p.every(isCoordinate) && p[2] === "1";
}

function isG2(p: unknown): boolean {
  return Array.isArray(p) && p.length === 3 && [p[0], p[1]].every((c) => Array.isArray(c) && c.length === 2 && c.every(isCoordinate)) && Array.isArray(p[2]) && p[2][0] === "1" && p[2][1] === "0";
}

/** Why a value is not a usable EpochTransition verification key, or undefined when it is. */
export function vkeyProblem(vkey: unknown, nPublic: number = EPOCH_PUBLIC_SIGNALS): string | undefined {
  if (typeof vkey !== "object" || vkey === null || Array.isArray(vkey)) return "not a JSON object";
  const v = vkey as Record<string, unknown>;
  if (v["protocol"] !== "groth16") return `protocol is ${JSON.stringify(v["protocol"])}, not "groth16"`;
  if (v["curve"] !== "bn128") return `curve is ${JSON.stringify(v["curve"])}, not "bn128"`;
  if (v["nPublic"] !== nPublic) return `nPublic is ${JSON.stringify(v["nPublic"])}, not ${nPublic}`;
  if (!isG1(v["vk_alpha_1"])) return "vk_alpha_1 is not a G1 point";
  for (const name of ["vk_beta_2", "vk_gamma_2", "vk_delta_2"]) if (!isG2(v[name])) return `${name} is not a G2 point`;
  const ic = v["IC"];
  if (!Array.isArray(ic) || ic.length !== nPublic + 1 || !ic.every(isG1)) return `IC must hold ${nPublic + 1} G1 points`;
  return undefined;
}

export function isGroth16Vkey(vkey: unknown, nPublic: number = EPOCH_PUBLIC_SIGNALS): vkey is Groth16Vkey {
  return vkeyProblem(vkey, nPublic) === undefined;
}
