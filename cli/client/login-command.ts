/**
 * `tinycloud login`: sign in to a space with a wallet key and store the session (issue 13).
 *
 * The wallet key (a secp256k1 private key) comes from `--wallet-key-file` or $TINYCLOUD_WALLET_KEY, never
 * from a command-line value, which would land in shell history and `ps`. The wallet signs one SIWE+ReCap
 * message that delegates the chosen abilities to a fresh session key for `--expires` (and hosts the space
 * on the node the first time); only the session key and its proofs are stored.
 */
import { chmod, readFile, writeFile } from "node:fs/promises";
import { type Command, Option } from "commander";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { bytesToHex } from "../../core/encoding.js";
import { ed25519Signer, generateEd25519SecretKey } from "../../core/keys.js";
import { formatSpaceId, spaceIdFor } from "../../core/resource.js";
import type { RequestedCapability } from "../../core/auth/session.js";
import { signIn } from "../../node/client/client.js";
import { collect } from "../options.js";
import { CliClientError, runClient, usageErrorsExitTwo } from "./errors.js";
import { isoSeconds, print } from "./output.js";
import { parseDuration, parseKvAbilities, parseNodeUrl, parseWalletKey } from "./parse.js";
import { configDirOf, saveSession } from "./session-store.js";

interface LoginOptions {
  walletKeyFile?: string;
  createWalletKey?: boolean;
  walletKey?: string;
  privateKey?: string;
  node: string;
  space: string;
  expires: string;
  abilities?: string[];
  compute?: boolean;
  configDir?: string;
  json?: boolean;
}

async function walletKeyOf(options: LoginOptions): Promise<`0x${string}`> {
  if (options.walletKey !== undefined || options.privateKey !== undefined) {
    // The value itself is never echoed: it is a secret that already leaked into the shell history.
    throw new CliClientError("CLI_WALLET_KEY", "the wallet key is never read from the command line (shell history, ps): use --wallet-key-file FILE or TINYCLOUD_WALLET_KEY");
  }
  if (options.createWalletKey === true && options.walletKeyFile === undefined) throw new CliClientError("CLI_USAGE", "--create-wallet-key needs --wallet-key-file FILE (where the new key goes)");
  if (options.walletKeyFile !== undefined) {
    if (options.createWalletKey === true) await createWalletKeyFile(options.walletKeyFile);
    let text: string;
    try {
      text = await readFile(options.walletKeyFile, "utf8");
    } catch (error) {
      throw new CliClientError("CLI_WALLET_KEY", `--wallet-key-file ${options.walletKeyFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    return parseWalletKey(text, `--wallet-key-file ${options.walletKeyFile}`);
  }
  const env = process.env["TINYCLOUD_WALLET_KEY"];
  if (env !== undefined && env !== "") return parseWalletKey(env, "TINYCLOUD_WALLET_KEY");
  throw new CliClientError("CLI_WALLET_KEY", "no wallet key: use --wallet-key-file FILE or set TINYCLOUD_WALLET_KEY");
}

/**
 * `--create-wallet-key`: a new random wallet key in the file, mode 0600, unless the file exists (then it is
 * used as it is, so running the same login again signs in with the same wallet, to the same space).
 */
async function createWalletKeyFile(file: string): Promise<void> {
  try {
    await writeFile(file, `${generatePrivateKey()}\n`, { mode: 0o600, flag: "wx" });
    // The mode given to writeFile is masked by the umask; a wallet key is its owner's only.
    await chmod(file, 0o600);
    process.stderr.write(`created a new wallet key in ${file} (mode 0600): keep it, it owns the space\n`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return;
    throw new CliClientError("CLI_WALLET_KEY", `--wallet-key-file ${file}: cannot create it: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

export function registerLoginCommand(program: Command): void {
  usageErrorsExitTwo(program.command("login"))
    .description("sign in to a space with a wallet key (from --wallet-key-file or $TINYCLOUD_WALLET_KEY) and store a session key")
    .option("--wallet-key-file <file>", "file holding the wallet's secp256k1 private key (hex)")
    .option("--create-wallet-key", "with --wallet-key-file: if the file does not exist, create it with a new random key (mode 0600)")
    .addOption(new Option("--wallet-key <key>").hideHelp())
    .addOption(new Option("--private-key <key>").hideHelp())
    .option("--node <url>", "node URL ($TINYCLOUD_NODE)", process.env["TINYCLOUD_NODE"] || "http://127.0.0.1:8000")
    .option("--space <name>", "space name", "default")
    .option("--expires <duration>", "session lifetime (30m, 1h, 7d, …)", "1h")
    .option("--abilities <list>", "KV abilities of the session: get,put,del,list,metadata or all (default all)", collect)
    .option("--compute", "also delegate tinycloud.compute/deploy and /execute on the space's functions (tinycloud compute)")
    .option("--config-dir <dir>", "where sessions are stored ($TINYCLOUD_CONFIG_DIR, default ~/.config/tinycloud)")
    .option("--json", "machine-readable output")
    .action((options: LoginOptions) =>
      runClient(async (setNode) => {
        const walletKey = await walletKeyOf(options);
        const node = parseNodeUrl(options.node);
        setNode(node);
        const expiresInSeconds = parseDuration(options.expires);
        const abilities = parseKvAbilities(options.abilities ?? ["all"]);
        const account = privateKeyToAccount(walletKey);
        const wallet = { address: account.address, chainId: 1, signMessage: (message: string) => account.signMessage({ message }) };
        const owner = `did:pkh:eip155:1:${account.address}`;
        const secret = generateEd25519SecretKey();
        const session = await signIn({
          url: node,
          wallet,
          space: options.space,
          expiresInSeconds,
          sessionSecretKey: secret,
          capabilities: capabilitiesFor(owner, options.space, abilities, options.compute === true),
        });
        const stored = {
          node,
          spaceId: session.spaceId,
          spaceName: options.space,
          owner,
          sessionDid: ed25519Signer(secret).did,
          sessionKey: bytesToHex(secret),
          proofs: session.proofs.map((cid) => cid.toString()),
          abilities: options.compute === true ? [...abilities, ...COMPUTE_ABILITIES] : abilities,
          expiresAt: session.expiresAt ?? Math.floor(Date.now() / 1000) + expiresInSeconds,
          createdAt: Math.floor(Date.now() / 1000),
        };
        const file = await saveSession(configDirOf(options.configDir), stored);
        const { sessionKey: _secret, ...shown } = stored;
        print(options.json, { ...shown, sessionFile: file }, () =>
          [
            `signed in to ${stored.spaceId}`,
            `  node       ${node}`,
            `  owner      ${owner}`,
            `  abilities  ${stored.abilities.join(", ")}`,
            `  expires    ${isoSeconds(stored.expiresAt)}`,
            `  session    ${file}`,
          ].join("\n"),
        );
      }),
    );
}

const COMPUTE_ABILITIES = ["tinycloud.compute/deploy", "tinycloud.compute/execute"];

/** The session's capabilities: the chosen KV abilities on the whole space, plus capabilities/read (as signIn's default), plus compute with --compute. */
function capabilitiesFor(owner: string, space: string, abilities: readonly string[], compute: boolean): RequestedCapability[] {
  const spaceId = formatSpaceId(spaceIdFor(owner, space));
  return [
    { resource: `${spaceId}/kv`, abilities },
    { resource: `${spaceId}/capabilities/all`, abilities: ["tinycloud.capabilities/read"] },
    ...(compute ? [{ resource: `${spaceId}/compute`, abilities: COMPUTE_ABILITIES }] : []),
  ];
}
