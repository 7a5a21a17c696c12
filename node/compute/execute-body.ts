/**
 * The body of a `tinycloud.compute/execute` invocation (compute-design.md "Execute wire"):
 * `{ "inputs": [ { "kv": "<key>", "version"?: n } ], "output"?: { "kv": "<key>" }, "gas"?: "<decimal>" }`.
 * Anything else is 400 COMPUTE_BAD_REQUEST.
 */
import * as v from "valibot";
import { validatePath } from "../../core/resource.js";
import { HttpError } from "../server/http-error.js";

const MAX_INPUTS = 64;

const Key = v.pipe(v.string(), v.minLength(1), v.maxLength(1024));
const Body = v.strictObject({
  inputs: v.optional(v.pipe(v.array(v.strictObject({ kv: Key, version: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(1))) })), v.maxLength(MAX_INPUTS))),
  output: v.optional(v.strictObject({ kv: Key })),
  gas: v.optional(v.pipe(v.string(), v.regex(/^[1-9][0-9]{0,19}$/))),
});

export interface ExecuteBody {
  readonly inputs: readonly { readonly kv: string; readonly version?: number }[];
  readonly output?: string;
  readonly gas?: bigint;
}

export function parseExecuteBody(body: Uint8Array): ExecuteBody {
  let json: unknown = {};
  if (body.length > 0) {
    try {
      json = JSON.parse(Buffer.from(body).toString("utf8"));
    } catch {
      throw new HttpError("COMPUTE_BAD_REQUEST", 'the execute body must be JSON: {inputs: [{kv, version?}], output?: {kv}, gas?: "<decimal>"}');
    }
  }
  const parsed = v.safeParse(Body, json);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    throw new HttpError("COMPUTE_BAD_REQUEST", `bad execute body at ${v.getDotPath(issue) ?? "(root)"}: ${issue.message}`);
  }
  const { inputs = [], output, gas } = parsed.output;
  for (const key of [...inputs.map((i) => i.kv), ...(output !== undefined ? [output.kv] : [])]) {
    try {
      validatePath(key);
    } catch (error) {
      throw new HttpError("COMPUTE_BAD_REQUEST", `bad KV key ${JSON.stringify(key.slice(0, 80))}: ${(error as Error).message}`);
    }
  }
  return {
    inputs: inputs.map((i) => (i.version !== undefined ? { kv: i.kv, version: i.version } : { kv: i.kv })),
    ...(output !== undefined ? { output: output.kv } : {}),
    ...(gas !== undefined ? { gas: BigInt(gas) } : {}),
  };
}
