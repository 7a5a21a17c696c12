/**
 * bull-board UI for the proof queue(s), mounted on the node's Fastify instance at `/admin/queues`
 * (Redis mode only: the embedded pool has no queue to show). The board can retry, promote and delete
 * jobs unless `readOnly` is set; put it behind the node's admin authentication or bind the node to
 * localhost when it is enabled.
 */
import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { FastifyAdapter } from "@bull-board/fastify";
import type { Queue } from "bullmq";
import type { FastifyInstance } from "fastify";

export interface DashboardOptions {
  /** URL path (default `/admin/queues`). */
  readonly basePath?: string;
  /** Hide retry/clean/delete actions (default false). */
  readonly readOnly?: boolean;
}

/** Registers the board; call before `app.listen()` / `app.ready()`. */
export async function mountQueueDashboard(app: FastifyInstance, queues: readonly Queue[], options: DashboardOptions = {}): Promise<void> {
  const basePath = options.basePath ?? "/admin/queues";
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(basePath);
  createBullBoard({
    queues: queues.map((q) => new BullMQAdapter(q, { readOnlyMode: options.readOnly ?? false })),
    serverAdapter,
    options: { uiConfig: { boardTitle: "TinyCloud proofs" } },
  });
  await app.register(serverAdapter.registerPlugin(), { prefix: basePath });
}
