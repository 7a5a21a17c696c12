/**
 * Policy-engine delegation at invocation (node/README.md, "Policy caveats"). After the authority and
 * caveat checks, each policy named by a `policy` caveat on the invoked capability's chain decides the
 * request built from the verified invocation; the invocation proceeds only if every one allows it.
 * Fail closed: a policy that does not parse, errors, runs out of gas, or cannot be run here denies.
 * Every decision is logged (bucket 27) with what an auditor needs to re-run it.
 */
import { canonicalJson, bytesToHex } from "../../core/encoding.js";
import { verifyAttestations } from "../../core/policy/attestation.js";
import type { PolicyRef } from "../../core/policy/caveat.js";
import { cedarPolicyCid } from "../../core/policy/policy-cid.js";
import { denialMessage, type PolicyDecisionRecord } from "../../core/policy/decision.js";
import { buildPolicyRequest, type PolicyRequest, policyRequestHash, policyRequestJson, requireFreshSignedTime, signedTimeSeconds } from "../../core/policy/request.js";
import type { Capability } from "../../core/capability.js";
import type { Ucan } from "../../core/auth/ucan.js";
import type { Ed25519Verify } from "../../core/keys.js";
import { formatSpaceId } from "../../core/resource.js";
import { HttpError } from "../server/http-error.js";
import type { CedarEngine } from "./cedar-engine.js";
import type { PolicyDecisionLog } from "./decision-log.js";

/** Gas one policy decision may use (a Cedar decision takes ~4–10 M after warm-up). */
export const DEFAULT_POLICY_GAS = 200_000_000n;

/** Runs a deployed WASM policy function (wired by the compute service); absent, function policies deny. */
export interface PolicyFunctionRunner {
  run(
    ref: Extract<PolicyRef, { kind: "function" }>,
    request: Uint8Array,
    gasLimit: bigint,
    invocationSpace: string,
  ): Promise<{ readonly allow: boolean; readonly reasons: readonly string[]; readonly gasUsed: bigint; readonly engine: string }>;
}

export interface PolicyGateOptions {
  readonly verify: Ed25519Verify;
  readonly now: () => number;
  readonly clockSkewSeconds: number;
  readonly cedar: () => Promise<CedarEngine>;
  readonly log: PolicyDecisionLog;
  readonly gasLimit?: bigint;
  readonly functions?: PolicyFunctionRunner;
}

export interface InvocationForPolicy {
  readonly ucan: Ucan;
  readonly invoker: string;
  readonly tokenHash: Uint8Array;
}

interface Outcome {
  readonly allow: boolean;
  readonly reasons: readonly string[];
  readonly gasUsed: bigint;
  readonly engine: string;
}

export class PolicyGate {
  constructor(private readonly options: PolicyGateOptions) {}

  /** Resolves when every policy allows; otherwise 403 POLICY_DENIED naming each denial and why. */
  async check(inv: InvocationForPolicy, capability: Capability, policies: readonly PolicyRef[]): Promise<void> {
    if (policies.length === 0) return;
    const request = this.request(inv, capability);
    const space = capability.resource.kind === "tinycloud" ? formatSpaceId({ ...capability.resource.space, form: "space" }) : "urn";
    const gasLimit = this.options.gasLimit ?? DEFAULT_POLICY_GAS;
    const denials: { policy: string; reasons: readonly string[] }[] = [];
    // The same policy twice in a chain (a child restating its parent's) is decided once.
    const unique = new Map(policies.map((p) => [p.kind === "cedar" ? cedarPolicyCid(p.text) : `${p.functionCid}|${p.space ?? ""}`, p]));
    for (const [cid, policy] of unique) {
      const outcome = await this.decide(policy, request.request, gasLimit, space);
      const reasons = [...outcome.reasons, ...request.rejected];
      const record: PolicyDecisionRecord = {
        policy: policy.kind === "cedar" ? cid : policy.functionCid,
        kind: policy.kind,
        ...(policy.kind === "cedar" ? { cedar: policy.text } : {}),
        engine: outcome.engine,
        request: policyRequestJson(request.request),
        request_hash: policyRequestHash(request.request),
        decision: outcome.allow ? "allow" : "deny",
        reasons,
        gas_used: outcome.gasUsed.toString(),
        gas_limit: gasLimit.toString(),
        invocation: bytesToHex(inv.tokenHash),
        logged_ms: this.options.now() * 1000,
      };
      await this.options.log.append(space, record);
      if (!outcome.allow) denials.push({ policy: record.policy, reasons });
    }
    if (denials.length > 0) throw new HttpError("POLICY_DENIED", denialMessage(denials));
  }

  /** The request, or 403 POLICY_DENIED when the invocation cannot be decided on (no or stale signed time). */
  private request(inv: InvocationForPolicy, capability: Capability): { request: PolicyRequest; rejected: readonly string[] } {
    const signed = signedTimeSeconds(inv.ucan.notBefore);
    if (typeof signed === "string") throw new HttpError("POLICY_DENIED", signed);
    const stale = requireFreshSignedTime(signed, this.options.now(), this.options.clockSkewSeconds);
    if (stale !== undefined) throw new HttpError("POLICY_DENIED", stale);
    let verified: ReturnType<typeof verifyAttestations>;
    try {
      verified = verifyAttestations(inv.ucan.facts, inv.invoker, signed, this.options.verify);
    } catch (error) {
      throw new HttpError("POLICY_DENIED", error instanceof Error ? error.message : "bad attestations");
    }
    return { request: buildPolicyRequest(inv.invoker, capability, signed, verified.attestations), rejected: verified.rejected };
  }

  private async decide(policy: PolicyRef, request: PolicyRequest, gasLimit: bigint, space: string): Promise<Outcome> {
    if (policy.kind === "cedar") {
      const engine = await this.options.cedar().catch((error: unknown) => (error instanceof Error ? error.message : "unknown error"));
      if (typeof engine === "string") return { allow: false, reasons: [`the Cedar engine could not be loaded: ${engine.slice(0, 200)}`], gasUsed: 0n, engine: "" };
      return { ...engine.prepare(policy.text).decide(request, gasLimit), engine: engine.engineCid };
    }
    const functions = this.options.functions;
    if (functions === undefined) return { allow: false, reasons: ["WASM policy functions are not served by this node"], gasUsed: 0n, engine: "" };
    try {
      return await functions.run(policy, new TextEncoder().encode(canonicalJson(request)), gasLimit, space);
    } catch (error) {
      return { allow: false, reasons: [`the policy function failed: ${error instanceof Error ? error.message.slice(0, 200) : "?"}`], gasUsed: 0n, engine: "" };
    }
  }
}
