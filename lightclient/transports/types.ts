/**
 * Where the light client gets its evidence. Two sources with very different trust:
 *
 * - ChainSource: the anchor contract the user named (and its router / verifiers). Trusted: its answers
 *   are the ground truth the node's claims are checked against.
 * - NodeSource: a TinyCloud node. Untrusted: everything it returns is raw JSON / bytes that the
 *   verification core parses and checks.
 *
 * Implementations: fetch (node), viem public client (chain), and recorded fixtures (both), so tests and
 * the browser swap them freely.
 */
import { TinyCloudError } from "../../core/errors.js";
import type { AnchorGenesis, AnchoredBatch, VerifierRoute } from "../core/types.js";

export interface NodeSource {
  /** For messages, e.g. the node's URL. */
  readonly description: string;
  /** GET /rollup/batches/<n>: the batch record (raw JSON). */
  batch(n: number): Promise<unknown>;
  /** GET /rollup/proof?uri=<uri>&batch=<n>: state proof + entry (raw JSON). */
  stateProof(uri: string, batch: number): Promise<unknown>;
  /** GET /public/<spaceId>/kv/<key>?version=<n>: the value bytes (public spaces only). */
  publicValue(spaceId: string, key: string, version: number): Promise<Uint8Array>;
  /**
   * POST /invoke tinycloud.kv/get on `<uri>?version=<n>`: a private value's bytes, for a reader the node
   * authorizes (present only when the source holds a read authorization).
   */
  privateValue?(uri: string, version: number): Promise<Uint8Array>;
  /** GET /rollup/vkeys/<circuit>: the node's copy of a verification key (never trusted without the chain check). */
  vkey?(circuit: string): Promise<unknown>;
  /** GET /rollup/status (informational). */
  status?(): Promise<unknown>;
}

export interface ChainSource {
  readonly description: string;
  /** The TinyCloudAnchor address the client trusts. */
  readonly anchor: string;
  chainId(): Promise<number>;
  /** anchor.latestBatch() */
  latestBatch(): Promise<number>;
  /** anchor.roots(n) (0n for a batch it does not know). */
  root(batch: number): Promise<bigint>;
  /** anchor.router() */
  router(): Promise<string>;
  /** router.routes(verifierId) */
  route(router: string, verifierId: string): Promise<VerifierRoute>;
  /** Runtime bytecode at an address ("0x" when none). */
  code(address: string): Promise<string>;
  /** anchor.genesisRoot(), treeDepth(), deployedAt() */
  genesis(): Promise<AnchorGenesis>;
  /** The anchor's BatchAnchored events for batches 1..`through`, in log order (scanned from `fromBlock`). */
  anchoredBatches(fromBlock: number, through: number): Promise<AnchoredBatch[]>;
  /** router.verifierDelay() (seconds; informational: shown to the user). */
  verifierDelay?(router: string): Promise<number>;
}

export type TransportErrorCode = "TRANSPORT_HTTP" | "TRANSPORT_NETWORK" | "TRANSPORT_BAD_RESPONSE" | "TRANSPORT_RPC" | "TRANSPORT_NOT_RECORDED";

export class TransportError extends TinyCloudError<TransportErrorCode> {
  override readonly name = "TransportError" as const;
  constructor(
    code: TransportErrorCode,
    message: string,
    readonly status?: number,
    /** The underlying error (kept for networkReason: undici and viem put "connection refused" in the cause chain). */
    cause?: unknown,
  ) {
    super(code, message, cause !== undefined ? { cause } : {});
  }
}

export function errorText(error: unknown): string {
  if (error instanceof Error) {
    // viem errors carry a long multi-line message; the first line (shortMessage) is enough.
    const short = (error as { shortMessage?: unknown }).shortMessage;
    return typeof short === "string" && short !== "" ? short : (error.message.split("\n")[0] ?? error.message);
  }
  return String(error);
}
