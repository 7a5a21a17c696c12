import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { authorizeInvocation, authorizeRevocation, type Authorization } from "../../core/auth/authority.js";
import { makeCapability } from "../../core/capability.js";
import { decodeCacaoHeader, encodeCacao, encodeCacaoHeader } from "../../core/auth/cacao.js";
import type { AuthorityError, Result } from "../../core/errors.js";
import { invocationFromUcan, revocationFromUcan } from "../../core/auth/records.js";
import { decodeUcan } from "../../core/auth/ucan.js";
import { decodeAuthorization, verifiedDelegation, verifyInvocationHeader } from "../../core/auth/verify.js";
import { encodeRecap } from "../../core/auth/recap.js";
import { DelegationBook, iso, NOW, sessionKey, signSession, signUcan, wallet } from "../helpers/actors.js";
import { loadVectors } from "../helpers/vectors.js";

const alice = wallet(0x11);
const mallory = wallet(0x66);
const session = sessionKey(1);
const bob = sessionKey(2);
const eve = sessionKey(3);
const photos = `${alice.space()}/kv/photos`;

function expectCode<T>(result: Result<T, AuthorityError>, code: string): void {
  assert.equal(result.ok, false, `expected ${code}, got success`);
  if (!result.ok) assert.equal(result.error.code, code, result.error.message);
}

function invoke(book: DelegationBook, jwt: string, now = NOW): Result<Authorization, AuthorityError> {
  return verifyInvocationHeader(jwt, book.context(now), { maxLifetimeSeconds: 300 }).authorization;
}

/** Alice's wallet → session key: kv get/put/list on photos, capabilities read. */
async function aliceSession(book: DelegationBook, extra: Parameters<typeof signSession>[2] | undefined = undefined) {
  const { header, cid } = await signSession(alice, session, extra ?? { capabilities: [{ resource: photos, abilities: ["tinycloud.kv/get", "tinycloud.kv/put", "tinycloud.kv/list"] }] });
  book.add(header);
  return cid;
}

describe("authority: delegation chains", () => {
  test("default: wallet → session → sub-delegate; the sub-delegate invokes within its grant", async () => {
    const book = new DelegationBook();
    const root = await aliceSession(book);
    const share = signUcan(session, { audience: bob.did, capabilities: [[`${photos}/2024`, "tinycloud.kv/get"]], proofs: [root] });
    const shareRecord = book.add(share);
    const jwt = signUcan(bob, { audience: bob.did, capabilities: [[`${photos}/2024/a.jpg`, "tinycloud.kv/get"]], proofs: [shareRecord.cid], expiration: NOW + 60 });
    const result = invoke(book, jwt);
    assert.ok(result.ok);
    assert.equal(result.value.grants[0]?.cid.toString(), shareRecord.cid.toString());
  });

  test("error: a wider path than the parent is AUTH_RESOURCE_ESCALATION", async () => {
    const book = new DelegationBook();
    const root = await aliceSession(book);
    const wider = signUcan(session, { audience: bob.did, capabilities: [[`${alice.space()}/kv`, "tinycloud.kv/get"]], proofs: [root] });
    expectCode(book.register(wider), "AUTH_RESOURCE_ESCALATION");
  });

  test("error: a sibling path (photos2) is not covered by photos", async () => {
    const book = new DelegationBook();
    const root = await aliceSession(book);
    const sibling = signUcan(session, { audience: bob.did, capabilities: [[`${alice.space()}/kv/photos2`, "tinycloud.kv/get"]], proofs: [root] });
    expectCode(book.register(sibling), "AUTH_RESOURCE_ESCALATION");
    const inv = signUcan(session, { audience: session.did, capabilities: [[`${alice.space()}/kv/photos2/x`, "tinycloud.kv/get"]], proofs: [root], expiration: NOW + 60 });
    expectCode(invoke(book, inv), "AUTH_RESOURCE_ESCALATION");
  });

  test("error: another space or service is not covered", async () => {
    const book = new DelegationBook();
    const root = await aliceSession(book);
    for (const resource of [`${alice.space("other")}/kv/photos`, `${alice.space()}/sql/photos`, `${mallory.space()}/kv/photos`]) {
      const inv = signUcan(session, { audience: session.did, capabilities: [[resource, "tinycloud.kv/get"]], proofs: [root], expiration: NOW + 60 });
      expectCode(invoke(book, inv), "AUTH_RESOURCE_ESCALATION");
    }
  });

  test("error: a wider ability than the parent is AUTH_ABILITY_ESCALATION", async () => {
    const book = new DelegationBook();
    const root = await aliceSession(book, { capabilities: [{ resource: photos, abilities: ["tinycloud.kv/get"] }] });
    const escalated = signUcan(session, { audience: bob.did, capabilities: [[photos, "tinycloud.kv/put"]], proofs: [root] });
    expectCode(book.register(escalated), "AUTH_ABILITY_ESCALATION");
    const inv = signUcan(session, { audience: session.did, capabilities: [[`${photos}/a`, "tinycloud.kv/del"]], proofs: [root], expiration: NOW + 60 });
    expectCode(invoke(book, inv), "AUTH_ABILITY_ESCALATION");
  });

  test("behavior: registry implications and aliases widen matching, nothing else does", async () => {
    const book = new DelegationBook();
    const db = `${alice.space()}/sql/main`;
    const root = await aliceSession(book, {
      capabilities: [
        { resource: db, abilities: ["tinycloud.sql/admin"] },
        { resource: photos, abilities: ["tinycloud.kv/delete"] },
      ],
    });
    const ok1 = signUcan(session, { audience: session.did, capabilities: [[db, "tinycloud.sql/schema"]], proofs: [root], expiration: NOW + 60 });
    assert.ok(invoke(book, ok1).ok, "admin implies schema");
    const ok2 = signUcan(session, { audience: session.did, capabilities: [[`${photos}/a`, "tinycloud.kv/del"]], proofs: [root], expiration: NOW + 60 });
    assert.ok(invoke(book, ok2).ok, "kv/delete is an alias of kv/del");
    const bad = signUcan(session, { audience: session.did, capabilities: [[db, "tinycloud.sql/write"]], proofs: [root], expiration: NOW + 60 });
    expectCode(invoke(book, bad), "AUTH_ABILITY_ESCALATION");
  });

  test("error: a longer expiry than the parent is AUTH_EXPIRY_EXCEEDS_PARENT", async () => {
    const book = new DelegationBook();
    const root = await aliceSession(book); // expires NOW + 3600
    const longer = signUcan(session, { audience: bob.did, capabilities: [[photos, "tinycloud.kv/get"]], proofs: [root], expiration: NOW + 7200 });
    expectCode(book.register(longer), "AUTH_EXPIRY_EXCEEDS_PARENT");
    const equal = signUcan(session, { audience: bob.did, capabilities: [[photos, "tinycloud.kv/get"]], proofs: [root], expiration: NOW + 3600 });
    assert.ok(book.register(equal).ok, "equal expiry is allowed");
  });

  test("behavior: the space owner needs no proof, even when it cites one", async () => {
    const book = new DelegationBook();
    const root = await aliceSession(book);
    const { header } = await signSession(alice, bob, { capabilities: [{ resource: photos, abilities: ["tinycloud.kv/get"] }], proofs: [root] });
    assert.ok(book.register(header).ok);
  });

  test("error: a child without expiry under a parent with one is AUTH_EXPIRY_EXCEEDS_PARENT", async () => {
    const book = new DelegationBook();
    // Alice delegates to Mallory's wallet (a did:pkh delegatee), which may sign CACAOs of its own.
    const toMallory = await signSession(alice, mallory.did, { capabilities: [{ resource: photos, abilities: ["tinycloud.kv/get"] }] });
    book.add(toMallory.header);
    const open = await signSession(mallory, bob, { capabilities: [{ resource: photos, abilities: ["tinycloud.kv/get"] }], proofs: [toMallory.cid], expirationTime: undefined as unknown as string });
    expectCode(book.register(open.header), "AUTH_EXPIRY_EXCEEDS_PARENT");
    const bounded = await signSession(mallory, bob, { capabilities: [{ resource: photos, abilities: ["tinycloud.kv/get"] }], proofs: [toMallory.cid] });
    assert.ok(book.register(bounded.header).ok);
  });

  test("error: starting before the parent's not-before is AUTH_STARTS_BEFORE_PARENT", async () => {
    const book = new DelegationBook();
    const root = await aliceSession(book, { capabilities: [{ resource: photos, abilities: ["tinycloud.kv/get"] }], notBefore: iso(NOW - 600) });
    const early = signUcan(session, { audience: bob.did, capabilities: [[photos, "tinycloud.kv/get"]], proofs: [root], notBefore: NOW - 1200 });
    expectCode(book.register(early), "AUTH_STARTS_BEFORE_PARENT");
    const unbounded = signUcan(session, { audience: bob.did, capabilities: [[photos, "tinycloud.kv/get"]], proofs: [root] });
    expectCode(book.register(unbounded), "AUTH_STARTS_BEFORE_PARENT");
    const later = signUcan(session, { audience: bob.did, capabilities: [[photos, "tinycloud.kv/get"]], proofs: [root], notBefore: NOW - 600 });
    assert.ok(book.register(later).ok);
  });

  test("error: not-yet-valid tokens are AUTH_NOT_YET_VALID (CACAO nbf is strict)", async () => {
    const book = new DelegationBook();
    const future = await signSession(alice, session, { capabilities: [{ resource: photos, abilities: ["tinycloud.kv/get"] }], notBefore: iso(NOW) });
    expectCode(book.register(future.header), "AUTH_NOT_YET_VALID");
    assert.ok(book.register(future.header, NOW + 1).ok);
    const inv = signUcan(session, { audience: session.did, capabilities: [[`${photos}/a`, "tinycloud.kv/get"]], proofs: [future.cid], notBefore: NOW + 30, expiration: NOW + 60 });
    expectCode(invoke(book, inv, NOW + 1), "AUTH_NOT_YET_VALID");
  });

  test("error: expired tokens are AUTH_EXPIRED, and so is an invocation through an expired parent", async () => {
    const book = new DelegationBook();
    const root = await aliceSession(book);
    const stale = signUcan(session, { audience: session.did, capabilities: [[`${photos}/a`, "tinycloud.kv/get"]], proofs: [root], expiration: NOW - 1 });
    expectCode(invoke(book, stale), "AUTH_EXPIRED");
    const fresh = signUcan(session, { audience: session.did, capabilities: [[`${photos}/a`, "tinycloud.kv/get"]], proofs: [root], expiration: NOW + 3700 });
    expectCode(invoke(book, fresh, NOW + 3601), "AUTH_EXPIRED");
    const expiredSession = await signSession(alice, session, { capabilities: [{ resource: photos, abilities: ["tinycloud.kv/get"] }], expirationTime: iso(NOW - 1) });
    expectCode(book.register(expiredSession.header), "AUTH_EXPIRED");
  });

  test("error: an invocation living longer than the node cap is AUTH_LIFETIME_TOO_LONG", async () => {
    const book = new DelegationBook();
    const root = await aliceSession(book);
    const long = signUcan(session, { audience: session.did, capabilities: [[`${photos}/a`, "tinycloud.kv/get"]], proofs: [root], expiration: NOW + 301 });
    expectCode(invoke(book, long), "AUTH_LIFETIME_TOO_LONG");
  });

  test("error: a key that is not the delegatee is AUTH_AUDIENCE_MISMATCH", async () => {
    const book = new DelegationBook();
    const root = await aliceSession(book);
    const stolen = signUcan(eve, { audience: eve.did, capabilities: [[`${photos}/a`, "tinycloud.kv/get"]], proofs: [root], expiration: NOW + 60 });
    expectCode(invoke(book, stolen), "AUTH_AUDIENCE_MISMATCH");
    const reDelegated = signUcan(eve, { audience: eve.did, capabilities: [[photos, "tinycloud.kv/get"]], proofs: [root] });
    expectCode(book.register(reDelegated), "AUTH_AUDIENCE_MISMATCH");
  });

  test("error: unknown or missing proofs", async () => {
    const book = new DelegationBook();
    const root = await aliceSession(new DelegationBook());
    const unknown = signUcan(session, { audience: session.did, capabilities: [[`${photos}/a`, "tinycloud.kv/get"]], proofs: [root], expiration: NOW + 60 });
    expectCode(invoke(book, unknown), "AUTH_UNKNOWN_PROOF");
    const none = signUcan(session, { audience: session.did, capabilities: [[`${photos}/a`, "tinycloud.kv/get"]], expiration: NOW + 60 });
    expectCode(invoke(book, none), "AUTH_MISSING_PROOF");
  });

  test("error: a revoked ancestor is AUTH_REVOKED for invocations and for new children", async () => {
    const book = new DelegationBook();
    const root = await aliceSession(book);
    const share = book.add(signUcan(session, { audience: bob.did, capabilities: [[photos, "tinycloud.kv/get"]], proofs: [root] }));
    const inv = () => signUcan(bob, { audience: bob.did, capabilities: [[`${photos}/a`, "tinycloud.kv/get"]], proofs: [share.cid], expiration: NOW + 60 });
    assert.ok(invoke(book, inv()).ok);
    book.revoke(root);
    expectCode(invoke(book, inv()), "AUTH_REVOKED");
    const child = signUcan(bob, { audience: eve.did, capabilities: [[photos, "tinycloud.kv/get"]], proofs: [share.cid] });
    expectCode(book.register(child), "AUTH_REVOKED");
  });

  test("error: a terminal delegation cannot be re-delegated, but can be invoked", async () => {
    const book = new DelegationBook();
    const root = await aliceSession(book);
    const terminal = book.add(signUcan(session, { audience: bob.did, capabilities: [[photos, "tinycloud.kv/get"]], proofs: [root], facts: [{ "xyz.tinycloud.policy/delegationMode": "terminal" }] }));
    const redelegate = signUcan(bob, { audience: eve.did, capabilities: [[photos, "tinycloud.kv/get"]], proofs: [terminal.cid] });
    expectCode(book.register(redelegate), "AUTH_TERMINAL_DELEGATION");
    const use = signUcan(bob, { audience: bob.did, capabilities: [[`${photos}/a`, "tinycloud.kv/get"]], proofs: [terminal.cid], expiration: NOW + 60 });
    assert.ok(invoke(book, use).ok);
  });

  test("error: caveats wider than the parent's are AUTH_CAVEAT_ESCALATION", async () => {
    const book = new DelegationBook();
    const db = `${alice.space()}/sql/main`;
    const root = await aliceSession(book, { capabilities: [{ resource: db, abilities: ["tinycloud.sql/read"] }] });
    const constrained = {
      mode: "constrained-statements",
      readOnly: true,
      statements: [
        { name: "a", sql: "SELECT 1" },
        { name: "b", sql: "SELECT 2" },
      ],
    };
    const parent = book.add(signUcan(session, { audience: bob.did, capabilities: [makeCapability(db, "tinycloud.sql/read", [constrained])], proofs: [root] }));
    const unconstrained = signUcan(bob, { audience: eve.did, capabilities: [[db, "tinycloud.sql/read"]], proofs: [parent.cid] });
    expectCode(book.register(unconstrained), "AUTH_CAVEAT_ESCALATION");
    const subset = signUcan(bob, {
      audience: eve.did,
      capabilities: [makeCapability(db, "tinycloud.sql/read", [{ ...constrained, statements: [{ name: "a", sql: "SELECT 1" }] }])],
      proofs: [parent.cid],
    });
    assert.ok(book.register(subset).ok);
    const writable = signUcan(bob, { audience: eve.did, capabilities: [makeCapability(db, "tinycloud.sql/read", [{ ...constrained, readOnly: false }])], proofs: [parent.cid] });
    expectCode(book.register(writable), "AUTH_CAVEAT_ESCALATION");
  });

  test("error: chains are bounded at 64 delegations (AUTH_CHAIN_TOO_DEEP)", async () => {
    const book = new DelegationBook();
    let proof = await aliceSession(book); // node 1
    let holder = session;
    for (let i = 0; i < 63; i++) {
      const next = sessionKey(100 + i);
      proof = book.add(signUcan(holder, { audience: next.did, capabilities: [[photos, "tinycloud.kv/get"]], proofs: [proof] })).cid;
      holder = next;
    }
    // 64 delegations in the chain: an invocation through it is within the bound.
    const atLimit = signUcan(holder, { audience: holder.did, capabilities: [[`${photos}/a`, "tinycloud.kv/get"]], proofs: [proof], expiration: NOW + 60 });
    assert.ok(invoke(book, atLimit).ok);
    const next = sessionKey(200);
    expectCode(book.register(signUcan(holder, { audience: next.did, capabilities: [[photos, "tinycloud.kv/get"]], proofs: [proof] })), "AUTH_CHAIN_TOO_DEEP");
  });

  test("behavior: a did:key controller needs no proof on its own space; others do", () => {
    const book = new DelegationBook();
    const keySpace = `tinycloud:${session.did.slice(4)}:default/kv/notes/a`;
    const own = signUcan(session, { audience: session.did, capabilities: [[keySpace, "tinycloud.kv/put"]], expiration: NOW + 60 });
    const result = invoke(book, own);
    assert.ok(result.ok);
    assert.deepEqual(result.value.grants, [null]);
    const other = signUcan(eve, { audience: eve.did, capabilities: [[keySpace, "tinycloud.kv/put"]], expiration: NOW + 60 });
    expectCode(invoke(book, other), "AUTH_MISSING_PROOF");
  });
});

describe("authority: tampered CACAOs", () => {
  test("error: a tampered statement is CACAO_STATEMENT_MISMATCH", async () => {
    const { header } = await signSession(alice, session, { capabilities: [{ resource: photos, abilities: ["tinycloud.kv/get"] }] });
    const decoded = decodeCacaoHeader(header);
    const siwe = { ...decoded.cacao.siwe, statement: (decoded.cacao.siwe.statement ?? "").replace("'get'", "'put'") };
    const forged = encodeCacaoHeader(encodeCacao({ ...decoded.cacao, siwe }));
    assert.throws(() => verifiedDelegation(decodeAuthorization(forged)), { code: "CACAO_STATEMENT_MISMATCH" });
  });

  test("error: a ReCap widened together with its statement no longer matches the signature", async () => {
    const { header } = await signSession(alice, session, { capabilities: [{ resource: photos, abilities: ["tinycloud.kv/get"] }] });
    const decoded = decodeCacaoHeader(header);
    const recap = { att: { [`${alice.space()}/kv`]: { "tinycloud.kv/get": [{}] } }, prf: [] };
    const statement = `I further authorize the stated URI to perform the following actions on my behalf: (1) 'tinycloud.kv': 'get' for '${alice.space()}/kv'.`;
    const siwe = { ...decoded.cacao.siwe, statement, resources: [encodeRecap(recap)] };
    const forged = encodeCacaoHeader(encodeCacao({ ...decoded.cacao, siwe }));
    assert.throws(() => verifiedDelegation(decodeAuthorization(forged)), { code: "CACAO_ISSUER_MISMATCH" });
  });

  test("error: a ReCap changed without its statement is CACAO_STATEMENT_MISMATCH", async () => {
    const { header } = await signSession(alice, session, { capabilities: [{ resource: photos, abilities: ["tinycloud.kv/get"] }] });
    const decoded = decodeCacaoHeader(header);
    const recap = { att: { [photos]: { "tinycloud.kv/get": [{}], "tinycloud.kv/put": [{}] } }, prf: [] };
    const forged = encodeCacaoHeader(encodeCacao({ ...decoded.cacao, siwe: { ...decoded.cacao.siwe, resources: [encodeRecap(recap)] } }));
    assert.throws(() => verifiedDelegation(decodeAuthorization(forged)), { code: "CACAO_STATEMENT_MISMATCH" });
  });

  test("error: mallory's wallet cannot delegate alice's space", async () => {
    const book = new DelegationBook();
    const { header } = await signSession(mallory, session, { capabilities: [{ resource: photos, abilities: ["tinycloud.kv/get"] }] });
    expectCode(book.register(header), "AUTH_MISSING_PROOF");
  });
});

describe("authority: revocation", () => {
  async function setup() {
    const book = new DelegationBook();
    const root = await aliceSession(book);
    const share = book.add(signUcan(session, { audience: bob.did, capabilities: [[photos, "tinycloud.kv/get"]], proofs: [root] }));
    return { book, root, share };
  }
  const revoke = (signer: typeof bob, target: { toString(): string }, proofs: Parameters<typeof signUcan>[1]["proofs"] = []) =>
    revocationFromUcan(decodeUcan(signUcan(signer, { audience: signer.did, capabilities: [[`urn:cid:${target.toString()}`, "tinycloud.delegation/revoke"]], proofs, expiration: NOW + 60 })));

  test("default: the delegator and the delegatee may revoke", async () => {
    const { book, share } = await setup();
    assert.ok(authorizeRevocation(revoke(session, share.cid), share, book.context()).ok);
    assert.ok(authorizeRevocation(revoke(bob, share.cid), share, book.context()).ok);
  });

  test("behavior: a delegator or delegatee revokes even when citing an irrelevant, unknown or second proof", async () => {
    const { book, root, share } = await setup();
    const unrelated = book.add(signUcan(session, { audience: eve.did, capabilities: [[`${photos}/x`, "tinycloud.kv/get"]], proofs: [root] }));
    for (const proofs of [[unrelated.cid], [root], [root, unrelated.cid]]) {
      const result = authorizeRevocation(revoke(session, share.cid, proofs), share, book.context());
      assert.ok(result.ok, JSON.stringify(proofs));
      assert.equal(result.value.principal, session.did);
    }
    assert.ok(authorizeRevocation(revoke(bob, share.cid, [unrelated.cid]), share, book.context()).ok);
    // A stranger citing the same irrelevant proof is still refused.
    expectCode(authorizeRevocation(revoke(eve, share.cid, [unrelated.cid]), share, book.context()), "AUTH_UNAUTHORIZED_REVOKER");
  });

  test("error: a stranger is AUTH_UNAUTHORIZED_REVOKER", async () => {
    const { book, share } = await setup();
    expectCode(authorizeRevocation(revoke(eve, share.cid), share, book.context()), "AUTH_UNAUTHORIZED_REVOKER");
  });

  test("behavior: a proof granting delegation/revoke on the target acts for its delegator", async () => {
    const { book, share } = await setup();
    const grant = book.add(signUcan(session, { audience: eve.did, capabilities: [[`urn:cid:${share.cid.toString()}`, "tinycloud.delegation/revoke"]] }));
    const result = authorizeRevocation(revoke(eve, share.cid, [grant.cid]), share, book.context());
    assert.ok(result.ok);
    assert.equal(result.value.principal, session.did);
    const otherTarget = book.add(signUcan(session, { audience: bob.did, capabilities: [[`${photos}/x`, "tinycloud.kv/get"]], proofs: [share.proofs[0]!] }));
    expectCode(authorizeRevocation(revoke(eve, otherTarget.cid, [grant.cid]), otherTarget, book.context()), "AUTH_UNAUTHORIZED_REVOKER");
  });
});

describe("authority: official client 0.2.1 session and invocations", () => {
  const wasm = loadVectors("official-wasm.json");
  const now = wasm.constants.invokeNowMs / 1000;
  const clientInvocations = wasm.invocations.filter((i: any) => i.session === "clientSession");

  test("default: every official invocation is authorized by the official session CACAO", () => {
    const book = new DelegationBook();
    book.add(wasm.clientSession.session.delegationHeader.Authorization, now);
    assert.equal(clientInvocations.length, 6);
    for (const inv of clientInvocations) {
      const verified = verifyInvocationHeader(inv.authorization, book.context(now), { maxLifetimeSeconds: 300 });
      assert.ok(verified.authorization.ok, `${inv.action}: ${!verified.authorization.ok && verified.authorization.error.message}`);
      assert.equal(invocationFromUcan(verified.ucan).invoker, wasm.clientSession.did);
    }
  });

  test("error: the same invocations are rejected once expired, or without the session registered", () => {
    const book = new DelegationBook();
    const inv = clientInvocations[0];
    expectCode(verifyInvocationHeader(inv.authorization, book.context(now)).authorization, "AUTH_UNKNOWN_PROOF");
    book.add(wasm.clientSession.session.delegationHeader.Authorization, now);
    expectCode(verifyInvocationHeader(inv.authorization, book.context(inv.exp + 0.001)).authorization, "AUTH_EXPIRED");
  });

  test("behavior: the host delegation is root authority of the wallet over its orbit", () => {
    const book = new DelegationBook();
    const record = book.add(wasm.host.authorization, now);
    assert.deepEqual(
      record.capabilities.map((c) => c.ability),
      ["tinycloud.space/host"],
    );
    assert.equal(record.audience, wasm.constants.hostPeer.did);
  });

  test("error: invocation over an authority-less share path (helper check: authorizeInvocation directly)", () => {
    const book = new DelegationBook();
    book.add(wasm.clientSession.session.delegationHeader.Authorization, now);
    const inv = invocationFromUcan(decodeUcan(clientInvocations[0].authorization));
    const outside = {
      ...inv,
      capabilities: [makeCapability(`${wasm.orbitIds?.[0]?.orbitId ?? "tinycloud:pkh:eip155:1:0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A://default"}/kv/other/x`, "tinycloud.kv/get")],
    };
    expectCode(authorizeInvocation(outside, book.context(now)), "AUTH_RESOURCE_ESCALATION");
  });
});
