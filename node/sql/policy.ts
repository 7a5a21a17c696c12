/**
 * The per-statement SQLite authorizer: deny by default, keyed on SQLite's action codes (never on the SQL
 * text). It runs while SQLite compiles a statement, so every table and column a statement touches (through
 * JOINs, subqueries, views — reported against their base columns — and trigger bodies) is decided here.
 * It also records what it saw, so the caller can classify the statement (read, write, DDL) and refuse a
 * write that calls a non-deterministic function.
 * Never allowed: ATTACH/DETACH, client transactions and savepoints, recursive CTEs (unbounded CPU), temp
 * objects (they would outlive the request on the shared connection), virtual tables, `sqlite_*` internals
 * outside DDL, and any code this table does not list.
 */
import { constants as C } from "node:sqlite";
import { ALLOWED_FUNCTIONS, ALTER_HELPERS, NON_DETERMINISTIC_FUNCTIONS } from "./functions.js";
import type { SqlGrant } from "./grant.js";
import { scopeAllowsRead } from "./select-scope.js";

/** Read-only introspection PRAGMAs an admin may run (and the `pragma_*` table-valued forms of them). */
export const ADMIN_PRAGMAS: ReadonlySet<string> = new Set([
  "table_info",
  "table_xinfo",
  "table_list",
  "index_list",
  "index_info",
  "index_xinfo",
  "foreign_key_list",
  "foreign_key_check",
  "integrity_check",
  "quick_check",
  "user_version",
]);

const DDL_CODES: ReadonlySet<number> = new Set([
  C.SQLITE_CREATE_INDEX,
  C.SQLITE_CREATE_TABLE,
  C.SQLITE_CREATE_TRIGGER,
  C.SQLITE_CREATE_VIEW,
  C.SQLITE_DROP_INDEX,
  C.SQLITE_DROP_TABLE,
  C.SQLITE_DROP_TRIGGER,
  C.SQLITE_DROP_VIEW,
  C.SQLITE_ALTER_TABLE,
]);

/** What the authorizer saw while one statement compiled. */
export interface StatementTrace {
  callbacks: number;
  /** A DML code on a user table (not SQLite's own schema bookkeeping). */
  writes: boolean;
  /** An INSERT outside any trigger: the statement's lastInsertRowId is meaningful. */
  inserts: boolean;
  ddl: boolean;
  createdIndex: boolean;
  /** A READ of a client table (not the schema or a pragma_* function). */
  userReads: boolean;
  /** Tables created by this statement (checked for an explicit primary key afterwards). */
  readonly created: string[];
  /** Tables and views dropped by this statement. */
  readonly dropped: Set<string>;
  readonly nonDeterministic: Set<string>;
  /** The first refusal, for the error message. */
  denied?: string;
}

export function newTrace(): StatementTrace {
  return { callbacks: 0, writes: false, inserts: false, ddl: false, createdIndex: false, userReads: false, created: [], dropped: new Set(), nonDeterministic: new Set() };
}

type Authorizer = (code: number, arg1: string | null, arg2: string | null, dbName: string | null, trigger: string | null) => number;

export function makeAuthorizer(grant: SqlGrant, trace: StatementTrace): Authorizer {
  return (code, arg1, arg2, dbName, trigger) => {
    trace.callbacks += 1;
    if (code === C.SQLITE_INSERT && trigger === null && !isInternal(arg1 ?? "")) trace.inserts = true;
    const reason = decide(grant, trace, code, arg1 ?? "", arg2 ?? "", dbName);
    if (reason === undefined) return C.SQLITE_OK;
    trace.denied ??= reason;
    return C.SQLITE_DENY;
  };
}

/** Denies everything: compiles the tail of an input only to learn whether it holds another statement. */
export const DENY_ALL: Authorizer = () => C.SQLITE_DENY;

const isInternal = (table: string): boolean => table.toLowerCase().startsWith("sqlite_");
const isPragmaTable = (table: string): boolean => table.toLowerCase().startsWith("pragma_");

/** undefined = allow; otherwise why not. */
function decide(grant: SqlGrant, trace: StatementTrace, code: number, a1: string, a2: string, dbName: string | null): string | undefined {
  // Only the main database exists for clients (attach limit 0; temp objects are refused below).
  // (ALTER TABLE … RENAME also rewrites SQLite's temp schema table, which holds nothing of the client's.)
  if (dbName !== null && dbName !== "main" && !(dbName === "temp" && grant.ddl && trace.ddl && a1.toLowerCase() === "sqlite_temp_master")) return `database ${dbName} is not accessible`;
  switch (code) {
    case C.SQLITE_SELECT:
      return grant.readAll || grant.scope !== undefined || grant.write || grant.ddl ? undefined : "SELECT needs tinycloud.sql/read or select";
    case C.SQLITE_READ:
      if (!isInternal(a1) && !isPragmaTable(a1)) trace.userReads = true;
      return decideRead(grant, a1, a2);
    case C.SQLITE_FUNCTION: {
      const name = a2.toLowerCase();
      if (ALTER_HELPERS.has(name) && trace.ddl && grant.ddl) return undefined;
      if (!ALLOWED_FUNCTIONS.has(name)) return `function ${name}() is not allowed`;
      if (NON_DETERMINISTIC_FUNCTIONS.has(name)) trace.nonDeterministic.add(name);
      return undefined;
    }
    case C.SQLITE_INSERT:
    case C.SQLITE_UPDATE:
    case C.SQLITE_DELETE:
      // SQLite's own schema rows change inside DDL; clients cannot write them (defensive mode refuses it too).
      if (isInternal(a1)) return grant.ddl ? undefined : `${a1} is SQLite's own table (schema changes need tinycloud.sql/admin or schema)`;
      // DROP TABLE / DROP VIEW empties what it drops: part of the DDL, not a row write.
      if (code === C.SQLITE_DELETE && grant.ddl && trace.dropped.has(a1.toLowerCase())) return undefined;
      trace.writes = true;
      return grant.write ? undefined : "writes need tinycloud.sql/write";
    case C.SQLITE_PRAGMA:
      return grant.admin && ADMIN_PRAGMAS.has(a1.toLowerCase()) ? undefined : `PRAGMA ${a1} needs tinycloud.sql/admin and is allowed only for ${[...ADMIN_PRAGMAS].join(", ")}`;
    case C.SQLITE_REINDEX:
      // CREATE INDEX builds its index with a REINDEX of the new index.
      if (grant.ddl && trace.createdIndex) return undefined;
      trace.ddl = true;
      return grant.admin ? undefined : "REINDEX needs tinycloud.sql/admin";
    case C.SQLITE_ANALYZE:
      trace.ddl = true;
      return grant.admin ? undefined : "ANALYZE needs tinycloud.sql/admin";
    case C.SQLITE_ATTACH:
    case C.SQLITE_DETACH:
      return "ATTACH and DETACH are never allowed";
    case C.SQLITE_TRANSACTION:
    case C.SQLITE_SAVEPOINT:
      return "the node owns transactions (send a batch for several statements in one transaction)";
    case C.SQLITE_RECURSIVE:
      return "recursive queries are not allowed";
  }
  if (DDL_CODES.has(code)) {
    trace.ddl = true;
    if (code === C.SQLITE_CREATE_TABLE) trace.created.push(a1);
    if (code === C.SQLITE_CREATE_INDEX) trace.createdIndex = true;
    if (code === C.SQLITE_DROP_TABLE || code === C.SQLITE_DROP_VIEW) trace.dropped.add(a1.toLowerCase());
    // SQLite names the index of a PRIMARY KEY or UNIQUE constraint itself; clients cannot use the prefix.
    if (isInternal(a1) && !a1.toLowerCase().startsWith("sqlite_autoindex_")) return `${a1} is SQLite's own`;
    return grant.ddl ? undefined : "schema changes need tinycloud.sql/admin or schema";
  }
  return `SQLite action ${code} is not allowed`;
}

function decideRead(grant: SqlGrant, table: string, column: string): string | undefined {
  if (isInternal(table)) return grant.ddl ? undefined : `${table} is SQLite's own table (schema reads need tinycloud.sql/admin)`;
  if (isPragmaTable(table)) return grant.admin && ADMIN_PRAGMAS.has(table.slice("pragma_".length).toLowerCase()) ? undefined : `${table} needs tinycloud.sql/admin`;
  if (grant.readAll) return undefined;
  // A select caveat binds every read, those inside a write too (the stricter reading when both are held).
  if (grant.scope !== undefined) return scopeAllowsRead(grant.scope, table, column) ? undefined : `reading ${table}.${column || "*"} is outside the select caveat`;
  return grant.write || grant.ddl ? undefined : "reads need tinycloud.sql/read or select";
}
