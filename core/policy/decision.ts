/**
 * The decision record (bucket 27 `policyDecisions`, keyed (space, seq)): enough for an auditor to re-run
 * the decision — the policy (by CID, and the Cedar text or WASM function it names), the engine, the exact
 * request — and compare the decision and gas.
 */
export interface PolicyDecisionRecord {
  /** CIDv1 raw sha2-256 of the Cedar text, or the policy function's function_cid. */
  readonly policy: string;
  readonly kind: "cedar" | "function";
  /** The Cedar policy text (kept here so the record alone re-runs; absent for a function policy). */
  readonly cedar?: string;
  /** CID of the engine binary that ran it (Cedar: the metered cedar-wasm build; function: its metered CID). */
  readonly engine: string;
  /** RFC 8785 JSON of the request (core/policy/request.ts). */
  readonly request: string;
  /** sha256 hex of `request`. */
  readonly request_hash: string;
  readonly decision: "allow" | "deny";
  readonly reasons: readonly string[];
  /** Decimal. */
  readonly gas_used: string;
  readonly gas_limit: string;
  /** blake3 hex of the invocation's signed bytes (the replay key). */
  readonly invocation: string;
  /** Node clock at the decision (ms): when it was taken, not an input to it. */
  readonly logged_ms: number;
}

/** A denied invocation's 403 message: every deny and its reasons, short. */
export function denialMessage(denials: readonly { readonly policy: string; readonly reasons: readonly string[] }[]): string {
  return denials
    .map((d) => `policy ${d.policy} denied: ${d.reasons.join("; ")}`)
    .join(" | ")
    .slice(0, 1000);
}
