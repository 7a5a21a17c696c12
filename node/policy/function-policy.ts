/**
 * A deployed WASM function as a policy (`{ "policy": { "function": "<function_cid>", "space"?: … } }`): it runs
 * in the compute runtime like any execution (fresh instance, gas cap, wall clock) with one input, the
 * canonical request JSON (core/policy/request.ts); `time_ms()` is the request's signed time and `seed()`
 * is derived from the request. It allows only by returning status 0 with the output `allow` (UTF-8,
 * exactly); any other output, status or failure denies, with the output (if short) as the reason.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { concatBytes } from "@noble/hashes/utils.js";
import { parseJson, utf8ToBytes } from "../../core/encoding.js";
import type { PolicyRequest } from "../../core/policy/request.js";
import type { ComputeRuntime } from "../compute/runtime.js";
import type { PolicyFunctionRunner } from "./policy-gate.js";

/** The metered module a function_cid names in a space, if deployed there. */
export type PolicyModuleResolver = (functionCid: string, space: string) => Promise<{ readonly metered: Uint8Array; readonly meteredCid: string } | undefined>;

const ALLOW = "allow";

export function functionPolicyRunner(runtime: ComputeRuntime, resolve: PolicyModuleResolver): PolicyFunctionRunner {
  return {
    async run(ref, request, gasLimit, invocationSpace) {
      const module = await resolve(ref.functionCid, ref.space ?? invocationSpace);
      if (module === undefined) return { allow: false, reasons: [`policy function ${ref.functionCid} is not deployed in ${ref.space ?? invocationSpace}`], gasUsed: 0n, engine: "" };
      const parsed = parseJson(new TextDecoder().decode(request), "policy request") as PolicyRequest;
      const outcome = await runtime.execute({
        metered: module.metered,
        meteredCid: module.meteredCid,
        inputs: [request],
        gasLimit,
        timeMs: BigInt(parsed.context.now_ms),
        seed: sha256(concatBytes(utf8ToBytes("tc:policy/seed@1"), request)),
      });
      if (!outcome.ok) return { allow: false, reasons: [`the policy function failed: ${outcome.reason} ${outcome.message}`.slice(0, 300)], gasUsed: outcome.gasUsed, engine: module.meteredCid };
      const text = new TextDecoder().decode(outcome.output);
      const allow = outcome.status === 0 && text === ALLOW;
      return {
        allow,
        reasons: allow ? ["the policy function allowed"] : [`the policy function answered status ${outcome.status}: ${text.slice(0, 200)}`],
        gasUsed: outcome.gasUsed,
        engine: module.meteredCid,
      };
    },
  };
}
