/** Start and stop a TinyCloud node: store, keys, services and the HTTP server. */
import { join } from "node:path";
import { nativeEd25519Verify } from "../crypto/native-ed25519.js";
import { NodeStore } from "../store/store.js";
import { buildApp } from "./app.js";
import { DEFAULT_CONFIG, type NodeConfig } from "./config.js";
import { DelegationService } from "./delegation-service.js";
import { InvokeService } from "./invoke-service.js";
import { KvWriter } from "./kv-writer.js";
import { Ledger } from "./ledger.js";
import { NodeKeys } from "./node-keys.js";
import { ReplayGuard, ReplayRecorder } from "./replay-guard.js";
import { RollupStore } from "../rollup/rollup-store.js";
import { Sequencer } from "../rollup/sequencer.js";
import { registerRollupRoutes } from "../rollup/routes.js";
import { startProving } from "../rollup/proving.js";

export interface RunningNode {
  readonly url: string;
  readonly sequencer: Sequencer;
  readonly did: string;
  readonly config: NodeConfig;
  close(): Promise<void>;
}

export async function startNode(overrides: Partial<NodeConfig> = {}): Promise<RunningNode> {
  const config: NodeConfig = { ...DEFAULT_CONFIG, ...overrides };
  const keys = await NodeKeys.load(config.dataDir);
  const store = new NodeStore(join(config.dataDir, "db"));
  await store.open();
  const now = () => Date.now() / 1000;
  const ledger = new Ledger(store, keys.identity);
  const delegations = new DelegationService(store, ledger, keys, nativeEd25519Verify, now);
  const replay = await ReplayGuard.load(store, now());
  const rollupStore = new RollupStore(store);
  const sequencer = await Sequencer.open(rollupStore, { maxUpdates: config.batchMaxUpdates, maxDelayMs: config.batchMaxDelayMs, context: 0n, depth: config.stateTreeDepth });
  const invocations = new InvokeService(store, new KvWriter(store, ledger, sequencer), keys, replay, new ReplayRecorder(store), nativeEd25519Verify, config, now);
  const app = buildApp({ config, store, keys, delegations, invocations });
  registerRollupRoutes(app, { rollup: rollupStore, sequencer });
  const proving = config.prove
    ? await startProving(app, rollupStore, sequencer, {
        depth: config.stateTreeDepth,
        context: 0n,
        quiet: config.quiet,
        ...(config.redisUrl !== undefined ? { redisUrl: config.redisUrl } : {}),
        ...(config.circuits !== undefined ? { circuits: config.circuits } : {}),
        ...(config.ptau !== undefined ? { ptau: config.ptau } : {}),
      })
    : undefined;
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : config.port;
  const pruneReplay = setInterval(() => void store.pruneReplay(now() - 60).catch(() => undefined), 10 * 60 * 1000);
  pruneReplay.unref();
  return {
    url: `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`,
    did: keys.identity.did,
    sequencer,
    config,
    close: async () => {
      clearInterval(pruneReplay);
      await app.close();
      await sequencer.close();
      await proving?.close();
      await store.close();
    },
  };
}
