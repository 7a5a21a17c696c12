/**
 * The Groth16 verifier is injected: the core never imports a pairing library. Node uses snarkjs
 * (`snarkjsGroth16(await import("snarkjs"))`), the browser whichever bundle is lightest
 * (`zkKitGroth16(verify)` for @zk-kit/groth16, or snarkjs' browser build). Both check snarkjs-format
 * proofs against snarkjs-format verification keys.
 */
import type { Groth16ProofJson, Groth16Vkey } from "./types.js";

export interface Groth16Verifier {
  /** Short name for reports ("snarkjs", "@zk-kit/groth16", …). */
  readonly name: string;
  /** True iff the proof verifies for these public signals (decimal strings). Must not throw for a bad proof. */
  verify(vkey: Groth16Vkey, publicSignals: readonly string[], proof: Groth16ProofJson): Promise<boolean>;
}

/** The part of the snarkjs module used here (`import * as snarkjs from "snarkjs"` or `await import("snarkjs")`). */
export interface SnarkjsLike {
  readonly groth16: { verify(vkey: unknown, publicSignals: unknown, proof: unknown, logger?: unknown): Promise<boolean> };
}

/** snarkjs.groth16.verify. Release its worker threads at exit (`globalThis.curve_bn128?.terminate()`). */
export function snarkjsGroth16(snarkjs: SnarkjsLike): Groth16Verifier {
  return {
    name: "snarkjs",
    async verify(vkey, publicSignals, proof) {
      try {
        // snarkjs mutates nothing but logs failures through console unless given a silent logger.
        return (await snarkjs.groth16.verify(vkey, [...publicSignals], proof, SILENT)) === true;
      } catch {
        return false;
      }
    },
  };
}

/** @zk-kit/groth16's `verify(verificationKey, { proof, publicSignals })`. */
export type ZkKitVerify = (vkey: unknown, proof: { proof: unknown; publicSignals: unknown }) => Promise<boolean>;

export function zkKitGroth16(verify: ZkKitVerify): Groth16Verifier {
  return {
    name: "@zk-kit/groth16",
    async verify(vkey, publicSignals, proof) {
      try {
        return (await verify(vkey, { proof, publicSignals: [...publicSignals] })) === true;
      } catch {
        return false;
      }
    },
  };
}

const noop = (): void => undefined;
const SILENT = { debug: noop, info: noop, warn: noop, error: noop };
