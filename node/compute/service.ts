/**
 * The compute service (issue 14) behind POST /invoke:
 * - `tinycloud.compute/deploy` on `<space>/compute/<name>`: the body is a WebAssembly module. It is metered
 *   once (meter.ts), and the original, the metered binary and a deploy record are stored; the name points
 *   to the record.
 * - `tinycloud.compute/execute` on `<space>/compute/<name>`: resolves each input KV key (after the grant's
 *   `inputs` caveat; the invoker needs no kv/get, the function reads for it), runs the metered module in
 *   the worker pool (runtime.ts) and returns the result; with `output` (inside the grant's `output`
 *   caveat) the result is also stored as an ordinary versioned KV write under the execute invocation
 *   (KvWriter: its own epoch event and state-tree update).
 * A failed execution answers a 4xx and changes no state: no KV write, no execution record (its gas still
 * counts against the space's gas quota, which is node bookkeeping, so a looping function cannot be re-run
 * for free). Successful executions are logged (execution records) for `tinycloud audit` to re-run.
 */
import * as dagCbor from "@ipld/dag-cbor";
import * as v from "valibot";
import { blake3Hex, rawBlake3Cid } from "../../core/cid.js";
import { isHttpErrorCode } from "../../core/http-errors.js";
import { COMPUTE_ABI } from "../../core/compute/abi.js";
import { encodeComputeRecord, functionCid } from "../../core/compute/cid.js";
import { isComputeError } from "../../core/compute/errors.js";
import { type DeployRecord, type ExecutionRecord, type ExecutionResult, FunctionName } from "../../core/compute/records.js";
import { executionSeed } from "../../core/compute/seed.js";
import { prefixCovers } from "../../core/compute/grant-caveats.js";
import { bytesToHex } from "../../core/encoding.js";
import type { Ucan } from "../../core/auth/ucan.js";
import type { CaveatLimits } from "../server/caveats.js";
import type { NodeConfig } from "../server/config.js";
import { HttpError } from "../server/http-error.js";
import type { KvWriter } from "../server/kv-writer.js";
import { Batch, type NodeStore, type SpaceRecord } from "../store/store.js";
import type { ComputeStore } from "./compute-store.js";
import { parseExecuteBody } from "./execute-body.js";
import { failureError } from "./failures.js";
import { OffThreadMeter } from "./meter-off-thread.js";
import type { ComputeRuntime } from "./runtime.js";
import { SpaceLocks } from "./space-locks.js";

/** The verified invocation, as the compute service needs it. */
export interface ComputeInvocation {
  readonly ucan: Ucan;
  readonly invoker: string;
  readonly tokenHash: Uint8Array;
  readonly limits: CaveatLimits;
}

export interface DeployAnswer {
  readonly function_cid: string;
  readonly record: string;
  readonly metered_cid: string;
  readonly size: number;
  readonly meter: DeployRecord["meter"];
}

export class ComputeService {
  private readonly locks = new SpaceLocks();
  /** Gas limits of executions in flight, by space and period (not yet charged to the quota). */
  private readonly reserved = new Map<string, bigint>();
  /** Deploys meter one at a time in a worker thread, each under the node's deadline. */
  private readonly meter: OffThreadMeter;

  constructor(
    private readonly store: NodeStore,
    private readonly compute: ComputeStore,
    private readonly writer: KvWriter,
    private readonly runtime: ComputeRuntime,
    private readonly config: NodeConfig,
  ) {
    this.meter = new OffThreadMeter({ timeoutMs: config.computeMeterTimeoutMs, maxQueue: 8 });
  }

  async deploy(inv: ComputeInvocation, space: SpaceRecord, name: string | undefined, body: Uint8Array): Promise<DeployAnswer> {
    const fnName = requireName(name);
    if (body.length > this.config.computeMaxModuleBytes) {
      throw new HttpError("COMPUTE_MODULE_TOO_LARGE", `the module is ${body.length} bytes; this node deploys at most ${this.config.computeMaxModuleBytes}`);
    }
    const { metered, meter } = await this.meter.meter(body).catch((error: unknown) => {
      throw isComputeError(error) && error.code === "COMPUTE_BUSY" ? busy(error) : deployRefusal(error);
    });
    const fnCid = functionCid(body);
    const meteredCid = functionCid(metered);
    return this.locks.run(space.id, async () => {
      const fresh = [(await this.compute.hasBlock(fnCid)) ? 0 : body.length, (await this.compute.hasBlock(meteredCid)) || meteredCid === fnCid ? 0 : metered.length];
      const used = await this.compute.deployedBytes(space.id);
      const adding = fresh[0]! + fresh[1]!;
      if (used + adding > this.config.computeSpaceModuleBytes) {
        throw new HttpError("COMPUTE_DEPLOY_QUOTA", `space ${space.id} holds ${used} bytes of modules; this deploy adds ${adding}, over its quota of ${this.config.computeSpaceModuleBytes}`);
      }
      const record: DeployRecord = {
        abi: COMPUTE_ABI,
        function_cid: fnCid,
        size: body.length,
        metered_cid: meteredCid,
        meter,
        name: fnName,
        space: space.id,
        deployer: inv.invoker,
        time: Number(signedTimeMs(inv.ucan)),
        invocation: inv.ucan.cid.toString(),
      };
      const encoded = encodeComputeRecord(record);
      const batch = new Batch();
      this.compute.putBlock(batch, fnCid, body);
      this.compute.putBlock(batch, meteredCid, metered);
      this.compute.putBlock(batch, encoded.cid, encoded.bytes);
      this.compute.putFunction(batch, space.id, fnName, encoded.cid);
      this.compute.putDeployedBytes(batch, space.id, used + adding);
      // The token is spent once the deploy is durable (replay protection across restarts).
      this.store.putReplay(batch, inv.tokenHash, inv.ucan.expiration);
      await this.store.write(batch);
      return { function_cid: record.function_cid, record: encoded.cid, metered_cid: record.metered_cid, size: body.length, meter };
    });
  }

  async execute(inv: ComputeInvocation, space: SpaceRecord, name: string | undefined, body: Uint8Array): Promise<ExecutionResult & { readonly execution: number }> {
    const fnName = requireName(name);
    const request = parseExecuteBody(body);
    const limits = inv.limits;
    // Caveats first, before anything is read: the grant names what the function may read and write.
    for (const input of request.inputs) {
      const outside = limits.inputs?.find((prefixes) => !prefixes.some((p) => prefixCovers(p, input.kv)));
      if (outside !== undefined) throw new HttpError("COMPUTE_CAVEAT_INPUT", `input ${input.kv} is outside the grant's inputs caveat (${outside.join(", ")})`);
    }
    if (request.output !== undefined) {
      const outside = limits.output?.find((prefixes) => !prefixes.some((p) => prefixCovers(p, request.output as string)));
      if (outside !== undefined) throw new HttpError("COMPUTE_CAVEAT_OUTPUT", `output ${request.output} is outside the grant's output caveat (${outside.join(", ")})`);
    }
    const maxGas = limits.maxGas === undefined ? undefined : BigInt(limits.maxGas);
    if (request.gas !== undefined && maxGas !== undefined && request.gas > maxGas) throw new HttpError("COMPUTE_CAVEAT_GAS", `gas ${request.gas} is over the grant's maxGas ${maxGas}`);
    if (request.gas !== undefined && request.gas > this.config.computeMaxGas) throw new HttpError("COMPUTE_BAD_REQUEST", `gas ${request.gas} is over this node's limit ${this.config.computeMaxGas}`);
    const defaultGas = maxGas !== undefined && maxGas < this.config.computeDefaultGas ? maxGas : this.config.computeDefaultGas;
    const gasLimit = request.gas ?? defaultGas;

    const recordCid = await this.compute.functionRecord(space.id, fnName);
    if (recordCid === undefined) throw new HttpError("COMPUTE_FUNCTION_NOT_FOUND", `no function ${fnName} is deployed in ${space.id}`);
    const deploy = await this.deployRecord(recordCid);
    const pinned = limits.functions?.find((cid) => cid !== deploy.function_cid);
    if (pinned !== undefined) throw new HttpError("COMPUTE_CAVEAT_FUNCTION", `the grant pins function ${pinned}; ${fnName} is now ${deploy.function_cid}`);

    const period = Math.floor(Date.now() / 1000 / this.config.computeGasPeriodSeconds);
    const reservation = `${space.id}\u0000${period}`;
    // Check and reserve in one critical section: executions in flight hold their gas limit until charged,
    // so concurrent ones cannot all pass the check and then all spend.
    await this.locks.run(space.id, async () => {
      const spent = (await this.compute.gasUsed(space.id, period)) + (this.reserved.get(reservation) ?? 0n);
      if (spent + gasLimit > this.config.computeSpaceGasPerPeriod) {
        const retry = String((period + 1) * this.config.computeGasPeriodSeconds - Math.floor(Date.now() / 1000));
        throw new HttpError("COMPUTE_GAS_QUOTA", `space ${space.id} used or holds ${spent} gas this period; ${gasLimit} more would pass its quota of ${this.config.computeSpaceGasPerPeriod}`, {
          headers: { "retry-after": retry },
        });
      }
      this.reserved.set(reservation, (this.reserved.get(reservation) ?? 0n) + gasLimit);
    });
    try {
      return await this.run(inv, space, fnName, request.output, request.inputs, { recordCid, deploy, gasLimit, period });
    } finally {
      // Released after the charge is written (run's last step), so the gas is always counted once.
      const left = (this.reserved.get(reservation) ?? 0n) - gasLimit;
      if (left > 0n) this.reserved.set(reservation, left);
      else this.reserved.delete(reservation);
    }
  }

  private async run(
    inv: ComputeInvocation,
    space: SpaceRecord,
    fnName: string,
    output: string | undefined,
    requested: readonly { kv: string; version?: number }[],
    fn: { recordCid: string; deploy: DeployRecord; gasLimit: bigint; period: number },
  ): Promise<ExecutionResult & { readonly execution: number }> {
    const { recordCid, deploy, gasLimit, period } = fn;
    const request = { output, inputs: requested };
    const { inputs, values } = await this.resolveInputs(space.id, request.inputs);
    const metered = await this.compute.block(deploy.metered_cid);
    if (metered === undefined) throw new Error(`metered module ${deploy.metered_cid} of ${fnName} is missing`);
    const timeMs = signedTimeMs(inv.ucan);
    const seed = executionSeed(inv.tokenHash);
    const outcome = await this.runtime.execute({ metered, meteredCid: deploy.metered_cid, inputs: values, gasLimit, timeMs, seed }).catch((error: unknown) => {
      throw busy(error);
    });
    if (!outcome.ok) {
      await this.chargeGas(space.id, period, outcome.gasUsed);
      throw failureError(outcome.reason, outcome.message, outcome.gasUsed, gasLimit);
    }
    const outCid = functionCid(outcome.output);
    let stored: ExecutionRecord["stored"];
    if (request.output !== undefined) {
      const etag = blake3Hex(outcome.output);
      const metadata = { "content-type": "application/octet-stream", "x-tinycloud-meta-compute-function": deploy.function_cid };
      const { version } = await this.writer.submit(space.id, {
        ucan: inv.ucan,
        tokenHash: inv.tokenHash,
        key: request.output,
        op: { op: "put", key: request.output, value: rawBlake3Cid(outcome.output), metadata },
        blob: { etag, bytes: outcome.output },
        value: { etag, size: outcome.output.length, metadata, deleted: false },
      });
      stored = { key: request.output, version: version.version, epoch: version.epoch.toString() };
    }
    const record: ExecutionRecord = {
      deploy: recordCid,
      function_cid: deploy.function_cid,
      invocation: bytesToHex(inv.tokenHash),
      inputs,
      time_ms: Number(timeMs),
      seed: bytesToHex(seed),
      gas_limit: gasLimit.toString(),
      output_cid: outCid,
      gas_used: outcome.gasUsed.toString(),
      status: outcome.status,
      ...(stored !== undefined ? { stored } : {}),
    };
    const seq = await this.locks.run(space.id, async () => {
      const next = (await this.compute.lastExecution(space.id)) + 1;
      const batch = new Batch();
      this.compute.putExecution(batch, space.id, next, record);
      this.compute.putGasUsed(batch, space.id, period, (await this.compute.gasUsed(space.id, period)) + outcome.gasUsed);
      // A stored result spent the token in its KV write; a returned one is spent here.
      if (stored === undefined) this.store.putReplay(batch, inv.tokenHash, inv.ucan.expiration);
      await this.store.write(batch);
      return next;
    });
    return {
      function_cid: deploy.function_cid,
      output_cid: outCid,
      gas_used: outcome.gasUsed.toString(),
      status: outcome.status,
      output: Buffer.from(outcome.output).toString("base64"),
      ...(stored !== undefined ? { stored } : {}),
      execution: seq,
    };
  }

  /**
   * The metered module of `functionCid` as deployed under some name in the space (a WASM policy function,
   * node/policy/function-policy.ts), or undefined if no name there points to it now.
   */
  async meteredByFunction(spaceId: string, functionCid: string): Promise<{ metered: Uint8Array; meteredCid: string } | undefined> {
    for (const recordCid of await this.compute.functionRecords(spaceId)) {
      const record = await this.deployRecord(recordCid);
      if (record.function_cid !== functionCid) continue;
      const metered = await this.compute.block(record.metered_cid);
      return metered === undefined ? undefined : { metered, meteredCid: record.metered_cid };
    }
    return undefined;
  }

  async deployRecord(recordCid: string): Promise<DeployRecord> {
    const bytes = await this.compute.block(recordCid);
    if (bytes === undefined) throw new Error(`deploy record ${recordCid} is missing`);
    return dagCbor.decode(bytes) as DeployRecord;
  }

  private async chargeGas(spaceId: string, period: number, gas: bigint): Promise<void> {
    if (gas <= 0n) return;
    await this.locks.run(spaceId, async () => {
      const batch = new Batch();
      this.compute.putGasUsed(batch, spaceId, period, (await this.compute.gasUsed(spaceId, period)) + gas);
      await this.store.write(batch);
    });
  }

  private async resolveInputs(spaceId: string, requested: readonly { kv: string; version?: number }[]): Promise<{ inputs: ExecutionRecord["inputs"]; values: Uint8Array[] }> {
    const inputs: ExecutionRecord["inputs"] = [];
    const values: Uint8Array[] = [];
    let total = 0;
    for (const input of requested) {
      const found = input.version !== undefined ? await this.store.getVersion(spaceId, input.kv, input.version) : await this.store.getCurrent(spaceId, input.kv);
      if (found === undefined || found.deleted) throw new HttpError("COMPUTE_INPUT_NOT_FOUND", `no value at ${input.kv}${input.version !== undefined ? ` version ${input.version}` : ""}`);
      total += found.size;
      if (total > this.config.computeMaxInputBytes) throw new HttpError("COMPUTE_INPUT_TOO_LARGE", `the inputs exceed ${this.config.computeMaxInputBytes} bytes`);
      const bytes = await this.store.getBlob(spaceId, found.etag);
      if (bytes === undefined) throw new Error(`blob ${found.etag} of ${input.kv} is missing`);
      inputs.push({ key: input.kv, version: found.version, etag: found.etag });
      values.push(bytes);
    }
    return { inputs, values };
  }
}

/** The function's `time_ms()`: the invocation's signed time, its `nbf` when present, else its `exp` (ms). */
export function signedTimeMs(ucan: Ucan): bigint {
  return BigInt(Math.floor((ucan.notBefore ?? ucan.expiration) * 1000));
}

function requireName(name: string | undefined): string {
  if (name === undefined || !v.is(FunctionName, name)) {
    throw new HttpError("COMPUTE_BAD_NAME", `a function is addressed as <space>/compute/<name>, name 1–128 of A-Z a-z 0-9 . _ - (got ${JSON.stringify(name ?? "")?.slice(0, 80)})`);
  }
  return name;
}

/** The runtime's typed deploy refusal (ComputeError: WASM_*) as a 400 with its code. */
function deployRefusal(error: unknown): unknown {
  const e = error as { name?: unknown; code?: unknown; message?: unknown };
  if (e?.name === "ComputeError" && typeof e.code === "string") {
    return new HttpError(isHttpErrorCode(e.code) ? e.code : "WASM_INVALID", String(e.message));
  }
  return error;
}

/** The pool refuses only when full or shutting down (ComputeError COMPUTE_BUSY / COMPUTE_CLOSED): 503 with Retry-After. */
function busy(error: unknown): unknown {
  if (!isComputeError(error)) return error;
  return new HttpError(error.code === "COMPUTE_CLOSED" ? "COMPUTE_CLOSED" : "COMPUTE_BUSY", error.message, { headers: { "retry-after": "1" } });
}
