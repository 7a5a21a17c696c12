/**
 * Worker thread: meters the modules it is sent (meter.ts) and posts back the metered bytes or the typed
 * refusal. binaryen is synchronous and its time grows with a module's structure (a 6 KB module of 2,000
 * nested blocks took ~18 s, 100,000 empty functions ~50 s): on the node's event loop that stalls every
 * request, so deploys meter here, under a deadline (meter-off-thread.ts). binaryen loads once, at start
 * (seconds), then "ready" is posted.
 */
import { parentPort } from "node:worker_threads";
import { loadBinaryen, meterModule } from "./meter.js";

await loadBinaryen();
parentPort?.on("message", async ({ id, bytes }: { id: number; bytes: Uint8Array }) => {
  try {
    const { metered, meter } = await meterModule(bytes);
    parentPort?.postMessage({ id, ok: true, metered, meter }, [metered.buffer as ArrayBuffer]);
  } catch (error) {
    const e = error as { name?: unknown; code?: unknown; message?: unknown };
    // binaryen and the metering walk recurse on nesting: a stack overflow is a module too deep to meter.
    const code = e?.name === "ComputeError" ? e.code : error instanceof RangeError && /call stack/.test(error.message) ? "WASM_TOO_COMPLEX" : undefined;
    parentPort?.postMessage({ id, ok: false, code, message: String(e?.message ?? error) });
  }
});
parentPort?.postMessage("ready");
