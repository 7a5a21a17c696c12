/**
 * Recorded evidence: a JSON `Recording` of what a node and a chain answered, served back by
 * `fixtureNodeSource` / `fixtureChainSource`, and captured from live sources by
 * `recordingNodeSource` / `recordingChainSource`. Tests run the full orchestration offline on it;
 * a tampering test edits the recording.
 */
import { bytesToHex } from "../../core/encoding.js";
import type { AnchoredBatch, VerifierRoute } from "../core/types.js";
import { TransportError, type ChainSource, type NodeSource } from "./types.js";

export interface NodeRecording {
  description?: string;
  /** batch number → /rollup/batches/<n> JSON */
  batches: Record<string, unknown>;
  /** `${batch} ${uri}` → /rollup/proof JSON */
  proofs: Record<string, unknown>;
  /** `${spaceId}/kv/${key}@${version}` → value bytes as hex (a private value: `${uri}@${version}`) */
  values: Record<string, string>;
  /** circuit → /rollup/vkeys/<circuit> JSON */
  vkeys?: Record<string, unknown>;
  status?: unknown;
}

export interface ChainRecording {
  description?: string;
  anchor: string;
  chainId: number;
  latestBatch: number;
  router: string;
  /** batch number → anchor.roots(n) (decimal) */
  roots: Record<string, string>;
  /** verifierId (lowercase 0x hex) → route */
  routes: Record<string, VerifierRoute>;
  /** address (lowercase) → runtime bytecode */
  code: Record<string, string>;
  /** anchor.genesisRoot() (decimal), treeDepth(), deployedAt() */
  genesis?: { genesisRoot: string; treeDepth: number; deployedAt: number };
  /** BatchAnchored events in log order (field elements as decimal strings) */
  anchoredBatches?: Array<{ batch: number; newRoot: string; commitment: string; verifierId: string }>;
  /** router.verifierDelay() */
  verifierDelay?: number;
}

export interface Recording {
  node: NodeRecording;
  chain: ChainRecording;
}

export const proofKey = (uri: string, batch: number): string => `${batch} ${uri}`;
export const valueKey = (spaceId: string, key: string, version: number): string => `${spaceId}/kv/${key}@${version}`;

function hexToBytes(hex: string): Uint8Array {
  const clean = hex.replace(/^0x/, "");
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const notRecorded = (what: string): never => {
  throw new TransportError("TRANSPORT_NOT_RECORDED", `${what}: not in the recording`, 404);
};

const clone = <T>(x: T): T => (x === undefined ? x : (JSON.parse(JSON.stringify(x)) as T));

export function fixtureNodeSource(rec: NodeRecording): NodeSource {
  return {
    description: rec.description ?? "recorded node",
    batch: async (n) => clone(rec.batches[String(n)]) ?? notRecorded(`batch ${n}`),
    stateProof: async (uri, batch) => clone(rec.proofs[proofKey(uri, batch)]) ?? notRecorded(`state proof of ${uri} at batch ${batch}`),
    publicValue: async (spaceId, key, version) => {
      const hex = rec.values[valueKey(spaceId, key, version)];
      return hex === undefined ? notRecorded(`value ${key} version ${version}`) : hexToBytes(hex);
    },
    // A private value is recorded under `<uri>@<version>` (it was read with the reader's authorization).
    privateValue: async (uri, version) => {
      const hex = rec.values[`${uri}@${version}`];
      return hex === undefined ? notRecorded(`private value ${uri} version ${version}`) : hexToBytes(hex);
    },
    vkey: async (circuit) => clone(rec.vkeys?.[circuit]) ?? notRecorded(`vkey ${circuit}`),
    status: async () => clone(rec.status) ?? notRecorded("status"),
  };
}

export function fixtureChainSource(rec: ChainRecording): ChainSource {
  return {
    description: rec.description ?? "recorded chain",
    anchor: rec.anchor,
    chainId: async () => rec.chainId,
    latestBatch: async () => rec.latestBatch,
    root: async (batch) => BigInt(rec.roots[String(batch)] ?? "0"),
    router: async () => rec.router,
    route: async (_router, id) => rec.routes[id.toLowerCase()] ?? { verifier: "0x0000000000000000000000000000000000000000", kind: 0, removed: false },
    code: async (address) => rec.code[address.toLowerCase()] ?? "0x",
    genesis: async () => {
      const g = rec.genesis ?? notRecorded("anchor genesis");
      return { genesisRoot: BigInt(g.genesisRoot), treeDepth: g.treeDepth, deployedAt: g.deployedAt };
    },
    anchoredBatches: async (_fromBlock, through) =>
      (rec.anchoredBatches ?? notRecorded("BatchAnchored logs"))
        .filter((b) => b.batch <= through)
        .map((b): AnchoredBatch => ({ batch: b.batch, newRoot: BigInt(b.newRoot), commitment: BigInt(b.commitment), verifierId: b.verifierId.toLowerCase() })),
    verifierDelay: async () => rec.verifierDelay ?? notRecorded("router.verifierDelay()"),
  };
}

/** An empty recording to fill with the recording sources. */
export function emptyRecording(anchor: string): Recording {
  return {
    node: { batches: {}, proofs: {}, values: {} },
    chain: { anchor, chainId: 0, latestBatch: 0, router: "0x0000000000000000000000000000000000000000", roots: {}, routes: {}, code: {} },
  };
}

/** Wrap a live node source; every successful answer is copied into `rec`. */
export function recordingNodeSource(inner: NodeSource, rec: NodeRecording): NodeSource {
  return {
    description: inner.description,
    batch: async (n) => (rec.batches[String(n)] = await inner.batch(n)),
    stateProof: async (uri, batch) => (rec.proofs[proofKey(uri, batch)] = await inner.stateProof(uri, batch)),
    publicValue: async (spaceId, key, version) => {
      const bytes = await inner.publicValue(spaceId, key, version);
      rec.values[valueKey(spaceId, key, version)] = bytesToHex(bytes);
      return bytes;
    },
    ...(inner.privateValue
      ? {
          privateValue: async (uri: string, version: number) => {
            const bytes = await inner.privateValue!(uri, version);
            rec.values[`${uri}@${version}`] = bytesToHex(bytes);
            return bytes;
          },
        }
      : {}),
    ...(inner.vkey ? { vkey: async (circuit: string) => ((rec.vkeys ??= {})[circuit] = await inner.vkey!(circuit)) } : {}),
    ...(inner.status ? { status: async () => (rec.status = await inner.status!()) } : {}),
  };
}

/** Wrap a live chain source; every answer is copied into `rec`. */
export function recordingChainSource(inner: ChainSource, rec: ChainRecording): ChainSource {
  rec.anchor = inner.anchor;
  return {
    description: inner.description,
    anchor: inner.anchor,
    chainId: async () => (rec.chainId = await inner.chainId()),
    latestBatch: async () => (rec.latestBatch = await inner.latestBatch()),
    root: async (batch) => {
      const root = await inner.root(batch);
      rec.roots[String(batch)] = root.toString();
      return root;
    },
    router: async () => (rec.router = await inner.router()),
    route: async (router, id) => (rec.routes[id.toLowerCase()] = await inner.route(router, id)),
    code: async (address) => (rec.code[address.toLowerCase()] = await inner.code(address)),
    genesis: async () => {
      const g = await inner.genesis();
      rec.genesis = { genesisRoot: g.genesisRoot.toString(), treeDepth: g.treeDepth, deployedAt: g.deployedAt };
      return g;
    },
    anchoredBatches: async (fromBlock, through) => {
      const list = await inner.anchoredBatches(fromBlock, through);
      // Record the whole history up to `through` (a later replay may ask for less).
      rec.anchoredBatches = list.map((b) => ({ batch: b.batch, newRoot: b.newRoot.toString(), commitment: b.commitment.toString(), verifierId: b.verifierId }));
      return list;
    },
    ...(inner.verifierDelay ? { verifierDelay: async (router: string) => (rec.verifierDelay = await inner.verifierDelay!(router)) } : {}),
  };
}
