/**
 * Audit of a space's executions (issue 14): fetch each execution's bundle from the node (untrusted),
 * check that the module is the function_cid it claims, re-meter it and find the metered CID of the deploy
 * record, check each input against the etag the record names, re-run it in a fresh metered runtime with
 * the recorded time and seed, and compare the output CID, gas and status (and the stored result's etag).
 * Any difference is a finding: the node served or stored something the function did not compute.
 */
import { blake3Hex } from "../../core/cid.js";
import { functionCid } from "../../core/compute/cid.js";
import { hexToBytes } from "../../core/encoding.js";
import { meterModule } from "./meter.js";
import type { DeployRecord, ExecutionRecord } from "../../core/compute/records.js";
import { ComputeRuntime } from "./runtime.js";

export interface ExecutionFinding {
  readonly seq: number;
  readonly ok: boolean;
  /** One line per failed check. */
  readonly problems: readonly string[];
  readonly function_cid: string;
  readonly output_cid: string;
  readonly gas_used: string;
}

export interface ExecutionAudit {
  readonly ok: boolean;
  readonly space: string;
  readonly executions: readonly ExecutionFinding[];
}

interface Bundle {
  readonly seq: number;
  readonly record: ExecutionRecord;
  readonly deploy: DeployRecord;
  readonly module: string;
  readonly inputs: readonly string[];
  readonly stored_etag?: string;
}

export class ExecutionAuditError extends Error {
  override readonly name = "ExecutionAuditError";
}

export interface ExecutionAuditOptions {
  readonly url: string;
  readonly spaceId: string;
  /** A read-gate token (kv/get on `<space>/kv`) for a private space. */
  readonly authorization?: () => string;
  readonly fetch?: typeof fetch;
  /** Re-run limits: generous, since the node's own limits let these executions finish. */
  readonly wallClockMs?: number;
  readonly maxOutputBytes?: number;
}

export async function auditExecutions(options: ExecutionAuditOptions): Promise<ExecutionAudit> {
  const fetchImpl = options.fetch ?? fetch;
  const get = async (path: string): Promise<unknown> => {
    const headers: Record<string, string> = options.authorization !== undefined ? { authorization: options.authorization() } : {};
    let response: Response;
    try {
      response = await fetchImpl(`${options.url.replace(/\/+$/, "")}${path}`, { headers });
    } catch (error) {
      throw new ExecutionAuditError(`cannot reach ${options.url}: ${(error as Error).message}`);
    }
    if (!response.ok) throw new ExecutionAuditError(`GET ${path}: ${response.status} ${(await response.text()).slice(0, 300)}`);
    return response.json();
  };
  const space = encodeURIComponent(options.spaceId);
  const runtime = new ComputeRuntime({ workers: 1, wallClockMs: options.wallClockMs ?? 60_000, maxOutputBytes: options.maxOutputBytes ?? 64 * 1024 * 1024, maxQueue: 1 });
  const findings: ExecutionFinding[] = [];
  try {
    let after = 0;
    while (true) {
      const page = (await get(`/spaces/${space}/executions?after=${after}&limit=100`)) as { executions: { seq: number }[]; next?: number };
      for (const { seq } of page.executions) findings.push(await auditOne((await get(`/spaces/${space}/executions/${seq}/bundle`)) as Bundle, runtime));
      if (page.next === undefined) break;
      after = page.next;
    }
  } finally {
    await runtime.close();
  }
  return { ok: findings.every((f) => f.ok), space: options.spaceId, executions: findings };
}

async function auditOne(bundle: Bundle, runtime: ComputeRuntime): Promise<ExecutionFinding> {
  const { record, deploy } = bundle;
  const problems: string[] = [];
  const module = new Uint8Array(Buffer.from(bundle.module, "base64"));
  const moduleCid = functionCid(module);
  if (moduleCid !== record.function_cid || moduleCid !== deploy.function_cid) problems.push(`module is ${moduleCid}, the record names ${record.function_cid} (deploy record ${deploy.function_cid})`);
  const { metered } = await meterModule(module);
  const meteredCid = functionCid(metered);
  if (meteredCid !== deploy.metered_cid) problems.push(`re-metered module is ${meteredCid}, the deploy record names ${deploy.metered_cid} (another meter version?)`);
  const inputs = bundle.inputs.map((b) => new Uint8Array(Buffer.from(b, "base64")));
  record.inputs.forEach((input, i) => {
    const got = inputs[i];
    if (got === undefined || blake3Hex(got) !== input.etag) problems.push(`input ${i} (${input.key} v${input.version}) does not match its etag ${input.etag}`);
  });
  const outcome = await runtime.execute({ metered, meteredCid, inputs, gasLimit: BigInt(record.gas_limit), timeMs: BigInt(record.time_ms), seed: hexToBytes(record.seed) });
  if (!outcome.ok) {
    problems.push(`re-execution failed (${outcome.reason}: ${outcome.message}), the record says it succeeded`);
    return { seq: bundle.seq, ok: false, problems, function_cid: record.function_cid, output_cid: record.output_cid, gas_used: record.gas_used };
  }
  const outCid = functionCid(outcome.output);
  if (outCid !== record.output_cid) problems.push(`output_cid: re-executed ${outCid}, recorded ${record.output_cid} (tampered output)`);
  if (outcome.gasUsed.toString() !== record.gas_used) problems.push(`gas_used: re-executed ${outcome.gasUsed}, recorded ${record.gas_used}`);
  if (outcome.status !== record.status) problems.push(`status: re-executed ${outcome.status}, recorded ${record.status}`);
  if (record.stored !== undefined && bundle.stored_etag !== blake3Hex(outcome.output)) {
    problems.push(`the stored result ${record.stored.key} v${record.stored.version} is not the output (etag ${bundle.stored_etag ?? "missing"}, expected ${blake3Hex(outcome.output)})`);
  }
  return { seq: bundle.seq, ok: problems.length === 0, problems, function_cid: record.function_cid, output_cid: outCid, gas_used: outcome.gasUsed.toString() };
}
