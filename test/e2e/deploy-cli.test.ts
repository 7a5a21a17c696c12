/**
 * `tinycloud deploy` against a real anvil: the contracts are deployed and wired (router routes, the
 * sequencer authorized, ownership handed over), the addresses are printed and the deployment file is
 * written and checks out against the chain; the deployer key never appears in the output; a wrong
 * --chain-id, an unreachable RPC endpoint or a missing / malformed key fail with a clear message and a
 * non-zero exit status.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { ANCHOR_ABI, ROUTER_ABI } from "../../contracts/abi.js";
import { startAnvil, freePort, type AnvilInstance } from "../../node/chain/anvil.js";
import { createChainClients, type ChainClients } from "../../node/chain/clients.js";
import { checkDeployment, loadDeployment } from "../../node/chain/deployment.js";
import { emptyStateRoot } from "../../core/state/state-tree.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const NODE = join(ROOT, "node_modules/.bin/node");
const CIRCUITS = "epoch_transition_1_d8,epoch_transition_2_d8";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function deploy(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  delete childEnv["TINYCLOUD_DEPLOYER_KEY"];
  for (const [k, v] of Object.entries(env)) if (v !== undefined) childEnv[k] = v;
  return new Promise((resolve) => {
    execFile(NODE, ["--import", "tsx", "cli/main.ts", "deploy", ...args], { cwd: ROOT, env: childEnv, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

function assertNoKey(run: Run, key: string): void {
  const hex = key.replace(/^0x/, "").toLowerCase();
  const all = `${run.stdout}\n${run.stderr}`.toLowerCase();
  assert.equal(all.includes(hex), false, "the private key must never be printed");
}

describe("tinycloud deploy (anvil)", () => {
  let anvil: AnvilInstance;
  let dir: string;
  let reader: ChainClients;

  before(async () => {
    anvil = await startAnvil();
    dir = await mkdtemp(join(tmpdir(), "tinycloud-deploy-cli-"));
    reader = createChainClients({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId });
  });

  after(async () => {
    await anvil?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test("default: deploys with the key from TINYCLOUD_DEPLOYER_KEY, prints the addresses, writes a deployment that checks out", async () => {
    const [deployer, sequencer] = anvil.accounts;
    const out = join(dir, "deployment.json");
    const run = await deploy(["--rpc", anvil.rpcUrl, "--chain-id", String(anvil.chainId), "--circuits", CIRCUITS, "--depth", "8", "--sequencer", sequencer!.address, "--out", out], {
      TINYCLOUD_DEPLOYER_KEY: deployer!.privateKey,
    });
    assert.equal(run.code, 0, run.stderr);
    assertNoKey(run, deployer!.privateKey);
    const deployment = await loadDeployment(out);
    assert.equal(deployment.chainId, anvil.chainId);
    assert.equal(deployment.depth, 8);
    assert.equal(deployment.genesisRoot, emptyStateRoot(8).toString(), "genesis is the empty tree, computed by the anchor itself");
    assert.equal(deployment.verifierDelay, 2 * 24 * 3600, "default timelock: two days");
    assert.match(run.stdout, /timelock\s+172800 s/);
    assert.match(run.stderr, /WARNING: INSECURE proving keys \(fine on the local dev chain only\)/);
    for (const v of Object.values(deployment.verifiers)) assert.match(v.codeHash, /^0x[0-9a-f]{64}$/);
    assert.equal(deployment.owner, deployer!.address);
    assert.deepEqual(Object.keys(deployment.verifiers).sort(), CIRCUITS.split(","));
    assert.match(run.stdout, new RegExp(`TinyCloudAnchor\\s+${deployment.anchor}`));
    assert.match(run.stdout, new RegExp(`TinyCloudVerifierRouter\\s+${deployment.router}`));
    for (const v of Object.values(deployment.verifiers)) assert.ok(run.stdout.includes(v.address));
    assert.match(run.stdout, /deployed TinyCloudVerifierRouter at 0x[0-9a-fA-F]{40} \(tx 0x[0-9a-f]{64}, gas \d+\)/, "a progress line per contract");
    assert.match(run.stdout, /deployed TinyCloudAnchor at /);
    assert.ok(run.stdout.includes(out));

    await checkDeployment(reader.publicClient, deployment);
    const read = reader.publicClient;
    assert.equal(await read.readContract({ address: deployment.anchor, abi: ANCHOR_ABI, functionName: "isSequencer", args: [sequencer!.address] }), true);
    assert.equal(await read.readContract({ address: deployment.anchor, abi: ANCHOR_ABI, functionName: "isSequencer", args: [deployer!.address] }), false);
    assert.equal(await read.readContract({ address: deployment.anchor, abi: ANCHOR_ABI, functionName: "latestBatch" }), 0n);
    const receipt = await read.getTransactionReceipt({ hash: deployment.deployTx });
    assert.equal(receipt.contractAddress?.toLowerCase(), deployment.anchor.toLowerCase());
    assert.equal(Number(receipt.blockNumber), deployment.deployBlock);
  });

  test("behavior: --private-key works (never echoed) and --owner receives both contracts", async () => {
    const [, , deployer, owner] = anvil.accounts;
    const out = join(dir, "owned.json");
    const run = await deploy(["--rpc", anvil.rpcUrl, "--private-key", deployer!.privateKey, "--circuits", "epoch_transition_1_d8", "--depth", "8", "--owner", owner!.address, "--out", out]);
    assert.equal(run.code, 0, run.stderr);
    assertNoKey(run, deployer!.privateKey);
    const deployment = await loadDeployment(out);
    assert.equal(deployment.owner, owner!.address);
    const read = reader.publicClient;
    assert.equal(await read.readContract({ address: deployment.anchor, abi: ANCHOR_ABI, functionName: "owner" }), owner!.address);
    assert.equal(await read.readContract({ address: deployment.router, abi: ROUTER_ABI, functionName: "owner" }), owner!.address);
    // Default sequencer: the deployer.
    assert.equal(await read.readContract({ address: deployment.anchor, abi: ANCHOR_ABI, functionName: "isSequencer", args: [deployer!.address] }), true);
  });

  test("error: checkDeployment fails clearly on a reset chain and on another chain", async () => {
    const deployment = await loadDeployment(join(dir, "deployment.json"));
    const fresh = await startAnvil();
    try {
      const clients = createChainClients({ rpcUrl: fresh.rpcUrl, chainId: fresh.chainId });
      await assert.rejects(checkDeployment(clients.publicClient, deployment), (e: Error & { code?: string }) => {
        assert.equal(e.code, "CHAIN_NO_CODE");
        assert.match(e.message, /no contract code for TinyCloudAnchor at 0x[0-9a-fA-F]{40} on chain 31337 .*the chain was reset/);
        return true;
      });
    } finally {
      await fresh.stop();
    }
    const other = await startAnvil({ chainId: 1337 });
    try {
      const clients = createChainClients({ rpcUrl: other.rpcUrl, chainId: other.chainId });
      await assert.rejects(checkDeployment(clients.publicClient, deployment), /CHAIN_WRONG_CHAIN_ID|the deployment is for chain id 31337, but the RPC endpoint serves chain id 1337/);
    } finally {
      await other.stop();
    }
  });

  test("error: INSECURE keys are refused on a chain other than the local dev chain, before anything is sent; --allow-insecure-keys deploys them with a warning", async () => {
    const other = await startAnvil({ chainId: 1337 });
    try {
      const [deployer] = other.accounts;
      const otherReader = createChainClients({ rpcUrl: other.rpcUrl, chainId: other.chainId });
      const out = join(dir, "insecure.json");
      const refused = await deploy(["--rpc", other.rpcUrl, "--circuits", CIRCUITS, "--depth", "8", "--out", out], { TINYCLOUD_DEPLOYER_KEY: deployer!.privateKey });
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /CHAIN_INSECURE_KEYS: tinycloud deploy refuses INSECURE proving keys on chain 1337/);
      assert.match(refused.stderr, /epoch_transition_1_d8: .*dev ptau/);
      assert.match(refused.stderr, /--allow-insecure-keys/);
      assert.equal(existsSync(out), false);
      assert.equal(await otherReader.publicClient.getTransactionCount({ address: deployer!.address }), 0, "nothing was sent");
      const allowed = await deploy(["--rpc", other.rpcUrl, "--circuits", CIRCUITS, "--depth", "8", "--verifier-delay", "60", "--allow-insecure-keys", "--out", out], {
        TINYCLOUD_DEPLOYER_KEY: deployer!.privateKey,
      });
      assert.equal(allowed.code, 0, allowed.stderr);
      assert.match(allowed.stderr, /WARNING: INSECURE proving keys \(--allow-insecure-keys\)/);
      const deployment = await loadDeployment(out);
      assert.equal(deployment.verifierDelay, 60);
      assert.equal(await otherReader.publicClient.readContract({ address: deployment.router, abi: ROUTER_ABI, functionName: "verifierDelay" }), 60n);
      await checkDeployment(otherReader.publicClient, deployment);
    } finally {
      await other.stop();
    }
  });

  test("error: a --chain-id the endpoint does not serve is refused before anything is sent", async () => {
    const [deployer] = anvil.accounts;
    const out = join(dir, "wrong-chain.json");
    const nonce = await reader.publicClient.getTransactionCount({ address: deployer!.address });
    const run = await deploy(["--rpc", anvil.rpcUrl, "--chain-id", "1", "--circuits", CIRCUITS, "--depth", "8", "--out", out], { TINYCLOUD_DEPLOYER_KEY: deployer!.privateKey });
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /CHAIN_WRONG_CHAIN_ID: the RPC endpoint serves chain id 31337, but chain id 1 was expected/);
    assertNoKey(run, deployer!.privateKey);
    assert.equal(existsSync(out), false);
    assert.equal(await reader.publicClient.getTransactionCount({ address: deployer!.address }), nonce);
  });

  test("error: an unreachable RPC endpoint fails with a clear message", async () => {
    const [deployer] = anvil.accounts;
    const port = await freePort();
    const run = await deploy(["--rpc", `http://127.0.0.1:${port}`, "--circuits", CIRCUITS, "--depth", "8", "--out", join(dir, "unreachable.json")], { TINYCLOUD_DEPLOYER_KEY: deployer!.privateKey });
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /CHAIN_RPC_UNREACHABLE: .*unreachable/);
    assert.doesNotMatch(run.stderr, /\n\s+at /, "no stack trace");
    assertNoKey(run, deployer!.privateKey);
  });

  test("error: a missing or malformed key fails without echoing it", async () => {
    const missing = await deploy(["--rpc", anvil.rpcUrl, "--depth", "8"]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /CHAIN_BAD_KEY: no deployer key: set TINYCLOUD_DEPLOYER_KEY/);
    const bad = "0x1234567890abcdef1234567890abcdef1234567890abcdef";
    const malformed = await deploy(["--rpc", anvil.rpcUrl, "--depth", "8"], { TINYCLOUD_DEPLOYER_KEY: bad });
    assert.notEqual(malformed.code, 0);
    assert.match(malformed.stderr, /CHAIN_BAD_KEY: private key must be 32 bytes of hex/);
    assertNoKey(malformed, bad);
  });
});
