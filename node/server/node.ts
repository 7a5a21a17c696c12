/** Start and stop a TinyCloud node: store, keys, services and the HTTP server. */
import { join } from "node:path";
import { nativeEd25519Verify } from "../crypto/native-ed25519.js";
import { NodeStore } from "../store/store.js";
import { buildApp } from "./app.js";
import { DEFAULT_CONFIG, type NodeConfig } from "./config.js";
import { DelegationService } from "./delegation-service.js";
import { InvokeService } from "./invoke-service.js";
import { KvWriter } from "./kv-writer.js";
import { StorageQuota } from "./storage-quota.js";
import { Ledger } from "./ledger.js";
import { NodeKeys, privateDir } from "./node-keys.js";
import { ReplayGuard, ReplayRecorder } from "./replay-guard.js";
import { RollupStore } from "../rollup/rollup-store.js";
import { Sequencer } from "../rollup/sequencer.js";
import { registerRollupRoutes } from "../rollup/routes.js";
import { startProving, type Proving, type ProvingKeys } from "../rollup/proving.js";
import type { KeyBuilder } from "../rollup/key-build.js";
import { ChainError } from "../chain/contract-errors.js";
import { enforceKeyPolicy } from "../chain/key-policy.js";
import { insecurityOf } from "../../core/key-security.js";
import { verifierIdOf } from "../../core/rollup/verifier-id.js";
import { StateViews } from "../rollup/state-views.js";
import { ProvingBacklog } from "../rollup/backlog.js";
import { connectChain, type ChainConnection } from "../chain/stack.js";
import { registerPublicRoutes } from "./public-routes.js";
import { ReadGate } from "./read-gate.js";
import { ResponseBudget } from "./response-budget.js";
import { createPolicyGate } from "../policy/policy-setup.js";
import { registerPolicyRoutes } from "../policy/routes.js";
import { functionPolicyRunner } from "../policy/function-policy.js";
import type { FastifyInstance } from "fastify";
import type { BatchRecord } from "../rollup/types.js";
import { ComputeRuntime } from "../compute/runtime.js";
import { ComputeStore } from "../compute/compute-store.js";
import { ComputeService } from "../compute/service.js";
import { registerComputeRoutes } from "../compute/routes.js";

/** How long requests in flight may finish when the node stops, before their connections are closed. */
const CLOSE_GRACE_MS = 2_000;

export interface RunningNode {
  readonly url: string;
  /** Absent when the node runs without the rollup (`rollup: false`, `--no-rollup`). */
  readonly sequencer: Sequencer | undefined;
  /** The rollup's durable records (batches, pending and held updates); absent without the rollup. */
  readonly rollup: RollupStore | undefined;
  readonly did: string;
  readonly config: NodeConfig;
  /** The chain the node anchors to (absent when anchoring is off). */
  readonly chain: ChainConnection | undefined;
  /** Key build and proving (absent when proving is off): `status()`, and `ready` once proofs can be made. */
  readonly proving: Proving | undefined;
  close(): Promise<void>;
}

/** The chain a node anchors to, as it may tell anyone (no keys). */
export interface PublicChainInfo {
  readonly anchor: string;
  readonly chainId: number;
  /** Only for the embedded chain: a remote RPC URL may carry credentials. */
  readonly rpcUrl?: string;
}

/**
 * Routes a caller adds to the node's HTTP server (the light-client page is one, handed over by cli/: the
 * node does not import lightclient/). Registered after the node's own routes, before it listens.
 */
export type NodePlugin = (app: FastifyInstance, node: { readonly chain: PublicChainInfo | undefined }) => void;

/** What tests may substitute in a node (not configuration). */
export interface NodeSeams {
  /** Starts the background key build (default: a child process running runSetup). */
  readonly buildKeys?: KeyBuilder;
}

export interface NodeExtensions extends NodeSeams {
  readonly plugins?: readonly NodePlugin[];
}

export async function startNode(overrides: Partial<NodeConfig> = {}, extensions: NodeExtensions = {}): Promise<RunningNode> {
  const given: NodeConfig = { ...DEFAULT_CONFIG, ...overrides };
  // Without the rollup there are no batches to prove.
  const merged: NodeConfig = given.rollup ? given : { ...given, prove: false };
  // Anchoring submits proofs: without proving there is nothing to anchor.
  const config: NodeConfig = merged.prove ? merged : { ...merged, chain: "off" };
  // The chain comes first: its id and the anchor's address are bound into every batch the sequencer cuts.
  const chain = await connectChain(config);
  try {
    return await startServices(config, chain, extensions);
  } catch (error) {
    // An embedded anvil must not outlive a node that failed to start (port in use, context mismatch, …).
    await chain?.close();
    throw error;
  }
}

/**
 * The node proves only with keys its deployment pinned (the verifier ids the router routes: a proof
 * under other keys can never anchor), and refuses INSECURE keys on any chain but the local dev chain
 * unless the operator explicitly allows them.
 */
export function checkProvingKeys(keys: ProvingKeys, chain: Pick<ChainConnection, "deployment" | "rpcUrl" | "embedded">, allowInsecureKeys: boolean, warn: (line: string) => void): void {
  for (const [circuit, k] of Object.entries(keys)) {
    const deployed = chain.deployment.verifiers[circuit];
    const id = verifierIdOf(k.vkey);
    if (deployed === undefined || deployed.verifierId.toLowerCase() !== id.toLowerCase()) {
      throw new ChainError(
        "CHAIN_KEYS_NOT_DEPLOYED",
        `the node's key for ${circuit} (verifier id ${id}) is not the one deployment ${chain.deployment.anchor} pins (${deployed?.verifierId ?? "none"}): proofs made with it could never anchor. Prove with the deployment's keys (the circuits/keys and .cache of the checkout that ran \`tinycloud setup\` before \`tinycloud deploy\`), or deploy these keys.`,
      );
    }
  }
  const lines = enforceKeyPolicy({
    chainId: chain.deployment.chainId,
    rpcUrl: chain.rpcUrl,
    embedded: chain.embedded,
    keys: Object.fromEntries(Object.entries(keys).map(([c, k]) => [c, insecurityOf(k.provenance)])),
    allowInsecureKeys,
    who: "the node",
  });
  for (const line of lines) warn(line);
}

/** The console line of a batch anchored: the third of cut / proven / anchored, timed from the cut. */
function anchoredLine(record: BatchRecord, now = Date.now()): string {
  const where = record.anchorBlock !== undefined ? ` in block ${record.anchorBlock}` : "";
  const tx = record.anchorTx !== undefined ? ` (tx ${record.anchorTx})` : "";
  return `batch ${record.number} anchored${where}, ${((now - record.cutAt) / 1000).toFixed(1)} s after cut${tx}`;
}

async function startServices(config: NodeConfig, chain: ChainConnection | undefined, extensions: NodeExtensions): Promise<RunningNode> {
  const keys = await NodeKeys.load(config.dataDir);
  // 0700 before LevelDB writes into it: its files get 0666 & ~umask (no mode option), so the directory is
  // what keeps them private when the process umask is not 077 (`tinycloud node` sets 077: cli/node-command.ts).
  await privateDir(join(config.dataDir, "db"));
  const store = new NodeStore(join(config.dataDir, "db"));
  await store.open();
  const now = () => Date.now() / 1000;
  const ledger = new Ledger(store, keys.identity);
  const deps = { store, keys, verify: nativeEd25519Verify, now, clockSkewSeconds: config.clockSkewSeconds };
  const quota = await StorageQuota.load(store, config);
  const delegations = new DelegationService(deps, ledger, quota);
  const replay = await ReplayGuard.load(store, now(), config.clockSkewSeconds);
  const rollupStore = new RollupStore(store);
  const context = chain?.context ?? 0n;
  const sequencer = config.rollup
    ? await Sequencer.open(rollupStore, {
        maxUpdates: config.batchMaxUpdates,
        maxDelayMs: config.batchMaxDelayMs,
        context,
        depth: config.stateTreeDepth,
        ...(config.quiet ? {} : { log: (line: string) => console.log(line) }),
      })
    : undefined;
  const views = sequencer !== undefined ? await StateViews.open(rollupStore, sequencer) : undefined;
  const responses = new ResponseBudget(config.maxResponseBytes, config.maxResponseBytesInFlight, config.responseWaitMs);
  // Admission control on the proving backlog: only a node that proves has one (node/rollup/backlog.ts).
  const backlog = config.prove && sequencer !== undefined ? new ProvingBacklog(() => sequencer.pendingUpdates, config.maxBacklogUpdates) : undefined;
  const writer = new KvWriter(store, ledger, sequencer, backlog, quota);
  const runtime = new ComputeRuntime({ workers: config.computeWorkers, wallClockMs: config.computeWallClockMs, maxOutputBytes: config.computeMaxOutputBytes, maxQueue: config.computeMaxQueue });
  const computeStore = new ComputeStore(store);
  const compute = new ComputeService(store, computeStore, writer, runtime, config);
  const policy = createPolicyGate(deps, config, { functions: functionPolicyRunner(runtime, (functionCid, space) => compute.meteredByFunction(space, functionCid)) });
  const invocations = new InvokeService(deps, writer, replay, new ReplayRecorder(store), config, responses, policy.gate, compute);
  const reads = new ReadGate(deps, config.invocationMaxLifetimeSeconds);
  const app = buildApp({ config, store, keys, delegations, invocations, reads });
  registerPublicRoutes(app, store, responses);
  registerComputeRoutes(app, { store, compute: computeStore, service: compute, reads });
  registerPolicyRoutes(app, policy.log, reads);
  const publicChain: PublicChainInfo | undefined =
    chain === undefined ? undefined : { anchor: chain.deployment.anchor, chainId: chain.deployment.chainId, ...(chain.embedded ? { rpcUrl: chain.rpcUrl } : {}) };
  for (const plugin of extensions.plugins ?? []) plugin(app, { chain: publicChain });
  // Insecure-key warnings are printed once (the committed keys are checked at start, the built ones again).
  let warned = false;
  const checkKeys = (keys: ProvingKeys) => {
    if (chain === undefined) return;
    const lines: string[] = [];
    checkProvingKeys(keys, chain, config.allowInsecureKeys === true, (line) => lines.push(line));
    if (!warned && !config.quiet) for (const line of lines) console.warn(line);
    warned = true;
  };
  const anchorer =
    views !== undefined
      ? chain?.startAnchorer(rollupStore, (record) => {
          void views.advanceTo(record.number);
          if (!config.quiet) console.log(anchoredLine(record));
        })
      : undefined;
  let proving: Proving | undefined;
  if (sequencer !== undefined && views !== undefined) {
    // Registered before startProving: it mounts the queue dashboard, a plugin after which no route may be added.
    registerRollupRoutes(app, {
      rollup: rollupStore,
      sequencer,
      views,
      store,
      reads,
      ...(config.prove ? { keys: { status: () => proving?.status() ?? null } } : {}),
      ...(backlog !== undefined ? { backlog } : {}),
      ...(anchorer !== undefined ? { chain: { status: () => ({ ...chain?.describe(), anchorer: anchorer.status() }) } } : {}),
    });
  }
  // A start that fails before listening stops what started (the caller stops the chain); the key build
  // is a child process, which would otherwise keep the process alive.
  const abort = async (error: unknown): Promise<never> => {
    await app.close();
    await runtime.close();
    await sequencer?.close();
    await proving?.close();
    await store.close();
    throw error;
  };
  try {
    proving =
      config.prove && sequencer !== undefined
        ? await startProving(app, rollupStore, sequencer, {
            depth: config.stateTreeDepth,
            context,
            quiet: config.quiet,
            failures: sequencer.failures,
            checkKeys,
            ...(backlog !== undefined ? { backlog } : {}),
            ...(config.redisUrl !== undefined ? { redisUrl: config.redisUrl } : {}),
            ...(config.circuits !== undefined ? { circuits: config.circuits } : {}),
            ...(config.ptau !== undefined ? { ptau: config.ptau } : {}),
            ...(config.cacheDir !== undefined ? { cacheDir: config.cacheDir } : {}),
            ...(extensions.buildKeys !== undefined ? { buildKeys: extensions.buildKeys } : {}),
          })
        : undefined;
  } catch (error) {
    // The committed keys failed the checks, or the manifest has no circuit for the depth.
    await abort(error);
  }
  if (proving !== undefined && anchorer !== undefined) proving.onProven(() => anchorer.notify());
  await app.listen({ host: config.host, port: config.port }).catch(abort);
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : config.port;
  const pruneReplay = setInterval(() => void store.pruneReplay(now() - 60 - config.clockSkewSeconds).catch(() => undefined), 10 * 60 * 1000);
  pruneReplay.unref();
  return {
    url: `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`,
    did: keys.identity.did,
    sequencer,
    rollup: sequencer !== undefined ? rollupStore : undefined,
    config,
    chain,
    proving,
    close: async () => {
      clearInterval(pruneReplay);
      // Stop accepting at once; requests in flight get a short grace, then their sockets are closed (a
      // client trickling a body must not hold the shutdown).
      const drained = setTimeout(() => app.server.closeAllConnections(), CLOSE_GRACE_MS);
      await app.close();
      clearTimeout(drained);
      await runtime.close();
      await sequencer?.close();
      await proving?.close();
      // Stops the anchorer (it writes to the store) and the embedded anvil.
      await chain?.close();
      await store.close();
    },
  };
}
