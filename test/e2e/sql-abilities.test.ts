/**
 * The SQL service over `POST /invoke` against a real node (issue 16): each ability's honest use, each
 * escalation refused with its status and code, an atomic batch, a widening sub-delegation refused, and
 * bad input answered with a clear 4xx while the node stays healthy and keeps what was written.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { makeCapability } from "../../core/capability.js";
import { createUcan } from "../../core/auth/ucan.js";
import { signIn, type TinyCloudSession } from "../../node/client/client.js";
import { sessionKey } from "../helpers/actors.js";
import { type Answer, assertError, assertHealthy, clientWallet, post } from "../helpers/http-answer.js";
import { startTestNode, type TestNode } from "../helpers/node.js";

type Caveats = readonly Record<string, unknown>[];
const SELECT_CAVEAT: Caveats = [{ tables: ["t"], columns: ["a", "b"] }];
const STATEMENTS: Caveats = [{ mode: "constrained-statements", readOnly: true, statements: [{ name: "byA", sql: "SELECT a, b FROM t WHERE a = ?", fixedParams: [{ index: 0, value: 1 }] }] }];

describe("SQL service over POST /invoke", () => {
  let node: TestNode;
  const ownerWallet = clientWallet(0x5a);
  let owner: TinyCloudSession;
  let spaceId: string;

  async function as(abilities: string[], caveats: Caveats = []): Promise<(body: unknown) => Promise<Answer>> {
    const session = await signIn({ url: node.url, wallet: ownerWallet, capabilities: [{ resource: `${spaceId}/sql/app.db`, abilities, ...(caveats.length > 0 ? { caveats } : {}) }] });
    return (body) =>
      post(
        node.url,
        "/invoke",
        { authorization: session.invocation(abilities.map((ability) => makeCapability(session.resource("sql", "app.db"), ability, caveats))), "content-type": "application/json" },
        typeof body === "string" ? body : JSON.stringify(body),
      );
  }
  const ok = (answer: Answer): unknown => {
    assert.equal(answer.status, 200, answer.text);
    return JSON.parse(answer.text);
  };

  before(async () => {
    node = await startTestNode();
    owner = await signIn({ url: node.url, wallet: ownerWallet });
    spaceId = owner.spaceId;
    const admin = await as(["tinycloud.sql/admin"]);
    ok(await admin({ action: "batch", statements: [{ sql: "CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT, c TEXT)" }, { sql: "CREATE VIEW v AS SELECT a, c FROM t" }] }));
    const write = await as(["tinycloud.sql/write"]);
    ok(await write({ action: "batch", statements: [{ sql: "INSERT INTO t VALUES (?, ?, ?)", params: [1, "one", "secret1"] }, { sql: "INSERT INTO t VALUES (2, 'two', 'secret2')" }] }));
  });
  after(() => node.stop());

  describe("honest use", () => {
    test("read: query → {columns, rows, rowCount}", async () => {
      const read = await as(["tinycloud.sql/read"]);
      assert.deepEqual(ok(await read({ action: "query", sql: "SELECT a, c FROM t ORDER BY a" })), {
        columns: ["a", "c"],
        rows: [
          [1, "secret1"],
          [2, "secret2"],
        ],
        rowCount: 2,
      });
    });

    test("write: execute → {changes, lastInsertRowId}", async () => {
      const write = await as(["tinycloud.sql/write"]);
      assert.deepEqual(ok(await write({ action: "execute", sql: "INSERT INTO t (b, c) VALUES (?, ?)", params: ["three", "s3"] })), { changes: 1, lastInsertRowId: 3 });
      assert.deepEqual(ok(await write({ action: "execute", sql: "DELETE FROM t WHERE a = 3" })), { changes: 1, lastInsertRowId: null });
    });

    test("schema (the SDK's DDL ability): execute with schema", async () => {
      const schema = await as(["tinycloud.sql/schema"]);
      ok(await schema({ action: "execute", schema: ["CREATE TABLE IF NOT EXISTS s (k TEXT PRIMARY KEY)"], sql: "CREATE INDEX IF NOT EXISTS s_k ON s (k)" }));
    });

    test("select with a table/column caveat from the session's delegation", async () => {
      const select = await as(["tinycloud.sql/select"], SELECT_CAVEAT);
      assert.deepEqual(ok(await select({ action: "query", sql: "SELECT a, b FROM t WHERE a = 1" })), { columns: ["a", "b"], rows: [[1, "one"]], rowCount: 1 });
    });

    test("execute: a named statement with its pinned parameter", async () => {
      const execute = await as(["tinycloud.sql/execute"], STATEMENTS);
      assert.deepEqual(ok(await execute({ action: "executeStatement", name: "byA", params: [null] })), { columns: ["a", "b"], rows: [[1, "one"]], rowCount: 1 });
    });

    test("export: the database file", async () => {
      const read = await as(["tinycloud.sql/read"]);
      const answer = await read({ action: "export" });
      assert.equal(answer.status, 200);
      assert.ok(answer.text.startsWith("SQLite format 3"));
    });
  });

  describe("escalations", () => {
    test("a read delegate writes → 403 SQL_DENIED", async () => {
      assertError(await (await as(["tinycloud.sql/read"]))({ action: "execute", sql: "DELETE FROM t" }), 403, "SQL_DENIED");
    });
    test("a write delegate runs DDL → 403 SQL_DENIED", async () => {
      assertError(await (await as(["tinycloud.sql/write"]))({ action: "execute", sql: "DROP TABLE t" }), 403, "SQL_DENIED");
    });
    test("select outside its caveat: JOIN, subquery, view, SELECT * → 403 SQL_DENIED", async () => {
      const select = await as(["tinycloud.sql/select"], SELECT_CAVEAT);
      for (const sql of ["SELECT t.a FROM t JOIN t AS u ON u.c = t.b", "SELECT a FROM t WHERE a IN (SELECT a FROM t WHERE c = 'secret1')", "SELECT c FROM v", "SELECT * FROM t"]) {
        assertError(await select({ action: "query", sql }), 403, "SQL_DENIED");
      }
    });
    test("execute: an unlisted statement, a pinned parameter overridden, a raw query", async () => {
      const execute = await as(["tinycloud.sql/execute"], STATEMENTS);
      assertError(await execute({ action: "executeStatement", name: "dropAll" }), 403, "SQL_STATEMENT_NOT_ALLOWED");
      assertError(await execute({ action: "executeStatement", name: "byA", params: [2] }), 403, "SQL_FIXED_PARAM_OVERRIDE");
      assertError(await execute({ action: "query", sql: "SELECT c FROM t" }), 403, "SQL_DENIED");
    });
    test("ATTACH, multi-statement input, PRAGMA without admin, random() in a write", async () => {
      const all = await as(["tinycloud.sql/read", "tinycloud.sql/write"]);
      assertError(await all({ action: "execute", sql: "ATTACH DATABASE 'x.db' AS x" }), 403, "SQL_DENIED");
      assertError(await all({ action: "execute", sql: "SELECT 1; DELETE FROM t" }), 400, "SQL_NOT_ONE_STATEMENT");
      assertError(await all({ action: "query", sql: "PRAGMA table_info(t)" }), 403, "SQL_DENIED");
      assertError(await all({ action: "execute", sql: "INSERT INTO t (b) VALUES (random())" }), 403, "SQL_NON_DETERMINISTIC");
    });
    test("a sub-delegation that widens the select caveat is refused at POST /delegate", async () => {
      const select = await signIn({ url: node.url, wallet: ownerWallet, capabilities: [{ resource: `${spaceId}/sql/app.db`, abilities: ["tinycloud.sql/select"], caveats: SELECT_CAVEAT }] });
      const wider = createUcan({
        issuer: select.key,
        audience: sessionKey(0x52).did,
        capabilities: [makeCapability(select.resource("sql", "app.db"), "tinycloud.sql/select", [{ tables: ["t"], columns: ["a", "b", "c"] }])],
        proofs: select.proofs,
        expiration: Math.floor(Date.now() / 1000) + 600,
        nonce: `urn:uuid:${crypto.randomUUID()}`,
      });
      assertError(await post(node.url, "/delegate", { authorization: wider }), 401, "AUTH_CAVEAT_ESCALATION");
    });
  });

  test("an atomic batch: a failure in its middle applies nothing", async () => {
    const write = await as(["tinycloud.sql/write"]);
    assertError(await write({ action: "batch", statements: [{ sql: "INSERT INTO t (a, b) VALUES (10, 'x')" }, { sql: "INSERT INTO t (a, b) VALUES (1, 'dup')" }] }), 400, "SQL_ERROR");
    const read = await as(["tinycloud.sql/read"]);
    assert.deepEqual((ok(await read({ action: "query", sql: "SELECT count(*) FROM t WHERE a = 10" })) as { rows: unknown[] }).rows, [[0]]);
  });

  test("bad input: non-JSON body, huge parameter array, oversized SQL, a million-row result → 4xx; node healthy, rows kept", async () => {
    const read = await as(["tinycloud.sql/read"]);
    assertError(await read("not json"), 400, "SQL_BAD_REQUEST");
    assertError(await read({ action: "query", sql: "SELECT ?", params: new Array(100_000).fill(1) }), 400, "SQL_BAD_PARAMS");
    assertError(await read({ action: "query", sql: `SELECT ${"1+".repeat(100_000)}1` }), 400, "SQL_ERROR");
    const million = "WITH d(x) AS (VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)) SELECT 1 FROM d a, d b, d c, d e, d f, d g";
    assertError(await read({ action: "query", sql: million }), 413, "SQL_TOO_LARGE");
    await assertHealthy(node.url);
    assert.deepEqual((ok(await read({ action: "query", sql: "SELECT count(*) FROM t" })) as { rows: unknown[] }).rows, [[2]]);
  });

  test("a runaway read (a 10^10-row cartesian join) → 422 SQL_TIMEOUT at the time limit; the node answers meanwhile", async () => {
    const read = await as(["tinycloud.sql/read"]);
    const runaway = "WITH d(x) AS (VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)) SELECT count(*) FROM d a, d b, d c, d e, d f, d g, d h, d i, d j, d k";
    const started = Date.now();
    const pending = read({ action: "query", sql: runaway });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const pingStart = Date.now();
    await assertHealthy(node.url);
    assert.deepEqual((ok(await read({ action: "query", sql: "SELECT count(*) FROM t" })) as { rows: unknown[] }).rows, [[2]]);
    const pingMs = Date.now() - pingStart;
    assert.ok(pingMs < 2000, `the node answered in ${pingMs} ms during the runaway read`);
    assertError(await pending, 422, "SQL_TIMEOUT");
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 15_000, `stopped after ${elapsed} ms`);
    console.log(`runaway read stopped after ${elapsed} ms; health + a read answered in ${pingMs} ms meanwhile`);
    assert.deepEqual((ok(await read({ action: "query", sql: "SELECT count(*) FROM t" })) as { rows: unknown[] }).rows, [[2]], "a fresh read process");
  });

  test("the typed client: sql.* return Results (values, and the node's errors as values)", async () => {
    const session = await signIn({ url: node.url, wallet: ownerWallet, capabilities: [{ resource: `${spaceId}/sql/client.db`, abilities: ["tinycloud.sql/*"] }] });
    const all = { as: "tinycloud.sql/*" };
    assert.deepEqual(await session.sql.execute("client.db", "CREATE TABLE n (id INTEGER PRIMARY KEY, v TEXT)", [], all), { ok: true, value: { changes: 0, lastInsertRowId: null } });
    const batch = await session.sql.batch(
      "client.db",
      [
        { sql: "INSERT INTO n (v) VALUES (?)", params: ["a"] },
        { sql: "INSERT INTO n (v) VALUES (?)", params: ["b"] },
      ],
      all,
    );
    assert.deepEqual(batch, {
      ok: true,
      value: {
        results: [
          { changes: 1, lastInsertRowId: 1 },
          { changes: 1, lastInsertRowId: 2 },
        ],
      },
    });
    assert.deepEqual(await session.sql.query("client.db", "SELECT v FROM n ORDER BY id", [], all), { ok: true, value: { columns: ["v"], rows: [["a"], ["b"]], rowCount: 2 } });
    const denied = await session.sql.execute("client.db", "INSERT INTO n (v) VALUES (random())", [], all);
    assert.equal(denied.ok, false);
    assert.equal(denied.ok ? undefined : denied.error.code, "SQL_NON_DETERMINISTIC");
    const file = await session.sql.export("client.db", all);
    assert.ok(file.ok && new TextDecoder().decode(file.value.subarray(0, 15)) === "SQLite format 3");
  });
});
