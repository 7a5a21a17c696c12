/**
 * `tinycloud compute deploy|execute|inspect`: WebAssembly functions of the logged-in space (issue 14),
 * through the typed client (node/client/compute.ts). The session needs compute abilities:
 * `tinycloud login --compute`.
 */
import { readFile, writeFile } from "node:fs/promises";
import type { Command } from "commander";
import { CliClientError, usageErrorsExitTwo } from "./errors.js";
import { print } from "./output.js";
import { parsePositiveInteger } from "./parse.js";
import { withCurrentSession as withSession } from "./session-store.js";

interface Common {
  configDir?: string;
  json?: boolean;
}

function common(command: Command): Command {
  return command.option("--config-dir <dir>", "where sessions are stored ($TINYCLOUD_CONFIG_DIR, default ~/.config/tinycloud)").option("--json", "machine-readable output");
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `key` or `key@version` → an input of the execute body. */
export function parseInput(text: string): { kv: string; version?: number } {
  const at = text.lastIndexOf("@");
  if (at <= 0) return { kv: text };
  return { kv: text.slice(0, at), version: parsePositiveInteger(text.slice(at + 1), `--input ${text.slice(0, 60)}`) };
}

export function registerComputeCommand(program: Command): void {
  const compute = usageErrorsExitTwo(program.command("compute").description("WebAssembly functions of the logged-in space (run tinycloud login --compute first)"));

  common(compute.command("deploy").description("upload a WebAssembly module as function <name> (metered once, at deploy)").argument("<name>").argument("<file>", "the .wasm module")).action(
    (name: string, file: string, options: Common) =>
      withSession(options, async (session) => {
        let bytes: Uint8Array;
        try {
          bytes = new Uint8Array(await readFile(file));
        } catch (error) {
          throw new CliClientError("CLI_USAGE", `${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
        }
        const answer = await session.compute.deploy(name, bytes);
        print(options.json, { name, ...answer }, () =>
          [`deployed ${name}: ${answer.size} bytes`, `  function_cid  ${answer.function_cid}`, `  record        ${answer.record}`, `  metered_cid   ${answer.metered_cid}`].join("\n"),
        );
      }),
  );

  common(compute.command("execute").description("run function <name> on KV values; print its output (or store it with --output)").argument("<name>"))
    .option("--input <key[@version]>", "a KV key the function reads (repeat, in order; @N picks version N)", collect)
    .option("--output <key>", "also store the output at this KV key (a versioned write)")
    .option("--gas <n>", "gas limit (default: the node's)")
    .option("--out <file>", "write the output to a file instead of stdout")
    .action((name: string, options: Common & { input?: string[]; output?: string; gas?: string; out?: string }) =>
      withSession(options, async (session) => {
        if (options.gas !== undefined && !/^[1-9][0-9]{0,19}$/.test(options.gas)) throw new CliClientError("CLI_USAGE", `--gas "${options.gas.slice(0, 40)}" is not a positive integer`);
        const result = await session.compute.execute(name, {
          inputs: (options.input ?? []).map(parseInput),
          ...(options.output !== undefined ? { output: options.output } : {}),
          ...(options.gas !== undefined ? { gas: options.gas } : {}),
        });
        if (options.out !== undefined) await writeFile(options.out, result.output);
        const { output, text: _text, ...meta } = result;
        if (options.json === true) print(true, { ...meta, output: Buffer.from(output).toString("base64") }, () => "");
        else if (options.out !== undefined || options.output !== undefined) {
          const where = [options.out !== undefined ? `wrote ${options.out}` : "", result.stored !== undefined ? `stored ${result.stored.key} version ${result.stored.version}` : ""]
            .filter((s) => s !== "")
            .join(", ");
          print(false, meta, () => `${name}: status ${result.status}, gas ${result.gas_used}, output ${result.output_cid} (${output.length} bytes); ${where}`);
        } else process.stdout.write(output);
      }),
    );

  common(compute.command("inspect").description("the deploy record of function <name>: function_cid, metered CID, meter versions, deployer").argument("<name>")).action(
    (name: string, options: Common) =>
      withSession(options, async (session) => {
        const record = await session.compute.inspect(name);
        print(options.json, record, () =>
          Object.entries(record)
            .map(([k, v]) => `${k.padEnd(13)} ${typeof v === "object" ? JSON.stringify(v) : String(v)}`)
            .join("\n"),
        );
      }),
  );
}
