/** NodeSource over HTTP with `fetch` (Node and browsers alike). */
import { TransportError, type NodeSource } from "./types.js";

export interface FetchNodeOptions {
  /** The node's base URL, e.g. http://127.0.0.1:8000 */
  readonly url: string;
  /** Default globalThis.fetch. */
  readonly fetch?: typeof fetch;
  /** Per-request timeout (default 15 s). */
  readonly timeoutMs?: number;
}

export function fetchNodeSource(options: FetchNodeOptions): NodeSource {
  const base = options.url.replace(/\/+$/, "");
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const timeoutMs = options.timeoutMs ?? 15_000;

  const get = async (path: string): Promise<Response> => {
    const url = `${base}${path}`;
    let response: Response;
    try {
      response = await doFetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: "application/json, application/octet-stream;q=0.9, */*;q=0.5" } });
    } catch (error) {
      throw new TransportError("TRANSPORT_NETWORK", `node ${base} unreachable (GET ${path}): ${error instanceof Error ? error.message : String(error)}`);
    }
    if (!response.ok) {
      // The node's error body is plain text `<CODE>: <message>` (core/http-errors.ts): quoted, cut short.
      const detail = (await response.text().catch(() => "")).slice(0, 300).trim();
      throw new TransportError("TRANSPORT_HTTP", `node answered ${response.status} to GET ${path}${detail ? ` (${detail})` : ""}`, response.status);
    }
    return response;
  };
  const json = async (path: string): Promise<unknown> => {
    const response = await get(path);
    try {
      return await response.json();
    } catch {
      throw new TransportError("TRANSPORT_BAD_RESPONSE", `node sent invalid JSON for GET ${path}`);
    }
  };

  return {
    description: base,
    batch: (n) => json(`/rollup/batches/${n}`),
    stateProof: (uri, batch) => json(`/rollup/proof?uri=${encodeURIComponent(uri)}&batch=${batch}`),
    publicValue: async (spaceId, key, version) => new Uint8Array(await (await get(`/public/${encodeURIComponent(spaceId)}/kv/${key}?version=${version}`)).arrayBuffer()),
    vkey: (circuit) => json(`/rollup/vkeys/${encodeURIComponent(circuit)}`),
    status: () => json("/rollup/status"),
  };
}
