/** The space client (issue 13): login, kv, share/revoke, spaces and compute, in the style of the official SDK's `tc` CLI. */
import type { Command } from "commander";
import { registerComputeCommand } from "./compute-command.js";
import { registerKvCommand } from "./kv-command.js";
import { registerLoginCommand } from "./login-command.js";
import { registerShareCommands } from "./share-command.js";
import { registerSpacesCommand } from "./spaces-command.js";

export function registerClientCommands(program: Command): void {
  registerLoginCommand(program);
  registerSpacesCommand(program);
  registerKvCommand(program);
  registerShareCommands(program);
  registerComputeCommand(program);
}
