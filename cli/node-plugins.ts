/**
 * What `tinycloud node` adds to the node's HTTP server: the light-client page (lightclient/serve.ts).
 * The node does not import lightclient/; the start-up code hands the page over as a Fastify plugin.
 */
import { lightClientPlugin } from "../lightclient/serve.js";
import type { NodePlugin } from "../node/server/node.js";

export const NODE_PLUGINS: readonly NodePlugin[] = [(app, node) => void app.register(lightClientPlugin, { chain: () => node.chain })];
