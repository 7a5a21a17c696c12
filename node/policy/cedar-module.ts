/**
 * The cedar-wasm binary the node runs, metered once per process: metering its 4.3 MB (7,110 functions)
 * takes ~4 s, so the metered bytes are kept on disk under the cache dir, named by the sha2-256 CID of the
 * source binary and the meter's version tag, and in memory once loaded.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { functionCid } from "../../core/compute/cid.js";
import { CedarEngine, type ResetMode } from "./cedar-engine.js";

/** Instruments a wasm-bindgen module (gas, call depth, memory cap); `tag` names the meter version and settings. */
export interface WasmBindgenMeter {
  readonly tag: string;
  meter(bytes: Uint8Array): Promise<Uint8Array>;
}

export async function cedarSourceBytes(): Promise<Uint8Array> {
  return readFile(new URL("cedar_wasm_bg.wasm", import.meta.resolve("@cedar-policy/cedar-wasm/web")));
}

const engines = new Map<string, Promise<CedarEngine>>();

/**
 * The process's Cedar engine for this meter and cache dir (memoised: concurrent first decisions share one
 * metering). Without a meter the engine runs unmetered (gas 0): only for tests and the benchmark baseline.
 */
export function loadCedarEngine(options: { meter?: WasmBindgenMeter; cacheDir?: string; mode?: ResetMode } = {}): Promise<CedarEngine> {
  const key = `${options.meter?.tag ?? "unmetered"}|${options.cacheDir ?? ""}|${options.mode ?? "reset"}`;
  let engine = engines.get(key);
  if (engine === undefined) {
    engine = build(options).catch((error: unknown) => {
      engines.delete(key);
      throw error;
    });
    engines.set(key, engine);
  }
  return engine;
}

async function build(options: { meter?: WasmBindgenMeter; cacheDir?: string; mode?: ResetMode }): Promise<CedarEngine> {
  const binary = await cedarBinary(options);
  return CedarEngine.fromBytes(binary.bytes, binary.metered, options.mode);
}

/** The binary an engine with these options runs (an auditor builds its own engine from it). */
export async function cedarBinary(options: { meter?: WasmBindgenMeter; cacheDir?: string }): Promise<{ bytes: Uint8Array; metered: boolean }> {
  const source = await cedarSourceBytes();
  if (options.meter === undefined) return { bytes: source, metered: false };
  const file = options.cacheDir === undefined ? undefined : join(options.cacheDir, "policy", `cedar-${functionCid(source)}-${options.meter.tag.replace(/[^A-Za-z0-9._-]/g, "_")}.wasm`);
  const cached = file === undefined ? undefined : await readFile(file).catch(() => undefined);
  if (cached !== undefined && WebAssembly.validate(cached)) return { bytes: cached, metered: true };
  const metered = await options.meter.meter(source);
  if (file !== undefined) {
    // Written aside and renamed: another process reading the cache never sees half a file.
    await mkdir(join(file, ".."), { recursive: true });
    const temp = `${file}.${process.pid}.tmp`;
    await writeFile(temp, metered);
    await rename(temp, file);
  }
  return { bytes: metered, metered: true };
}
