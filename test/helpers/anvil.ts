/**
 * Chain fixtures for end-to-end tests: a real anvil with the TinyCloud contracts deployed (verifiers of
 * the depth-8 test circuits) and a fault-injecting JSON-RPC proxy. Proven batches for it come from
 * test/helpers/proven-batch-factory.ts.
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { startAnvil, type AnvilInstance } from "../../node/chain/anvil.js";
import { createChainClients, type ChainClients } from "../../node/chain/clients.js";
import { deployStack } from "../../node/chain/deploy.js";
import type { Deployment } from "../../node/chain/deployment.js";
import { D8_CIRCUITS, D8_DEPTH } from "./proven-batch-factory.js";

export interface TestChain {
  readonly anvil: AnvilInstance;
  readonly deployment: Deployment;
  /** Deployer / owner (dev account 0). */
  readonly owner: ChainClients;
  /** Authorized sequencer (dev account 1). */
  readonly sequencer: ChainClients;
  stop(): Promise<void>;
}

/** The router timelock of the test chain (a test that adds a verifier moves anvil's clock past it). */
export const TEST_VERIFIER_DELAY = 3600;

/** anvil + router + d8 verifiers + anchor (genesis = empty depth-8 tree); account 1 is the sequencer. */
export async function startTestChain(): Promise<TestChain> {
  const anvil = await startAnvil();
  try {
    const [a0, a1] = anvil.accounts;
    if (a0 === undefined || a1 === undefined) throw new Error("anvil has no dev accounts");
    const owner = createChainClients({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId, privateKey: a0.privateKey, pollingIntervalMs: 50 });
    const sequencer = createChainClients({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId, privateKey: a1.privateKey, pollingIntervalMs: 50 });
    const deployment = await deployStack({
      walletClient: owner.walletClient!,
      publicClient: owner.publicClient,
      circuits: D8_CIRCUITS.map((c) => c.name),
      depth: D8_DEPTH,
      verifierDelay: TEST_VERIFIER_DELAY,
      sequencers: [a1.address],
    });
    return { anvil, deployment, owner, sequencer, stop: () => anvil.stop() };
  } catch (error) {
    await anvil.stop();
    throw error;
  }
}

/** What the proxy does with request i (0-based) carrying JSON-RPC `method`s. */
export type Fault = "503" | "drop" | "drop-response" | undefined;

export interface FaultProxy {
  readonly url: string;
  /** JSON-RPC methods of every request received, in order. */
  readonly methods: string[][];
  /** How many requests were failed (by kind). */
  readonly injected: Record<Exclude<Fault, undefined>, number>;
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of a JSON-RPC endpoint that fails requests as `decide` says: "503" answers
 * 503 without forwarding, "drop" destroys the connection without forwarding, "drop-response" forwards
 * the request (the node executes it) and then destroys the connection instead of answering.
 */
export async function startFaultProxy(target: string, decide: (index: number, methods: readonly string[]) => Fault): Promise<FaultProxy> {
  const methods: string[][] = [];
  const injected = { "503": 0, drop: 0, "drop-response": 0 };
  const upstream = new URL(target);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      let names: string[] = [];
      try {
        const parsed = JSON.parse(body.toString("utf8")) as { method?: string } | { method?: string }[];
        names = (Array.isArray(parsed) ? parsed : [parsed]).map((p) => String(p.method));
      } catch {
        names = ["<unparsable>"];
      }
      const index = methods.length;
      methods.push(names);
      const fault = decide(index, names);
      if (fault === "503") {
        injected["503"]++;
        res.writeHead(503, { "content-type": "text/plain" }).end("service unavailable (injected)");
        return;
      }
      if (fault === "drop") {
        injected.drop++;
        req.socket.destroy();
        return;
      }
      const forward = httpRequest(
        { host: upstream.hostname, port: upstream.port, path: upstream.pathname, method: "POST", headers: { "content-type": "application/json", "content-length": body.length } },
        (up) => {
          const out: Buffer[] = [];
          up.on("data", (c: Buffer) => out.push(c));
          up.on("end", () => {
            if (fault === "drop-response") {
              injected["drop-response"]++;
              req.socket.destroy();
              return;
            }
            res.writeHead(up.statusCode ?? 502, { "content-type": "application/json" }).end(Buffer.concat(out));
          });
        },
      );
      forward.on("error", () => req.socket.destroy());
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    methods,
    injected,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
