/** A SQLite error (syntax, constraint, type) as the request's fault: 400 SQL_ERROR with SQLite's message; a full database is the quota. */
import { HttpError } from "../server/http-error.js";

const SQLITE_FULL = 13;
const SQLITE_TOOBIG = 18;

export function sqliteError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  const { errcode, message } = error as { errcode?: number; message?: string };
  const text = String(message ?? error).slice(0, 500);
  if (errcode === SQLITE_FULL) return new HttpError("SQL_QUOTA_EXCEEDED", `the database is at its size quota (${text})`);
  if (errcode === SQLITE_TOOBIG) return new HttpError("SQL_TOO_LARGE", text);
  return new HttpError("SQL_ERROR", text);
}
