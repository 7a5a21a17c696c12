/**
 * Batch fixed-base scalar multiplication of the bn128 generators (s·G1, s·G2) on worker threads.
 *
 * Each worker builds its own single-threaded ffjavascript bn128 engine and a windowed table
 * T[w][d] = d·2^(c·w)·G (affine, Montgomery "LEM" form, as stored in .ptau files). A scalar is then
 * ceil(254/c) mixed additions, one per window, and a batch of results is normalised to affine with
 * one batched inversion. That is about 7x fewer group operations than a generic double-and-add.
 *
 * The worker runs as an `eval` worker from a plain JavaScript source string. That way it needs no TS
 * loader: `tinycloud` registers tsx only in the main thread, so a .ts worker would not load there.
 * It imports ffjavascript by the absolute URL the main thread resolves.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";

export type Group = "G1" | "G2";

/** Bytes of one affine point in LEM form. */
export const POINT_BYTES: Record<Group, number> = { G1: 64, G2: 128 };
/** Bytes of one scalar: little-endian, standard (not Montgomery) form, < r. */
export const SCALAR_BYTES = 32;

const WORKER_SOURCE = `
"use strict";
const { parentPort, workerData } = require("node:worker_threads");
const SCALAR_BITS = 254; // r < 2^254
(async () => {
  const ff = await import(workerData.ffjavascriptUrl);
  const curve = await ff.buildBn128(true);
  const tm = curve.tm;
  const ex = tm.instance.exports;
  const c = workerData.windowBits;
  const nWin = Math.ceil(SCALAR_BITS / c);
  const nEnt = (1 << c) - 1;
  // Digit w is bits [w·c, w·c + c) of the 32-byte scalar; the top window must not read past bit 255
  // (the bytes after a scalar belong to the next one).
  const winMask = [];
  for (let w = 0; w < nWin; w++) winMask.push(w * c + c > 256 ? (1 << (256 - w * c)) - 1 : nEnt);

  // Bump allocator on the engine's memory, growing it when needed. The wasm batch functions take
  // scratch space above the last allocation, so keep generous headroom.
  const HEADROOM = 64 << 20;
  function alloc(n) {
    const p = tm.alloc(n);
    const need = p + n + HEADROOM;
    if (need > tm.memory.buffer.byteLength) {
      tm.memory.grow(Math.ceil((need - tm.memory.buffer.byteLength) / 65536));
      tm.u8 = new Uint8Array(tm.memory.buffer);
      tm.u32 = new Uint32Array(tm.memory.buffer);
    }
    return p;
  }
  const mem = () => new Uint8Array(tm.memory.buffer);

  const groups = {
    G1: { pre: "g1m", n8: 32, pGen: tm.pG1gen, table: 0, acc: 0, out: 0, scal: 0, cap: 0 },
    G2: { pre: "g2m", n8: 64, pGen: tm.pG2gen, table: 0, acc: 0, out: 0, scal: 0, cap: 0 },
  };

  function buildTable(g) {
    const sA = g.n8 * 2, sJ = g.n8 * 3;
    const addMixed = ex[g.pre + "_addMixed"];
    g.table = alloc(nWin * nEnt * sA);
    const tmp = alloc(nEnt * sJ);
    const base = alloc(sA);
    const next = alloc(sJ);
    mem().copyWithin(base, g.pGen, g.pGen + sA); // the generator is stored with z = 1
    for (let w = 0; w < nWin; w++) {
      ex[g.pre + "_toJacobian"](base, tmp);
      for (let d = 2; d <= nEnt; d++) addMixed(tmp + (d - 2) * sJ, base, tmp + (d - 1) * sJ);
      ex[g.pre + "_batchToAffine"](tmp, nEnt, g.table + w * nEnt * sA);
      addMixed(tmp + (nEnt - 1) * sJ, base, next); // 2^c · base
      ex[g.pre + "_toAffine"](next, base);
    }
  }

  function ensureCapacity(g, n) {
    if (g.cap >= n) return;
    g.scal = alloc(n * 32 + 8); // + 8: the top window's 3-byte read runs past the last scalar
    g.acc = alloc(n * g.n8 * 3);
    g.out = alloc(n * g.n8 * 2);
    g.cap = n;
  }

  function multiply(groupName, scalars) {
    const g = groups[groupName];
    if (!g.table) buildTable(g);
    const n = scalars.byteLength / 32;
    ensureCapacity(g, n);
    const sA = g.n8 * 2, sJ = g.n8 * 3;
    const addMixed = ex[g.pre + "_addMixed"];
    const zero = ex[g.pre + "_zero"];
    mem().set(scalars, g.scal);
    mem().fill(0, g.scal + n * 32, g.scal + n * 32 + 8);
    const u8 = mem();
    for (let i = 0; i < n; i++) {
      const pA = g.acc + i * sJ;
      const pS = g.scal + i * 32;
      zero(pA);
      for (let w = 0; w < nWin; w++) {
        const bit = w * c;
        const b = pS + (bit >>> 3);
        const v = u8[b] | (u8[b + 1] << 8) | (u8[b + 2] << 16);
        const d = (v >>> (bit & 7)) & winMask[w];
        if (d !== 0) addMixed(pA, g.table + (w * nEnt + d - 1) * sA, pA);
      }
    }
    ex[g.pre + "_batchToAffine"](g.acc, n, g.out);
    return mem().slice(g.out, g.out + n * sA);
  }

  parentPort.on("message", (msg) => {
    try {
      const points = multiply(msg.group, msg.scalars);
      parentPort.postMessage({ id: msg.id, points }, [points.buffer]);
    } catch (error) {
      parentPort.postMessage({ id: msg.id, error: String(error && error.stack || error) });
    }
  });
  parentPort.postMessage({ ready: true });
})().catch((error) => {
  parentPort.postMessage({ fatal: String(error && error.stack || error) });
});
`;

interface Job {
  id: number;
  group: Group;
  scalars: Uint8Array;
  resolve: (points: Uint8Array) => void;
  reject: (error: Error) => void;
}

interface WorkerSlot {
  worker: Worker;
  busy: Job | null;
}

type WorkerMessage = { ready: true } | { fatal: string } | { id: number; points: Uint8Array } | { id: number; error: string };

export interface FixedBasePoolOptions {
  /** Worker threads (default: available parallelism, at most 8). */
  threads?: number;
  /** Window width in bits, 4..16 (default 8). Wider windows mean fewer additions and bigger tables. */
  windowBits?: number;
}

/** A pool of workers computing s_i·G for batches of scalars s_i (G the G1 or G2 generator). */
export class FixedBasePool {
  private readonly slots: WorkerSlot[];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;
  private failure: Error | null = null;

  private constructor(slots: WorkerSlot[]) {
    this.slots = slots;
    for (const slot of slots) {
      slot.worker.on("message", (msg: WorkerMessage) => this.onMessage(slot, msg));
      slot.worker.on("error", (error: Error) => this.fail(error));
      slot.worker.on("exit", (code) => {
        if (!this.closed) this.fail(new Error(`fixed-base worker exited with code ${code}`));
      });
    }
  }

  get threads(): number {
    return this.slots.length;
  }

  static async create(options: FixedBasePoolOptions = {}): Promise<FixedBasePool> {
    const threads = Math.max(1, Math.min(options.threads ?? Math.min(availableParallelism(), 8), 64));
    const windowBits = options.windowBits ?? 8;
    if (!Number.isInteger(windowBits) || windowBits < 4 || windowBits > 16) throw new Error(`windowBits must be an integer in 4..16, got ${windowBits}`);
    const ffjavascriptUrl = import.meta.resolve("ffjavascript");
    // ffjavascript imports the "web-worker" package, which, loaded off the main thread, expects to be
    // a worker it started itself and loads workerData.mod: give it an empty script to load.
    const webWorkerShim = "data:text/javascript,";
    const slots: WorkerSlot[] = [];
    try {
      for (let i = 0; i < threads; i++) {
        slots.push({ worker: new Worker(WORKER_SOURCE, { eval: true, workerData: { ffjavascriptUrl, windowBits, mod: webWorkerShim } }), busy: null });
      }
      await Promise.all(
        slots.map(
          (slot) =>
            new Promise<void>((resolve, reject) => {
              const onMessage = (msg: WorkerMessage) => {
                if ("ready" in msg) resolve();
                else if ("fatal" in msg) reject(new Error(`fixed-base worker failed to start: ${msg.fatal}`));
                if ("ready" in msg || "fatal" in msg) {
                  slot.worker.off("message", onMessage);
                  slot.worker.off("error", reject);
                }
              };
              slot.worker.on("message", onMessage);
              slot.worker.once("error", reject);
            }),
        ),
      );
    } catch (error) {
      await Promise.all(slots.map((slot) => slot.worker.terminate()));
      throw error;
    }
    return new FixedBasePool(slots);
  }

  /**
   * s_i·G for the scalars (n × 32 bytes, little-endian standard form, each < r) → n affine points in
   * LEM form. A buffer that is exactly one whole ArrayBuffer is transferred to the worker (detached
   * here); a view into a larger buffer is copied first.
   */
  multiply(group: Group, scalars: Uint8Array): Promise<Uint8Array> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error("FixedBasePool is closed"));
    if (scalars.byteLength % SCALAR_BYTES !== 0) return Promise.reject(new Error("scalar buffer length must be a multiple of 32"));
    const own = scalars.byteOffset === 0 && scalars.byteLength === scalars.buffer.byteLength && scalars.buffer instanceof ArrayBuffer ? scalars : scalars.slice();
    return new Promise<Uint8Array>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, group, scalars: own, resolve, reject });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
    const error = new Error("FixedBasePool closed");
    for (const job of this.queue.splice(0)) job.reject(error);
    for (const slot of this.slots) slot.busy?.reject(error);
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.busy || this.queue.length === 0) continue;
      const job = this.queue.shift()!;
      slot.busy = job;
      slot.worker.postMessage({ id: job.id, group: job.group, scalars: job.scalars }, [job.scalars.buffer as ArrayBuffer]);
    }
  }

  private onMessage(slot: WorkerSlot, msg: WorkerMessage): void {
    if (!("id" in msg)) {
      if ("fatal" in msg) this.fail(new Error(msg.fatal));
      return;
    }
    const job = slot.busy;
    slot.busy = null;
    if (!job || job.id !== msg.id) {
      this.fail(new Error("fixed-base worker answered a job it was not given"));
      return;
    }
    if ("error" in msg) job.reject(new Error(`fixed-base worker: ${msg.error}`));
    else job.resolve(msg.points);
    this.dispatch();
  }

  private fail(error: Error): void {
    if (this.failure || this.closed) return;
    this.failure = error;
    for (const job of this.queue.splice(0)) job.reject(error);
    for (const slot of this.slots) {
      slot.busy?.reject(error);
      slot.busy = null;
    }
    void this.close();
  }
}
