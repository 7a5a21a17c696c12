/**
 * Private spaces stay private (README, "Privacy"). The attack: an unauthenticated crawler walks every
 * public route of a node that hosts a private space and a public one, collects every byte it is served,
 * and tries to learn the private space's key names, metadata and signed events, and to confirm a guessed
 * value (or key name) against the published commitments. It must learn nothing but opaque commitments,
 * while the public space stays fully readable, and a holder of a read capability still sees (and can
 * check) everything.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { privateKeyToAccount } from "viem/accounts";
import { makeCapability } from "../../core/capability.js";
import { blake3Hex } from "../../core/cid.js";
import { encodeOp } from "../../core/epoch/epoch.js";
import { spaceSaltKey, spaceSaltLeafValue } from "../../core/state/privacy.js";
import { checkStateProof, contentHashField, leafValue, stateKey, stateProofFromJson } from "../../core/state/state-tree.js";
import { signIn, type TinyCloudSession, type WalletSigner } from "../../node/client/client.js";
import { startTestNode, type TestNode } from "../helpers/node.js";
import { until } from "../helpers/until.js";

function clientWallet(seedByte: number): WalletSigner & { did: string } {
  const account = privateKeyToAccount(`0x${seedByte.toString(16).padStart(2, "0").repeat(32)}`);
  return { address: account.address, chainId: 1, did: `did:pkh:eip155:1:${account.address}`, signMessage: (message: string) => account.signMessage({ message }) };
}

const SECRET_PATH = "medical/diagnosis";
const SECRET_VALUE = "positive";
const SECRET_META = "Jane Doe";

interface Served {
  readonly route: string;
  readonly status: number;
  readonly text: string;
}

describe("privacy: a private space against an unauthenticated crawler", () => {
  let node: TestNode;
  let owner: TinyCloudSession;
  let publicSpace: TinyCloudSession;
  const served: Served[] = [];

  async function get(route: string, headers: Record<string, string> = {}): Promise<Served> {
    const response = await fetch(`${node.url}${route}`, { headers });
    const lines: string[] = [];
    response.headers.forEach((value, name) => lines.push(`${name}: ${value}`));
    const headerText = lines.join("\n");
    const body = Buffer.from(await response.arrayBuffer());
    const answer = { route, status: response.status, text: `${headerText}\n\n${body.toString("utf8")}\n${body.toString("latin1")}` };
    if (headers["authorization"] === undefined) served.push(answer);
    return answer;
  }

  /** Authorization for reads: an invocation of kv/get on `path` (the whole kv service when absent). */
  function readToken(session: TinyCloudSession, path?: string): Record<string, string> {
    return { authorization: session.invocation([makeCapability(session.resource("kv", path), "tinycloud.kv/get")]) };
  }

  before(async () => {
    node = await startTestNode({ batchMaxDelayMs: 200 });
    const wallet = clientWallet(0xc4);
    owner = await signIn({ url: node.url, wallet });
    publicSpace = await signIn({ url: node.url, wallet, space: "public" });
    await owner.kv.put(SECRET_PATH, SECRET_VALUE, { metadata: { patient: SECRET_META } });
    await owner.kv.put(SECRET_PATH, `${SECRET_VALUE}!`);
    await owner.kv.put("notes/today", "private note");
    await publicSpace.kv.put("hello", "world");
    await until(async () => {
      const status = (await (await fetch(`${node.url}/rollup/status`)).json()) as { pending: number; latestBatch: number };
      return status.pending === 0 && status.latestBatch > 0;
    }, "every write is batched");
  });
  after(async () => {
    await node.stop();
  });

  test("the crawler walks every public route; nothing it is served names, describes or confirms the private space's contents", async () => {
    const status = JSON.parse((await get("/rollup/status")).text.split("\n\n")[1]?.split("\n")[0] ?? "{}") as { latestBatch: number };
    await get("/info");
    await get("/healthz");
    const entries = await get("/rollup/entries?limit=500");
    const eventCids = new Set<string>();
    for (let n = 1; n <= status.latestBatch; n++) {
      const batch = await get(`/rollup/batches/${n}`);
      assert.equal(batch.status, 200);
      const record = JSON.parse(batch.text.split("\n\n")[1]?.split("\n")[0] ?? "{}") as { updates: { sealed?: boolean; spaceId?: string; event?: string }[]; eventCids: string[] };
      for (const cid of record.eventCids) eventCids.add(cid);
      for (const u of record.updates) {
        if (u.spaceId !== undefined) assert.equal(u.spaceId, publicSpace.spaceId, "only the public space's updates are served in full");
        else assert.equal(u.sealed, true);
      }
    }
    assert.ok(eventCids.size >= 4);
    // Events: the public space's are served; the private space's are refused (403 PRIVATE_SPACE).
    let refused = 0;
    for (const cid of eventCids) {
      const event = await get(`/events/${cid}`);
      if (event.status === 403) {
        refused += 1;
        assert.match(event.text, /PRIVATE_SPACE: /);
      } else assert.equal(event.status, 200);
    }
    assert.ok(refused >= 3, "the private space's three invocations are refused");
    // Its epochs, and guessed op blocks (a block CID can be computed from a guessed op): refused alike.
    const epochs = await get(`/spaces/${encodeURIComponent(owner.spaceId)}/epochs`);
    assert.equal(epochs.status, 403);
    const guessedOp = encodeOp({ op: "del", key: SECRET_PATH });
    const guessedBlock = await get(`/blocks/${guessedOp.cid.toString()}`);
    assert.equal(guessedBlock.status, 403);
    // State proofs of private entries, present or absent: the same 403 (existence of a key is private).
    const present = await get(`/rollup/proof?uri=${encodeURIComponent(`${owner.spaceId}/kv/${SECRET_PATH}`)}`);
    const absent = await get(`/rollup/proof?uri=${encodeURIComponent(`${owner.spaceId}/kv/no/such/key`)}`);
    assert.equal(present.status, 403);
    assert.equal(absent.status, 403);
    const shape = (text: string, path: string) => text.replace(/(date|content-length): .*\n/g, "").replaceAll(path, "X");
    assert.equal(shape(present.text, SECRET_PATH), shape(absent.text, "no/such/key"));
    // The public read routes refuse the private space.
    assert.equal((await get(`/public/${encodeURIComponent(owner.spaceId)}/kv/${SECRET_PATH}`)).status, 403);
    assert.equal((await get(`/public/${encodeURIComponent(owner.spaceId)}/kv?prefix=`)).status, 403);
    // The public space stays fully readable: entries, its events, its value, its proof.
    assert.match(entries.text, /"path":"hello"/);
    assert.equal((await get(`/public/${encodeURIComponent(publicSpace.spaceId)}/kv/hello`)).status, 200);
    assert.equal((await get(`/spaces/${encodeURIComponent(publicSpace.spaceId)}/epochs`)).status, 200);
    const publicProof = await get(`/rollup/proof?uri=${encodeURIComponent(`${publicSpace.spaceId}/kv/hello`)}`);
    assert.equal(publicProof.status, 200);
    assert.doesNotMatch(publicProof.text, /salt/i, "a public entry carries no salt");

    // What the crawler learned, searched for anything about the private space's contents.
    const everything = served.map((s) => s.text).join("\n");
    const content = contentHashField(new TextEncoder().encode(SECRET_VALUE));
    const unsaltedKey = stateKey(owner.spaceId, "kv", SECRET_PATH);
    const forbidden: Record<string, string> = {
      "a key name": "medical",
      "another key name": "notes/today",
      "a value": "private note",
      metadata: SECRET_META,
      "the session key": owner.key.did,
      "the value's blake3 (ETag / content hash)": blake3Hex(new TextEncoder().encode(SECRET_VALUE)),
      "the value's content-hash field": content.toString(),
      "the guessed key's unsalted state key": unsaltedKey.toString(),
    };
    for (let version = 1; version <= 3; version++) forbidden[`the guessed value's unsalted leaf (version ${version})`] = leafValue(content, version, false).toString();
    for (const [what, needle] of Object.entries(forbidden)) assert.ok(!everything.includes(needle), `the crawler learned ${what} (${needle})`);
    assert.equal((await fetch(`${node.url}/healthz`)).status, 200);
  });

  test("a holder of a read capability on the whole space sees its batches, events and epochs in full", async () => {
    const status = (await (await fetch(`${node.url}/rollup/status`)).json()) as { latestBatch: number };
    const paths = new Set<string>();
    for (let n = 1; n <= status.latestBatch; n++) {
      const record = (await (await fetch(`${node.url}/rollup/batches/${n}`, { headers: readToken(owner) })).json()) as { updates: { sealed?: boolean; path?: string; event?: string }[] };
      for (const u of record.updates) {
        assert.notEqual(u.sealed, true, "nothing is sealed for a reader of both spaces' ... private one");
        if (u.path !== undefined) paths.add(u.path);
        if (u.event !== undefined) assert.equal((await fetch(`${node.url}/events/${u.event}`, { headers: readToken(owner) })).status, 200);
      }
    }
    assert.ok(paths.has(SECRET_PATH) && paths.has("notes/today") && paths.has("salt"));
    assert.equal((await fetch(`${node.url}/spaces/${encodeURIComponent(owner.spaceId)}/epochs`, { headers: readToken(owner) })).status, 200);
  });

  test("a reader of one key gets its proof with the salts and checks it: salt leaf and entry against one root", async () => {
    const uri = `${owner.spaceId}/kv/${SECRET_PATH}`;
    const response = await fetch(`${node.url}/rollup/proof?uri=${encodeURIComponent(uri)}`, { headers: readToken(owner, SECRET_PATH) });
    assert.equal(response.status, 200);
    const body = (await response.json()) as {
      root: string;
      key: string;
      proof: unknown;
      saltProof: unknown;
      spaceSalt: string;
      entry: { version: number; deleted: boolean; contentHash: string; salt: string };
    };
    const root = BigInt(body.root);
    const spaceSalt = BigInt(body.spaceSalt);
    const saltProof = stateProofFromJson(body.saltProof);
    assert.equal(saltProof.key, spaceSaltKey(owner.spaceId));
    assert.equal(saltProof.value, spaceSaltLeafValue(spaceSalt));
    assert.ok(checkStateProof(saltProof, root));
    const proof = stateProofFromJson(body.proof);
    assert.equal(proof.key, stateKey(owner.spaceId, "kv", SECRET_PATH, spaceSalt));
    assert.ok(checkStateProof(proof, root));
    const content = contentHashField(new TextEncoder().encode(`${SECRET_VALUE}!`));
    assert.equal(body.entry.version, 2);
    assert.equal(proof.value, leafValue(content, 2, false, BigInt(body.entry.salt)));
    // A reader of ANOTHER key of the space is refused this one.
    const other = await fetch(`${node.url}/rollup/proof?uri=${encodeURIComponent(uri)}`, { headers: readToken(owner, "notes") });
    assert.equal(other.status, 403);
    assert.match(await other.text(), /^PRIVATE_SPACE: /);
  });

  test("a reader of one key cannot read the space's history; a forged or foreign token gets a 4xx, never the data", async () => {
    const status = (await (await fetch(`${node.url}/rollup/status`)).json()) as { latestBatch: number };
    const narrow = await fetch(`${node.url}/rollup/batches/${status.latestBatch}`, { headers: readToken(owner, SECRET_PATH) });
    assert.doesNotMatch(await narrow.text(), /medical|notes/);
    assert.equal((await fetch(`${node.url}/spaces/${encodeURIComponent(owner.spaceId)}/epochs`, { headers: readToken(owner, SECRET_PATH) })).status, 403);
    const stranger = await signIn({ url: node.url, wallet: clientWallet(0xd5) });
    const foreign = { authorization: stranger.invocation([makeCapability(`${owner.spaceId}/kv`, "tinycloud.kv/get")]) };
    const refused = await fetch(`${node.url}/spaces/${encodeURIComponent(owner.spaceId)}/epochs`, { headers: foreign });
    assert.ok(refused.status === 401 || refused.status === 403, `got ${refused.status}`);
    const garbage = await fetch(`${node.url}/rollup/batches/1`, { headers: { authorization: "a.b.c" } });
    assert.ok(garbage.status >= 400 && garbage.status < 500, `got ${garbage.status}`);
    assert.equal((await fetch(`${node.url}/healthz`)).status, 200);
  });

  test("a private space keeps its one salt across batches: a later key is salted with it", async () => {
    const uri = `${owner.spaceId}/kv/${SECRET_PATH}`;
    const before = (await (await fetch(`${node.url}/rollup/proof?uri=${encodeURIComponent(uri)}`, { headers: readToken(owner) })).json()) as { spaceSalt: string };
    await owner.kv.put("later", "x");
    await until(async () => ((await (await fetch(`${node.url}/rollup/status`)).json()) as { pending: number }).pending === 0, "batched");
    const later = (await (await fetch(`${node.url}/rollup/proof?uri=${encodeURIComponent(`${owner.spaceId}/kv/later`)}`, { headers: readToken(owner) })).json()) as {
      spaceSalt: string;
      entry?: unknown;
    };
    assert.equal(later.spaceSalt, before.spaceSalt);
    assert.ok(later.entry !== undefined);
  });
});
