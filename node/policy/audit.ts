/**
 * Re-run a logged policy decision: the same request against the same policy on the same engine must give
 * the same decision and gas. Function policies are re-run by the compute audit (their engine is a module).
 */
import { parseJson } from "../../core/encoding.js";
import type { PolicyDecisionRecord } from "../../core/policy/decision.js";
import type { PolicyRequest } from "../../core/policy/request.js";
import { cedarPolicyCid } from "../../core/policy/policy-cid.js";
import type { CedarEngine } from "./cedar-engine.js";

export interface DecisionAudit {
  readonly ok: boolean;
  readonly problems: readonly string[];
}

export function auditCedarDecision(record: PolicyDecisionRecord, engine: CedarEngine): DecisionAudit {
  const problems: string[] = [];
  if (record.kind !== "cedar" || record.cedar === undefined) return { ok: false, problems: ["not a Cedar decision"] };
  if (cedarPolicyCid(record.cedar) !== record.policy) problems.push(`the policy text does not hash to ${record.policy}`);
  if (engine.engineCid !== record.engine) problems.push(`the decision ran on engine ${record.engine}, this auditor has ${engine.engineCid}`);
  const again = engine.prepare(record.cedar).decide(parseJson(record.request, "decision request") as PolicyRequest, BigInt(record.gas_limit));
  const decision = again.allow ? "allow" : "deny";
  if (decision !== record.decision) problems.push(`re-run decides ${decision}, the log says ${record.decision}`);
  if (again.gasUsed.toString() !== record.gas_used) problems.push(`re-run used ${again.gasUsed} gas, the log says ${record.gas_used}`);
  return { ok: problems.length === 0, problems };
}
