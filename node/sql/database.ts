/**
 * One SQLite database file: opened in WAL mode with defensive flags, no extensions and tight SQLite limits,
 * and the request paths over it. Every client statement is compiled by prepareOne under the request's
 * authorizer; the node's own statements (BEGIN IMMEDIATE, COMMIT, the primary-key check) run with no
 * authorizer, after the client's statements are closed. Writes always run in one transaction (a batch
 * too: a failure anywhere applies nothing). Results are bounded by rows and by exact JSON bytes (413, never
 * a silent truncation); the size quota is SQLite's own `max_page_count` (a write past it fails and rolls back).
 */
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import { HttpError } from "../server/http-error.js";
import type { SqlGrant } from "./grant.js";
import { jsonValue } from "./params.js";
import { closeStatement, type Prepared, prepareOne } from "./prepare-one.js";
import { sqliteError } from "./sqlite-error.js";

export interface SqlLimits {
  /** Largest database file, in bytes. */
  readonly quotaBytes: number;
  /** Longest SQL text, in bytes (SQLite's own limit). */
  readonly maxSqlLength: number;
}

export const DEFAULT_SQL_LIMITS: SqlLimits = { quotaBytes: 100 * 1024 * 1024, maxSqlLength: 100_000 };

export interface Bounds {
  readonly maxRows: number;
  readonly maxBytes: number;
}

export interface SqlStatementInput {
  readonly sql: string;
  readonly params: readonly SQLInputValue[];
}

export interface ExecuteResult {
  readonly changes: number;
  readonly lastInsertRowId: number | null;
}

const PAGE_SIZE = 4096;

export class SqlDatabase {
  private readonly db: DatabaseSync;

  constructor(
    readonly path: string,
    limits: SqlLimits = DEFAULT_SQL_LIMITS,
  ) {
    this.db = openDatabase(path, limits, false);
    this.db.exec(`PRAGMA page_size = ${PAGE_SIZE}; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA trusted_schema = OFF;`);
    this.db.exec(`PRAGMA max_page_count = ${Math.max(1, Math.floor(limits.quotaBytes / PAGE_SIZE))}`);
  }

  close(): void {
    this.db.setAuthorizer(null);
    if (this.db.isOpen) this.db.close();
  }

  /** One read statement; the response body `{"columns","rows","rowCount"}` as exact JSON text. */
  query(grant: SqlGrant, input: SqlStatementInput, bounds: Bounds): string {
    return queryOn(this.db, grant, input, bounds);
  }

  /** Statements in one transaction: all applied, or (on any error) none. */
  execute(grant: SqlGrant, inputs: readonly SqlStatementInput[]): ExecuteResult[] {
    this.db.setAuthorizer(null);
    this.db.exec("BEGIN IMMEDIATE");
    try {
      const results = inputs.map((input) => this.executeOne(grant, input));
      this.db.setAuthorizer(null);
      this.db.exec("COMMIT");
      return results;
    } catch (error) {
      this.db.setAuthorizer(null);
      if (this.db.isTransaction) this.db.exec("ROLLBACK");
      throw sqliteError(error);
    }
  }

  /** A read (query shape) or a write (execute shape), whichever the statement is. */
  executeNamed(grant: SqlGrant, input: SqlStatementInput, bounds: Bounds): { kind: "query"; body: string } | { kind: "execute"; result: ExecuteResult } {
    const probe = prepareOne(this.db, input.sql, grant);
    const isRead = !probe.trace.writes && !probe.trace.ddl;
    this.finish(probe.statement);
    return isRead ? { kind: "query", body: this.query(grant, input, bounds) } : { kind: "execute", result: (this.execute(grant, [input]) as [ExecuteResult])[0] };
  }

  /** The whole database file (a consistent snapshot). */
  export(): Uint8Array {
    this.db.setAuthorizer(null);
    return this.db.serialize();
  }

  private executeOne(grant: SqlGrant, input: SqlStatementInput): ExecuteResult {
    const prepared = prepareOne(this.db, input.sql, grant);
    let result: { changes: number | bigint; lastInsertRowid: number | bigint };
    try {
      requireCallable(prepared, grant);
      result = prepared.statement.run(...input.params);
    } catch (error) {
      throw sqliteError(error);
    } finally {
      this.finish(prepared.statement);
    }
    for (const table of prepared.trace.created) this.requirePrimaryKey(table);
    return { changes: Number(result.changes), lastInsertRowId: prepared.trace.inserts ? Number(result.lastInsertRowid) : null };
  }

  /** A table without an explicit primary key is invisible to SQLite sessions (the changeset log), so DDL must declare one. */
  private requirePrimaryKey(table: string): void {
    this.db.setAuthorizer(null);
    const info = this.db.prepare("SELECT count(*) AS pk FROM pragma_table_info(?) WHERE pk > 0");
    const row = info.get(table) as { pk: number } | undefined;
    closeStatement(info);
    if ((row?.pk ?? 0) === 0) throw new HttpError("SQL_NO_PRIMARY_KEY", `table ${table} needs an explicit PRIMARY KEY (the changeset log only captures tables with one)`);
  }

  private finish(statement: StatementSync): void {
    closeStatement(statement);
    this.db.setAuthorizer(null);
  }
}

/** The statement's kind against the grant's abilities; a write may not call a non-deterministic function. */
/** The connection settings every connection to a database file uses (the read process opens it read-only). */
export function openDatabase(path: string, limits: SqlLimits, readOnly: boolean): DatabaseSync {
  return new DatabaseSync(path, {
    readOnly,
    defensive: true,
    allowExtension: false,
    enableForeignKeyConstraints: true,
    enableDoubleQuotedStringLiterals: false,
    limits: {
      attach: 0,
      sqlLength: limits.maxSqlLength,
      length: 10_000_000,
      exprDepth: 100,
      compoundSelect: 50,
      triggerDepth: 10,
      functionArg: 100,
      likePatternLength: 1000,
      column: 200,
      variableNumber: 999,
    },
  });
}

/** `query` on a connection: one read statement under the grant, bounded. */
export function queryOn(db: DatabaseSync, grant: SqlGrant, input: SqlStatementInput, bounds: Bounds): string {
  const prepared = prepareOne(db, input.sql, grant);
  try {
    requireCallable(prepared, grant);
    if (prepared.trace.writes || prepared.trace.ddl) throw new HttpError("SQL_NOT_A_QUERY", "query runs one read statement; send writes with execute");
    return readBody(prepared.statement, input.params, bounds);
  } finally {
    closeStatement(prepared.statement);
    db.setAuthorizer(null);
  }
}

function requireCallable(prepared: Prepared, grant: SqlGrant): void {
  const { trace } = prepared;
  if (trace.writes && !grant.write) throw new HttpError("SQL_DENIED", "writes need tinycloud.sql/write");
  if (trace.ddl && !grant.ddl) throw new HttpError("SQL_DENIED", "schema changes need tinycloud.sql/admin or schema");
  // A pure read needs read or select, except an admin's reads of the schema alone.
  const schemaOnly = !trace.userReads && grant.ddl;
  if (!trace.writes && !trace.ddl && !grant.readAll && grant.scope === undefined && !schemaOnly) throw new HttpError("SQL_DENIED", "reads need tinycloud.sql/read or select");
  if ((trace.writes || trace.ddl) && trace.nonDeterministic.size > 0) {
    throw new HttpError("SQL_NON_DETERMINISTIC", `${[...trace.nonDeterministic].join("(), ")}() may not be used in a write: its result could not be replayed (pass the value as a parameter)`);
  }
}

function readBody(statement: StatementSync, params: readonly SQLInputValue[], bounds: Bounds): string {
  statement.setReturnArrays(true);
  statement.setReadBigInts(true);
  const columns = statement.columns().map((c) => c.name);
  const head = `{"columns":${JSON.stringify(columns)},"rows":[`;
  let bytes = Buffer.byteLength(head);
  const parts: string[] = [head];
  let rowCount = 0;
  try {
    for (const row of statement.iterate(...params) as Iterable<unknown[]>) {
      if (rowCount === bounds.maxRows) throw new HttpError("SQL_TOO_LARGE", `the result has more than maxRows = ${bounds.maxRows} rows`);
      const text = `${rowCount === 0 ? "" : ","}[${row.map((v) => jsonValue(v as never)).join(",")}]`;
      bytes += Buffer.byteLength(text);
      if (bytes > bounds.maxBytes) throw new HttpError("SQL_TOO_LARGE", `the result is larger than maxBytes = ${bounds.maxBytes} bytes`);
      parts.push(text);
      rowCount += 1;
    }
  } catch (error) {
    throw sqliteError(error);
  }
  const tail = `],"rowCount":${rowCount}}`;
  if (bytes + Buffer.byteLength(tail) > bounds.maxBytes) throw new HttpError("SQL_TOO_LARGE", `the result is larger than maxBytes = ${bounds.maxBytes} bytes`);
  parts.push(tail);
  return parts.join("");
}
