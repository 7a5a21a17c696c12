/**
 * Orchestration: collect the evidence for one URI from a chain source (trusted) and a node source
 * (untrusted), then run the pure verification core over it. Used by `tinycloud verify` and the page.
 *
 * Which batch: the latest the anchor contract has (`anchor.latestBatch()`) unless `batch` is given.
 * The node is asked for that batch's record and for the URI's state proof at that batch; the value
 * bytes come from `/public/<spaceId>/kv/<key>?version=<entry.version>` (spaces named "public"), from
 * POST /invoke kv/get of that version for a reader the node source authorizes (private spaces), or
 * from the caller (`value`, e.g. --value-file).
 */
import { parseBatchClaim, parseEntryClaim, parseProofClaim } from "./core/claims.js";
import type { Groth16Verifier } from "./core/groth16.js";
import { BUILTIN_VKEYS, circuitDepth, insecurePins } from "./core/pinned.js";
import { entryAddress, KIND_GROTH16_SNARKJS, verifyEvidence } from "./core/steps.js";
import {
  got,
  missing,
  type AnchoredState,
  type Evidence,
  type Fetched,
  type HistoryEvidence,
  type PinnedVkey,
  type PinnedVkeys,
  type VerifierRoute,
  type VerifyReport,
  type VkeyEvidence,
} from "./core/types.js";
import { codeHashOf, verifierIdOf, vkeyProblem } from "./core/vkey.js";
import { errorText, type ChainSource, type NodeSource } from "./transports/types.js";

export { PUBLIC_SPACE_NAME } from "../core/state/privacy.js";

export interface VerifyUriOptions {
  /** tinycloud:<did>:<space>/kv/<key> */
  readonly uri: string;
  readonly node: NodeSource;
  readonly chain: ChainSource;
  readonly groth16: Groth16Verifier;
  /** Pinned verification keys by circuit (default BUILTIN_VKEYS). */
  readonly vkeys?: PinnedVkeys;
  /**
   * For a circuit with no pinned key, take the node's copy (GET /rollup/vkeys/<circuit>); the "vkey"
   * step still requires the contract's router and verifier to vouch for it. Default false.
   */
  readonly nodeVkeys?: boolean;
  /**
   * circuit → keccak256 of its verifier's runtime code, for keys taken from the node (nodeVkeys): a key
   * is only usable with the code hash of the contract that checks it (contracts/generated/verifiers.json).
   */
  readonly codeHashes?: Readonly<Record<string, string>>;
  /** Check against this anchored batch instead of anchor.latestBatch(). */
  readonly batch?: number;
  /** The value bytes (a private entry). Without it, public entries are fetched from the node. */
  readonly value?: Uint8Array;
  /** Clock for timings (default performance.now). */
  readonly now?: () => number;
}

async function fetched<T>(run: () => Promise<T>): Promise<Fetched<T>> {
  try {
    return got(await run());
  } catch (error) {
    return missing(errorText(error));
  }
}

/** Gather everything the five steps look at. Throws only LightClientUriError (a URI that names no KV entry). */
export async function collectEvidence(o: VerifyUriOptions): Promise<Evidence> {
  const address = entryAddress(o.uri);
  const vkeys = o.vkeys ?? BUILTIN_VKEYS;
  const { node } = o;
  // The pinned key's route and code are read for the "vkey" step and again for the history (batch n
  // uses that key): ask the chain once per id and per address.
  const chain = onceEach(o.chain);

  // 1. The chain: which batch, and its root.
  const [chainId, latest, router] = await Promise.all([fetched(() => chain.chainId()), fetched(() => chain.latestBatch()), fetched(() => chain.router())]);
  const batch = o.batch ?? (latest.ok ? latest.value : undefined);
  let anchored: Fetched<AnchoredState>;
  if (!chainId.ok || !latest.ok || batch === undefined) {
    anchored = missing((!chainId.ok ? chainId.error : !latest.ok ? latest.error : "no batch") as string);
  } else {
    const root = await fetched(() => chain.root(batch));
    anchored = root.ok ? got({ chainId: chainId.value, anchor: chain.anchor, latestBatch: latest.value, batch, root: root.value }) : missing(root.error);
  }
  if (batch === undefined) {
    const why = anchored.ok ? "no batch" : anchored.error;
    return { uri: o.uri, batch: 0, anchored, batchRecord: missing(why), vkey: missing(why), history: missing(why), stateProof: missing(why), value: o.value !== undefined ? got(o.value) : undefined };
  }

  // 2. The node: the batch record and the state proof at that batch.
  const [batchRecord, stateProof] = await Promise.all([
    batch === 0 ? Promise.resolve(missing<unknown>("nothing is anchored yet (anchor.latestBatch() is 0)")) : fetched(() => node.batch(batch)),
    fetched(() => node.stateProof(o.uri, batch)),
  ]);

  // 3. The pinned key of the batch's circuit, as the chain sees it; and the value bytes.
  const vkeyEvidence = async (): Promise<Fetched<VkeyEvidence>> => {
    if (!batchRecord.ok) return missing(`no batch record to name the circuit: ${batchRecord.error}`);
    const record = parseBatchClaim(batchRecord.value);
    if (!record.ok) return missing(record.error);
    const circuit = record.value.circuit;
    if (circuit === undefined) return missing(`batch ${record.value.number}'s record names no circuit`);
    let pinned: PinnedVkey | undefined = vkeys[circuit];
    if (pinned === undefined && o.nodeVkeys === true && node.vkey !== undefined) {
      const fromNode = await fetched(() => node.vkey!(circuit));
      const codeHash = o.codeHashes?.[circuit];
      if (fromNode.ok)
        pinned = { circuit, vkey: fromNode.value as PinnedVkey["vkey"], depth: circuitDepth(circuit), source: "node (checked against the contract)", ...(codeHash !== undefined ? { codeHash } : {}) };
    }
    if (pinned === undefined || vkeyProblem(pinned.vkey) !== undefined) return got({ circuit, pinned, route: undefined, verifierCode: undefined });
    if (!router.ok) return got({ circuit, pinned, route: missing(router.error), verifierCode: undefined });
    const route: Fetched<VerifierRoute> = await fetched(() => chain.route(router.value, verifierIdOf(pinned.vkey)));
    const live = route.ok && !/^0x0{40}$/i.test(route.value.verifier) && !route.value.removed && route.value.kind === KIND_GROTH16_SNARKJS;
    const verifierCode = live ? await fetched(() => chain.code(route.value.verifier)) : undefined;
    return got({ circuit, pinned, route, verifierCode });
  };
  const valueEvidence = async (): Promise<Fetched<Uint8Array> | undefined> => {
    if (o.value !== undefined) return got(o.value);
    if (!stateProof.ok) return undefined;
    const claim = parseProofClaim(stateProof.value);
    if (!claim.ok || claim.value.proof.kind !== "inclusion") return undefined;
    const entry = parseEntryClaim(claim.value.entry);
    if (!entry.ok || entry.value.deleted) return undefined;
    if (!address.isPublic) {
      if (node.privateValue !== undefined) return fetched(() => node.privateValue!(o.uri, entry.value.version));
      return missing(`${address.spaceId} is not a public space: pass the value bytes of version ${entry.value.version} (--value-file), or read it with a read capability (--auth-key, --proof)`);
    }
    return fetched(() => node.publicValue(address.spaceId, address.path, entry.value.version));
  };
  // 4. The history the root rests on: genesis, roots(n - 1), and which verifier anchored each batch.
  const historyEvidence = async (): Promise<Fetched<HistoryEvidence>> => {
    const genesis = await fetched(() => chain.genesis());
    if (!genesis.ok) return missing(genesis.error);
    const previousRoot = batch === 0 ? got(genesis.value.genesisRoot) : await fetched(() => chain.root(batch - 1));
    if (!previousRoot.ok) return missing(previousRoot.error);
    const batches = batch === 0 ? got([]) : await fetched(() => chain.anchoredBatches(genesis.value.deployedAt, batch));
    if (!batches.ok) return missing(batches.error);
    const verifiers: Record<string, Fetched<{ route: VerifierRoute; codeHash: string }>> = {};
    const ids = [...new Set(batches.value.map((b) => b.verifierId.toLowerCase()))];
    await Promise.all(
      ids.map(async (id) => {
        verifiers[id] = !router.ok
          ? missing(router.error)
          : await fetched(async () => {
              const route = await chain.route(router.value, id);
              return { route, codeHash: codeHashOf(await chain.code(route.verifier)) };
            });
      }),
    );
    return got({ genesis: genesis.value, previousRoot: previousRoot.value, batches: batches.value, verifiers });
  };
  const [vkey, value, history] = await Promise.all([vkeyEvidence(), valueEvidence(), historyEvidence()]);
  return { uri: o.uri, batch, anchored, batchRecord, vkey, history, stateProof, value };
}

/** `chain` with route() and code() asked once per argument (the promise is shared, failures included). */
function onceEach(chain: ChainSource): ChainSource {
  const routes = new Map<string, Promise<VerifierRoute>>();
  const codes = new Map<string, Promise<string>>();
  const once = <T>(cache: Map<string, Promise<T>>, key: string, run: () => Promise<T>): Promise<T> => {
    let p = cache.get(key);
    if (p === undefined) cache.set(key, (p = run()));
    return p;
  };
  return {
    ...chain,
    route: (router, id) => once(routes, `${router.toLowerCase()} ${id.toLowerCase()}`, () => chain.route(router, id)),
    code: (address) => once(codes, address.toLowerCase(), () => chain.code(address)),
  };
}

/** Collect the evidence and verify it: the full light-client check of one URI. */
export async function verifyUri(o: VerifyUriOptions): Promise<VerifyReport> {
  const now = o.now ?? (() => performance.now());
  const started = now();
  const evidence = await collectEvidence(o);
  const collected = now();
  const verdict = await verifyEvidence(evidence, o.groth16, { expectBytes: o.value !== undefined, pins: o.vkeys ?? BUILTIN_VKEYS });
  const done = now();
  return reportOf(evidence, verdict, { fetchMs: collected - started, verifyMs: done - collected, totalMs: done - started }, keyWarnings(o.vkeys ?? BUILTIN_VKEYS));
}

/** One warning per insecure pinned key: with such keys a proof can be forged, so VERIFIED proves little. */
export function keyWarnings(pins: PinnedVkeys): string[] {
  return insecurePins(pins).map(
    ({ circuit, reasons }) => `the pinned key of ${circuit} is INSECURE: ${reasons.join("; ")}. Anyone can forge its proofs; pin a deployment's own keys (--vkeys) for real assurance.`,
  );
}

/** Assemble a VerifyReport (exported for callers that run collectEvidence / verifyEvidence themselves). */
export function reportOf(evidence: Evidence, verdict: Awaited<ReturnType<typeof verifyEvidence>>, timings: VerifyReport["timings"], warnings: readonly string[] = []): VerifyReport {
  const a = evidence.anchored.ok ? evidence.anchored.value : undefined;
  return {
    uri: evidence.uri,
    ok: verdict.ok,
    failedStep: verdict.failedStep,
    batch: a?.batch,
    chainId: a?.chainId,
    anchor: a?.anchor,
    root: a?.root.toString(),
    entry: verdict.ok ? verdict.entry : undefined,
    steps: verdict.steps,
    timings: { fetchMs: round(timings.fetchMs), verifyMs: round(timings.verifyMs), totalMs: round(timings.totalMs) },
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}

const round = (ms: number): number => Math.round(ms * 10) / 10;
