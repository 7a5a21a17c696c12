/**
 * Pure parsers for the space client's options (no I/O, unit-tested in test/unit/cli-client-parse.test.ts):
 * durations (`--expires 1h`), the wallet key text, ability lists and `--version N`.
 */
import { CliClientError } from "./errors.js";

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };
const MAX_DURATION = 366 * 86_400;

/** `90`, `30s`, `15m`, `1h`, `1h30m`, `7d`, `2w` → seconds (1 s … 366 d). */
export function parseDuration(text: string, option = "--expires"): number {
  const trimmed = text.trim();
  let seconds: number;
  if (/^\d+$/.test(trimmed)) {
    seconds = Number(trimmed);
  } else if (/^(?:\d+[smhdw])+$/.test(trimmed)) {
    seconds = 0;
    for (const [, amount, unit] of trimmed.matchAll(/(\d+)([smhdw])/g)) seconds += Number(amount) * (UNIT_SECONDS[unit as string] as number);
  } else {
    throw new CliClientError("CLI_USAGE", `${option} "${text.slice(0, 40)}" is not a duration (e.g. 30s, 15m, 1h, 1h30m, 7d)`);
  }
  if (!Number.isSafeInteger(seconds) || seconds < 1 || seconds > MAX_DURATION) throw new CliClientError("CLI_USAGE", `${option} must be between 1s and 366d`);
  return seconds;
}

/** The wallet's secp256k1 private key: 32 bytes of hex (0x optional), surrounding whitespace ignored. `source` names where it came from, never the key. */
export function parseWalletKey(text: string, source: string): `0x${string}` {
  const hex = text.trim().replace(/^0x/i, "");
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new CliClientError("CLI_WALLET_KEY", `${source}: the wallet key must be a secp256k1 private key, 32 bytes of hex (0x optional)`);
  if (/^0+$/.test(hex)) throw new CliClientError("CLI_WALLET_KEY", `${source}: the wallet key must not be zero`);
  return `0x${hex.toLowerCase()}`;
}

const KV_ABILITIES = ["get", "put", "del", "list", "metadata"] as const;

/** `get,put` or `tinycloud.kv/get` → full KV ability names, de-duplicated. `all` is every KV ability. */
export function parseKvAbilities(items: readonly string[], option = "--abilities"): string[] {
  const out = new Set<string>();
  for (const raw of items) {
    const item = raw.trim();
    if (item === "") continue;
    if (item === "all") {
      for (const a of KV_ABILITIES) out.add(`tinycloud.kv/${a}`);
      continue;
    }
    const short = item.startsWith("tinycloud.kv/") ? item.slice("tinycloud.kv/".length) : item;
    if (!(KV_ABILITIES as readonly string[]).includes(short)) throw new CliClientError("CLI_USAGE", `${option}: unknown ability "${item.slice(0, 40)}" (one of ${KV_ABILITIES.join(", ")}, all)`);
    out.add(`tinycloud.kv/${short}`);
  }
  if (out.size === 0) throw new CliClientError("CLI_USAGE", `${option}: no abilities given`);
  return [...out];
}

/** `--version N`, `--limit N`: a positive integer. */
export function parsePositiveInteger(text: string, option: string): number {
  if (!/^\d{1,15}$/.test(text.trim()) || Number(text) < 1) throw new CliClientError("CLI_USAGE", `${option} "${text.slice(0, 40)}" is not a positive integer (1, 2, …)`);
  return Number(text);
}

/** `--node URL`: an http(s) URL, without a trailing slash. */
export function parseNodeUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliClientError("CLI_USAGE", `--node "${text.slice(0, 80)}" is not a URL (e.g. http://127.0.0.1:8000)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new CliClientError("CLI_USAGE", `--node must be an http(s) URL`);
  return url.toString().replace(/\/+$/, "");
}
