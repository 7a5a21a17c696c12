/**
 * The typed client of the compute service (issue 14): deploy a WebAssembly function, execute it on KV data,
 * inspect it, read the execution log, and grant another key `tinycloud.compute/execute` with data caveats.
 *
 *   const { function_cid } = await session.compute.deploy("summarize", wasmBytes);
 *   const result = await session.compute.execute("summarize", { inputs: ["journal/2026-01"], output: "summaries/jan" });
 *   const grant = await session.compute.grant({ name: "summarize", inputs: ["journal/"], output: ["summaries/"] });
 */
import { type Caveat, makeCapability } from "../../core/capability.js";
import type { CID } from "../../core/cid.js";
import { createUcan } from "../../core/auth/ucan.js";
import type { TinyCloudSession } from "./client.js";

export interface ComputeDeployAnswer {
  readonly function_cid: string;
  /** The deploy record's CID. */
  readonly record: string;
  readonly metered_cid: string;
  readonly size: number;
  readonly meter: Readonly<Record<string, unknown>>;
}

export interface ComputeExecuteOptions {
  /** KV keys (current value) or `{kv, version}` the function reads, in order (`input_read(i, …)`). */
  readonly inputs?: readonly (string | { readonly kv: string; readonly version?: number })[];
  /** Store the output at this KV key (a versioned write in the space's epochs). */
  readonly output?: string;
  /** Gas limit (default: the node's, lowered to the grant's maxGas). */
  readonly gas?: bigint | number | string;
  /** The caveats of the grant this session executes under, restated (or narrowed) on the invocation. */
  readonly caveats?: readonly Caveat[];
}

export interface ComputeResult {
  readonly function_cid: string;
  readonly output_cid: string;
  readonly gas_used: string;
  readonly status: number;
  readonly output: Uint8Array;
  readonly stored?: { readonly key: string; readonly version: number; readonly epoch: string };
  readonly execution: number;
  text(): string;
}

export interface ComputeGrantOptions {
  /** The function's name in this session's space. */
  readonly name: string;
  /** KV key prefixes the function may read for the grantee. */
  readonly inputs: readonly string[];
  /** KV key prefixes it may write its result to (omit: results are only returned). */
  readonly output?: readonly string[];
  /** Pin the function_cid: a redeploy under the name is then refused to this grantee. */
  readonly function?: string;
  readonly maxGas?: number;
  /** The grantee's DID. */
  readonly to: string;
  readonly expiresInSeconds?: number;
}

/** The caveat object of a compute grant (what `grant` delegates, and what the grantee restates). */
export function computeCaveats(options: Pick<ComputeGrantOptions, "inputs" | "output" | "function" | "maxGas">): Caveat[] {
  return [
    {
      inputs: [...options.inputs],
      ...(options.output !== undefined ? { output: [...options.output] } : {}),
      ...(options.function !== undefined ? { function: options.function } : {}),
      ...(options.maxGas !== undefined ? { maxGas: options.maxGas } : {}),
    },
  ];
}

export class ComputeApi {
  constructor(private readonly session: TinyCloudSession) {}

  /** Sign an invocation whose `nbf` is now: the function's `time_ms()` is that signed time. */
  private async invoke(ability: string, name: string, body: Uint8Array, contentType: string, caveats: readonly Caveat[] = []): Promise<Response> {
    const jwt = this.session.invocation([makeCapability(this.session.resource("compute", name), ability, caveats)], 60, { notBefore: Math.floor(Date.now() / 1000) });
    return this.session.http.request("POST", "/invoke", { authorization: jwt, "content-type": contentType }, body);
  }

  async deploy(name: string, module: Uint8Array): Promise<ComputeDeployAnswer> {
    return (await (await this.invoke("tinycloud.compute/deploy", name, module, "application/wasm")).json()) as ComputeDeployAnswer;
  }

  async execute(name: string, options: ComputeExecuteOptions = {}): Promise<ComputeResult> {
    const body = {
      inputs: (options.inputs ?? []).map((i) => (typeof i === "string" ? { kv: i } : i)),
      ...(options.output !== undefined ? { output: { kv: options.output } } : {}),
      ...(options.gas !== undefined ? { gas: String(options.gas) } : {}),
    };
    const response = await this.invoke("tinycloud.compute/execute", name, new TextEncoder().encode(JSON.stringify(body)), "application/json", options.caveats);
    const answer = (await response.json()) as Omit<ComputeResult, "output" | "text"> & { output?: string };
    const output = new Uint8Array(Buffer.from(answer.output ?? "", "base64"));
    return { ...answer, output, text: () => new TextDecoder().decode(output) };
  }

  /**
   * The deploy record of a function (its function_cid, metered CID, meter versions, deployer), read with
   * compute/execute on the function (`caveats`: those of the grant, restated).
   */
  async inspect(name: string, caveats: readonly Caveat[] = []): Promise<Record<string, unknown>> {
    const jwt = this.session.invocation([makeCapability(this.session.resource("compute", name), "tinycloud.compute/execute", caveats)]);
    const path = `/spaces/${encodeURIComponent(this.session.spaceId)}/compute/${encodeURIComponent(name)}`;
    return (await (await this.session.http.request("GET", path, { authorization: jwt })).json()) as Record<string, unknown>;
  }

  /** One page of the space's execution log, oldest first. */
  async executions(options: { after?: number; limit?: number } = {}): Promise<{ executions: ({ seq: number } & Record<string, unknown>)[]; next?: number }> {
    const query = new URLSearchParams({ after: String(options.after ?? 0), limit: String(options.limit ?? 100) });
    return (await this.read(`/spaces/${encodeURIComponent(this.session.spaceId)}/executions?${query}`)) as { executions: ({ seq: number } & Record<string, unknown>)[]; next?: number };
  }

  /** A GET through the read gate: an invocation holding kv/get on the space's kv. */
  private async read(path: string): Promise<unknown> {
    const jwt = this.session.invocation([makeCapability(this.session.resource("kv"), "tinycloud.kv/get")]);
    return (await this.session.http.request("GET", path, { authorization: jwt })).json();
  }

  /**
   * Delegate `tinycloud.compute/execute` on one function to another key, with data caveats: the grantee
   * can run the function on the named prefixes (and store its result under `output`) without being able
   * to read them itself. Registered with the node; returns the delegation and its CID.
   */
  async grant(options: ComputeGrantOptions): Promise<{ cid: CID; delegation: string; caveats: Caveat[] }> {
    const caveats = computeCaveats(options);
    const now = Math.floor(Date.now() / 1000);
    const expiration = Math.min(now + (options.expiresInSeconds ?? 3600), this.session.expiresAt ?? Number.MAX_SAFE_INTEGER);
    const delegation = createUcan({
      issuer: this.session.key,
      audience: options.to,
      capabilities: [makeCapability(this.session.resource("compute", options.name), "tinycloud.compute/execute", caveats)],
      proofs: this.session.proofs,
      expiration,
      nonce: `urn:uuid:${crypto.randomUUID()}`,
    });
    const { cid } = await this.session.http.delegate(delegation);
    return { cid, delegation, caveats };
  }
}
