/**
 * Pinned verification keys and how the chain vouches for them.
 *
 * verifierId = keccak256(utf8(JCS(vkey))) (RFC 8785 canonical JSON): the key TinyCloudVerifierRouter
 * registers a verifier under (same as prover/setup/verifier-id.ts, re-implemented here on
 * @noble/hashes so the core does not pull viem into the browser bundle).
 *
 * The id is only a label: the router's owner chooses which contract it routes to. What binds a pinned
 * key to the contract that checked the proofs is the pinned pair (vkey, codeHash): codeHash is
 * keccak256 of the verifier's runtime code as the generator compiled it (contracts/generated/
 * verifiers.json), compared with `codeHashOf(eth_getCode(route.verifier))`.
 */
import canonicalize from "canonicalize";
import { keccak_256 } from "@noble/hashes/sha3.js";
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

/** keccak256 of runtime bytecode given as 0x hex ("0x…" lowercase); the hash of empty code for "0x". */
export function codeHashOf(code: string): string {
  const clean = code.replace(/^0x/i, "");
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) throw new TypeError("codeHashOf: not hex bytecode");
  const bytes = new Uint8Array(clean.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return `0x${bytesToHex(keccak_256(bytes))}`;
}
