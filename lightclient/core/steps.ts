/**
 * The five verification steps. Pure: no I/O, no clock, no globals; the only asynchronous call is the
 * injected Groth16 verifier. Each step returns a typed StepResult; a failed step makes the steps that
 * depend on it "skipped":
 *
 *   vkey  ──► proof            (the proof is only checked against a key the contract vouches for)
 *   root  ──► path ──► value   (the path is checked against the anchored root, the value against the path's leaf)
 *
 * "root" does not depend on "proof": the contract verified the proof when it stored the root, so a
 * client whose pairing library is unavailable still learns whether the node's root is anchored.
 */
import { TinyCloudError } from "../../core/errors.js";
import { formatSpaceId, parseResourceUri } from "../../core/resource.js";
import { checkStateProof, contentHashField, emptyStateRoot, leafValue, MAX_STATE_TREE_DEPTH, STATE_TREE_DEPTH, stateKey, stateProofFromJson, type StateProof } from "../../core/state/state-tree.js";
import { isPublicSpaceId, spaceSaltKey, spaceSaltLeafValue } from "../../core/state/privacy.js";
import { circuitDepth } from "./pinned.js";
import { decodeHeader } from "../../core/rollup/header.js";
import { parseBatchClaim, parseEntryClaim, parseProofClaim, type BatchClaim, type ProofClaim } from "./claims.js";
import type { Groth16Verifier } from "./groth16.js";
import { bytesToHex } from "../../core/encoding.js";
import { codeHashOf, verifierIdOf, vkeyProblem } from "./vkey.js";
import { blake3 } from "@noble/hashes/blake3.js";
import type { Evidence, HistoryEvidence, PinnedVkeys, StepCode, StepName, StepResult, VerifiedEntry } from "./types.js";

/** router kind of a snarkjs Groth16 verifier (TinyCloudVerifierRouter.KIND_GROTH16_SNARKJS). */
export const KIND_GROTH16_SNARKJS = 1;

const ZERO_ADDRESS = /^0x0{40}$/i;

function result(step: StepName, status: StepResult["status"], code: StepCode, reason: string, data?: Record<string, unknown>): StepResult {
  return { step, status, ok: status === "passed", code, reason, ...(data !== undefined ? { data } : {}) };
}
const pass = (step: StepName, code: StepCode, reason: string, data?: Record<string, unknown>) => result(step, "passed", code, reason, data);
const fail = (step: StepName, code: StepCode, reason: string, data?: Record<string, unknown>) => result(step, "failed", code, reason, data);
export const skipped = (step: StepName, reason: string): StepResult => result(step, "skipped", "SKIPPED", reason);

const short = (x: bigint | string): string => {
  const s = typeof x === "bigint" ? x.toString() : x;
  return s.length > 20 ? `${s.slice(0, 8)}…${s.slice(-6)}` : s;
};

/**
 * Where a KV URI lives in the state tree: the canonical space id, the path, and (public spaces)
 * stateKey(spaceId, "kv", path). A private space's key is salted with the space salt
 * (core/state/privacy.ts), which only the proof response of an authorized reader carries: `key` is
 * undefined there and the path step derives it once it has checked the salt against the root.
 */
export interface EntryAddress {
  readonly spaceId: string;
  readonly spaceName: string;
  readonly path: string;
  /** The space is public (named "public"): plain key and leaf formulas, readable by anyone. */
  readonly isPublic: boolean;
  readonly key: bigint | undefined;
}

export class LightClientUriError extends TinyCloudError<"LIGHTCLIENT_BAD_URI"> {
  override readonly name = "LightClientUriError" as const;
  constructor(message: string) {
    super("LIGHTCLIENT_BAD_URI", message);
  }
}

/** Derive the state key locally from the URI (never from the node). Throws LightClientUriError. */
export function entryAddress(uri: string): EntryAddress {
  let resource;
  try {
    resource = parseResourceUri(uri);
  } catch (error) {
    throw new LightClientUriError(`not a TinyCloud URI: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (resource.service !== "kv" || resource.path === undefined) throw new LightClientUriError(`the URI must name a KV entry (<space>/kv/<key>): ${uri}`);
  const spaceId = formatSpaceId({ ...resource.space, form: "space" });
  const isPublic = isPublicSpaceId(spaceId);
  return { spaceId, spaceName: resource.space.name, path: resource.path, isPublic, key: isPublic ? stateKey(spaceId, "kv", resource.path) : undefined };
}

// ---------------------------------------------------------------------------------------------------

/** "vkey": the pinned key of the batch's circuit is a live Groth16 route of the anchor's router, to a contract whose code hash is the pinned one. */
export function checkVkey(e: Evidence): StepResult {
  if (!e.vkey.ok) return fail("vkey", "VKEY_UNAVAILABLE", e.vkey.error);
  const { circuit, pinned, route, verifierCode } = e.vkey.value;
  if (pinned === undefined) return fail("vkey", "VKEY_MISSING", `no pinned verification key for circuit ${circuit} (the batch's circuit); pin one with --vkeys`, { circuit });
  const problem = vkeyProblem(pinned.vkey);
  if (problem !== undefined) return fail("vkey", "VKEY_MALFORMED", `the pinned key for ${circuit} (${pinned.source}) is unusable: ${problem}`, { circuit, source: pinned.source });
  const verifierId = verifierIdOf(pinned.vkey);
  const data = { circuit, source: pinned.source, verifierId };
  if (route === undefined || !route.ok) return fail("vkey", "VKEY_UNAVAILABLE", `could not read the router: ${route?.error ?? "not asked"}`, data);
  const r = route.value;
  if (ZERO_ADDRESS.test(r.verifier)) {
    return fail("vkey", "VKEY_MISMATCH", `the pinned key for ${circuit} (${pinned.source}, id ${short(verifierId)}) is not one the contract accepts: the router has no verifier under its id`, data);
  }
  if (r.removed) return fail("vkey", "VKEY_REVOKED", `the router removed the verifier of the pinned key for ${circuit} (id ${short(verifierId)})`, { ...data, verifier: r.verifier });
  if (r.kind !== KIND_GROTH16_SNARKJS)
    return fail("vkey", "VKEY_MISMATCH", `the router's verifier for ${circuit} has kind ${r.kind}, not a snarkjs Groth16 verifier (${KIND_GROTH16_SNARKJS})`, { ...data, verifier: r.verifier });
  if (verifierCode === undefined || !verifierCode.ok)
    return fail("vkey", "VKEY_UNAVAILABLE", `could not read the verifier's code: ${verifierCode?.error ?? "not asked"}`, { ...data, verifier: r.verifier });
  const code = verifierCode.value;
  if (!/^0x[0-9a-fA-F]*$/.test(code) || code.length <= 2) return fail("vkey", "VKEY_MISMATCH", `no contract code at the routed verifier ${r.verifier}`, { ...data, verifier: r.verifier });
  if (pinned.codeHash === undefined) {
    return fail(
      "vkey",
      "VKEY_MISSING",
      `the pinned key for ${circuit} (${pinned.source}) comes without the code hash of its verifier contract: pin (vkey, codeHash) pairs (contracts/generated/verifiers.json)`,
      data,
    );
  }
  const codeHash = codeHashOf(code);
  if (codeHash !== pinned.codeHash.toLowerCase()) {
    return fail(
      "vkey",
      "VKEY_MISMATCH",
      `the router routes the pinned key's id for ${circuit} to ${r.verifier}, whose code (hash ${short(codeHash)}) is not the pinned verifier (${short(pinned.codeHash)})`,
      { ...data, verifier: r.verifier, codeHash },
    );
  }
  const warning = pinned.insecure !== undefined && pinned.insecure.length > 0 ? `; WARNING: the pinned key is INSECURE (${pinned.insecure.join("; ")})` : "";
  return pass(
    "vkey",
    "VKEY_OK",
    `pinned key for ${circuit} (${pinned.source}) is routed by the anchor's router (id ${short(verifierId)}) to verifier ${r.verifier}, whose code hash is the pinned one${warning}`,
    {
      ...data,
      verifier: r.verifier,
      codeHash,
      ...(warning !== "" ? { insecure: pinned.insecure } : {}),
    },
  );
}

/** "proof": the Groth16 proof verifies under the pinned key and its public signals bind this batch, chain, anchor and root. */
export async function checkProof(e: Evidence, vkey: StepResult, groth16: Groth16Verifier): Promise<StepResult> {
  if (!vkey.ok) return skipped("proof", "no verification key the contract vouches for");
  if (!e.anchored.ok) return fail("proof", "PROOF_UNAVAILABLE", `cannot bind the proof to the chain: ${e.anchored.error}`);
  if (!e.batchRecord.ok) return fail("proof", "PROOF_UNAVAILABLE", e.batchRecord.error);
  const parsed = parseBatchClaim(e.batchRecord.value);
  if (!parsed.ok) return fail("proof", "PROOF_MALFORMED", parsed.error);
  const record = parsed.value;
  const n = e.batch;
  if (record.number !== n) return fail("proof", "PROOF_WRONG_BATCH", `the node returned the record of batch ${record.number}, not batch ${n}`, { batch: n, recordBatch: record.number });
  if (record.proof === undefined || record.publicSignals === undefined) return fail("proof", "PROOF_MISSING", `batch ${n} has no proof (status ${record.status})`, { batch: n });
  const signals = record.publicSignals;
  if (signals.length !== 4) return fail("proof", "PROOF_MALFORMED", `expected 4 public signals [oldRoot, newRoot, header, commitment], got ${signals.length}`);
  const [oldRoot, newRoot, headerText, commitment] = signals as [string, string, string, string];
  const header = decodeHeader(BigInt(headerText));
  const { chainId, anchor } = e.anchored.value;
  const data = { batch: n, oldRoot, newRoot, commitment, header: { batch: header.batch.toString(), chainId: Number(header.chainId), anchor: header.anchor } };
  if (header.batch !== BigInt(n)) return fail("proof", "PROOF_WRONG_BATCH", `the proof is for batch ${header.batch}, not batch ${n}`, data);
  if (header.chainId !== BigInt(chainId) || header.anchor !== anchor.toLowerCase()) {
    return fail("proof", "PROOF_WRONG_DEPLOYMENT", `the proof binds chain ${header.chainId} / anchor ${header.anchor}, not chain ${chainId} / anchor ${anchor.toLowerCase()}`, data);
  }
  if (BigInt(newRoot) !== record.newRoot) return fail("proof", "PROOF_ROOT_MISMATCH", `the proof's newRoot ${short(newRoot)} is not the batch's root ${short(record.newRoot)}`, data);
  const pinned = e.vkey.ok ? e.vkey.value.pinned : undefined;
  if (pinned === undefined) return skipped("proof", "no verification key the contract vouches for");
  // A proof of "R → R" (all no-op steps) is true for any R: the proof only means something when its
  // old root is the root the contract held before batch n, and when batch n was anchored with it.
  if (!e.history.ok) return fail("proof", "PROOF_UNAVAILABLE", `cannot read the anchor's history: ${e.history.error}`, data);
  const h = e.history.value;
  if (BigInt(oldRoot) !== h.previousRoot) {
    return fail("proof", "PROOF_OLD_ROOT_MISMATCH", `the proof starts from root ${short(oldRoot)}, but the contract held ${short(h.previousRoot)} before batch ${n} (roots(${n - 1}))`, {
      ...data,
      previousRoot: h.previousRoot.toString(),
    });
  }
  const event = h.batches.find((b) => b.batch === n);
  if (event === undefined) return fail("proof", "PROOF_UNAVAILABLE", `no BatchAnchored event for batch ${n}`, data);
  if (BigInt(commitment) !== event.commitment) {
    return fail("proof", "PROOF_COMMITMENT_MISMATCH", `the proof commits to ${short(commitment)}, batch ${n} was anchored with commitment ${short(event.commitment)}`, {
      ...data,
      anchoredCommitment: event.commitment.toString(),
    });
  }
  const pinnedId = verifierIdOf(pinned.vkey);
  if (event.verifierId.toLowerCase() !== pinnedId) {
    return fail("proof", "PROOF_WRONG_VERIFIER", `batch ${n} was anchored under verifier id ${short(event.verifierId)}, not the pinned key of ${pinned.circuit} (${short(pinnedId)})`, {
      ...data,
      anchoredVerifierId: event.verifierId,
    });
  }
  const verified = await groth16.verify(pinned.vkey, signals, record.proof);
  if (!verified) return fail("proof", "PROOF_INVALID", `the Groth16 proof of batch ${n} does not verify under the pinned key (${groth16.name})`, data);
  return pass("proof", "PROOF_OK", `Groth16 proof verifies (${groth16.name}) and binds batch ${n}, chain ${chainId}, anchor ${anchor.toLowerCase()}, root ${short(newRoot)}`, {
    ...data,
    verifier: groth16.name,
  });
}

function claimedRoot(e: Evidence): { root: bigint; from: string; record?: BatchClaim } | { error: string; code: StepCode } {
  if (e.batchRecord.ok) {
    const parsed = parseBatchClaim(e.batchRecord.value);
    if (parsed.ok) return { root: parsed.value.newRoot, from: `batch ${parsed.value.number}'s record`, record: parsed.value };
  }
  if (e.stateProof.ok) {
    const parsed = parseProofClaim(e.stateProof.value);
    if (parsed.ok) return { root: parsed.value.root, from: "the state proof response" };
    return { code: "ROOT_MALFORMED", error: `the node states no usable root: ${parsed.error}` };
  }
  return { code: "ROOT_UNAVAILABLE", error: `the node states no root: ${e.batchRecord.ok ? "" : e.batchRecord.error}` };
}

/** "root": the root the node claims for the batch is the one the contract stores (anchor.roots(n), n <= latestBatch). */
export function checkRoot(e: Evidence, pins: PinnedVkeys, depth: number): StepResult {
  if (!e.anchored.ok) return fail("root", "ROOT_UNAVAILABLE", `cannot read the anchor: ${e.anchored.error}`);
  const a = e.anchored.value;
  const n = e.batch;
  if (n > a.latestBatch) return fail("root", "ROOT_NOT_ANCHORED", `batch ${n} is not anchored: the contract's latest batch is ${a.latestBatch}`, { batch: n, latestBatch: a.latestBatch });
  const claim = claimedRoot(e);
  if ("error" in claim) return fail("root", claim.code, claim.error);
  const data: Record<string, unknown> = { batch: n, latestBatch: a.latestBatch, anchoredRoot: a.root.toString(), claimedRoot: claim.root.toString() };
  if (claim.record?.anchorTx !== undefined) data["anchorTx"] = claim.record.anchorTx;
  // n <= latestBatch: the contract stored roots(n) when it anchored batch n. Any value is a real root,
  // the empty tree's included (a batch of no-ops on an empty tree is anchored like any other).
  if (claim.root !== a.root) {
    return fail("root", "ROOT_NOT_ANCHORED", `the node's root ${short(claim.root)} for batch ${n} (from ${claim.from}) was never anchored: the contract stores ${short(a.root)}`, data);
  }
  if (!e.history.ok) return fail("root", "ROOT_UNAVAILABLE", `cannot read the anchor's history: ${e.history.error}`, data);
  const history = checkHistory(e.history.value, n, a.root, pins, depth);
  if (history !== undefined) return fail("root", history.code, history.reason, { ...data, ...history.data });
  return pass(
    "root",
    "ROOT_ANCHORED",
    `root ${short(a.root)} is anchor.roots(${n}) (latest anchored batch ${a.latestBatch}); genesis is the empty tree of depth ${depth} and all ${n} batch(es) were proven under pinned verifiers`,
    data,
  );
}

/**
 * The root rests on every batch before it: genesis must be the empty tree (no trusted start), and each
 * batch 1..n must have been anchored under a verifier id the client pins, routed to the pinned code.
 */
export function checkHistory(h: HistoryEvidence, n: number, root: bigint, pins: PinnedVkeys, depth: number): { code: StepCode; reason: string; data?: Record<string, unknown> } | undefined {
  const empty = emptyStateRoot(depth);
  if (h.genesis.treeDepth !== depth || h.genesis.genesisRoot !== empty) {
    return {
      code: "ROOT_BAD_GENESIS",
      reason: `the anchor's genesis (depth ${h.genesis.treeDepth}, root ${short(h.genesis.genesisRoot)}) is not the empty tree of depth ${depth} (${short(empty)})`,
      data: { genesisRoot: h.genesis.genesisRoot.toString(), treeDepth: h.genesis.treeDepth },
    };
  }
  if (h.batches.length !== n || h.batches.some((b, i) => b.batch !== i + 1)) {
    return { code: "ROOT_HISTORY_MISMATCH", reason: `the anchor's BatchAnchored events do not list batches 1..${n} in order (got ${h.batches.length} event(s))` };
  }
  const last = h.batches[n - 1];
  if (last !== undefined && last.newRoot !== root)
    return { code: "ROOT_HISTORY_MISMATCH", reason: `batch ${n}'s BatchAnchored event names root ${short(last.newRoot)}, the contract stores ${short(root)}` };
  const pinned = new Map<string, { circuit: string; codeHash: string | undefined }>();
  for (const p of Object.values(pins)) {
    if (vkeyProblem(p.vkey) === undefined) pinned.set(verifierIdOf(p.vkey), { circuit: p.circuit, codeHash: p.codeHash?.toLowerCase() });
  }
  for (const b of h.batches) {
    const id = b.verifierId.toLowerCase();
    const pin = pinned.get(id);
    if (pin === undefined)
      return {
        code: "ROOT_UNPINNED_VERIFIER",
        reason: `batch ${b.batch} was anchored under verifier id ${short(id)}, which is not one of the ${pinned.size} pinned key(s)`,
        data: { unpinnedBatch: b.batch, verifierId: id },
      };
    const routed = h.verifiers[id];
    if (routed === undefined || !routed.ok) return { code: "ROOT_UNAVAILABLE", reason: `cannot read the route of verifier id ${short(id)}: ${routed?.ok === false ? routed.error : "not asked"}` };
    if (pin.codeHash === undefined || routed.value.codeHash.toLowerCase() !== pin.codeHash) {
      return {
        code: "ROOT_UNPINNED_VERIFIER",
        reason: `batch ${b.batch} was anchored by the contract at ${routed.value.route.verifier}, whose code is not the pinned verifier of ${pin.circuit}`,
        data: { unpinnedBatch: b.batch, verifierId: id, verifier: routed.value.route.verifier },
      };
    }
  }
  return undefined;
}

/** What the path step hands the value step. */
export interface PathOutcome {
  readonly step: StepResult;
  readonly proof?: StateProof;
  readonly entry?: unknown;
  /** The entry is a private space's: its leaf is leafValue(…, salt) with the entry's own salt. */
  readonly salted?: boolean;
}

/**
 * A private space's salt, checked against the SAME anchored root as the entry: the salt leaf at
 * spaceSaltKey(spaceId) must hold spaceSaltLeafValue(spaceSalt). The tree holds one leaf per key, so at
 * this root the space has exactly one salt, and a node cannot make the reader look up the path under
 * another one (a "second salt" has no leaf to prove it). A valid non-inclusion proof of the salt key says
 * the space has no salt yet at this root: it has never been written to, so every path is absent.
 */
function checkSpaceSalt(claim: ProofClaim, address: EntryAddress, anchoredRoot: bigint, depth: number): { salt: bigint } | { absent: StateProof } | { failure: StepResult } {
  const unproven = (why: string) => ({
    failure: fail("path", "PATH_SALT_UNPROVEN", `${address.spaceId} is a private space and ${why}`, {
      spaceId: address.spaceId,
      path: address.path,
      saltKey: spaceSaltKey(address.spaceId).toString(),
    }),
  });
  if (claim.saltProof === undefined) {
    return unproven("the node sent no space salt with a proof of it: only a reader the node authorizes gets them (sign the request with a read capability, e.g. --auth-key and --proof)");
  }
  let saltProof: StateProof;
  try {
    saltProof = stateProofFromJson(claim.saltProof);
  } catch (error) {
    return unproven(`its salt proof does not parse: ${error instanceof Error ? error.message : String(error)}`);
  }
  const saltKey = spaceSaltKey(address.spaceId);
  if (saltProof.key !== saltKey) return unproven(`the salt proof is for key ${short(saltProof.key)}, not the space's salt key ${short(saltKey)}`);
  const check = checkStateProof(saltProof, anchoredRoot, depth);
  if (!check.ok) {
    return unproven(
      check.reason === "ROOT_MISMATCH"
        ? `the salt proof does not recompute to the anchored root ${short(anchoredRoot)}: it is not the salt this root commits`
        : `the salt proof is invalid (${check.reason}: ${check.message})`,
    );
  }
  if (saltProof.kind !== "inclusion") {
    if (claim.spaceSalt !== undefined) return unproven("the node sends a space salt but proves that the root commits none");
    return { absent: saltProof };
  }
  if (claim.spaceSalt === undefined) return unproven("the node proves its salt leaf but does not send the salt");
  if (saltProof.value !== spaceSaltLeafValue(claim.spaceSalt))
    return unproven(`the space salt the node sent is not the one the anchored root commits (its salt leaf holds ${short(saltProof.value as bigint)})`);
  return { salt: claim.spaceSalt };
}

/** "path": the state proof, for the key derived locally from the URI (and, in a private space, its proven salt), recomputes to the anchored root. */
export function checkPath(e: Evidence, root: StepResult, depth: number): PathOutcome {
  if (!root.ok || !e.anchored.ok) return { step: skipped("path", "no anchored root to check against") };
  let address: EntryAddress;
  try {
    address = entryAddress(e.uri);
  } catch (error) {
    return { step: fail("path", "PATH_WRONG_KEY", (error as Error).message) };
  }
  if (!e.stateProof.ok) return { step: fail("path", "PATH_UNAVAILABLE", e.stateProof.error) };
  const parsed = parseProofClaim(e.stateProof.value);
  if (!parsed.ok) return { step: fail("path", "PATH_MALFORMED", parsed.error) };
  const claim = parsed.value;
  const anchoredRoot = e.anchored.value.root;
  // The formulas follow from the URI alone: a public space's key and leaf are unsalted whatever the node
  // sends (any salts in its answer are ignored), a private space's are salted. A node cannot switch them.
  let key: bigint;
  if (address.key !== undefined) key = address.key;
  else {
    const salt = checkSpaceSalt(claim, address, anchoredRoot, depth);
    if ("failure" in salt) return { step: salt.failure };
    if ("absent" in salt) {
      if (claim.root !== anchoredRoot) {
        return { step: fail("path", "PATH_ROOT_MISMATCH", `the node labels the proof with root ${short(claim.root)}, not the anchored root ${short(anchoredRoot)}`) };
      }
      const data = { spaceId: address.spaceId, path: address.path, saltKey: salt.absent.key.toString(), kind: "absence", depth };
      return {
        step: pass("path", "PATH_OK", `${address.spaceId} is a private space with no salt committed at the anchored root (proven absent): it holds no entry, ${address.path} included`, data),
        proof: salt.absent,
        salted: true,
      };
    }
    key = stateKey(address.spaceId, "kv", address.path, salt.salt);
  }
  const keyText = address.isPublic ? `stateKey(${address.spaceId}, kv, ${address.path})` : `stateKey(${address.spaceId}, kv, ${address.path}, spaceSalt)`;
  const data = { key: key.toString(), spaceId: address.spaceId, path: address.path, private: !address.isPublic, kind: claim.proof.kind, levels: claim.proof.siblings.length, depth };
  if (claim.proof.key !== key) {
    return { step: fail("path", "PATH_WRONG_KEY", `the state proof is for key ${short(claim.proof.key)}, not ${short(key)} = ${keyText}`, data) };
  }
  const check = checkStateProof(claim.proof, anchoredRoot, depth);
  if (!check.ok) {
    if (check.reason === "ROOT_MISMATCH") {
      const named = claim.root !== anchoredRoot ? ` (the node states it is against root ${short(claim.root)})` : "";
      return { step: fail("path", "PATH_ROOT_MISMATCH", `the state proof does not recompute to the anchored root ${short(anchoredRoot)}${named}`, data) };
    }
    return { step: fail("path", "PATH_MALFORMED", `${check.reason}: ${check.message}`, data) };
  }
  if (claim.root !== anchoredRoot) {
    // The path is valid against the anchored root; the node merely mislabelled it. Still a lie: fail.
    return { step: fail("path", "PATH_ROOT_MISMATCH", `the node labels the proof with root ${short(claim.root)}, not the anchored root ${short(anchoredRoot)}`, data) };
  }
  const what = check.kind === "inclusion" ? `inclusion proof (position ${check.index})` : `non-inclusion proof (the key falls between neighbours at position ${check.index})`;
  const salted = address.isPublic ? "" : ", under the space salt the same root commits";
  return {
    step: pass("path", "PATH_OK", `${what} of ${address.path} is valid against the anchored root (${depth} levels)${salted}`, data),
    proof: claim.proof,
    entry: claim.entry,
    salted: !address.isPublic,
  };
}

/** "value": blake3(bytes) is the entry's content hash and leafValue(entry) is the proven leaf (or: the key is absent). */
export function checkValue(e: Evidence, path: PathOutcome, expectBytes: boolean): { step: StepResult; entry?: VerifiedEntry } {
  if (!path.step.ok || path.proof === undefined) return { step: skipped("value", "no valid path to the leaf") };
  const proof = path.proof;
  const supplied = e.value?.ok === true;
  if (proof.kind !== "inclusion") {
    const entry: VerifiedEntry = { kind: "absent" };
    if (expectBytes && supplied) return { step: fail("value", "VALUE_ABSENT", `the key holds no value at batch ${e.batch}, so the supplied bytes are not its value`), entry };
    return { step: pass("value", "VALUE_ABSENT", `the key holds no value at batch ${e.batch} (proven absent)`), entry };
  }
  const parsed = parseEntryClaim(path.entry);
  if (!parsed.ok) return { step: fail("value", "VALUE_MALFORMED", parsed.error) };
  const claim = parsed.value;
  // A private leaf is the hiding H4(contentHash, version, deleted, salt): without its salt nothing can be checked.
  if (path.salted === true && claim.salt === undefined) return { step: fail("value", "VALUE_MALFORMED", "the entry of a private space comes without its leaf salt") };
  let leaf: bigint;
  try {
    leaf = path.salted === true ? leafValue(claim.contentHash, claim.version, claim.deleted, claim.salt) : leafValue(claim.contentHash, claim.version, claim.deleted);
  } catch (error) {
    return { step: fail("value", "VALUE_MALFORMED", `the entry is not a valid leaf: ${error instanceof Error ? error.message : String(error)}`) };
  }
  const data: Record<string, unknown> = { version: claim.version, deleted: claim.deleted, contentHash: claim.contentHash.toString(), leaf: (proof.value as bigint).toString() };
  if (leaf !== proof.value) {
    const formula =
      path.salted === true ? `leafValue(contentHash, version ${claim.version}, deleted ${claim.deleted}, salt)` : `leafValue(contentHash, version ${claim.version}, deleted ${claim.deleted})`;
    return { step: fail("value", "VALUE_LEAF_MISMATCH", `${formula} of the node's entry is not the proven leaf value`, data) };
  }
  if (claim.deleted) {
    const entry: VerifiedEntry = { kind: "deleted", version: claim.version };
    if (expectBytes && supplied) return { step: fail("value", "VALUE_DELETED", `the key was deleted (version ${claim.version}), so the supplied bytes are not its value`, data), entry };
    return { step: pass("value", "VALUE_DELETED", `the key was deleted in version ${claim.version} (proven tombstone)`, data), entry };
  }
  if (e.value === undefined) return { step: fail("value", "VALUE_UNAVAILABLE", `no value bytes for version ${claim.version}`, data) };
  if (!e.value.ok) return { step: fail("value", "VALUE_UNAVAILABLE", e.value.error, data) };
  const bytes = e.value.value;
  const digest = blake3(bytes);
  const got = contentHashField(bytes);
  const more = { ...data, size: bytes.length, blake3: bytesToHex(digest) };
  if (got !== claim.contentHash) {
    return { step: fail("value", "VALUE_HASH_MISMATCH", `blake3 of the ${bytes.length} value bytes (${bytesToHex(digest).slice(0, 16)}…) is not the leaf's content hash`, more) };
  }
  return {
    step: pass("value", "VALUE_OK", `blake3 of the ${bytes.length} value bytes matches the leaf (version ${claim.version})`, more),
    entry: { kind: "value", version: claim.version, contentHash: claim.contentHash.toString(), size: bytes.length },
  };
}

export interface VerifyEvidenceOptions {
  /** State tree depth when no pinned key names one (default 16). */
  readonly depth?: number;
  /** The caller supplied the bytes (e.g. --value-file): an absent or deleted key then fails "value". */
  readonly expectBytes?: boolean;
  /** Every pinned key: each batch the root rests on must have been anchored under one of them. */
  readonly pins?: PinnedVkeys;
}

export interface EvidenceVerdict {
  readonly ok: boolean;
  readonly failedStep: StepName | undefined;
  readonly steps: readonly StepResult[];
  readonly entry: VerifiedEntry | undefined;
}

/** Run the five steps over collected evidence. Never throws for any evidence (only for a throwing groth16 implementation). */
export async function verifyEvidence(e: Evidence, groth16: Groth16Verifier, options: VerifyEvidenceOptions = {}): Promise<EvidenceVerdict> {
  const vkey = checkVkey(e);
  const proof = await checkProof(e, vkey, groth16);
  // Without a pinned key the depth still follows from the batch's circuit name: the verdict fails at
  // "vkey" anyway, and the path is checked against the anchored root, so the name only sets a bound.
  const named = e.vkey.ok ? e.vkey.value : undefined;
  const wanted = named?.pinned?.depth ?? options.depth ?? (named ? circuitDepth(named.circuit) : STATE_TREE_DEPTH);
  const depth = Number.isSafeInteger(wanted) && wanted >= 1 && wanted <= MAX_STATE_TREE_DEPTH ? wanted : STATE_TREE_DEPTH;
  // A key taken from the node (nodeVkeys) counts as pinned once the vkey step accepted it.
  const pins = vkey.ok && named?.pinned !== undefined ? { ...options.pins, [named.pinned.circuit]: named.pinned } : (options.pins ?? {});
  const root = checkRoot(e, pins, depth);
  const path = checkPath(e, root, depth);
  const value = checkValue(e, path, options.expectBytes === true);
  const steps = [vkey, proof, root, path.step, value.step];
  const failed = steps.find((s) => s.status === "failed");
  return { ok: steps.every((s) => s.ok), failedStep: failed?.step, steps, entry: value.entry };
}
