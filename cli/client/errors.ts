/**
 * Errors and exit codes of the space client. Every failure is one line on stderr, `error CODE: message`,
 * never a stack trace for an expected failure. Exit codes (the same as the other commands): 0 ok,
 * 1 the node refused the request or the key is missing, 2 usage, no session, or an unreachable node.
 */
import { type Command, CommanderError } from "commander";
import { TinyCloudError } from "../../core/errors.js";
import { TinyCloudHttpError } from "../../node/client/client.js";

type CliClientErrorCode =
  | "CLI_USAGE"
  | "CLI_WALLET_KEY"
  | "CLI_NO_SESSION"
  | "CLI_SESSION_EXPIRED"
  | "CLI_CONFIG"
  | "NODE_UNREACHABLE"
  | "KV_NOT_FOUND"
  | "NOT_ANCHORING"
  | "BATCH_FAILED"
  | "WAIT_TIMEOUT";

export class CliClientError extends TinyCloudError<CliClientErrorCode> {
  override readonly name = "CliClientError" as const;
}

/** A check that failed (exit 1), not bad usage: a missing key, a write that will not be anchored or was not within --timeout. */
const EXIT_ONE: readonly string[] = ["KV_NOT_FOUND", "NOT_ANCHORING", "BATCH_FAILED", "WAIT_TIMEOUT"];

/** Why fetch failed, from its cause (undici hides it behind "fetch failed"). */
function unreachableReason(error: unknown): string | undefined {
  if (!(error instanceof TypeError)) return undefined;
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  const code = typeof cause?.code === "string" ? cause.code : undefined;
  if (code === "ECONNREFUSED") return "connection refused";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "host not found";
  if (code === "ECONNRESET") return "connection reset";
  if (code === "ETIMEDOUT" || code === "UND_ERR_CONNECT_TIMEOUT") return "connection timed out";
  if (error.message === "fetch failed") return typeof cause?.message === "string" ? cause.message : "fetch failed";
  return undefined;
}

/** The one-line report and exit code of an error thrown by a client command; undefined for a bug (re-thrown). */
function describe(error: unknown, nodeUrl: string | undefined): { line: string; exit: number } | undefined {
  if (error instanceof TinyCloudHttpError) {
    const prefix = `${error.status} ${error.code}: `;
    const message = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
    return { line: `error ${error.code}: ${message} (HTTP ${error.status})`, exit: 1 };
  }
  if (error instanceof TinyCloudError) return { line: `error ${error.code}: ${error.message}`, exit: EXIT_ONE.includes(error.code) ? 1 : 2 };
  const reason = unreachableReason(error);
  if (reason !== undefined) return { line: `error NODE_UNREACHABLE: cannot reach ${nodeUrl ?? "the node"}: ${reason}`, exit: 2 };
  return undefined;
}

/** Run a command body; report its expected failures as one line and set the exit code (stdout is flushed normally, no process.exit). */
export async function runClient(body: (setNode: (url: string) => void) => Promise<void>): Promise<void> {
  let nodeUrl: string | undefined;
  try {
    await body((url) => {
      nodeUrl = url;
    });
  } catch (error) {
    const report = describe(error, nodeUrl);
    if (report === undefined) throw error;
    process.stderr.write(`${report.line}\n`);
    process.exitCode = report.exit;
  }
}

/**
 * Usage errors of the client commands: one line (`error CLI_USAGE: …`, no help dump) and exit code 2
 * (commander's default is 1). Set on a command before its subcommands are added: they inherit it.
 */
export function usageErrorsExitTwo(command: Command): Command {
  return command
    .showHelpAfterError(false)
    .configureOutput({ outputError: (text, write) => write(`error CLI_USAGE: ${text.replace(/^error: /, "").trim()}\n`) })
    .exitOverride((error) => {
      throw new CommanderError(error.exitCode === 0 ? 0 : 2, error.code, error.message);
    });
}
