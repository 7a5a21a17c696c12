/**
 * `tinycloud` command line. Every command has `--help`; failures print the error code and message
 * and exit non-zero, never a stack trace for expected (typed) errors.
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { isProtocolError } from "../core/errors.js";
import { registerSetupCommand } from "./setup-command.js";
import { SetupError } from "../prover/setup/artifacts.js";
import { registerProverCommand } from "./prover-command.js";
import { registerDeployCommand } from "./deploy-command.js";
import { registerAuditCommand } from "./audit-command.js";
import { registerVerifyCommand } from "./verify-command.js";
import { registerCeremonyCommand } from "./ceremony-command.js";
import { registerNodeCommand } from "./node-command.js";
import { registerProtocolCommands } from "./protocol-commands.js";
import { registerClientCommands } from "./client/index.js";

const program = new Command().name("tinycloud").description("TinyCloud protocol node with a verifiable, on-chain anchored state root").showHelpAfterError("(add --help for usage)").exitOverride();
const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
program.version(version, "-V, --version", "print the version");
// The program's own options (--version) only before a command: `kv get K --version 2` is kv get's option.
program.enablePositionalOptions();

registerNodeCommand(program);
registerSetupCommand(program);
registerCeremonyCommand(program);
registerProverCommand(program);
registerProtocolCommands(program);
registerDeployCommand(program);
registerAuditCommand(program);
registerVerifyCommand(program);
registerClientCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // Exit codes, the same for every command (README "Exit codes"): 0 ok (--help and --version too), 1 a
  // check failed, 2 usage error or unreachable. Commander's own usage errors exit 1 by default.
  if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 2);
  if (isProtocolError(error)) {
    console.error(`error ${error.code}: ${error.message}`);
    process.exit(2);
  }
  // The setup pipeline's errors (e.g. SETUP_KEYS_MISSING when the node starts without the keys its
  // deployment pins) are expected too: code and message, no stack trace.
  if (error instanceof SetupError) {
    console.error(`error ${error.code}: ${error.message}`);
    process.exit(2);
  }
  throw error;
}
