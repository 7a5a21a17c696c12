/**
 * Compile exactly one statement under an authorizer, with SQLite itself judging where the statement ends:
 * node:sqlite compiles only the first statement of its input (silently), and `sourceSQL` is that
 * statement's text, so the rest of the input is compiled again, under an authorizer that denies
 * everything. Only node:sqlite's "contains no statements" answer (whitespace, comments, `;`) accepts it;
 * any other outcome — a second statement, even one that compiles with no authorizer callback (VACUUM), or
 * a parse error — refuses the input. No keyword scan.
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { HttpError } from "../server/http-error.js";
import { DENY_ALL, makeAuthorizer, newTrace, type StatementTrace } from "./policy.js";
import type { SqlGrant } from "./grant.js";
import { sqliteError } from "./sqlite-error.js";

export interface Prepared {
  readonly statement: StatementSync;
  readonly trace: StatementTrace;
}

export function prepareOne(db: DatabaseSync, sql: string, grant: SqlGrant): Prepared {
  const trace = newTrace();
  db.setAuthorizer(makeAuthorizer(grant, trace));
  let statement: StatementSync;
  try {
    statement = db.prepare(sql);
  } catch (error) {
    throw trace.denied !== undefined ? new HttpError("SQL_DENIED", trace.denied) : sqliteError(error);
  }
  try {
    const head = statement.sourceSQL;
    if (!sql.startsWith(head)) throw new HttpError("SQL_NOT_ONE_STATEMENT", "the statement's text could not be located in the input");
    requireNoMore(db, sql.slice(head.length));
    // VACUUM and a few others compile without a single callback: nothing was authorized, so nothing runs.
    if (trace.callbacks === 0) throw new HttpError("SQL_DENIED", "this statement is not allowed");
    // Reinstall the statement's own authorizer: the tail check replaced it, and that expired the statement.
    db.setAuthorizer(makeAuthorizer(grant, newTrace()));
    return { statement, trace };
  } catch (error) {
    closeStatement(statement);
    throw error;
  }
}

function requireNoMore(db: DatabaseSync, tail: string): void {
  db.setAuthorizer(DENY_ALL);
  let extra: StatementSync | undefined;
  try {
    extra = db.prepare(tail);
  } catch (error) {
    if ((error as { code?: string }).code === "ERR_INVALID_ARG_VALUE" && /contains no statements/.test(String((error as Error).message))) return;
  }
  if (extra !== undefined) closeStatement(extra);
  throw new HttpError("SQL_NOT_ONE_STATEMENT", "exactly one SQL statement is required (send a batch for several)");
}

/** Frees a statement now, not at GC: each live statement makes every setAuthorizer call slower (it expires them all). The bundled @types/node predates close(). */
export function closeStatement(statement: StatementSync): void {
  (statement as StatementSync & { close(): void }).close();
}
