/**
 * Durability: an acknowledged write survives `kill -9` of the node.
 *
 * The node runs as a child process on a temp data directory. A signed-in session drives concurrent KV
 * puts (seven writers on distinct keys, one sequential writer overwriting a few "hot" keys); while
 * writes are still in flight the node gets SIGKILL. It is restarted on the same data directory and the
 * same session (its delegations are part of the node's state) must read back every write whose 200
 * arrived before the kill: same bytes, same version, same ETag, and its epoch still in the space's
 * epoch chain. Writes that were in flight may or may not have landed, but only whole. This is done
 * twice (kill, restart, check, more writes, kill, restart, check all) to catch recovery bugs.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { privateKeyToAccount } from "viem/accounts";
import { makeCapability } from "../../core/capability.js";
import { NodeHttp, signIn, TinyCloudHttpError, TinyCloudSession, type WalletSigner } from "../../node/client/client.js";
import { type ChildNode, killAllChildNodes, spawnChildNode } from "../helpers/child-node.js";

/** Writers in flight at once: FRESH_WRITERS on distinct keys plus one sequential overwriter. */
const FRESH_WRITERS = 7;
const HOT_KEYS = 4;
/** A round ends (SIGKILL) after this many acknowledged writes, or after ROUND_MS, whichever is first. */
const ACKS_PER_ROUND = 400;
const ROUND_MS = 1500;

interface Ack {
  readonly value: Uint8Array;
  readonly version: number;
  readonly etag: string;
}

interface HotKey {
  acked: Ack | undefined;
  /** Values sent since the last acknowledged one (in order): each may or may not have landed. */
  unackedSince: Uint8Array[];
}

/** What the client knows: acknowledged writes, and writes that were sent but never acknowledged. */
class Model {
  readonly fresh = new Map<string, Ack>();
  readonly freshUnacked = new Map<string, Uint8Array>();
  readonly hot = new Map<string, HotKey>();
  acked = 0;
  attempted = 0;
}

interface RoundStats {
  readonly acked: number;
  readonly attempted: number;
  readonly inFlightAtKill: number;
  readonly ms: number;
}

function wallet(privateKey: `0x${string}`): WalletSigner {
  const account = privateKeyToAccount(privateKey);
  return { address: account.address, chainId: 1, signMessage: (message) => account.signMessage({ message }) };
}

function randomValue(tag: string): Uint8Array {
  const size = 1 + Math.floor(Math.random() * 4096);
  const bytes = crypto.getRandomValues(new Uint8Array(size));
  // A readable, unique prefix, so a mixed-up value is recognisable in a failure message.
  const head = new TextEncoder().encode(`${tag}|`);
  bytes.set(head.subarray(0, size));
  return bytes;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function preview(bytes: Uint8Array): string {
  return JSON.stringify(new TextDecoder().decode(bytes.subarray(0, 40)).split("|")[0]);
}

async function pool<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

/** A session object for the same key and proofs, talking to another node URL. */
function reattach(session: TinyCloudSession, url: string): TinyCloudSession {
  return new TinyCloudSession(new NodeHttp(url, fetch), session.spaceId, session.key, session.proofs);
}

/** Run writers against `node` until ACKS_PER_ROUND acks or ROUND_MS, then SIGKILL it mid-flight. */
async function loadRound(session: TinyCloudSession, node: ChildNode, round: number, model: Model): Promise<RoundStats> {
  let killed = false;
  let inFlight = 0;
  let inFlightAtKill = 0;
  let roundAcks = 0;
  let roundAttempts = 0;
  let fatal: Error | undefined;
  const started = performance.now();

  const kill = () => {
    if (killed) return;
    killed = true; // set first: a response handled from here on is not an acknowledgement
    inFlightAtKill = inFlight;
    process.kill(node.pid, "SIGKILL");
  };
  const timer = setTimeout(kill, ROUND_MS);
  const acknowledged = () => {
    roundAcks++;
    model.acked++;
    if (roundAcks >= ACKS_PER_ROUND) kill();
  };
  const failed = (what: string, error: unknown) => {
    // After the kill, connection errors are expected. An HTTP error answer, or any error before the kill, is not.
    if (killed && !(error instanceof TinyCloudHttpError)) return;
    fatal ??= new Error(`${what} failed ${killed ? "(HTTP answer around the kill)" : "before the kill"}: ${String(error)}`);
    kill();
  };

  /** One put, counted as attempted and in flight: its ack, or undefined when it failed. */
  const attemptPut = async (key: string, value: Uint8Array): Promise<{ etag: string; version: number } | undefined> => {
    model.attempted++;
    roundAttempts++;
    inFlight++;
    let ack: { etag: string; version: number };
    try {
      ack = await session.kv.put(key, value);
    } catch (error) {
      inFlight--;
      failed(`put ${key}`, error);
      return undefined;
    }
    inFlight--;
    return ack;
  };

  const freshWriter = async (w: number) => {
    for (let i = 0; !killed; i++) {
      const key = `r${round}/w${w}/${i}`;
      const value = randomValue(key);
      model.freshUnacked.set(key, value);
      const ack = await attemptPut(key, value);
      if (ack === undefined || killed) continue; // failed, or answered after the kill: not acknowledged
      if (ack.version !== 1) fatal ??= new Error(`first put of ${key} acknowledged as version ${ack.version}`);
      model.freshUnacked.delete(key);
      model.fresh.set(key, { value, ...ack });
      acknowledged();
    }
  };

  const hotWriter = async () => {
    for (let n = 0; !killed; n++) {
      const key = `hot/${n % HOT_KEYS}`;
      const state = model.hot.get(key) ?? { acked: undefined, unackedSince: [] };
      model.hot.set(key, state);
      const value = randomValue(`${key}@r${round}n${n}`);
      state.unackedSince.push(value);
      const ack = await attemptPut(key, value);
      if (ack === undefined || killed) continue;
      const floor = state.acked?.version ?? 0;
      if (ack.version <= floor) fatal ??= new Error(`overwrite of ${key} acknowledged as version ${ack.version}, not above the previous ack ${floor}`);
      state.acked = { value, ...ack };
      state.unackedSince = [];
      acknowledged();
    }
  };

  await Promise.allSettled([hotWriter(), ...Array.from({ length: FRESH_WRITERS }, (_, w) => freshWriter(w))]);
  clearTimeout(timer);
  await node.exited();
  if (fatal !== undefined) throw new Error(`${fatal.message}\n--- node stderr ---\n${node.stderr() || "(empty)"}`);
  return { acked: roundAcks, attempted: roundAttempts, inFlightAtKill, ms: Math.round(performance.now() - started) };
}

interface EpochPage {
  space: string;
  heads: string[];
  seq: number;
  epochs: { seq: number; cid: string }[];
}

interface Chain {
  readonly seq: number;
  readonly heads: string[];
  readonly epochs: { seq: number; cid: string }[];
  /** Invocation/delegation CIDs (the first element of each event entry) by epoch CID. */
  readonly events: Map<string, string[]>;
  readonly eventCount: number;
}

/**
 * A space's whole epoch list (paged by seq), and the events of every epoch (`GET /epochs/:cid?format=json`),
 * read as the space's owner: a private space's history is served only with a read capability on it.
 */
async function fetchChain(url: string, session: TinyCloudSession): Promise<Chain> {
  const spaceId = session.spaceId;
  const headers = { authorization: session.invocation([makeCapability(session.resource("kv"), "tinycloud.kv/get")], 300) };
  const epochs: { seq: number; cid: string }[] = [];
  let after = 0;
  let last: EpochPage | undefined;
  for (;;) {
    const response = await fetch(`${url}/spaces/${encodeURIComponent(spaceId)}/epochs?limit=1000${after > 0 ? `&after=${after}` : ""}`, { headers });
    assert.equal(response.status, 200, `GET epochs: ${response.status} ${await response.clone().text()}`);
    const page = (await response.json()) as EpochPage;
    last = page;
    epochs.push(...page.epochs);
    if (page.epochs.length < 1000) break;
    after = (page.epochs[page.epochs.length - 1] as { seq: number }).seq;
  }
  const events = new Map<string, string[]>();
  await pool(epochs, 16, async ({ cid }) => {
    const response = await fetch(`${url}/epochs/${cid}?format=json`, { headers });
    assert.equal(response.status, 200, `GET /epochs/${cid}: ${response.status} ${await response.clone().text()}`);
    const epoch = (await response.json()) as { events: [string, ...unknown[]][] };
    events.set(
      cid,
      epoch.events.map((e) => e[0]),
    );
  });
  let eventCount = 0;
  for (const list of events.values()) eventCount += list.length;
  return { seq: last.seq, heads: last.heads, epochs, events, eventCount };
}

/** Check everything the model knows against the (restarted) node; returns a list of problems. */
async function verify(session: TinyCloudSession, url: string, model: Model, baseEvents: number): Promise<{ problems: string[]; epochCount: number; eventCount: number; checkedKeys: number }> {
  const problems: string[] = [];
  const chain = await fetchChain(url, session);
  const epochAt = new Map(chain.epochs.map((e) => [e.seq, e.cid]));

  // The epoch chain: strictly increasing seq, ending at the space's seq and head; one event per landed
  // write (the node may group several writes into one epoch, so count events, not epochs).
  for (let i = 1; i < chain.epochs.length; i++) {
    const [prev, cur] = [chain.epochs[i - 1], chain.epochs[i]] as [{ seq: number }, { seq: number }];
    if (!(cur.seq > prev.seq)) problems.push(`epoch list not strictly increasing at index ${i}: ${prev.seq} then ${cur.seq}`);
  }
  const lastEpoch = chain.epochs[chain.epochs.length - 1];
  if (lastEpoch === undefined) problems.push("epoch list is empty");
  else {
    if (lastEpoch.seq !== chain.seq) problems.push(`space seq ${chain.seq} but the last listed epoch has seq ${lastEpoch.seq}`);
    if (chain.heads.length !== 1 || chain.heads[0] !== lastEpoch.cid) problems.push(`space heads ${JSON.stringify(chain.heads)} are not [last epoch ${lastEpoch.cid}]`);
  }
  if (chain.eventCount < baseEvents + model.acked)
    problems.push(`${chain.eventCount} events in ${chain.epochs.length} epochs, fewer than ${baseEvents} (sign-in) + ${model.acked} acknowledged writes`);
  if (chain.eventCount > baseEvents + model.attempted)
    problems.push(`${chain.eventCount} events in ${chain.epochs.length} epochs, more than ${baseEvents} (sign-in) + ${model.attempted} writes ever sent`);

  /** The acknowledged version must be in the key's history (`readOld`: read it back too), with its epoch in the chain. */
  const checkHistory = async (key: string, ack: Ack, readOld: boolean) => {
    if (readOld) {
      const old = await session.kv.get(key, { version: ack.version });
      if (old === undefined) problems.push(`${key}: acknowledged version ${ack.version} is missing from its history`);
      else if (!sameBytes(old.bytes, ack.value)) problems.push(`${key}: version ${ack.version} holds ${preview(old.bytes)}, acknowledged ${preview(ack.value)}`);
    }
    const { versions } = await session.kv.versions(key, ack.version > 1 ? { after: ack.version - 1, limit: 1 } : { limit: 1 });
    const info = versions[0];
    if (info === undefined || info.version !== ack.version) problems.push(`${key}: versions listing lacks version ${ack.version}`);
    else if (epochAt.get(info.seq) !== info.epoch)
      problems.push(
        `${key}: version ${ack.version} was written in epoch ${info.epoch} (seq ${info.seq}), which is not in the space's epoch chain (has ${epochAt.get(info.seq) ?? "nothing"} at that seq)`,
      );
    else if (!(chain.events.get(info.epoch) ?? []).includes(info.invocation))
      problems.push(`${key}: version ${ack.version}'s invocation ${info.invocation} is not among the events of its epoch ${info.epoch}`);
  };

  const fresh = [...model.fresh];
  await pool(fresh, 32, async ([key, ack]) => {
    const got = await session.kv.get(key);
    if (got === undefined) return void problems.push(`${key}: acknowledged (version ${ack.version}) but missing after restart`);
    if (got.version !== ack.version) problems.push(`${key}: version ${got.version}, acknowledged ${ack.version}`);
    if (!sameBytes(got.bytes, ack.value)) problems.push(`${key}: value ${preview(got.bytes)} (${got.bytes.length} B), acknowledged ${preview(ack.value)} (${ack.value.length} B)`);
    if (got.etag !== ack.etag) problems.push(`${key}: etag ${got.etag}, acknowledged ${ack.etag}`);
    await checkHistory(key, ack, got.version !== ack.version);
  });

  // Writes in flight at a kill: absent, or present whole (first version, the bytes that were sent).
  await pool([...model.freshUnacked], 32, async ([key, value]) => {
    const got = await session.kv.get(key);
    if (got === undefined) return;
    if (got.version !== 1 || !sameBytes(got.bytes, value))
      problems.push(`${key}: unacknowledged write landed as version ${got.version} ${preview(got.bytes)} (${got.bytes.length} B), sent ${preview(value)} (${value.length} B)`);
  });

  // Overwritten keys: the last acknowledged value wins, unless a later (unacknowledged) write landed on top.
  for (const [key, state] of model.hot) {
    const got = await session.kv.get(key);
    const ackedVersion = state.acked?.version ?? 0;
    if (got === undefined) {
      if (state.acked !== undefined) problems.push(`${key}: acknowledged version ${ackedVersion} but missing after restart`);
      continue;
    }
    if (got.version === ackedVersion && state.acked !== undefined) {
      if (!sameBytes(got.bytes, state.acked.value)) problems.push(`${key}: version ${got.version} holds ${preview(got.bytes)}, acknowledged ${preview(state.acked.value)}`);
      if (got.etag !== state.acked.etag) problems.push(`${key}: etag ${got.etag}, acknowledged ${state.acked.etag}`);
    } else if (got.version > ackedVersion && got.version <= ackedVersion + state.unackedSince.length) {
      if (!state.unackedSince.some((v) => sameBytes(v, got.bytes)))
        problems.push(`${key}: version ${got.version} holds ${preview(got.bytes)}, not a value the writer sent after its last ack (v${ackedVersion})`);
    } else {
      problems.push(`${key}: version ${got.version}; acknowledged ${ackedVersion} with ${state.unackedSince.length} unacknowledged write(s) after it`);
    }
    if (state.acked !== undefined) await checkHistory(key, state.acked, true);
  }

  return { problems, epochCount: chain.epochs.length, eventCount: chain.eventCount, checkedKeys: model.fresh.size + model.hot.size };
}

describe("durability", () => {
  let dataDir: string | undefined;

  after(async () => {
    await killAllChildNodes();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  test("an acknowledged write survives kill -9 of the node (twice)", { timeout: 60_000 }, async (t) => {
    const started = performance.now();
    dataDir = await mkdtemp(join(tmpdir(), "tinycloud-durability-"));
    const model = new Model();

    let node = await spawnChildNode(dataDir);
    const first = await signIn({ url: node.url, wallet: wallet(`0x${"d7".repeat(32)}`) });
    const baseEvents = (await fetchChain(node.url, first)).eventCount;
    assert.ok(baseEvents >= 1, "signing in hosted the space (genesis epoch)");
    let session = first;

    for (let round = 1; round <= 2; round++) {
      const stats = await loadRound(session, node, round, model);
      t.diagnostic(`round ${round}: ${stats.acked} acked of ${stats.attempted} sent in ${stats.ms} ms, SIGKILL with ${stats.inFlightAtKill} in flight`);
      assert.ok(stats.acked > 0, `round ${round}: no write was acknowledged before the kill`);
      assert.ok(stats.inFlightAtKill > 0, `round ${round}: the kill should land while writes are in flight`);

      const restartAt = performance.now();
      node = await spawnChildNode(dataDir);
      const restartMs = Math.round(performance.now() - restartAt);
      session = reattach(first, node.url);

      const checkAt = performance.now();
      const { problems, epochCount, eventCount, checkedKeys } = await verify(session, node.url, model, baseEvents);
      t.diagnostic(
        `after restart ${round} (${restartMs} ms to listen): checked ${checkedKeys} keys (${model.acked} acked writes total, ${model.freshUnacked.size} unacknowledged fresh keys) and ${epochCount} epochs holding ${eventCount} events in ${Math.round(performance.now() - checkAt)} ms`,
      );
      assert.deepEqual(problems.slice(0, 20), [], `${problems.length} problem(s) after restart ${round}`);
    }
    t.diagnostic(`total ${Math.round(performance.now() - started)} ms`);
  });
});
