/**
 * Typed access to the compiled contracts (contracts/generated/artifacts.json) and the verifier
 * registry of the circuits (contracts/generated/verifiers.json). Both files are written by
 * prover/setup/contracts.ts (`npm run generate`, `tinycloud setup`) and drift-checked by
 * test/unit/contracts-drift.test.ts.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Abi, Hex } from "viem";

export { ANCHOR_ABI, ROUTER_ABI } from "./abi.js";

/** Router route kinds (TinyCloudVerifierRouter.KIND_*). */
export const KIND_GROTH16_SNARKJS = 1;
export const KIND_BATCH_VERIFIER = 2;

export interface ContractArtifact {
  /** Source file, relative to the repository root. */
  source: string;
  abi: Abi;
  /** Creation code (constructor arguments are appended by the deployer). */
  bytecode: Hex;
  deployedBytecode: Hex;
}

export interface CompilerInfo {
  solc: string;
  longVersion: string;
  settings: {
    optimizer: { enabled: boolean; runs: number };
    evmVersion: string;
    metadata: { bytecodeHash: "none"; appendCBOR: boolean };
  };
}

export interface ContractArtifactsFile {
  compiler: CompilerInfo;
  contracts: Record<string, ContractArtifact>;
}

export interface VerifierInfo {
  /** Contract name in artifacts.json, e.g. EpochTransition4Verifier. */
  contract: string;
  /** keccak256(utf8(JCS(vkey))): the router id of this circuit (prover/setup/verifier-id.ts). */
  verifierId: Hex;
  publicSignals: number;
  /**
   * keccak256 of the verifier's runtime bytecode. A light client pins (vkey, codeHash) pairs and compares
   * the code hash of the contract the router routes the key's id to: the id is only a label the router
   * owner chooses the contract for, the code is what checks the proofs.
   */
  codeHash: Hex;
}

/** circuit name (circuits/circuits.json) -> verifier. */
export type VerifiersFile = Record<string, VerifierInfo>;

export const ARTIFACTS_FILE = fileURLToPath(new URL("./generated/artifacts.json", import.meta.url));
export const VERIFIERS_FILE = fileURLToPath(new URL("./generated/verifiers.json", import.meta.url));

let artifactsCache: ContractArtifactsFile | undefined;
let verifiersCache: VerifiersFile | undefined;

/** The compiled contracts (read once per process). */
export function loadContractArtifacts(): ContractArtifactsFile {
  artifactsCache ??= JSON.parse(readFileSync(ARTIFACTS_FILE, "utf8")) as ContractArtifactsFile;
  return artifactsCache;
}

/** Circuit name -> verifier contract and router id (read once per process). */
export function loadVerifiers(): VerifiersFile {
  verifiersCache ??= JSON.parse(readFileSync(VERIFIERS_FILE, "utf8")) as VerifiersFile;
  return verifiersCache;
}
