/** Clock-skew tolerance in the core's time checks (`AuthorityContext.clockSkewSeconds`, node config `clockSkewSeconds`). */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { authorizeInvocation, checkTimeWindow, validateDelegation } from "../../core/auth/authority.js";
import { invocationFromUcan } from "../../core/auth/records.js";
import { decodeUcan } from "../../core/auth/ucan.js";
import { decodeAuthorization, verifiedDelegation } from "../../core/auth/verify.js";
import { DelegationBook, iso, NOW, sessionKey, signSession, signUcan, wallet } from "../helpers/actors.js";

const alice = wallet(0x11);
const session = sessionKey(1);
const photos = `${alice.space()}/kv/photos`;

describe("clock skew", () => {
  test("a window widens by the skew on both sides; CACAO nbf stays strict at the widened bound", () => {
    const window = { notBefore: NOW + 10, expiration: NOW + 100 };
    assert.equal(checkTimeWindow(window, NOW, false, "t", 0)?.code, "AUTH_NOT_YET_VALID");
    assert.equal(checkTimeWindow(window, NOW, false, "t", 30), undefined);
    assert.equal(checkTimeWindow(window, NOW, false, "t", 9)?.code, "AUTH_NOT_YET_VALID");
    // Strict: valid only once nbf - skew < now.
    assert.equal(checkTimeWindow(window, NOW, true, "t", 10)?.code, "AUTH_NOT_YET_VALID");
    assert.equal(checkTimeWindow(window, NOW, true, "t", 11), undefined);
    assert.equal(checkTimeWindow(window, NOW + 130, false, "t", 30), undefined);
    assert.equal(checkTimeWindow(window, NOW + 131, false, "t", 30)?.code, "AUTH_EXPIRED");
  });

  test("an ancestor that expired inside the skew still authorizes; outside it does not", async () => {
    const book = new DelegationBook();
    const root = await signSession(alice, session, { capabilities: [{ resource: photos, abilities: ["tinycloud.kv/get"] }], issuedAt: iso(NOW - 3600), expirationTime: iso(NOW + 100) });
    book.add(root.header);
    const jwt = signUcan(session, { audience: session.did, capabilities: [[`${photos}/a`, "tinycloud.kv/get"]], proofs: [root.cid], expiration: NOW + 200 });
    const record = invocationFromUcan(decodeUcan(jwt));
    assert.equal(authorizeInvocation(record, { ...book.context(NOW + 120), clockSkewSeconds: 30 }).ok, true);
    const late = authorizeInvocation(record, { ...book.context(NOW + 140), clockSkewSeconds: 30 });
    assert.equal(late.ok ? "ok" : late.error.code, "AUTH_EXPIRED");
    const exact = authorizeInvocation(record, book.context(NOW + 120));
    assert.equal(exact.ok ? "ok" : exact.error.code, "AUTH_EXPIRED");
  });

  test("a delegation whose SIWE Not Before is 10 s ahead registers with skew 30, not with 0", async () => {
    const book = new DelegationBook();
    const soon = await signSession(alice, session, { capabilities: [{ resource: photos, abilities: ["tinycloud.kv/get"] }], issuedAt: iso(NOW), notBefore: iso(NOW + 10) });
    const record = verifiedDelegation(decodeAuthorization(soon.header));
    assert.equal(validateDelegation(record, { ...book.context(NOW), clockSkewSeconds: 30 }).ok, true);
    const strict = validateDelegation(record, book.context(NOW));
    assert.equal(strict.ok ? "ok" : strict.error.code, "AUTH_NOT_YET_VALID");
  });

  test("the invocation lifetime cap allows the skew on top", () => {
    const book = new DelegationBook();
    const jwt = (exp: number) => invocationFromUcan(decodeUcan(signUcan(session, { audience: session.did, capabilities: [[photos, "tinycloud.kv/get"]], expiration: exp })));
    const ctx = { ...book.context(NOW), clockSkewSeconds: 30 };
    // The session key is not the owner, so authorization itself fails after the lifetime check: only the code matters.
    const within = authorizeInvocation(jwt(NOW + 320), ctx, { maxLifetimeSeconds: 300 });
    assert.notEqual(within.ok ? "ok" : within.error.code, "AUTH_LIFETIME_TOO_LONG");
    const over = authorizeInvocation(jwt(NOW + 340), ctx, { maxLifetimeSeconds: 300 });
    assert.equal(over.ok ? "ok" : over.error.code, "AUTH_LIFETIME_TOO_LONG");
  });
});
