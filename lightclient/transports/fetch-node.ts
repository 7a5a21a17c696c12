/** NodeSource over HTTP with `fetch` (Node and browsers alike). */
import type { ReadAuthorization } from "./read-auth.js";
import { networkReason } from "./net-error.js";
import { TransportError, type NodeSource } from "./types.js";

export interface FetchNodeOptions {
  /** The node's base URL, e.g. http://127.0.0.1:8000 */
  readonly url: string;
  /** Default globalThis.fetch. */
  readonly fetch?: typeof fetch;
  /** Per-request timeout (default 15 s). */
  readonly timeoutMs?: number;
  /**
   * A reader's authorization (lightclient/transports/read-auth.ts): sent on /rollup/proof, so the node
   * serves a private entry's salts, and used to fetch a private value with POST /invoke kv/get.
   */
  readonly authorization?: ReadAuthorization;
}

export function fetchNodeSource(options: FetchNodeOptions): NodeSource {
  const base = options.url.replace(/\/+$/, "");
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const timeoutMs = options.timeoutMs ?? 15_000;

  const request = async (method: "GET" | "POST", path: string, authorization?: string): Promise<Response> => {
    const url = `${base}${path}`;
    let response: Response;
    try {
      const headers: Record<string, string> = { accept: "application/json, application/octet-stream;q=0.9, */*;q=0.5" };
      if (authorization !== undefined) headers["authorization"] = authorization;
      response = await doFetch(url, { method, signal: AbortSignal.timeout(timeoutMs), headers });
    } catch (error) {
      throw new TransportError("TRANSPORT_NETWORK", `cannot reach ${base}: ${networkReason(error) ?? (error instanceof Error ? error.message : String(error))} (${method} ${path})`);
    }
    if (!response.ok) {
      // The node's error body is plain text `<CODE>: <message>` (core/http-errors.ts): quoted, cut short.
      const detail = (await response.text().catch(() => "")).slice(0, 300).trim();
      throw new TransportError("TRANSPORT_HTTP", `node answered ${response.status} to ${method} ${path}${detail ? ` (${detail})` : ""}`, response.status);
    }
    return response;
  };
  const get = (path: string, authorization?: string) => request("GET", path, authorization);
  const json = async (path: string, authorization?: string): Promise<unknown> => {
    const response = await get(path, authorization);
    try {
      return await response.json();
    } catch {
      throw new TransportError("TRANSPORT_BAD_RESPONSE", `node sent invalid JSON for GET ${path}`);
    }
  };

  return {
    description: base,
    batch: (n) => json(`/rollup/batches/${n}`),
    stateProof: async (uri, batch) => json(`/rollup/proof?uri=${encodeURIComponent(uri)}&batch=${batch}`, await options.authorization?.(uri)),
    publicValue: async (spaceId, key, version) => new Uint8Array(await (await get(`/public/${encodeURIComponent(spaceId)}/kv/${key}?version=${version}`)).arrayBuffer()),
    ...(options.authorization !== undefined
      ? {
          // kv/get of one version (`<uri>?version=N`, node/server/invoke-service.ts); an invocation is single-use, so a fresh one.
          privateValue: async (uri: string, version: number) => {
            const authorization = await options.authorization!(`${uri}?version=${version}`);
            return new Uint8Array(await (await request("POST", "/invoke", authorization)).arrayBuffer());
          },
        }
      : {}),
    vkey: (circuit) => json(`/rollup/vkeys/${encodeURIComponent(circuit)}`),
    status: () => json("/rollup/status"),
  };
}
