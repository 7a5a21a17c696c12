/**
 * `tinycloud` command line. Every command has `--help`; failures print the error code and message
 * and exit non-zero, never a stack trace for expected (typed) errors.
 */
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
  if (error instanceof CommanderError) process.exit(error.exitCode);
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
