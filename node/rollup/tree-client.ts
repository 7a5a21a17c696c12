/**
 * The node's handle on its state-tree worker thread: typed requests, one promise per request, answered
 * in order. If the thread dies, every request in flight fails with TREE_WORKER_DIED and the client
 * stays dead: the owner (the sequencer) starts a new one and replays the stored batches into it.
 */
import { Worker } from "node:worker_threads";
import { siblingModule, workerExecArgv } from "../../prover/backends/backend.js";
import { fromWireError, TreeWorkerError, type TreeReply, type TreeRequest, type TreeResults } from "./tree-protocol.js";
import { TREE_WORKER_MARK, type TreeWorkerData } from "./tree-worker.js";

const WORKER_ENTRY = siblingModule(import.meta.url, "tree-worker");

/** Niceness of the tree thread: the HTTP thread first, batches when there is CPU to spare. */
export const DEFAULT_TREE_NICE = 10;

type Kind = TreeRequest["kind"];
/** A request without its id (the client numbers them). */
export type TreeCall = { [K in Kind]: Omit<Extract<TreeRequest, { kind: K }>, "id"> }[Kind];

interface Waiting {
  resolve(result: unknown): void;
  reject(error: Error): void;
}

export class TreeClient {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;
  private failure: TreeWorkerError | undefined;

  constructor(depth: number, options: { readonly nice?: number } = {}) {
    const execArgv = workerExecArgv(WORKER_ENTRY);
    const data: TreeWorkerData & { mark: string } = { mark: TREE_WORKER_MARK, depth, nice: options.nice ?? DEFAULT_TREE_NICE };
    this.worker = new Worker(new URL(WORKER_ENTRY), { workerData: data, ...(execArgv !== undefined ? { execArgv } : {}) });
    // The node must be able to exit while the tree is idle; requests in flight keep it referenced.
    this.worker.unref();
    this.worker.on("message", (reply: TreeReply) => this.settle(reply));
    this.worker.on("error", (error: Error) => this.die(new TreeWorkerError("TREE_WORKER_DIED", `the state-tree worker crashed: ${error.message}`, { cause: error })));
    this.worker.on("exit", (code) => this.die(new TreeWorkerError("TREE_WORKER_DIED", `the state-tree worker exited (code ${code})`)));
  }

  /** False once the thread died or was closed. */
  get alive(): boolean {
    return this.failure === undefined;
  }

  request<C extends TreeCall>(call: C): Promise<TreeResults[C["kind"]]> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<TreeResults[C["kind"]]>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (r: unknown) => void, reject });
      if (this.waiting.size === 1) this.worker.ref();
      this.worker.postMessage({ ...call, id });
    });
  }

  private settle(reply: TreeReply): void {
    if (reply.id === null) {
      // Only a message without an id gets this, and this client never sends one: a bug, say so.
      console.error("state-tree worker refused a message without an id:", reply.ok ? reply : reply.error.message);
      return;
    }
    const waiting = this.waiting.get(reply.id);
    if (waiting === undefined) return;
    this.waiting.delete(reply.id);
    if (this.waiting.size === 0) this.worker.unref();
    if (reply.ok) waiting.resolve(reply.result);
    else waiting.reject(fromWireError(reply.error));
  }

  private die(error: TreeWorkerError): void {
    if (this.failure === undefined) this.failure = error;
    for (const waiting of this.waiting.values()) waiting.reject(this.failure);
    this.waiting.clear();
  }

  async close(): Promise<void> {
    if (this.failure === undefined) this.failure = new TreeWorkerError("TREE_WORKER_CLOSED", "the state-tree worker was closed");
    await this.worker.terminate();
  }
}
