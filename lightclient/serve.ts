/**
 * The light-client page, as routes any Fastify server can serve (the node gets them from cli/ as a plugin):
 *
 *   GET /lightclient              the page (HTML)
 *   GET /lightclient/app.js       its script, built in memory by esbuild on first request (lightclient/build.ts)
 *   GET /lightclient/config.json  { rpcUrl, anchor, chainId } of the chain this node anchors to (null when none)
 *
 * Serving the page does not make the node trusted: the page shows the anchor and RPC it uses and accepts
 * ?anchor=&rpc=&node= overrides, and its verification keys are compiled in, not fetched from the node.
 */
import type { FastifyInstance, FastifyPluginCallback } from "fastify";
import { buildLightClient, type LightClientBundle } from "./build.js";

export interface LightClientChain {
  readonly rpcUrl?: string;
  readonly anchor: string;
  readonly chainId: number;
}

export interface LightClientRouteOptions {
  /** The chain the node anchors to, or undefined when it anchors nowhere. */
  readonly chain: () => LightClientChain | undefined;
}

export function registerLightClientRoutes(app: FastifyInstance, options: LightClientRouteOptions): void {
  let bundle: Promise<LightClientBundle> | undefined;
  const load = () => {
    bundle ??= buildLightClient().catch((error: unknown) => {
      bundle = undefined; // retry on the next request
      throw error;
    });
    return bundle;
  };

  app.get("/lightclient", async (_request, reply) => {
    const { html } = await load();
    return reply.type("text/html; charset=utf-8").header("cache-control", "no-cache").send(html);
  });
  app.get("/lightclient/", async (_request, reply) => reply.redirect("/lightclient", 301));

  app.get("/lightclient/app.js", async (_request, reply) => {
    const { js } = await load();
    return reply
      .type("text/javascript; charset=utf-8")
      .header("cache-control", "no-cache")
      .send(Buffer.from(js.buffer, js.byteOffset, js.byteLength));
  });

  app.get("/lightclient/config.json", async (_request, reply) => {
    const chain = options.chain();
    return reply.header("cache-control", "no-store").send({
      rpcUrl: chain?.rpcUrl ?? null,
      anchor: chain?.anchor ?? null,
      chainId: chain?.chainId ?? null,
    });
  });
}

/** The same routes as a Fastify plugin (`app.register(lightClientPlugin, { chain })`): how cli/ hands them to the node. */
export const lightClientPlugin: FastifyPluginCallback<LightClientRouteOptions> = (app, options, done) => {
  registerLightClientRoutes(app, options);
  done();
};
