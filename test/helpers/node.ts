/** Start a real node (in this process) on a random loopback port with a fresh data directory. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startNode, type RunningNode } from "../../node/server/node.js";
import type { NodeConfig } from "../../node/server/config.js";

export interface TestNode extends RunningNode {
  readonly dataDir: string;
  stop(): Promise<void>;
}

export async function startTestNode(overrides: Partial<NodeConfig> = {}): Promise<TestNode> {
  const dataDir = overrides.dataDir ?? (await mkdtemp(join(tmpdir(), "tinycloud-test-")));
  // Proving and anchoring are opt-in for tests: most suites exercise the API, Groth16 setup at depth 16
  // takes minutes, and an embedded chain wants its own port (pass chainPort: 0 for a free one).
  const node = await startNode({ port: 0, host: "127.0.0.1", prove: false, quiet: true, chain: "off", chainPort: 0, ...overrides, dataDir });
  return {
    ...node,
    dataDir,
    stop: async () => {
      await node.close();
      if (overrides.dataDir === undefined) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
