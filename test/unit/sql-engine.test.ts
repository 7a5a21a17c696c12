/**
 * The SQL engine (node/sql) against real node:sqlite files: each ability's honest use, and every escalation
 * of the "Must show" list refused by the authorizer (or the single-statement check), not by a scan.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { HttpError } from "../../node/server/http-error.js";
import { SqlDatabase } from "../../node/sql/database.js";
import { grantOf } from "../../node/sql/grant.js";
import { SqlManager } from "../../node/sql/manager.js";
import { parseStatementsCaveat, resolveNamed } from "../../node/sql/named-statements.js";
import { toSqlParams } from "../../node/sql/params.js";
import { intersectScopes, parseSelectCaveat, scopeCovers } from "../../node/sql/select-scope.js";

const BOUNDS = { maxRows: 1000, maxBytes: 1 << 20 };
const ADMIN = grantOf(["tinycloud.sql/admin"]);
const WRITE = grantOf(["tinycloud.sql/write"]);
const READ = grantOf(["tinycloud.sql/read"]);
const SCHEMA = grantOf(["tinycloud.sql/schema"]);
const SELECT_AB = grantOf(["tinycloud.sql/select"], parseSelectCaveat({ tables: ["t"], columns: ["a", "b"] }));

const st = (sql: string, params: unknown[] = []) => ({ sql, params: toSqlParams(params) });
const refused = (code: string, pattern?: RegExp) => (e: unknown) => {
  assert.ok(e instanceof HttpError, `not an HttpError: ${String(e)}`);
  assert.equal(e.code, code, e.message);
  if (pattern !== undefined) assert.match(e.message, pattern);
  return true;
};

let dir: string;
let db: SqlDatabase;

before(() => {
  dir = mkdtempSync(join(tmpdir(), "sql-engine-"));
  db = new SqlDatabase(join(dir, "app.sqlite"));
  db.execute(ADMIN, [st("CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT, c TEXT)"), st("CREATE TABLE u (id INTEGER PRIMARY KEY, x TEXT)"), st("CREATE VIEW v AS SELECT a, c FROM t")]);
  db.execute(WRITE, [st("INSERT INTO t (a, b, c) VALUES (?, ?, ?)", [1, "one", "secret1"]), st("INSERT INTO t (a, b, c) VALUES (2, 'two', 'secret2')"), st("INSERT INTO u VALUES (1, 'ux')")]);
});
after(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const rows = (body: string) => JSON.parse(body) as { columns: string[]; rows: unknown[][]; rowCount: number };

describe("honest use of each ability", () => {
  test("read: any single SELECT, the reference's response shape", () => {
    assert.deepEqual(rows(db.query(READ, st("SELECT a, c FROM t WHERE a = ?", [1]), BOUNDS)), { columns: ["a", "c"], rows: [[1, "secret1"]], rowCount: 1 });
    assert.deepEqual(rows(db.query(READ, st("SELECT count(*) AS n FROM t JOIN u ON u.id = t.a"), BOUNDS)).rows, [[1]]);
  });

  test("write: INSERT / UPDATE / DELETE with changes and lastInsertRowId (INSERT only)", () => {
    assert.deepEqual(db.execute(WRITE, [st("INSERT INTO u (x) VALUES (?)", ["w"])]), [{ changes: 1, lastInsertRowId: 2 }]);
    assert.deepEqual(db.execute(WRITE, [st("UPDATE u SET x = ? WHERE id = ?", ["w2", 2])]), [{ changes: 1, lastInsertRowId: null }]);
    assert.deepEqual(db.execute(WRITE, [st("DELETE FROM u WHERE id = 2")]), [{ changes: 1, lastInsertRowId: null }]);
  });

  test("admin and schema: DDL; admin also reads the schema and runs allow-listed PRAGMAs", () => {
    db.execute(SCHEMA, [st("CREATE TABLE s1 (k TEXT PRIMARY KEY, n INTEGER)"), st("ALTER TABLE s1 ADD COLUMN m TEXT"), st("ALTER TABLE s1 RENAME COLUMN m TO m2"), st("CREATE INDEX s1_n ON s1 (n)")]);
    db.execute(ADMIN, [st("REINDEX s1_n")]);
    assert.throws(() => db.execute(SCHEMA, [st("REINDEX s1_n")]), refused("SQL_DENIED", /admin/));
    db.execute(ADMIN, [st("DROP TABLE s1")]);
    assert.equal(rows(db.query(ADMIN, st("SELECT name FROM pragma_table_info('t') ORDER BY cid"), BOUNDS)).rowCount, 3);
    assert.deepEqual(
      rows(db.query(ADMIN, st("PRAGMA table_info(u)"), BOUNDS)).rows.map((r) => r[1]),
      ["id", "x"],
    );
  });

  test("select with a caveat: the listed columns, count(*) on a listed table, WHERE on listed columns", () => {
    assert.deepEqual(rows(db.query(SELECT_AB, st("SELECT a, b FROM t WHERE a = 1 ORDER BY b"), BOUNDS)).rows, [[1, "one"]]);
    assert.deepEqual(rows(db.query(SELECT_AB, st("SELECT count(*) FROM t"), BOUNDS)).rows, [[2]]);
  });

  test("execute: a named statement with a pinned parameter, bound by the node", () => {
    const caveat = parseStatementsCaveat({
      mode: "constrained-statements",
      readOnly: true,
      statements: [{ name: "byA", sql: "SELECT a, b FROM t WHERE a = ? AND b <> ?", fixedParams: [{ index: 0, value: 2 }] }],
    });
    const { sql, params } = resolveNamed(caveat, "byA", [null, "x"]);
    assert.deepEqual(rows(db.query(grantOf(["tinycloud.sql/read"]), { sql, params }, BOUNDS)).rows, [[2, "two"]]);
  });

  test("single-statement check accepts trailing semicolons and comments, and ';' inside a string", () => {
    assert.equal(rows(db.query(READ, st("SELECT ';' AS s;  -- done\n"), BOUNDS)).rowCount, 1);
  });
});

describe("escalations are refused", () => {
  test("a read delegate writes", () => {
    assert.throws(() => db.execute(READ, [st("DELETE FROM t")]), refused("SQL_DENIED", /write/));
    assert.throws(() => db.execute(READ, [st("INSERT INTO u (x) VALUES ('r')")]), refused("SQL_DENIED"));
  });

  test("a write delegate runs DDL, or a bare SELECT", () => {
    assert.throws(() => db.execute(WRITE, [st("CREATE TABLE w (id INTEGER PRIMARY KEY)")]), refused("SQL_DENIED", /schema/));
    assert.throws(() => db.execute(WRITE, [st("DROP TABLE u")]), refused("SQL_DENIED"));
    assert.throws(() => db.query(WRITE, st("SELECT c FROM t"), BOUNDS), refused("SQL_DENIED"));
  });

  test("a schema delegate writes rows", () => {
    assert.throws(() => db.execute(SCHEMA, [st("DELETE FROM t")]), refused("SQL_DENIED"));
  });

  for (const sql of [
    "SELECT c FROM t",
    "SELECT * FROM t",
    "SELECT a FROM t WHERE c LIKE 's%'",
    "SELECT t.a FROM t JOIN u ON u.id = t.a",
    "SELECT a FROM t WHERE a IN (SELECT a FROM t WHERE c = 'secret1')",
    "SELECT c FROM v",
    "SELECT a FROM t ORDER BY c",
    "SELECT sql FROM sqlite_master",
    "SELECT name FROM pragma_table_info('t')",
  ]) {
    test(`select reads outside its caveat: ${sql}`, () => {
      assert.throws(() => db.query(SELECT_AB, st(sql), BOUNDS), refused("SQL_DENIED"));
    });
  }

  test("execute runs a statement not in its list, or overrides a pinned parameter", () => {
    const caveat = parseStatementsCaveat({ mode: "constrained-statements", statements: [{ name: "byA", sql: "SELECT a, b FROM t WHERE a = ? AND b <> ?", fixedParams: [{ index: 0, value: 2 }] }] });
    assert.throws(() => resolveNamed(caveat, "dropAll", []), refused("SQL_STATEMENT_NOT_ALLOWED", /sql-statement-not-allowed/));
    assert.throws(() => resolveNamed(caveat, "byA", [1, "x"]), refused("SQL_FIXED_PARAM_OVERRIDE", /sql-fixed-param-override/));
  });

  for (const [name, sql] of [
    ["ATTACH", "ATTACH DATABASE 'other.sqlite' AS o"],
    ["DETACH", "DETACH DATABASE main"],
    ["client BEGIN", "BEGIN"],
    ["client SAVEPOINT", "SAVEPOINT s"],
    ["VACUUM (no authorizer callback)", "VACUUM"],
    ["VACUUM INTO", "VACUUM INTO '/tmp/x.sqlite'"],
    ["temp table", "CREATE TEMP TABLE tt (id INTEGER PRIMARY KEY)"],
    ["PRAGMA outside the allow-list", "PRAGMA writable_schema = 1"],
    ["load_extension", "SELECT load_extension('/tmp/x.so')"],
    ["recursive CTE", "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r"],
    ["sqlite_ function", "SELECT sqlite_version()"],
  ] as const) {
    test(`never allowed, even for an admin: ${name}`, () => {
      assert.throws(() => db.execute(grantOf(["tinycloud.sql/*"]), [st(sql)]), refused("SQL_DENIED"));
    });
  }

  test("multi-statement input (SQLite decides where the statement ends)", () => {
    for (const sql of ["SELECT 1; DELETE FROM t", "SELECT 1; VACUUM", "SELECT 1;;SELECT 2", "SELECT 1; garbage"]) {
      assert.throws(() => db.query(grantOf(["tinycloud.sql/*"]), st(sql), BOUNDS), refused("SQL_NOT_ONE_STATEMENT"), sql);
    }
    assert.equal(rows(db.query(READ, st("SELECT count(*) FROM t"), BOUNDS)).rows[0]?.[0], 2, "nothing was deleted");
  });

  test("PRAGMA or schema reads without admin", () => {
    for (const grant of [READ, WRITE, SCHEMA]) {
      assert.throws(() => db.query(grant, st("PRAGMA table_info(t)"), BOUNDS), refused("SQL_DENIED", /PRAGMA/));
    }
    assert.throws(() => db.query(READ, st("SELECT sql FROM sqlite_master"), BOUNDS), refused("SQL_DENIED"));
    assert.throws(() => db.query(READ, st("SELECT * FROM pragma_table_info('t')"), BOUNDS), refused("SQL_DENIED"));
  });

  test("non-deterministic functions in a write", () => {
    for (const sql of ["INSERT INTO u (x) VALUES (random())", "UPDATE u SET x = datetime('now')", "INSERT INTO u (x) VALUES (CURRENT_TIMESTAMP)", "UPDATE u SET x = hex(randomblob(4))"]) {
      assert.throws(() => db.execute(WRITE, [st(sql)]), refused("SQL_NON_DETERMINISTIC"), sql);
    }
    assert.equal(rows(db.query(READ, st("SELECT typeof(random())"), BOUNDS)).rows[0]?.[0], "integer", "reads may call them");
  });

  test("DDL without an explicit primary key", () => {
    assert.throws(() => db.execute(ADMIN, [st("CREATE TABLE nopk (q TEXT)")]), refused("SQL_NO_PRIMARY_KEY"));
    assert.throws(() => db.query(READ, st("SELECT * FROM nopk"), BOUNDS), refused("SQL_ERROR", /no such table/), "rolled back");
  });
});

describe("transactions and limits", () => {
  test("a batch is atomic: a failure in its middle applies nothing", () => {
    assert.throws(
      () => db.execute(WRITE, [st("INSERT INTO u (id, x) VALUES (10, 'a')"), st("INSERT INTO u (id, x) VALUES (1, 'dup')"), st("INSERT INTO u (id, x) VALUES (11, 'c')")]),
      refused("SQL_ERROR", /UNIQUE/),
    );
    assert.deepEqual(rows(db.query(READ, st("SELECT count(*) FROM u WHERE id >= 10"), BOUNDS)).rows, [[0]]);
  });

  test("rows and exact JSON bytes over the bounds are 413, never truncated", () => {
    const all = db.query(READ, st("SELECT a, b FROM t"), BOUNDS);
    assert.equal(db.query(READ, st("SELECT a, b FROM t"), { maxRows: 2, maxBytes: Buffer.byteLength(all) }), all);
    assert.throws(() => db.query(READ, st("SELECT a, b FROM t"), { maxRows: 1, maxBytes: 1 << 20 }), refused("SQL_TOO_LARGE"));
    assert.throws(() => db.query(READ, st("SELECT a, b FROM t"), { maxRows: 10, maxBytes: Buffer.byteLength(all) - 1 }), refused("SQL_TOO_LARGE"));
  });

  test("the size quota is SQLite's own: a write past it fails and rolls back", () => {
    const small = new SqlDatabase(join(dir, "small.sqlite"), { quotaBytes: 64 * 1024, maxSqlLength: 100_000 });
    small.execute(ADMIN, [st("CREATE TABLE big (id INTEGER PRIMARY KEY, blob TEXT)")]);
    assert.throws(() => small.execute(WRITE, [st("INSERT INTO big (blob) VALUES (?)", ["x".repeat(200_000)])]), refused("SQL_QUOTA_EXCEEDED"));
    assert.equal(rows(small.query(READ, st("SELECT count(*) FROM big"), BOUNDS)).rows[0]?.[0], 0);
    small.close();
  });

  test("bad parameters and oversized SQL are 400s", () => {
    assert.throws(() => toSqlParams({}), refused("SQL_BAD_PARAMS"));
    assert.throws(() => toSqlParams(new Array(5000).fill(1)), refused("SQL_BAD_PARAMS"));
    assert.throws(() => toSqlParams([{ a: 1 }]), refused("SQL_BAD_PARAMS"));
    assert.throws(() => db.query(READ, st(`SELECT ${"1+".repeat(60_000)}1`), BOUNDS), refused("SQL_ERROR"));
    assert.throws(() => db.query(READ, st("SELECT ?", [1, 2]), BOUNDS), refused("SQL_ERROR"));
  });
});

describe("caveats and the manager", () => {
  test("select caveats attenuate: intersection binds, a widening child is not covered", () => {
    const parent = parseSelectCaveat({ tables: ["t"], columns: ["a", "b"] });
    const child = parseSelectCaveat({ tables: ["t"], columns: ["a"] });
    const wide = parseSelectCaveat({ tables: ["t", "u"], columns: ["a", "b", "c"] });
    assert.ok(scopeCovers(parent, child));
    assert.ok(!scopeCovers(parent, wide));
    assert.ok(!scopeCovers(child, parent));
    const bound = grantOf(["tinycloud.sql/select"], intersectScopes(parent, wide));
    assert.throws(() => db.query(bound, st("SELECT c FROM t"), BOUNDS), refused("SQL_DENIED"));
  });

  test("the manager serializes requests per database and reopens after idle close", async () => {
    const manager = new SqlManager(dir, undefined, 20);
    await manager.run("space1", "app.db", (d) => d.execute(ADMIN, [st("CREATE TABLE k (id INTEGER PRIMARY KEY)")]));
    const inserts = Array.from({ length: 20 }, (_, i) => manager.run("space1", "app.db", (d) => d.execute(WRITE, [st("INSERT INTO k (id) VALUES (?)", [i])])));
    await Promise.all(inserts);
    await new Promise((resolve) => setTimeout(resolve, 60));
    const body = await manager.run("space1", "app.db", (d) => d.query(READ, st("SELECT count(*) FROM k"), BOUNDS));
    assert.equal(rows(body).rows[0]?.[0], 20);
    assert.throws(() => manager.run("space1", "../x", () => 1), refused("SQL_BAD_REQUEST"));
    manager.close();
  });
});
