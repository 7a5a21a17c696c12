/**
 * `GET /spaces/:spaceId/policy-decisions?after=&limit=`: a space's policy decision log, oldest first, for
 * an auditor to re-run (node/policy/audit.ts). Gated like the space's history (read-gate.ts): a decision's
 * request names the invoker, the resource and the attestations.
 */
import type { FastifyInstance } from "fastify";
import { formatSpaceId, parseSpaceId } from "../../core/resource.js";
import { HttpError } from "../server/http-error.js";
import { privateSpace, type ReadGate } from "../server/read-gate.js";
import type { PolicyDecisionLog } from "./decision-log.js";

export function registerPolicyRoutes(app: FastifyInstance, log: PolicyDecisionLog, reads: ReadGate): void {
  app.get<{ Params: { spaceId: string }; Querystring: { after?: string; limit?: string } }>("/spaces/:spaceId/policy-decisions", async (request) => {
    const spaceId = formatSpaceId({ ...parseSpaceId(request.params.spaceId), form: "space" });
    const after = Number(request.query.after ?? 0);
    const limit = Number(request.query.limit ?? 100);
    if (!Number.isSafeInteger(after) || after < 0 || !Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw new HttpError("BAD_QUERY", "after must be a non-negative integer and limit 1–1000");
    }
    if (!reads.canReadSpace(await reads.grant(request.headers.authorization), spaceId)) throw privateSpace(`the policy decisions of ${spaceId}`, spaceId);
    return { space: spaceId, decisions: await log.list(spaceId, after, limit) };
  });
}
