/** Child Node.js processes of the checkout (the `tinycloud` CLI, a TypeScript entry point), started the way an operator starts them. */
import { type ChildProcessByStdio, spawn } from "node:child_process";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const NODE_BIN = fileURLToPath(new URL("../../node_modules/.bin/node", import.meta.url));

/** bin/tinycloud.js: the CLI as installed. */
export const CLI = fileURLToPath(new URL("../../bin/tinycloud.js", import.meta.url));

/**
 * `node <args>` in the repository root, stdout and stderr piped, in the test runner's environment minus
 * NODE_TEST_CONTEXT (so the child is not taken for a test file) and, unless `keepNodeOptions`, NODE_OPTIONS.
 */
export function spawnNode(args: readonly string[], options: { keepNodeOptions?: boolean } = {}): ChildProcessByStdio<null, Readable, Readable> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (options.keepNodeOptions !== true) delete env["NODE_OPTIONS"];
  delete env["NODE_TEST_CONTEXT"];
  return spawn(NODE_BIN, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env });
}
