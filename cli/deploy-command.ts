/**
 * `tinycloud deploy`: deploy TinyCloudVerifierRouter, one verifier per circuit and TinyCloudAnchor to
 * a chain, authorize the sequencer(s), print the addresses and write the deployment JSON the node
 * reads. The deployer key comes from TINYCLOUD_DEPLOYER_KEY (preferred: it stays out of the shell
 * history and the process list) or --private-key; it is never printed.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { getAddress, isAddress, type Address } from "viem";
import { loadVerifiers } from "../contracts/artifacts.js";
import { connectChain } from "../node/chain/clients.js";
import { ChainError, redactUrl } from "../node/chain/contract-errors.js";
import { DEFAULT_VERIFIER_DELAY, deployStack, MAX_VERIFIER_DELAY, type DeployProgress } from "../node/chain/deploy.js";
import { saveDeployment } from "../node/chain/deployment.js";
import { committedKeyInsecurity, enforceKeyPolicy } from "../node/chain/key-policy.js";
import { emptyStateRoot, STATE_TREE_DEPTH } from "../core/state/state-tree.js";
import { collect } from "./options.js";

export const DEPLOYER_KEY_ENV = "TINYCLOUD_DEPLOYER_KEY";

interface DeployCliOptions {
  rpc: string;
  privateKey?: string;
  chainId?: string;
  circuits?: string[];
  sequencer?: string[];
  owner?: string;
  depth: string;
  out: string;
  confirmations: string;
  verifierDelay: string;
  allowInsecureKeys?: boolean;
}

/** EpochTransition circuits of circuits/circuits.json for a depth, that have a generated verifier. */
function circuitsForDepth(depth: number): { all: Map<string, number>; matching: string[] } {
  const manifest = JSON.parse(readFileSync(new URL("../circuits/circuits.json", import.meta.url), "utf8")) as {
    circuits: { name: string; template: string; params: (number | string)[] }[];
  };
  const verifiers = loadVerifiers();
  const all = new Map<string, number>();
  for (const c of manifest.circuits) if (c.template === "EpochTransition" && verifiers[c.name] !== undefined) all.set(c.name, Number(c.params[1]));
  return { all, matching: [...all].filter(([, d]) => d === depth).map(([name]) => name) };
}

function intOption(text: string, flag: string, min: number): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min) throw new ChainError("CHAIN_BAD_DEPLOYMENT", `${flag} must be an integer >= ${min}, got "${text}"`);
  return n;
}

function address(text: string, flag: string): Address {
  if (!isAddress(text, { strict: false })) throw new ChainError("CHAIN_BAD_KEY", `${flag} must be a 20-byte hex address, got "${text}"`);
  return getAddress(text);
}

export function registerDeployCommand(program: Command): void {
  program
    .command("deploy")
    .description("deploy the TinyCloud anchor, verifier router and circuit verifiers to a chain and write the deployment file the node uses")
    .requiredOption("--rpc <url>", "JSON-RPC endpoint of the chain (http(s)://…)")
    .option("--private-key <hex>", `deployer key (prefer the ${DEPLOYER_KEY_ENV} environment variable: a key on the command line ends up in shell history and the process list)`)
    .option("--chain-id <n>", "expected chain id: refuse to deploy when the endpoint serves another chain")
    .option("--circuits <names>", "circuits to deploy verifiers for, comma-separated (default: every generated EpochTransition verifier of --depth)", collect)
    .option("--sequencer <address>", "account allowed to submit batches (repeatable; default: the deployer)", collect)
    .option("--owner <address>", "owner of the anchor and the router (default: the deployer)")
    .option("--depth <n>", "state tree depth of the circuits (the genesis root is the empty tree of this depth)", String(STATE_TREE_DEPTH))
    .option("--out <file>", "where to write the deployment JSON", "./deployment.json")
    .option("--confirmations <n>", "confirmations to wait for per transaction", "1")
    .option("--verifier-delay <seconds>", `router timelock: seconds before a verifier the owner adds later may verify proofs (0..${MAX_VERIFIER_DELAY})`, String(DEFAULT_VERIFIER_DELAY))
    .option("--allow-insecure-keys", "deploy verifiers of INSECURE keys (dev ptau or no secret phase-2 contribution: anyone can forge proofs) on a chain other than the local dev chain")
    .addHelpText("after", `\nThe deployer key is read from ${DEPLOYER_KEY_ENV} unless --private-key is given; it is never printed.`)
    .action(async (options: DeployCliOptions) => {
      const key = options.privateKey ?? process.env[DEPLOYER_KEY_ENV];
      if (key === undefined || key.trim() === "") {
        throw new ChainError("CHAIN_BAD_KEY", `no deployer key: set ${DEPLOYER_KEY_ENV} (or pass --private-key)`);
      }
      const depth = intOption(options.depth, "--depth", 1);
      const confirmations = intOption(options.confirmations, "--confirmations", 1);
      const chainId = options.chainId !== undefined ? intOption(options.chainId, "--chain-id", 1) : undefined;
      const verifierDelay = intOption(options.verifierDelay, "--verifier-delay", 0);
      if (verifierDelay > MAX_VERIFIER_DELAY) throw new ChainError("CHAIN_BAD_CONFIG", `--verifier-delay must be at most ${MAX_VERIFIER_DELAY} seconds (365 days), got ${verifierDelay}`);
      const { all, matching } = circuitsForDepth(depth);
      const circuits = options.circuits ?? matching;
      if (circuits.length === 0) {
        throw new ChainError("CHAIN_UNKNOWN_CIRCUIT", `no generated EpochTransition verifier for depth ${depth} (run \`tinycloud setup\`, or pass --circuits / --depth)`);
      }
      for (const c of circuits) {
        const d = all.get(c);
        if (d === undefined) throw new ChainError("CHAIN_UNKNOWN_CIRCUIT", `circuit ${c} has no generated verifier (known: ${[...all.keys()].join(", ")})`);
        if (d !== depth) throw new ChainError("CHAIN_UNKNOWN_CIRCUIT", `circuit ${c} is built for state tree depth ${d}, not --depth ${depth}`);
      }
      const owner = options.owner !== undefined ? address(options.owner, "--owner") : undefined;
      const sequencersIn = (options.sequencer ?? []).map((s) => address(s, "--sequencer"));

      const {
        walletClient,
        publicClient,
        account,
        chainId: actualChainId,
      } = await connectChain({
        rpcUrl: options.rpc,
        privateKey: key,
        ...(chainId !== undefined ? { chainId } : {}),
        pollingIntervalMs: 250,
        retryCount: 2,
      });
      if (walletClient === undefined || account === undefined) throw new Error("BUG: no wallet client for a private key");
      const sequencers = sequencersIn.length > 0 ? sequencersIn : [account.address];
      const warnings = enforceKeyPolicy({
        chainId: actualChainId,
        rpcUrl: options.rpc,
        keys: Object.fromEntries(circuits.map((c) => [c, committedKeyInsecurity(c)])),
        allowInsecureKeys: options.allowInsecureKeys === true,
        who: "tinycloud deploy",
      });
      for (const line of warnings) console.warn(line);
      const genesisRoot = emptyStateRoot(depth);
      const balance = await publicClient.getBalance({ address: account.address }).catch(() => undefined);

      console.log(`deploying to chain ${actualChainId} at ${redactUrl(options.rpc)}`);
      console.log(`  deployer     ${account.address}${balance !== undefined ? ` (balance ${formatEther(balance)} ETH)` : ""}`);
      console.log(`  circuits     ${circuits.join(", ")} (state tree depth ${depth})`);
      console.log(`  genesis root ${genesisRoot} (the empty tree: the anchor computes it itself)`);
      console.log(`  timelock     ${verifierDelay} s before a verifier added later can verify proofs`);
      const deployment = await deployStack({
        walletClient,
        publicClient,
        circuits,
        depth,
        verifierDelay,
        sequencers,
        confirmations,
        ...(owner !== undefined ? { owner } : {}),
        onProgress: (event: DeployProgress) => {
          if (event.kind === "deployed") console.log(`  deployed ${event.contract} at ${event.address} (tx ${event.tx}, gas ${event.gasUsed})`);
          else console.log(`  ${event.description} (tx ${event.tx}, gas ${event.gasUsed})`);
        },
      });
      const out = resolve(options.out);
      await saveDeployment(out, deployment);
      console.log("");
      console.log(`TinyCloudAnchor          ${deployment.anchor}`);
      console.log(`TinyCloudVerifierRouter  ${deployment.router}`);
      for (const [circuit, v] of Object.entries(deployment.verifiers)) console.log(`verifier ${circuit.padEnd(16)} ${v.address} (id ${v.verifierId})`);
      console.log(`owner                    ${deployment.owner}`);
      console.log(`sequencers               ${sequencers.join(", ")}`);
      console.log(`deployment written to ${out}`);
    });
}

function formatEther(wei: bigint): string {
  const whole = wei / 10n ** 18n;
  const frac = (wei % 10n ** 18n).toString().padStart(18, "0").slice(0, 4);
  return `${whole}.${frac}`;
}
