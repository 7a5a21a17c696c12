/**
 * A compute worker thread: runs one execution at a time (node/compute/instance.ts) on the compiled module
 * the pool sends, and answers with the outcome. The pool's watchdog terminates the thread when an
 * execution overruns its wall-clock limit, so nothing here needs a timer.
 */
import { isMainThread, parentPort, workerData } from "node:worker_threads";
import { executeInstance } from "./instance.js";
import type { WorkerJob, WorkerReply } from "./runtime-protocol.js";

export const COMPUTE_WORKER_MARK = "tinycloud-compute-worker";

if (!isMainThread && parentPort !== null && (workerData as { mark?: unknown } | null)?.mark === COMPUTE_WORKER_MARK) {
  const port = parentPort;
  port.on("message", (job: WorkerJob) => {
    let reply: WorkerReply;
    try {
      reply = { id: job.id, outcome: executeInstance(job.module, job, job.maxOutputBytes) };
    } catch (error) {
      // executeInstance classifies every guest failure itself: what lands here is a bug of the host side.
      reply = { id: job.id, outcome: { ok: false, reason: "TRAP", gasUsed: job.gasLimit, message: `host error: ${error instanceof Error ? error.message : String(error)}` } };
    }
    port.postMessage(reply);
  });
  // Loaded: the pool starts the wall clock of a job only from here.
  port.postMessage("ready");
}
