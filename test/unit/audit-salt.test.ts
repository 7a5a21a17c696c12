/**
 * The auditor's private-space checks (lightclient/audit/salt-check.ts) on synthetic published batches: the
 * salt leaf must commit H2(spaceSalt, 0) at spaceSaltKey, come first in its space's history and be justified
 * by the write right after it — in the same batch, or first in the next batch when a full batch was cut
 * between them. Sealed updates are skipped, never failed.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Field } from "../../core/state/field.js";
import { spaceSaltKey, spaceSaltLeafValue } from "../../core/state/privacy.js";
import { leafValue, stateKey } from "../../core/state/state-tree.js";
import { checkSaltLeaf, committedSalts, sealedVerdict } from "../../lightclient/audit/salt-check.js";
import type { PublishedBatch, PublishedUpdate } from "../../lightclient/audit/types.js";

const SPACE = "tinycloud:pkh:eip155:1:0x6a12C8594c5c850D57612cA58810aBB8aEba5c8A:notes";
const PUBLIC = "tinycloud:pkh:eip155:1:0x6a12C8594c5c850D57612cA58810aBB8aEba5c8A:public";
const SALT = 123456789n;
const EVENT = "bafkr4icypdlzkdj35ekwtfiqa5btrlnkf3i4ahgzjmodaqgyevojl4nxqq";
const OTHER_EVENT = "bafkr4ihgm6rgpllwn2lk3wclfw2nmvtaglyttbmgqnkfcrafuw4wfwxa6a";
const EPOCH = "bafyr4ihn7zkexample";
const f = (x: bigint) => x as Field;

function saltLeaf(seq: number, spaceId = SPACE, salt = SALT): PublishedUpdate {
  return {
    seq,
    spaceId,
    service: "space",
    path: "salt",
    key: f(spaceSaltKey(spaceId)),
    contentHash: f(0n),
    version: 1,
    deleted: false,
    value: f(spaceSaltLeafValue(salt)),
    event: EVENT,
    epoch: EPOCH,
    spaceSalt: f(salt),
  };
}
function write(seq: number, path: string, event = EVENT, salt = SALT): PublishedUpdate {
  return {
    seq,
    spaceId: SPACE,
    service: "kv",
    path,
    key: f(stateKey(SPACE, "kv", path, salt)),
    contentHash: f(5n),
    version: 1,
    deleted: false,
    value: f(leafValue(5n, 1, false, 9n)),
    event,
    epoch: EPOCH,
    salt: f(9n),
    spaceSalt: f(salt),
  };
}
function batch(number: number, updates: PublishedBatch["updates"]): PublishedBatch {
  return { number, oldRoot: f(0n), newRoot: f(0n), updates, eventCids: [], eventsHash: f(0n), header: f(0n), commitment: f(0n), status: "anchored", cutAt: 0 };
}
const codes = (v: ReturnType<typeof checkSaltLeaf>) => v.checks.map((c) => `${c.name}:${c.status === "pass" ? "pass" : c.code}`);

describe("auditor: a private space's salt leaf", () => {
  test("justified by the write right after it in the batch", () => {
    const v = checkSaltLeaf(batch(1, [saltLeaf(0), write(1, "a")]), 0, []);
    assert.equal(v.ok, true, v.reason);
    assert.deepEqual(codes(v), ["salt-leaf:pass", "salt-first:pass", "salt-justified:pass"]);
    assert.equal(v.op, "salt");
  });

  test("a full batch cut between the salt leaf and its write: justified by the next batch's first update", () => {
    const b1 = batch(1, [saltLeaf(0)]);
    const ok = checkSaltLeaf(b1, 0, [], batch(2, [write(1, "a")]));
    assert.equal(ok.ok, true, ok.reason);
    assert.match(ok.checks[2]!.reason, /first in batch 2/);
    // Not published yet: not failed, but not passed either.
    const pending = checkSaltLeaf(b1, 0, []);
    assert.equal(pending.checks[2]!.status, "skip");
    assert.equal(pending.checks[2]!.code, "NEXT_BATCH_UNPUBLISHED");
    // Batch 2 opens with another event's write: unjustified.
    const wrong = checkSaltLeaf(b1, 0, [], batch(2, [write(1, "a", OTHER_EVENT)]));
    assert.equal(wrong.code, "SALT_UNJUSTIFIED");
  });

  test("attacks: no write after it, another event, another salt, a second salt leaf, a salt leaf in a public space, a wrong value", () => {
    assert.equal(checkSaltLeaf(batch(1, [saltLeaf(0), { seq: 1, sealed: true, key: f(1n), value: f(2n) }]), 0, []).code, "SALT_UNJUSTIFIED");
    assert.equal(checkSaltLeaf(batch(1, [saltLeaf(0), write(1, "a", OTHER_EVENT)]), 0, []).code, "SALT_UNJUSTIFIED");
    assert.equal(checkSaltLeaf(batch(1, [saltLeaf(0), write(1, "a", EVENT, SALT + 1n)]), 0, []).code, "SALT_UNJUSTIFIED");
    assert.equal(checkSaltLeaf(batch(1, [saltLeaf(0), write(2, "a")]), 0, []).code, "SALT_UNJUSTIFIED", "not the next seq");
    // A second salt leaf (another salt) after the space's first write, in a later batch.
    const earlier = [batch(1, [saltLeaf(0), write(1, "a")])];
    const second = checkSaltLeaf(batch(2, [saltLeaf(2, SPACE, SALT + 1n), write(3, "b", EVENT, SALT + 1n)]), 0, earlier);
    assert.equal(second.code, "SALT_NOT_FIRST");
    assert.equal(committedSalts([...earlier, batch(2, [saltLeaf(2, SPACE, SALT + 1n)])]).get(SPACE), SALT, "the first salt leaf is the committed one");
    assert.equal(checkSaltLeaf(batch(1, [saltLeaf(0, PUBLIC), write(1, "a")]), 0, []).code, "SALT_LEAF_MISMATCH");
    const badValue = { ...saltLeaf(0), value: f(7n) };
    assert.equal(checkSaltLeaf(batch(1, [badValue, write(1, "a")]), 0, []).code, "SALT_LEAF_MISMATCH");
    const versioned = { ...saltLeaf(0), version: 2 };
    assert.equal(checkSaltLeaf(batch(1, [versioned, write(1, "a")]), 0, []).code, "SALT_LEAF_MISMATCH");
  });

  test("a sealed update is skipped with the documented reason, never failed", () => {
    const v = sealedVerdict({ seq: 4, sealed: true, key: f(1n), value: f(2n) }, 3);
    assert.equal(v.ok, true);
    assert.equal(v.sealed, true);
    assert.equal(v.reason, "skip: private space, no read capability");
    assert.equal(v.checks[0]!.status, "skip");
  });
});
