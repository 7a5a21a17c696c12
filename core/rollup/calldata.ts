/**
 * A Groth16 proof as TinyCloudVerifierRouter decodes it: abi.encode(uint256[2] a, uint256[2][2] b,
 * uint256[2] c), eight static words, with each G2 coordinate pair in (imaginary, real) order, the order the
 * EVM pairing precompile takes (snarkjs' calldata order). Checked byte for byte against viem's
 * encodeAbiParameters in test/unit/rollup-wire.test.ts; written here without viem so the core stays small.
 */
import { expectWire, Groth16ProofSchema } from "./wire.js";

/** The schema admits at most 77 decimal digits, < 2^256: every coordinate fits a word. */
const word = (decimal: string): string => BigInt(decimal).toString(16).padStart(64, "0");

/** snarkjs proof JSON → the router's `proof` bytes. WireError when it is not a Groth16 proof. */
export function encodeGroth16Proof(proof: unknown): `0x${string}` {
  const { pi_a: a, pi_b: b, pi_c: c } = expectWire(Groth16ProofSchema, proof, "proof");
  const [b0, b1] = [b[0] as string[], b[1] as string[]];
  const words = [a[0], a[1], b0[1], b0[0], b1[1], b1[0], c[0], c[1]] as string[];
  return `0x${words.map(word).join("")}`;
}
