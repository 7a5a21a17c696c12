/** Rollup read API: status, batch records, and state proofs for a TinyCloud URI. */
import type { FastifyInstance } from "fastify";
import { formatSpaceId, parseResourceUri } from "../core/resource.js";
import { stateKey, stateProofToJson } from "../core/state-tree.js";
import { HttpError } from "../server/http-error.js";
import type { RollupStore } from "./rollup-store.js";
import type { Sequencer } from "./sequencer.js";
import type { BatchRecord } from "./types.js";

export interface RollupServices {
  readonly rollup: RollupStore;
  readonly sequencer: Sequencer;
}

export function registerRollupRoutes(app: FastifyInstance, { rollup, sequencer }: RollupServices): void {
  app.get("/rollup/status", async () => {
    const latest = sequencer.latestBatch;
    let proven = 0;
    let anchored = 0;
    for (let n = latest; n >= 1 && (proven === 0 || anchored === 0); n--) {
      const record = (await rollup.batch(n)) as BatchRecord;
      if (proven === 0 && (record.status === "proven" || record.status === "anchored")) proven = n;
      if (anchored === 0 && record.status === "anchored") anchored = n;
    }
    return { latestBatch: latest, provenBatch: proven, anchoredBatch: anchored, root: sequencer.root.toString(), pending: sequencer.pendingUpdates };
  });

  app.get<{ Params: { n: string } }>("/rollup/batches/:n", async (request) => {
    const n = Number(request.params.n);
    if (!Number.isSafeInteger(n) || n < 1) throw new HttpError(400, "BAD_BATCH_NUMBER", "batch numbers start at 1");
    const record = await rollup.batch(n);
    if (record === undefined) throw new HttpError(404, "BATCH_NOT_FOUND", `no batch ${n} (latest is ${sequencer.latestBatch})`);
    return record;
  });

  /** Inclusion or non-inclusion proof of a KV entry against the latest batch's root. */
  app.get<{ Querystring: { uri?: string } }>("/rollup/proof", async (request) => {
    const uri = request.query.uri;
    if (uri === undefined || uri === "") throw new HttpError(400, "MISSING_URI", "pass ?uri=<tinycloud URI of a KV entry>");
    const resource = parseResourceUri(uri);
    if (resource.service !== "kv" || resource.path === undefined) throw new HttpError(400, "BAD_URI", "the URI must name a KV entry: <space>/kv/<key>");
    const spaceId = formatSpaceId({ ...resource.space, form: "space" });
    const key = stateKey(spaceId, "kv", resource.path);
    const tree = sequencer.snapshot();
    const proof = tree.prove(key);
    const batch = sequencer.latestBatch;
    const record = batch > 0 ? await rollup.batch(batch) : undefined;
    return {
      uri,
      spaceId,
      path: resource.path,
      key: key.toString(),
      batch,
      status: record?.status ?? "none",
      root: tree.root.toString(),
      proof: stateProofToJson(proof),
    };
  });
}
