/**
 * `tinycloud kv put|get|ls|rm|versions|head`: the current session's space, through the typed client
 * (node/client/client.ts). Values are bytes: `get` writes them to stdout (or --out), `--json` wraps them
 * (UTF-8 text as `text`, anything else as `base64`).
 */
import { readFile, writeFile } from "node:fs/promises";
import type { Command } from "commander";
import { utf8ToBytes } from "../../core/encoding.js";
import type { KvVersionInfo } from "../../node/client/client.js";
import { CliClientError, usageErrorsExitTwo } from "./errors.js";
import { isoSeconds, print } from "./output.js";
import { parsePositiveInteger } from "./parse.js";
import { withCurrentSession as withSession } from "./session-store.js";
import { registerKvWaitCommand } from "./wait-command.js";

interface Common {
  configDir?: string;
  json?: boolean;
}

function notFound(key: string): CliClientError {
  return new CliClientError("KV_NOT_FOUND", `no value at "${key}"`);
}

/** UTF-8 text when the bytes are valid UTF-8, otherwise base64 (for --json). */
function jsonValue(bytes: Uint8Array): { text: string } | { base64: string } {
  try {
    return { text: new TextDecoder("utf-8", { fatal: true }).decode(bytes) };
  } catch {
    return { base64: Buffer.from(bytes).toString("base64") };
  }
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function common(command: Command): Command {
  return command.option("--config-dir <dir>", "where sessions are stored ($TINYCLOUD_CONFIG_DIR, default ~/.config/tinycloud)").option("--json", "machine-readable output");
}

export function registerKvCommand(program: Command): void {
  const kv = usageErrorsExitTwo(program.command("kv").description("key-value store of the logged-in space (run tinycloud login first)"));

  common(kv.command("put").description("write a value (the argument, or --file)").argument("<key>").argument("[value]"))
    .option("--file <file>", "read the value from a file (- for stdin)")
    .option("--content-type <type>", "content type (default text/plain for a value, application/octet-stream for a file)")
    .action((key: string, value: string | undefined, options: Common & { file?: string; contentType?: string }) =>
      withSession(options, async (session) => {
        if ((value === undefined) === (options.file === undefined)) throw new CliClientError("CLI_USAGE", "give the value as an argument or --file FILE (one of them)");
        let bytes: Uint8Array;
        if (options.file === undefined) bytes = utf8ToBytes(value as string);
        else {
          try {
            // `--file -` reads stdin, for pipes (`… | tinycloud kv put key --file -`).
            bytes = new Uint8Array(options.file === "-" ? await readStdin() : await readFile(options.file));
          } catch (error) {
            throw new CliClientError("CLI_USAGE", `--file ${options.file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
          }
        }
        const contentType = options.contentType ?? (options.file === undefined ? "text/plain; charset=utf-8" : "application/octet-stream");
        const result = await session.kv.put(key, bytes, { contentType });
        print(options.json, { key, version: result.version, etag: result.etag, size: bytes.length }, () => `put ${key}: version ${result.version}, ${bytes.length} bytes, etag ${result.etag}`);
      }),
    );

  common(kv.command("get").description("read a value (the current one, or --version N)").argument("<key>"))
    .option("--version <n>", "a past version")
    .option("--out <file>", "write the value to a file instead of stdout")
    .action((key: string, options: Common & { version?: string; out?: string }) =>
      withSession(options, async (session) => {
        const version = options.version === undefined ? undefined : parsePositiveInteger(options.version, "--version");
        const value = await session.kv.get(key, version === undefined ? {} : { version });
        if (value === undefined) throw notFound(key);
        if (options.out !== undefined) await writeFile(options.out, value.bytes);
        const meta = { key, version: value.version, etag: value.etag, contentType: value.contentType ?? null, size: value.bytes.length };
        if (options.json === true) print(true, options.out === undefined ? { ...meta, ...jsonValue(value.bytes) } : { ...meta, out: options.out }, () => "");
        else if (options.out !== undefined) print(false, meta, () => `wrote ${key} (version ${value.version}, ${value.bytes.length} bytes) to ${options.out}`);
        else process.stdout.write(value.bytes);
      }),
    );

  common(kv.command("ls").description("list keys at and under a prefix").argument("[prefix]"))
    .option("--limit <n>", "at most this many keys")
    .action((prefix: string | undefined, options: Common & { limit?: string }) =>
      withSession(options, async (session) => {
        const limit = options.limit === undefined ? undefined : parsePositiveInteger(options.limit, "--limit");
        const keys: string[] = [];
        let cursor: string | undefined;
        // Follow the node's pages until the end (or --limit).
        do {
          const page = await session.kv.list({ ...(prefix === undefined ? {} : { prefix }), ...(cursor === undefined ? {} : { cursor }) });
          keys.push(...page.keys);
          cursor = page.cursor;
        } while (cursor !== undefined && (limit === undefined || keys.length < limit));
        const shown = limit === undefined ? keys : keys.slice(0, limit);
        print(options.json, { keys: shown }, () => shown.join("\n"));
      }),
    );

  common(kv.command("rm").description("delete a key (a tombstone version; history stays)").argument("<key>")).action((key: string, options: Common) =>
    withSession(options, async (session) => {
      const result = await session.kv.del(key);
      print(options.json, { key, version: result.version, deleted: true }, () => `deleted ${key}: version ${result.version}`);
    }),
  );

  common(kv.command("versions").description("the version history of a key, oldest first").argument("<key>")).action((key: string, options: Common) =>
    withSession(options, async (session) => {
      const versions: KvVersionInfo[] = [];
      let after: number | undefined;
      do {
        const page = await session.kv.versions(key, after === undefined ? {} : { after });
        versions.push(...page.versions);
        after = page.next;
      } while (after !== undefined);
      if (versions.length === 0) throw notFound(key);
      print(options.json, { key, versions }, () =>
        versions.map((v) => `${String(v.version).padStart(4)}  ${isoSeconds(Math.floor(v.time / 1000))}  ${v.deleted ? "deleted" : `${v.size} bytes`}  ${v.etag ?? ""}`).join("\n"),
      );
    }),
  );

  common(kv.command("head").description("a key's metadata (version, etag, type, size), no value").argument("<key>")).action((key: string, options: Common) =>
    withSession(options, async (session) => {
      const headers = await session.kv.head(key);
      if (headers === undefined) throw notFound(key);
      const meta: Record<string, string> = {};
      headers.forEach((value, name) => {
        if (name === "etag" || name === "content-type" || name.startsWith("x-tinycloud-")) meta[name] = value;
      });
      print(options.json, { key, headers: meta }, () =>
        Object.entries(meta)
          .map(([n, v]) => `${n}: ${v}`)
          .join("\n"),
      );
    }),
  );

  registerKvWaitCommand(common(kv.command("wait")));
}
