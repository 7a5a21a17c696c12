import { DEFAULT_CLOCK_SKEW_SECONDS } from "../../core/auth/authority.js";

/** Node configuration with the defaults `npm start` uses. */
export interface NodeConfig {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly dataDir: string;
  /** Largest request body (KV value) accepted; larger gets 413. */
  readonly maxBodyBytes: number;
  /** Largest total request-header size; larger gets 431 from the HTTP parser. */
  readonly maxHeaderBytes: number;
  /** Invocations must expire within this many seconds (reference default 300). */
  readonly invocationMaxLifetimeSeconds: number;
  /**
   * Tolerated clock difference with signers, in seconds: every token (invocation, UCAN/CACAO delegation,
   * revocation, SIWE Not Before / Expiration Time) is accepted from `nbf - skew` to `exp + skew`, and an
   * invocation may expire up to `invocationMaxLifetimeSeconds + skew` ahead. Replay records are kept that
   * much longer. 0 = exact.
   */
  readonly clockSkewSeconds: number;
  /**
   * Bearer token for the operator surfaces (/metrics, /admin/queues) when the node listens on a
   * non-loopback address (TINYCLOUD_ADMIN_TOKEN; never from the command line). Unset there: they are off.
   * On a loopback address they are open to local callers, as before.
   */
  readonly adminToken?: string;
  readonly listLimitMax: number;
  /**
   * Largest response body one request may get (a batch read's JSON, a kv/get value); larger gets 413
   * RESPONSE_TOO_LARGE, decided from the stored sizes before any value is read.
   */
  readonly maxResponseBytes: number;
  /**
   * Response bytes all requests together may hold in memory at once (node/server/response-budget.ts). A read
   * that does not fit waits up to `responseWaitMs` for others to finish, then gets 503 NODE_BUSY with Retry-After.
   */
  readonly maxResponseBytesInFlight: number;
  readonly responseWaitMs: number;
  /** A request (headers and body) must arrive within this long, or its connection is closed (408). */
  readonly requestTimeoutMs: number;
  /** Open connections the server accepts; further ones are closed at once. */
  readonly maxConnections: number;
  /**
   * Admission control: past this many un-proven state updates (pending plus in batches cut but not proven),
   * writes get 429 BACKLOG_FULL with Retry-After (node/rollup/backlog.ts). Only when the node proves.
   */
  readonly maxBacklogUpdates: number;
  /** Storage quota of one space: bytes stored for it (KV values, invocation events, op blocks, delegations); 413 above. */
  readonly spaceQuotaBytes: number;
  /** Storage quota of the whole node, the sum over its spaces; 507 above. */
  readonly nodeQuotaBytes: number;
  /** Print one line per request. */
  readonly logRequests: boolean;
  /** Cut a rollup batch at this many state updates… */
  readonly batchMaxUpdates: number;
  /** …or this long after the first pending update. */
  readonly batchMaxDelayMs: number;
  /** Depth of the quaternary state tree (16 = 2^32 slots; smaller only for tests). */
  readonly stateTreeDepth: number;
  /**
   * Run the verifiable-state rollup (sequencer, state tree, /rollup routes). Off: a plain KV node, no
   * batches, no proving, no anchoring (`--no-rollup`; the KV benchmark compares both).
   */
  readonly rollup: boolean;
  /** Prove batches (Groth16). Off: batches are cut but stay unproven. */
  readonly prove: boolean;
  /** BullMQ prover pool on this Redis; absent: embedded worker threads. */
  readonly redisUrl?: string;
  /** Restrict proving to these circuits of circuits/circuits.json. */
  readonly circuits?: readonly string[];
  /** Ceremony ptau for production keys. */
  readonly ptau?: string;
  /** The setup cache the proving keys are built into (default <checkout>/.cache). */
  readonly cacheDir?: string;
  /** Silence setup progress output. */
  readonly quiet: boolean;
  /**
   * Where proven batches are anchored: "embedded" launches anvil on loopback and deploys the contracts
   * (dev); "remote" uses `rpcUrl` + `anchorAddress` or `deploymentFile` and a sequencer key from the
   * environment; "off" keeps proofs local. Anchoring needs proving, so `prove: false` implies "off".
   */
  readonly chain: "embedded" | "remote" | "off";
  /** Embedded chain: anvil's port on 127.0.0.1. */
  readonly chainPort: number;
  readonly rpcUrl?: string;
  /** Remote chain: the TinyCloudAnchor address (router and verifiers are read from it). */
  readonly anchorAddress?: string;
  /** Remote chain: a deployment record written by `tinycloud deploy`. */
  readonly deploymentFile?: string;
  /** Remote chain: the sequencer's private key (never from the command line: TINYCLOUD_SEQUENCER_KEY). */
  readonly sequencerKey?: string;
  /** Blocks to wait on top of an anchoring transaction before calling the batch anchored. */
  readonly confirmations: number;
  /**
   * Prove with INSECURE keys (dev ptau, or no secret phase-2 contribution: anyone can forge their
   * proofs) on a chain other than the local dev chain. Off: the node refuses to start there.
   */
  readonly allowInsecureKeys?: boolean;
  /** Compute (node/compute): largest module a deploy may upload; larger gets 413 COMPUTE_MODULE_TOO_LARGE. */
  readonly computeMaxModuleBytes: number;
  /** Gas limit of an execution that names none (lowered to the grant's maxGas). */
  readonly computeDefaultGas: bigint;
  /** Most gas an execution may ask for (400 above). */
  readonly computeMaxGas: bigint;
  /** Worker threads that run functions. */
  readonly computeWorkers: number;
  /** Executions waiting for a worker before 503 COMPUTE_BUSY. */
  readonly computeMaxQueue: number;
  /** Wall-clock limit of one execution: the watchdog terminates the worker (422 COMPUTE_WALL_CLOCK). */
  readonly computeWallClockMs: number;
  /** Deadline for metering one deploy (a worker thread; 400 WASM_TOO_COMPLEX past it). */
  readonly computeMeterTimeoutMs: number;
  /** Largest output a function may write (413 COMPUTE_OUTPUT_TOO_LARGE). */
  readonly computeMaxOutputBytes: number;
  /** Largest total size of an execution's inputs (413 COMPUTE_INPUT_TOO_LARGE). */
  readonly computeMaxInputBytes: number;
  /** Per space: bytes of deployed modules (original + metered) it may hold; more gets 429 COMPUTE_DEPLOY_QUOTA. */
  readonly computeSpaceModuleBytes: number;
  /** Per space: gas its executions may use in one period; more gets 429 COMPUTE_GAS_QUOTA with Retry-After. */
  readonly computeSpaceGasPerPeriod: bigint;
  readonly computeGasPeriodSeconds: number;
}

export const DEFAULT_CONFIG: NodeConfig = {
  host: "127.0.0.1",
  port: 8000,
  dataDir: "./data",
  maxBodyBytes: 10 * 1024 * 1024,
  maxHeaderBytes: 16 * 1024,
  invocationMaxLifetimeSeconds: 300,
  clockSkewSeconds: DEFAULT_CLOCK_SKEW_SECONDS,
  listLimitMax: 1000,
  maxResponseBytes: 32 * 1024 * 1024,
  maxResponseBytesInFlight: 256 * 1024 * 1024,
  responseWaitMs: 1000,
  requestTimeoutMs: 30_000,
  maxConnections: 1024,
  maxBacklogUpdates: 10_000,
  spaceQuotaBytes: 1024 ** 3,
  nodeQuotaBytes: 10 * 1024 ** 3,
  logRequests: false,
  batchMaxUpdates: 4,
  batchMaxDelayMs: 2000,
  stateTreeDepth: 16,
  rollup: true,
  prove: true,
  // epoch_transition_16 (32 steps) at depth 16 is ~2^19 constraints: build it on purpose (`tinycloud setup --circuit epoch_transition_16`).
  circuits: ["epoch_transition_1", "epoch_transition_4"],
  quiet: false,
  chain: "embedded",
  chainPort: 8545,
  confirmations: 1,
  computeMaxModuleBytes: 4 * 1024 * 1024,
  computeDefaultGas: 1_000_000_000n,
  computeMaxGas: 20_000_000_000n,
  computeWorkers: 2,
  computeMaxQueue: 64,
  computeWallClockMs: 5_000,
  computeMeterTimeoutMs: 20_000,
  computeMaxOutputBytes: 1024 * 1024,
  computeMaxInputBytes: 16 * 1024 * 1024,
  computeSpaceModuleBytes: 64 * 1024 * 1024,
  computeSpaceGasPerPeriod: 1_000_000_000_000n,
  computeGasPeriodSeconds: 3600,
};

export const NODE_VERSION = "0.1.0";
export const PROTOCOL_VERSION = 1;
