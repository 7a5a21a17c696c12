/**
 * The compute service's read routes, gated like a private space's history (node/server/read-gate.ts): a
 * public space's to anyone, a private space's to a holder of tinycloud.kv/get on `<space>/kv` (the log
 * names the keys and versions that functions read).
 *
 *   GET /spaces/<spaceId>/executions?after=N&limit=M     → {space, executions: [{seq, …record}], next?}
 *   GET /spaces/<spaceId>/executions/<seq>/bundle        → what an auditor re-runs: the record, the deploy
 *                                                           record, the original module and the input bytes
 *   GET /spaces/<spaceId>/compute/<name>                 → the deploy record of a function (also to a holder
 *                                                           of compute/deploy or compute/execute on it)
 */
import type { FastifyInstance } from "fastify";
import { abilityCovers } from "../../core/abilities.js";
import { isPolicyCaveat } from "../../core/policy/caveat.js";
import { formatSpaceId, parseSpaceId, resourceCovers, resourceOf } from "../../core/resource.js";
import { HttpError } from "../server/http-error.js";
import { privateSpace, type ReadGate, type ReadGrant } from "../server/read-gate.js";
import type { NodeStore } from "../store/store.js";
import type { ComputeStore } from "./compute-store.js";
import type { ComputeService } from "./service.js";

const LIMIT_MAX = 1000;

export function registerComputeRoutes(app: FastifyInstance, deps: { store: NodeStore; compute: ComputeStore; service: ComputeService; reads: ReadGate }): void {
  const { store, compute, service, reads } = deps;

  /** The space id in its canonical form, after the gate (an outsider learns nothing about which spaces exist). */
  const gatedSpace = async (text: string, authorization: string | undefined, may?: (grant: ReadGrant, spaceId: string) => boolean): Promise<string> => {
    const spaceId = formatSpaceId({ ...parseSpaceId(text), form: "space" });
    const grant = await reads.grant(authorization);
    if (!reads.canReadSpace(grant, spaceId) && !(may?.(grant, spaceId) ?? false)) throw privateSpace(`the compute log of ${spaceId}`, spaceId);
    if ((await store.getSpace(spaceId)) === undefined) throw new HttpError("SPACE_NOT_FOUND", `space ${spaceId} is not hosted on this node`);
    return spaceId;
  };

  app.get<{ Params: { spaceId: string }; Querystring: { after?: string; limit?: string } }>("/spaces/:spaceId/executions", async (request) => {
    const after = Number(request.query.after ?? 0);
    const limit = Number(request.query.limit ?? 100);
    if (!Number.isSafeInteger(after) || after < 0 || !Number.isInteger(limit) || limit < 1 || limit > LIMIT_MAX) {
      throw new HttpError("BAD_QUERY", `after must be a non-negative integer and limit 1–${LIMIT_MAX}`);
    }
    const spaceId = await gatedSpace(request.params.spaceId, request.headers.authorization);
    const page = await compute.executions(spaceId, after, limit + 1);
    const shown = page.slice(0, limit);
    return { space: spaceId, executions: shown.map(({ seq, record }) => ({ seq, ...record })), ...(page.length > limit ? { next: shown[shown.length - 1]?.seq } : {}) };
  });

  app.get<{ Params: { spaceId: string; seq: string } }>("/spaces/:spaceId/executions/:seq/bundle", async (request) => {
    const spaceId = await gatedSpace(request.params.spaceId, request.headers.authorization);
    const seq = Number(request.params.seq);
    if (!/^[1-9][0-9]{0,15}$/.test(request.params.seq) || !Number.isSafeInteger(seq)) throw new HttpError("BAD_QUERY", "the execution number is a positive integer");
    const record = await compute.execution(spaceId, seq);
    if (record === undefined) throw new HttpError("COMPUTE_EXECUTION_NOT_FOUND", `no execution ${seq} in ${spaceId}`);
    const deploy = await service.deployRecord(record.deploy);
    const module = await compute.block(deploy.function_cid);
    if (module === undefined) throw new Error(`module ${deploy.function_cid} is missing`);
    const inputs: string[] = [];
    for (const input of record.inputs) {
      const bytes = await store.getBlob(spaceId, input.etag);
      if (bytes === undefined) throw new Error(`input ${input.key} version ${input.version} is missing`);
      inputs.push(Buffer.from(bytes).toString("base64"));
    }
    const stored = record.stored === undefined ? undefined : await store.getVersion(spaceId, record.stored.key, record.stored.version);
    return {
      space: spaceId,
      seq,
      record,
      deploy,
      module: Buffer.from(module).toString("base64"),
      inputs,
      ...(stored !== undefined ? { stored_etag: stored.etag } : {}),
    };
  });

  app.get<{ Params: { spaceId: string; name: string } }>("/spaces/:spaceId/compute/:name", async (request) => {
    const { name } = request.params;
    const spaceId = await gatedSpace(request.params.spaceId, request.headers.authorization, (grant, id) => {
      const wanted = resourceOf(parseSpaceId(id), "compute", name);
      // A GET runs no policy: a grant under a `policy` caveat (restated by the token, the containment rule) opens nothing.
      return grant.capabilities.some(
        (held) =>
          !held.caveats.some(isPolicyCaveat) &&
          resourceCovers(held.resource, wanted) &&
          (abilityCovers(held.ability, "tinycloud.compute/execute") || abilityCovers(held.ability, "tinycloud.compute/deploy")),
      );
    });
    const recordCid = await compute.functionRecord(spaceId, name);
    if (recordCid === undefined) throw new HttpError("COMPUTE_FUNCTION_NOT_FOUND", `no function ${name.slice(0, 80)} is deployed in ${spaceId}`);
    return { ...(await service.deployRecord(recordCid)), record: recordCid };
  });
}
