/**
 * How a policy request is put to Cedar, and how Cedar's answer becomes a decision. Pure, so an auditor
 * builds the same call from a logged request.
 *
 * Entities: `Principal::"<invoker DID>"`, `Action::"<ability>"`, `Resource::"<uri>"` with the attributes
 * `uri`, `space`, `service`, `path` (strings, "" where absent, so a policy reading them never errors).
 * Context: `now_ms` (Long, the signed time), `now` (datetime, the same instant) and `attestations`
 * (a set of `{issuer, claim}` records).
 */
import type { PolicyRequest } from "./request.js";

export const CEDAR_POLICY_SET_ID = "tc";

export function cedarCall(request: PolicyRequest): Record<string, unknown> {
  const resource = { type: "Resource", id: request.resource.uri };
  return {
    principal: { type: "Principal", id: request.principal },
    action: { type: "Action", id: request.action },
    resource,
    context: {
      now_ms: request.context.now_ms,
      now: { __extn: { fn: "datetime", arg: new Date(request.context.now_ms).toISOString() } },
      attestations: request.context.attestations.map((a) => ({ issuer: a.issuer, claim: a.claim })),
    },
    entities: [
      // Members in a fixed order: Cedar's gas depends on the JSON's order, which must not depend on how the
      // request was built (an auditor's request is parsed from canonical JSON).
      { uid: resource, attrs: { uri: request.resource.uri, space: request.resource.space, service: request.resource.service, path: request.resource.path }, parents: [] },
      { uid: { type: "Principal", id: request.principal }, attrs: {}, parents: [] },
    ],
    preparsedPolicySetId: CEDAR_POLICY_SET_ID,
    validateRequest: false,
  };
}

export interface PolicyVerdict {
  readonly allow: boolean;
  readonly reasons: readonly string[];
}

/**
 * Cedar's `AuthorizationAnswer` → allow only on `success` + `allow` with no evaluation error: Cedar skips
 * a policy that errors, so a `forbid` that fails to evaluate would silently not apply (fail closed).
 */
export function cedarVerdict(answer: unknown): PolicyVerdict {
  const a = answer as {
    type?: string;
    response?: { decision?: string; diagnostics?: { reason?: string[]; errors?: { policyId?: string; error?: { message?: string } }[] } };
    errors?: { message?: string }[];
  };
  if (a?.type !== "success" || a.response === undefined) {
    return {
      allow: false,
      reasons: [
        "cedar failed: " +
          (a?.errors ?? [])
            .map((e) => e.message ?? "?")
            .join("; ")
            .slice(0, 300),
      ],
    };
  }
  const diagnostics = a.response.diagnostics ?? {};
  const errors = (diagnostics.errors ?? []).map((e) => `policy ${e.policyId ?? "?"} failed to evaluate: ${e.error?.message ?? "?"}`);
  const matched = (diagnostics.reason ?? []).map((id) => `${a.response?.decision === "allow" ? "permitted by" : "forbidden by"} ${id}`);
  if (errors.length > 0) return { allow: false, reasons: [...errors, ...matched] };
  if (a.response.decision === "allow") return { allow: true, reasons: matched };
  return { allow: false, reasons: matched.length > 0 ? matched : ["no permit policy matched"] };
}
