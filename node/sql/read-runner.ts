/**
 * Runs `query` reads in killable child processes (node/sql/read-process.ts), at most `size` at once. A
 * read that runs past `timeoutMs` gets its process SIGKILLed — the only way to stop a statement inside
 * node:sqlite — and answers 422 SQL_TIMEOUT; the next read starts a fresh process. The node's event loop
 * is never blocked by a client's read.
 */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { siblingModule, workerExecArgv } from "../../prover/backends/backend.js";
import { isHttpErrorCode } from "../../core/http-errors.js";
import { HttpError } from "../server/http-error.js";
import type { ReadJob, ReadReply } from "./read-wire.js";

const ENTRY = siblingModule(import.meta.url, "read-process");

interface Slot {
  child: ChildProcess | undefined;
  busy: boolean;
}

export class ReadRunner {
  private readonly slots: Slot[];
  private readonly waiting: (() => void)[] = [];
  private nextId = 1;

  constructor(
    private readonly timeoutMs: number,
    size = 2,
  ) {
    this.slots = Array.from({ length: size }, () => ({ child: undefined, busy: false }));
  }

  async run(job: Omit<ReadJob, "id">): Promise<string> {
    const slot = await this.acquire();
    try {
      return await this.runIn(slot, { ...job, id: this.nextId++ });
    } finally {
      slot.busy = false;
      this.waiting.shift()?.();
    }
  }

  close(): void {
    for (const slot of this.slots) slot.child?.kill("SIGKILL");
  }

  private async acquire(): Promise<Slot> {
    for (;;) {
      const free = this.slots.find((s) => !s.busy);
      if (free !== undefined) {
        free.busy = true;
        return free;
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  private runIn(slot: Slot, job: ReadJob): Promise<string> {
    const child = slot.child ?? this.spawn(slot);
    return new Promise<string>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        child.off("message", onMessage);
        child.off("exit", onExit);
      };
      const onMessage = (reply: ReadReply) => {
        if (reply.id !== job.id) return;
        done();
        if ("body" in reply) resolve(reply.body);
        else reject(isHttpErrorCode(reply.code) ? new HttpError(reply.code, reply.message) : new HttpError("SQL_ERROR", reply.message));
      };
      const onExit = () => {
        done();
        reject(new HttpError("SQL_ERROR", "the read process ended before answering"));
      };
      const timer = setTimeout(() => {
        done();
        slot.child = undefined;
        child.kill("SIGKILL");
        reject(new HttpError("SQL_TIMEOUT", `the query ran longer than ${this.timeoutMs} ms and was stopped`));
      }, this.timeoutMs);
      child.on("message", onMessage);
      child.on("exit", onExit);
      child.send(job);
    });
  }

  private spawn(slot: Slot): ChildProcess {
    const execArgv = workerExecArgv(ENTRY);
    const child = fork(fileURLToPath(ENTRY), [], { serialization: "advanced", stdio: ["ignore", "inherit", "inherit", "ipc"], ...(execArgv !== undefined ? { execArgv } : {}) });
    child.on("exit", () => {
      if (slot.child === child) slot.child = undefined;
    });
    // An idle read process must not keep the node alive.
    child.unref();
    child.channel?.unref();
    slot.child = child;
    return child;
  }
}
