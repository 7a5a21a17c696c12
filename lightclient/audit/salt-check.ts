/**
 * Private spaces in an audit (issue 12 §2, core/state/privacy.ts).
 *
 * - A SEALED update (a private space the auditor holds no read capability for) carries only its opaque key
 *   and hiding leaf value: it counts in the roots and the commitment, and is reported "skip: private space,
 *   no read capability", never event-checked.
 * - A private space's SALT LEAF (service "space", path "salt") is the one update no invocation asks for: the
 *   node inserts it with the space's first kv write. It must be exactly `spaceSaltKey(spaceId)` →
 *   `spaceSaltLeafValue(spaceSalt)` (version 1, not deleted, content hash 0, no leaf salt), be the first
 *   update of its space in batches 1..N (one salt per space, committed before any salted key), and be
 *   justified by the kv write right after it: same space, same event and epoch, same space salt. That write
 *   is normally the next update of the batch; a batch cut right after the salt leaf (a full batch) holds it
 *   as the first update of batch N+1, which is read when published.
 */
import { isPublicSpaceId, SPACE_SALT_PATH, SPACE_SALT_SERVICE, spaceSaltKey, spaceSaltLeafValue } from "../../core/state/privacy.js";
import { isSealed } from "../../core/rollup/wire.js";
import { shortCid } from "./evidence.js";
import { type Check, type EventVerdict, fail, pass, type PublishedBatch, type PublishedUpdate, type SealedUpdate } from "./types.js";

/** Is this full update a private space's salt leaf? */
export function isSaltLeaf(update: PublishedUpdate): boolean {
  return update.service === SPACE_SALT_SERVICE && update.path === SPACE_SALT_PATH;
}

/** The verdict on a sealed update: not checked, not failed. */
export function sealedVerdict(update: SealedUpdate, index: number): EventVerdict {
  const reason = "skip: private space, no read capability";
  return {
    index,
    seq: update.seq,
    event: "",
    epoch: "",
    spaceId: "",
    path: "",
    op: "?",
    ok: true,
    sealed: true,
    code: "SEALED",
    reason,
    checks: [{ name: "event", status: "skip", code: "SEALED", reason: `${reason} (key and leaf value are checked by the roots and the commitment)` }],
    warnings: [],
  };
}

/**
 * The space salt each readable private space commits, from its first salt leaf in batches 1..N (later ones
 * fail checkSaltLeaf). A kv update of a private space is checked against this salt, not its own claim.
 */
export function committedSalts(batches: readonly PublishedBatch[]): Map<string, bigint> {
  const salts = new Map<string, bigint>();
  for (const b of batches) {
    for (const u of b.updates) {
      if (!isSealed(u) && isSaltLeaf(u) && u.spaceSalt !== undefined && !salts.has(u.spaceId)) salts.set(u.spaceId, u.spaceSalt);
    }
  }
  return salts;
}

/**
 * Check the salt leaf at `record.updates[index]` (see the module comment). `earlier`: batches 1..N-1;
 * `next`: batch N+1 when the salt leaf is the batch's last update (undefined: not published yet).
 */
export function checkSaltLeaf(record: PublishedBatch, index: number, earlier: readonly PublishedBatch[], next?: PublishedBatch): EventVerdict {
  const update = record.updates[index] as PublishedUpdate;
  const checks: Check[] = [];
  const spaceId = update.spaceId;

  // 1. What it commits.
  const problems: string[] = [];
  if (isPublicSpaceId(spaceId)) problems.push("a public space has no salt leaf (its keys are unsalted)");
  let expectedKey: bigint | undefined;
  try {
    expectedKey = spaceSaltKey(spaceId);
  } catch (error) {
    problems.push(`no salt key for space ${spaceId}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (expectedKey !== undefined && update.key !== expectedKey) problems.push(`key ${update.key} ≠ spaceSaltKey(space) ${expectedKey}`);
  if (update.spaceSalt === undefined) problems.push("it carries no spaceSalt");
  else if (update.value !== spaceSaltLeafValue(update.spaceSalt)) problems.push(`value ${update.value} ≠ spaceSaltLeafValue(spaceSalt)`);
  if (update.version !== 1) problems.push(`version ${update.version} ≠ 1`);
  if (update.deleted) problems.push("it is a tombstone");
  if (update.contentHash !== 0n) problems.push(`contentHash ${update.contentHash} ≠ 0`);
  if (update.salt !== undefined) problems.push("it carries a leaf salt");
  if (problems.length > 0) checks.push(fail("salt-leaf", "SALT_LEAF_MISMATCH", `the salt leaf is not H2(spaceSalt, 0) at spaceSaltKey(space): ${problems.join("; ")}`));
  else checks.push(pass("salt-leaf", `spaceSaltKey(${spaceId}) → H2(spaceSalt, 0), version 1`));

  // 2. First update of its space in batches 1..N: one salt per space, committed before any salted key.
  const before = [...earlier.flatMap((b) => b.updates.map((u) => ({ u, batch: b.number }))), ...record.updates.slice(0, index).map((u) => ({ u, batch: record.number }))];
  const prior = before.find(({ u }) => !isSealed(u) && u.spaceId === spaceId);
  if (prior !== undefined) {
    const what = isSaltLeaf(prior.u as PublishedUpdate) ? "another salt leaf" : `a write to "${(prior.u as PublishedUpdate).path}"`;
    checks.push(fail("salt-first", "SALT_NOT_FIRST", `the space already has ${what} (update seq ${prior.u.seq}, batch ${prior.batch}): a space's salt is committed once, before its first key`));
  } else checks.push(pass("salt-first", "the first update of its space in the history"));

  // 3. Justified by the kv write right after it (in this batch, or first in the next one when this batch ends with it).
  const last = index === record.updates.length - 1;
  const following = last ? next?.updates[0] : record.updates[index + 1];
  const where = last ? `batch ${record.number + 1}` : "the batch";
  if (last && next === undefined) {
    checks.push({
      name: "salt-justified",
      status: "skip",
      code: "NEXT_BATCH_UNPUBLISHED",
      reason: `the batch ends with the salt leaf: the write that justifies it is the first update of batch ${record.number + 1}, not published yet (audit again later)`,
    });
  } else if (following === undefined || isSealed(following) || following.spaceId !== spaceId || following.service !== "kv") {
    checks.push(fail("salt-justified", "SALT_UNJUSTIFIED", `no kv write of the same space follows it in ${where}: a salt leaf is inserted only with the space's first write`));
  } else {
    const mismatches: string[] = [];
    if (following.event !== update.event) mismatches.push(`event ${shortCid(update.event)} ≠ the write's ${shortCid(following.event)}`);
    if (following.epoch !== update.epoch) mismatches.push(`epoch ${shortCid(update.epoch)} ≠ the write's ${shortCid(following.epoch)}`);
    if (following.spaceSalt !== update.spaceSalt) mismatches.push("the write is salted with another space salt");
    if (following.seq !== update.seq + 1) mismatches.push(`the write is seq ${following.seq}, not the next seq ${update.seq + 1}`);
    if (mismatches.length > 0) checks.push(fail("salt-justified", "SALT_UNJUSTIFIED", `it is not the salt of the write that follows it (seq ${following.seq}): ${mismatches.join("; ")}`));
    else
      checks.push(
        pass(
          "salt-justified",
          `inserted with the space's first write "${following.path}" (seq ${following.seq}${last ? `, first in batch ${record.number + 1}` : ""}, event ${shortCid(following.event)})`,
        ),
      );
  }

  const failed = checks.find((c) => c.status === "fail");
  return {
    index,
    seq: update.seq,
    event: update.event,
    epoch: update.epoch,
    spaceId,
    path: update.path,
    op: "salt",
    ok: failed === undefined,
    code: failed?.code ?? "OK",
    reason: failed !== undefined ? `${failed.name}: ${failed.reason}` : "the space's salt leaf, committed once with its first write",
    checks,
    warnings: [],
  };
}
