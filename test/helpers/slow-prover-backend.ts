/**
 * A Groth16 backend that waits `delayMs` (reporting "slow" progress) before proving for real, and logs
 * `{ event: "start" | "end", batch, pid }` lines to `logFile`. Crash-recovery tests use it to kill a
 * prover process while it is provably mid-job and to count which process finished which batch.
 * Loaded by prover workers through `--backend-module`.
 */
import { appendFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import type { ProofJob, ProofResult, ProgressFn, ProverBackend } from "../../prover/backends/backend.js";
import { createBackend as createGroth16, type Groth16FactoryOptions } from "../../prover/backends/groth16.js";

export interface SlowBackendOptions extends Groth16FactoryOptions {
  readonly delayMs: number;
  readonly logFile: string;
}

export interface SlowBackendLogLine {
  readonly event: "start" | "end";
  readonly batch: number;
  readonly pid: number;
}

export async function createBackend(options: unknown): Promise<ProverBackend> {
  const { delayMs, logFile, ...groth16 } = options as SlowBackendOptions;
  const inner = await createGroth16(groth16);
  const log = (line: SlowBackendLogLine) => appendFileSync(logFile, `${JSON.stringify(line)}\n`);
  return {
    name: "groth16",
    async prove(job: ProofJob, progress: ProgressFn): Promise<ProofResult> {
      log({ event: "start", batch: job.batch, pid: process.pid });
      const steps = 10;
      for (let i = 0; i < steps; i++) {
        progress((i / steps) * 0.5, "slow");
        await sleep(delayMs / steps);
      }
      const result = await inner.prove(job, (fraction, phase) => progress(0.5 + fraction / 2, phase));
      log({ event: "end", batch: job.batch, pid: process.pid });
      return result;
    },
    close: () => inner.close(),
  };
}
