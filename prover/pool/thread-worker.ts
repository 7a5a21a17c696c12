/**
 * Worker-thread entry of `EmbeddedProverPool`: builds the backend once from `workerData.backend`
 * (a `BackendSpec`) and proves one job at a time on request, so the wasm/zkey stay loaded between jobs.
 *
 * Protocol (parent → thread): `{ type: "prove", id, job }`, `{ type: "close" }`.
 * (thread → parent): `{ type: "ready" }`, `{ type: "fatal", error }`, `{ type: "progress", id, fraction, phase }`,
 * `{ type: "done", id, result }`, `{ type: "error", id, error }`, `{ type: "closed" }`.
 */
import { createRequire } from "node:module";
import { parentPort, workerData } from "node:worker_threads";
import { loadBackend, serializeError, type BackendSpec, type ProofJob, type ProverBackend } from "../backends/backend.js";

export type ToThread = { type: "prove"; id: number; job: ProofJob } | { type: "close" };

const port = parentPort;
if (!port) throw new Error("thread-worker.ts must run in a worker thread");

/**
 * snarkjs multi-threads proofs through ffjavascript, which creates its threads with the `web-worker`
 * package. That package decides once, when first loaded, whether it is the host or the inside of one
 * of its own workers by reading `worker_threads.isMainThread`; in any worker thread (like this one) it
 * would take the worker side, hijack this thread's `parentPort` and leave snarkjs without a `Worker`
 * constructor ("Worker is not a constructor"). Load it once while `isMainThread` reads true, so it
 * exports its `Worker` class here; its own nested workers are unaffected (they start fresh).
 */
async function loadWebWorkerAsHost(): Promise<void> {
  const threads = createRequire(import.meta.url)("node:worker_threads") as { isMainThread: boolean };
  const was = threads.isMainThread;
  threads.isMainThread = true;
  try {
    await import(WEB_WORKER);
  } catch {
    // not installed: the backend does not use snarkjs
  } finally {
    threads.isMainThread = was;
  }
}
const WEB_WORKER: string = "web-worker";

const spec = (workerData as { backend: BackendSpec }).backend;
let backend: ProverBackend | undefined;
try {
  await loadWebWorkerAsHost();
  backend = await loadBackend(spec);
  port.postMessage({ type: "ready" });
} catch (error) {
  port.postMessage({ type: "fatal", error: serializeError(error) });
}

port.on("message", (message: ToThread) => {
  if (message.type === "close") {
    void (async () => {
      try {
        await backend?.close?.();
      } finally {
        port.postMessage({ type: "closed" });
      }
    })();
    return;
  }
  const { id, job } = message;
  void (async () => {
    if (!backend) return;
    try {
      const result = await backend.prove(job, (fraction, phase) => port.postMessage({ type: "progress", id, fraction, phase }));
      port.postMessage({ type: "done", id, result });
    } catch (error) {
      port.postMessage({ type: "error", id, error: serializeError(error) });
    }
  })();
});
