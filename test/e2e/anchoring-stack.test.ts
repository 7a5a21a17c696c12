/**
 * The whole stack, as `npm start` runs it but on free ports: embedded anvil, contracts deployed by the
 * node, embedded prover pool, anchorer. A write made through the API is anchored on chain; the root read
 * from the contract with viem proves the value's inclusion with the pure core alone. Restarting the node
 * keeps the chain (anvil state file) and anchors later batches without resubmitting earlier ones.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { createPublicClient, http } from "viem";
import { ANCHOR_ABI } from "../../contracts/abi.js";
import { signIn } from "../../node/client/client.js";
import { formatSpaceId, parseResourceUri } from "../../core/resource.js";
import { contentHashField, emptyStateRoot, leafValue, stateKey, stateProofFromJson, verifyStateProof } from "../../core/state/state-tree.js";
import { EMBEDDED_VERIFIER_DELAY } from "../../node/chain/stack.js";
import { utf8ToBytes } from "../../core/encoding.js";
import { releaseSnarkjsWorkers } from "../../prover/setup/artifacts.js";
import { startTestNode, type TestNode } from "../helpers/node.js";
import { testWallet } from "../helpers/wallets.js";
import { until } from "../helpers/until.js";

const DEPTH = 8;
const config = { prove: true, chain: "embedded", chainPort: 0, stateTreeDepth: DEPTH, circuits: ["epoch_transition_1_d8"], batchMaxUpdates: 1, batchMaxDelayMs: 100 } as const;

interface Status {
  latestBatch: number;
  anchoredBatch: number;
  anchoredRoot: string;
  anchorTx: string | null;
  chain: { chainId: number; rpcUrl: string; anchor: `0x${string}`; genesisRoot: string; depth: number; verifierDelay: number; anchorer: { state: string } } | null;
}

async function status(url: string): Promise<Status> {
  return (await (await fetch(`${url}/rollup/status`)).json()) as Status;
}

describe("anchoring: the embedded stack", () => {
  let node: TestNode | undefined;
  const dataDir = mkdtemp(join(tmpdir(), "tinycloud-stack-"));
  after(async () => {
    await node?.stop();
    await rm(await dataDir, { recursive: true, force: true });
    await releaseSnarkjsWorkers();
  });

  test("a write is anchored on chain, and the contract's root proves the value with the pure core", async () => {
    node = await startTestNode({ ...config, dataDir: await dataDir });
    const session = await signIn({ url: node.url, wallet: testWallet(0x51), space: "public" });
    await session.kv.put("photos/a.jpg", "hello chain");
    const anchored = await until(
      async () => {
        const s = await status(node!.url);
        return s.anchoredBatch >= 1 ? s : undefined;
      },
      "batch 1 anchored",
      { timeoutMs: 240_000, intervalMs: 200 },
    );
    assert.ok(anchored.chain, "status reports the chain");
    // The owner's powers are visible: the router's timelock and the anchor's (empty-tree) genesis.
    assert.equal(anchored.chain.verifierDelay, EMBEDDED_VERIFIER_DELAY);
    assert.equal(anchored.chain.genesisRoot, emptyStateRoot(anchored.chain.depth).toString());
    assert.match(anchored.anchorTx ?? "", /^0x[0-9a-f]{64}$/);

    // Read the root from the contract with viem: no trust in the node's status.
    const client = createPublicClient({ transport: http(anchored.chain.rpcUrl) });
    const latest = await client.readContract({ address: anchored.chain.anchor, abi: ANCHOR_ABI, functionName: "latestBatch" });
    assert.equal(latest, BigInt(anchored.anchoredBatch));
    const root = await client.readContract({ address: anchored.chain.anchor, abi: ANCHOR_ABI, functionName: "roots", args: [latest] });
    assert.equal(root.toString(), anchored.anchoredRoot);

    // The node's path for the value against that batch, checked with the pure core.
    const uri = `${session.spaceId}/kv/photos/a.jpg`;
    const served = (await (await fetch(`${node.url}/rollup/proof?uri=${encodeURIComponent(uri)}&batch=${latest}`)).json()) as { proof: unknown; entry: { version: number; contentHash: string } };
    const proof = stateProofFromJson(served.proof);
    const spaceId = formatSpaceId({ ...parseResourceUri(uri).space, form: "space" });
    assert.equal(proof.key, stateKey(spaceId, "kv", "photos/a.jpg"), "the proof is for the key derived from the URI");
    assert.equal(verifyStateProof(proof, root, DEPTH), true);
    assert.equal(proof.kind, "inclusion");
    const expectedLeaf = leafValue(contentHashField(utf8ToBytes("hello chain")), served.entry.version, false);
    assert.equal(proof.value, expectedLeaf, "the anchored leaf commits to exactly these bytes");
    // A different value does not match the anchored leaf.
    assert.notEqual(leafValue(contentHashField(utf8ToBytes("hello chaim")), served.entry.version, false), proof.value);
  });

  test("restart: the chain is kept, earlier batches are not resubmitted, new writes anchor", async () => {
    assert.ok(node);
    const before = await status(node.url);
    const rpcUrl = before.chain!.rpcUrl;
    const client0 = createPublicClient({ transport: http(rpcUrl) });
    const blockBefore = await client0.getBlockNumber();
    await node.close();
    node = await startTestNode({ ...config, dataDir: await dataDir });
    const after1 = await status(node.url);
    assert.equal(after1.chain!.anchor, before.chain!.anchor, "same deployment");
    assert.equal(after1.anchoredBatch, before.anchoredBatch);
    const client = createPublicClient({ transport: http(after1.chain!.rpcUrl) });
    assert.equal(await client.readContract({ address: after1.chain!.anchor, abi: ANCHOR_ABI, functionName: "latestBatch" }), BigInt(before.anchoredBatch));
    assert.ok((await client.getBlockNumber()) >= blockBefore, "the chain state survived the restart");

    const session = await signIn({ url: node.url, wallet: testWallet(0x52) });
    await session.kv.put("b", "second");
    await until(async () => ((await status(node!.url)).anchoredBatch > before.anchoredBatch ? true : undefined), "a new batch anchored", { timeoutMs: 240_000, intervalMs: 200 });
  });
});
