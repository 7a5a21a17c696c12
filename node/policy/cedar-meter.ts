/**
 * cedar-wasm through the compute meter (node/compute/meter.ts): gas on function entries and loop headers,
 * call depth, memory cap, canonical NaN. Its host is the wasm-bindgen glue (node/policy/cedar-glue.ts), not
 * the compute ABI, so the meter is told which import module that host provides. It runs in a worker thread
 * (cedar-meter-worker.ts) so that the node keeps serving while it meters.
 */
import { Worker } from "node:worker_threads";
import { siblingModule, workerExecArgv } from "../../prover/backends/backend.js";
import { functionCid } from "../../core/compute/cid.js";
import { currentMeterInfo } from "../../core/compute/records.js";
import { canonicalJson, utf8ToBytes } from "../../core/encoding.js";
import { CEDAR_IMPORT_MODULE } from "./cedar-glue.js";
import type { WasmBindgenMeter } from "./cedar-module.js";

/** cedar-wasm keeps ~2.5 MB after a decision; 64 MiB leaves room for large policy sets and requests. */
const CEDAR_MEMORY_PAGES = 1024;
/** Rust's serde and the evaluator recurse; Cedar bounds expression nesting itself. */
const CEDAR_CALL_DEPTH = 10_000;

const WORKER_ENTRY = siblingModule(import.meta.url, "cedar-meter-worker");
const info = currentMeterInfo(CEDAR_MEMORY_PAGES, CEDAR_CALL_DEPTH);

export const cedarMeter: WasmBindgenMeter = {
  // The gas schedule is (tool, version, pass, cost table, limits): any change names another cached binary.
  tag: `${info.pass}-${functionCid(utf8ToBytes(canonicalJson(info))).slice(-16)}`,
  meter: (bytes) =>
    new Promise<Uint8Array>((resolve, reject) => {
      const execArgv = workerExecArgv(WORKER_ENTRY);
      const worker = new Worker(new URL(WORKER_ENTRY), {
        workerData: { bytes, memoryPagesMax: CEDAR_MEMORY_PAGES, callDepthMax: CEDAR_CALL_DEPTH, importModule: CEDAR_IMPORT_MODULE },
        ...(execArgv !== undefined ? { execArgv } : {}),
      });
      // A node that stops while metering does not wait for it.
      worker.unref();
      worker.once("message", (message: { ok: true; metered: Uint8Array } | { ok: false; message: string }) => {
        void worker.terminate();
        if (message.ok) resolve(new Uint8Array(message.metered));
        else reject(new Error(`metering cedar-wasm failed: ${message.message}`));
      });
      worker.once("error", reject);
      worker.once("exit", (code) => reject(new Error(`the cedar-wasm metering worker exited (${code})`)));
    }),
};
