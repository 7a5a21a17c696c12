/**
 * Pinned verification keys and how the chain vouches for them.
 *
 * verifierId = keccak256(utf8(JCS(vkey))) (RFC 8785 canonical JSON): the key TinyCloudVerifierRouter
 * registers a verifier under (same as prover/setup/verifier-id.ts, re-implemented here on
 * @noble/hashes so the core does not pull viem into the browser bundle).
 *
 * A snarkjs Solidity verifier holds the key as `uint256 constant`s (alpha, beta, gamma, delta, IC);
 * solc emits each as a PUSHn of its minimal big-endian bytes. `vkeyInBytecode` checks that every
 * coordinate of the pinned key appears as such a push in the verifier's runtime bytecode, so a key
 * whose id is routed but which the verifier does not actually use is caught too.
 */
import canonicalize from "canonicalize";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { FIELD_MODULUS } from "../../node/core/state-tree.js";
import type { Groth16Vkey } from "./types.js";

/** Base field of BN254 (curve coordinates live here). */
export const BN254_BASE_FIELD = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;

/** The number of public signals of EpochTransition: [oldRoot, newRoot, header, commitment]. */
export const EPOCH_PUBLIC_SIGNALS = 4;

const HEX = "0123456789abcdef";

export function bytesToHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += HEX[b >> 4]! + HEX[b & 15]!;
  return out;
}

export function verifierIdOf(vkey: object): `0x${string}` {
  const canonical = canonicalize(vkey);
  if (canonical === undefined) throw new TypeError("verifierIdOf: the verification key has no JSON representation");
  return `0x${bytesToHex(keccak_256(new TextEncoder().encode(canonical)))}`;
}

const DECIMAL = /^(0|[1-9][0-9]{0,79})$/;

function isCoordinate(x: unknown): x is string {
  return typeof x === "string" && DECIMAL.test(x) && BigInt(x) < BN254_BASE_FIELD;
}

function isG1(p: unknown): boolean {
  return Array.isArray(p) && p.length === 3 && p.every(isCoordinate) && p[2] === "1";
}

function isG2(p: unknown): boolean {
  return (
    Array.isArray(p) &&
    p.length === 3 &&
    [p[0], p[1]].every((c) => Array.isArray(c) && c.length === 2 && c.every(isCoordinate)) &&
    Array.isArray(p[2]) &&
    p[2][0] === "1" &&
    p[2][1] === "0"
  );
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

/** Every affine coordinate of the key the Solidity verifier embeds, named as in the snarkjs template. */
export function vkeyConstants(vkey: Groth16Vkey): { name: string; value: bigint }[] {
  const out: { name: string; value: bigint }[] = [];
  const g1 = (name: string, p: readonly string[]) => {
    out.push({ name: `${name}x`, value: BigInt(p[0]!) }, { name: `${name}y`, value: BigInt(p[1]!) });
  };
  const g2 = (name: string, p: readonly (readonly string[])[]) => {
    out.push(
      { name: `${name}x1`, value: BigInt(p[0]![1]!) },
      { name: `${name}x2`, value: BigInt(p[0]![0]!) },
      { name: `${name}y1`, value: BigInt(p[1]![1]!) },
      { name: `${name}y2`, value: BigInt(p[1]![0]!) },
    );
  };
  g1("alpha", vkey.vk_alpha_1);
  g2("beta", vkey.vk_beta_2);
  g2("gamma", vkey.vk_gamma_2);
  g2("delta", vkey.vk_delta_2);
  vkey.IC.forEach((p, i) => g1(`IC${i}`, p));
  return out;
}

/** The PUSHn instruction solc emits for a constant: opcode 0x5f+n, then the n minimal big-endian bytes. */
function pushHex(value: bigint): string {
  if (value === 0n) return "5f"; // PUSH0
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  const n = hex.length / 2;
  return (0x5f + n).toString(16) + hex;
}

/** The names of the key's constants that do NOT occur in `code` (runtime bytecode, 0x hex). Empty: all present. */
export function vkeyConstantsMissingFrom(vkey: Groth16Vkey, code: string): string[] {
  const text = code.toLowerCase().replace(/^0x/, "");
  return vkeyConstants(vkey)
    .filter(({ value }) => !text.includes(pushHex(value)))
    .map(({ name }) => name);
}

export function isFieldElement(x: bigint): boolean {
  return x >= 0n && x < FIELD_MODULUS;
}
