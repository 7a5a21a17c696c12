/**
 * Level key-space buckets. Every key starts with its bucket's byte. Numbers are permanent: a retired
 * bucket stays here as a comment and its number is never reused, so an old database can never be
 * misread by a newer node.
 */
export enum Bucket {
  /** Node metadata (schema version). */
  meta = 1,
  /** Space id → SpaceRecord. */
  spaces = 2,
  /** Event multihash → raw signed bytes of a delegation, invocation or revocation. */
  events = 3,
  /** Delegation multihash → StoredDelegation (parsed view + token). */
  delegations = 4,
  /** Delegation multihash → RevocationInfo. */
  revocations = 5,
  /** blake3 of an invocation's signed bytes (header.payload) → expiry (replay protection). */
  replay = 6,
  /** (space, blake3 of content) → content bytes. */
  blobs = 7,
  /** (space, key, version) → KvVersion: the append-only history. */
  kvVersions = 8,
  /** (space, key) → KvVersion: the current version (tombstone after a delete). */
  kvCurrent = 9,
  /** Epoch CID bytes → signed epoch block. */
  epochs = 10,
  /** (space, seq, epoch CID) → empty: a space's epochs in order. */
  spaceEpochs = 11,
  /** (space, event multihash) → epoch CID: which events a space's DAG already holds. */
  spaceEvents = 12,
  /** CID bytes → DAG-CBOR block (KV op blocks referenced by epochs). */
  blocks = 13,
  /** Pending seq → StateUpdate not yet in a batch (written with the KV write that caused it). */
  rollupPending = 14,
  /** Batch number → BatchRecord. */
  rollupBatches = 15,
  /** Rollup metadata (latest batch number, next pending seq). */
  rollupMeta = 16,
  /** Pending seq → HeldUpdate: a staged update the state tree refused at cut time (never batched). */
  rollupHeld = 17,
  /** Delegation canonical id (signer + signed message, core/auth/canonical.ts) → CID of its one stored encoding. */
  delegationIds = 18,
  /** Space id → bytes stored for it (KV values, invocation events, op blocks, delegations): the storage quota's count. */
  spaceUsage = 19,
  /** (event, epoch or op-block multihash, space id) → empty: the spaces a served CID belongs to (privacy gate). */
  cidOwners = 20,
  /** (batch, update index) → state key (decimal): where each key was last written, newest last (/rollup/entries). */
  rollupLatest = 21,
  /** State key (decimal) → [batch, update index]: its entry in rollupLatest (so a rewrite moves it). */
  rollupKeyPlace = 22,
  /** (space, function name) → DeployRecord CID (dag-cbor sha2-256) of the current deployment (node/compute). */
  computeFunctions = 23,
  /** CID bytes → bytes: deployed modules (original and metered) and deploy records. */
  computeModules = 24,
  /** (space, seq) → ExecutionRecord: the execution log an auditor re-runs. */
  computeExecutions = 25,
  /** (space, period) → gas used in that period (decimal), and (space, "bytes") → deployed module bytes: the compute quotas. */
  computeGas = 26,
  /** (space, seq) → PolicyDecisionRecord: every policy decision, for an auditor to re-run (node/policy). */
  policyDecisions = 27,
}
