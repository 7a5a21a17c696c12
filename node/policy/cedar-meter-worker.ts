/**
 * Worker thread: meters the cedar-wasm bytes it is given and posts the metered bytes back. binaryen is
 * synchronous and instrumenting cedar-wasm takes seconds (minutes on a loaded machine): off the node's
 * event loop, requests keep being served meanwhile.
 */
import { parentPort, workerData } from "node:worker_threads";
import { meterModule } from "../compute/meter.js";

const { bytes, memoryPagesMax, callDepthMax, importModule } = workerData as { bytes: Uint8Array; memoryPagesMax: number; callDepthMax: number; importModule: string };
try {
  const { metered } = await meterModule(bytes, { memoryPagesMax, callDepthMax, host: { importModule } });
  parentPort?.postMessage({ ok: true, metered }, [metered.buffer as ArrayBuffer]);
} catch (error) {
  parentPort?.postMessage({ ok: false, message: error instanceof Error ? error.message : String(error) });
}
