/**
 * TinyCloud light client: verify one KV entry against the state root anchored on chain.
 *
 * Public API for the browser page (lightclient/page/) and the CLI (cli/verify-command.ts).
 * Browser-safe: nothing here imports node: modules (the pure core uses @noble/hashes, poseidon-lite,
 * canonicalize; the chain transport uses viem). Groth16 verification is injected.
 */
export { STEP_NAMES, got, missing } from "./core/types.js";
export type {
  AnchorGenesis,
  AnchoredBatch,
  AnchoredState,
  HistoryEvidence,
  Evidence,
  Fetched,
  Groth16ProofJson,
  Groth16Vkey,
  PinnedVkey,
  PinnedVkeys,
  StepCode,
  StepName,
  StepResult,
  StepStatus,
  VerifiedEntry,
  VerifierRoute,
  VerifyReport,
  VkeyEvidence,
} from "./core/types.js";
export { snarkjsGroth16, zkKitGroth16, type Groth16Verifier, type SnarkjsLike, type ZkKitVerify } from "./core/groth16.js";
export { bytesToHex } from "../core/encoding.js";
export { BN254_BASE_FIELD, codeHashOf, isGroth16Vkey, verifierIdOf, vkeyProblem } from "./core/vkey.js";
export { BUILTIN_VKEYS, circuitDepth, insecurePins, pinVkeys, type PinExtras } from "./core/pinned.js";
export { decodeHeader, type DecodedHeader } from "../core/rollup/header.js";
export { parseBatchClaim, parseEntryClaim, parseProofClaim, type BatchClaim, type EntryClaim, type ProofClaim } from "./core/claims.js";
export {
  checkPath,
  checkProof,
  checkRoot,
  checkValue,
  checkVkey,
  entryAddress,
  KIND_GROTH16_SNARKJS,
  LightClientUriError,
  verifyEvidence,
  type EntryAddress,
  type EvidenceVerdict,
  type PathOutcome,
  type VerifyEvidenceOptions,
} from "./core/steps.js";
export { formatReport, formatStep, STEP_MARK } from "./core/format.js";
export { collectEvidence, keyWarnings, PUBLIC_SPACE_NAME, reportOf, verifyUri, type VerifyUriOptions } from "./verify-uri.js";
export { TransportError, errorText, type ChainSource, type NodeSource, type TransportErrorCode } from "./transports/types.js";
export { fetchNodeSource, type FetchNodeOptions } from "./transports/fetch-node.js";
export { MAX_READ_TOKEN_SECONDS, readAuthorization, signReadInvocation, spaceKvResource, spacesAuthorization, type ReadAuthorization, type ReaderKey } from "./transports/read-auth.js";
export { chainReaderOf, viemChainSource, type ChainReader, type ViemChainOptions } from "./transports/viem-chain.js";
export {
  emptyRecording,
  fixtureChainSource,
  fixtureNodeSource,
  proofKey,
  recordingChainSource,
  recordingNodeSource,
  valueKey,
  type ChainRecording,
  type NodeRecording,
  type Recording,
} from "./transports/fixture.js";
