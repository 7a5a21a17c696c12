/**
 * Issue #5 benchmark: gas of TinyCloudAnchor.submitBatch with real Groth16 proofs, on anvil.
 *
 * For every epoch-transition circuit whose keys are available (d8 test circuits always — built on first
 * use; the depth-16 circuits epoch_transition_1 / _4 / _16 / _32 when their zkeys are in .cache), deploy
 * router + the circuit's snarkjs verifier + anchor from contracts/generated/artifacts.json, anchor a few
 * real batches and split each transaction's gas:
 *   intrinsic + calldata   21,000 + 16 per non-zero / 4 per zero calldata byte
 *   verification           the anchor's call into the router, as anvil's callTracer reports it
 *                          (router lookup + the verifier's ecMul/ecAdd/pairing precompiles)
 *   storage, event, checks everything else: sequencer and batch-number checks, old-root SLOAD, new
 *                          root SSTORE, latestBatch update, BatchAnchored, the router's cold access
 * Every submitBatch is sent with an explicit gas limit (anvil's eth_estimateGas underestimates Groth16
 * verification: the pairing staticcall then runs out of gas and the proof "fails").
 * Targets: <= 260k gas per batch, <= 6k gas per update; misses are printed as such.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createPublicClient, createWalletClient, defineChain, hexToBytes, http, type Abi, type Address, type Hex, type PublicClient, type WalletClient } from "viem";
import { ANCHOR_ABI, KIND_GROTH16_SNARKJS, ROUTER_ABI, loadContractArtifacts } from "../../contracts/artifacts.js";
import { epochContext } from "../../core/rollup/header.js";
import { circuitSource, loadManifest, releaseSnarkjsWorkers } from "../../prover/setup/artifacts.js";
import { StateTree } from "../../core/state/state-tree.js";
import { startAnvil } from "../../node/chain/anvil.js";
import { ProvenBatchFactory } from "../helpers/proven-batch-factory.js";
import { fmt, printTable } from "./harness.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const GAS_LIMIT = 1_500_000n;
const BATCHES = Number(process.env["BENCH_ANCHOR_BATCHES"] ?? 3);
const TARGET_PER_BATCH = 260_000;
const TARGET_PER_UPDATE = 6_000;
const ALWAYS = ["epoch_transition_1_d8", "epoch_transition_2_d8"];
const IF_CACHED = ["epoch_transition_1", "epoch_transition_4", "epoch_transition_16"];

interface CallFrame {
  type: string;
  to?: string;
  gasUsed: Hex;
  calls?: CallFrame[];
}

export async function run(): Promise<void> {
  const manifest = await loadManifest(join(ROOT, "circuits", "circuits.json"));
  const specs = [];
  const skipped: string[] = [];
  for (const name of [...ALWAYS, ...IF_CACHED]) {
    const entry = manifest.circuits.find((c) => c.name === name);
    if (!entry) continue;
    if (!ALWAYS.includes(name) && !(await keysCached(entry))) {
      skipped.push(name);
      continue;
    }
    specs.push({ name, B: Number(entry.params[0]), depth: Number(entry.params[1]) });
  }
  const prover = new ProvenBatchFactory(specs);
  const circuits = await prover.circuits();
  const anvil = await startAnvil();
  try {
    const chain = defineChain({ id: 31337, name: "anvil", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [anvil.rpcUrl] } } });
    const publicClient = createPublicClient({ chain, transport: http(anvil.rpcUrl) }) as PublicClient;
    const [deployer, sequencer] = (await publicClient.request({ method: "eth_accounts" as never })) as Address[];
    const wallet = createWalletClient({ chain, transport: http(anvil.rpcUrl) });
    const chainId = await publicClient.getChainId();
    const artifacts = loadContractArtifacts();
    const send = async (request: Parameters<WalletClient["writeContract"]>[0]) => {
      const hash = await wallet.writeContract({ ...request, chain, gas: GAS_LIMIT } as Parameters<WalletClient["writeContract"]>[0]);
      const receipt = await publicClient.waitForTransactionReceipt({ hash });
      if (receipt.status !== "success") throw new Error(`${request.functionName} reverted (tx ${hash})`);
      return receipt;
    };
    const deploy = async (name: string, args: readonly unknown[] = []) => {
      const artifact = artifacts.contracts[name]!;
      const hash = await wallet.deployContract({ abi: artifact.abi, bytecode: artifact.bytecode, args, account: deployer!, chain, gas: 5_000_000n });
      const receipt = await publicClient.waitForTransactionReceipt({ hash });
      if (receipt.status !== "success" || !receipt.contractAddress) throw new Error(`deploying ${name} failed`);
      return { address: receipt.contractAddress, gas: receipt.gasUsed, size: (artifact.deployedBytecode.length - 2) / 2 };
    };

    // Timelock 0 here: the bench adds each verifier and uses it in the same run.
    const router = await deploy("TinyCloudVerifierRouter", [deployer, 0n, [], [], []]);
    const deployRows: string[][] = [
      ["contract", "runtime bytes", "deploy gas"],
      ["TinyCloudVerifierRouter", fmt(router.size), fmt(Number(router.gas))],
    ];
    const rows: string[][] = [["circuit", "B", "depth", "batch gas", "intrinsic+calldata", "verification", "(verifier)", "storage+event+checks", "gas / update", "prove s"]];
    const misses: string[] = [];
    let anchorDeploy: { gas: bigint; size: number } | undefined;

    for (const circuit of circuits) {
      const verifier = await deploy(circuit.contract);
      deployRows.push([circuit.contract, fmt(verifier.size), fmt(Number(verifier.gas))]);
      await send({ address: router.address, abi: ROUTER_ABI as Abi, functionName: "addVerifier", args: [circuit.verifierId, verifier.address, KIND_GROTH16_SNARKJS], account: deployer! } as never);
      const tree = new StateTree(circuit.depth);
      const anchor = await deploy("TinyCloudAnchor", [deployer, router.address, circuit.depth]);
      anchorDeploy ??= anchor;
      await send({ address: anchor.address, abi: ANCHOR_ABI as Abi, functionName: "setSequencer", args: [sequencer, true], account: deployer! } as never);
      const context = epochContext(chainId, anchor.address);

      const totals = { gas: 0, intrinsic: 0, verification: 0, verifier: 0, proveSeconds: 0 };
      for (let n = 1n; n <= BigInt(BATCHES); n++) {
        // Fresh keys: every write is an insert, two steps, so a full batch holds B / 2 writes.
        const batch = await prover.proveWrites({ tree, circuit: circuit.name, batchNumber: n, context, updates: circuit.B / 2 });
        const receipt = await send({
          address: anchor.address,
          abi: ANCHOR_ABI as Abi,
          functionName: "submitBatch",
          args: [circuit.verifierId, n, batch.newRoot, batch.commitment, batch.proof],
          account: sequencer!,
        } as never);
        const tx = await publicClient.getTransaction({ hash: receipt.transactionHash });
        const trace = (await publicClient.request({
          method: "debug_traceTransaction" as never,
          params: [receipt.transactionHash, { tracer: "callTracer" }] as never,
        })) as CallFrame;
        const routerCall = findCall(trace, router.address);
        if (!routerCall) throw new Error("no call to the router in the trace");
        const verifierCall = routerCall.calls?.find((c) => c.to?.toLowerCase() === verifier.address.toLowerCase());
        totals.gas += Number(receipt.gasUsed);
        totals.intrinsic += intrinsicGas(tx.input);
        totals.verification += Number(BigInt(routerCall.gasUsed));
        totals.verifier += verifierCall ? Number(BigInt(verifierCall.gasUsed)) : 0;
        totals.proveSeconds += batch.proveSeconds;
      }
      const avg = (x: number) => x / BATCHES;
      const perBatch = avg(totals.gas);
      const perUpdate = perBatch / circuit.B;
      rows.push([
        circuit.name,
        String(circuit.B),
        String(circuit.depth),
        fmt(perBatch),
        fmt(avg(totals.intrinsic)),
        fmt(avg(totals.verification)),
        fmt(avg(totals.verifier)),
        fmt(perBatch - avg(totals.intrinsic) - avg(totals.verification)),
        fmt(perUpdate),
        fmt(avg(totals.proveSeconds), 2),
      ]);
      if (perBatch > TARGET_PER_BATCH) misses.push(`${circuit.name}: ${fmt(perBatch)} gas per batch > target ${fmt(TARGET_PER_BATCH)}`);
      if (perUpdate > TARGET_PER_UPDATE)
        misses.push(
          `${circuit.name}: ${fmt(perUpdate)} gas per update > target ${fmt(TARGET_PER_UPDATE)} (B = ${circuit.B}; needs B >= ${Math.ceil(perBatch / TARGET_PER_UPDATE)} at this batch cost)`,
        );
    }
    if (anchorDeploy) deployRows.push(["TinyCloudAnchor", fmt(anchorDeploy.size), fmt(Number(anchorDeploy.gas))]);

    const node = await publicClient.request({ method: "web3_clientVersion" });
    printTable(`anchor gas: submitBatch per batch, mean of ${BATCHES} batches with full circuits, real Groth16 proofs (${node}, explicit gas limit ${fmt(Number(GAS_LIMIT))})`, rows);
    printTable("anchor gas: deployment", deployRows);
    if (skipped.length > 0) console.log(`\n  skipped (no cached zkey; build with \`npx tinycloud setup --circuit ${skipped.join(",")}\`): ${skipped.join(", ")}`);
    console.log(`\n  targets: <= ${fmt(TARGET_PER_BATCH)} gas per batch, <= ${fmt(TARGET_PER_UPDATE)} gas per update`);
    if (misses.length === 0) console.log("  all targets met");
    else for (const m of misses) console.log(`  TARGET MISSED: ${m}`);
  } finally {
    await prover.close();
    await releaseSnarkjsWorkers();
    await anvil.stop();
  }
}

/** 21,000 + EIP-2028 calldata cost (the floor of EIP-7623 is below it for these transactions). */
function intrinsicGas(input: Hex): number {
  let gas = 21_000;
  for (const byte of hexToBytes(input)) gas += byte === 0 ? 4 : 16;
  return gas;
}

function findCall(frame: CallFrame, to: Address): CallFrame | undefined {
  if (frame.to?.toLowerCase() === to.toLowerCase() && frame.type !== "CREATE") return frame;
  for (const child of frame.calls ?? []) {
    const found = findCall(child, to);
    if (found) return found;
  }
  return undefined;
}

/** Whether runSetup would find this circuit's keys in .cache (same layout as prover/setup/artifacts.ts). */
async function keysCached(entry: Parameters<typeof circuitSource>[0]): Promise<boolean> {
  const source = await circuitSource(entry, ROOT);
  const dir = join(ROOT, ".cache", "circuits", `${entry.name}-${source.hash.slice(0, 16)}`);
  if (!existsSync(join(dir, "compile.json"))) return false;
  const { readdirSync } = await import("node:fs");
  return readdirSync(dir).some((d) => d.startsWith("keys-") && d.endsWith("-insecure-deterministic") && existsSync(join(dir, d, "keys.json")) && existsSync(join(dir, d, `${entry.name}.zkey`)));
}
