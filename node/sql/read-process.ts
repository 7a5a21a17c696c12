/**
 * The child process that runs `query` reads (node/sql/read-runner.ts). node:sqlite has no progress
 * handler and no interrupt, and a worker thread cannot be stopped inside a query, so a runaway read
 * (a cartesian join) is stopped by killing this process; the node's own thread never runs client reads.
 * It opens each database file read-only (WAL lets it read while the node writes).
 */
import type { DatabaseSync } from "node:sqlite";
import { HttpError } from "../server/http-error.js";
import { DEFAULT_SQL_LIMITS, openDatabase, queryOn } from "./database.js";
import { type ReadJob, type ReadReply, grantFromWire } from "./read-wire.js";

/** Open read-only connections, least recently used first; a bounded set, so file handles do not pile up. */
const open = new Map<string, DatabaseSync>();
const MAX_OPEN = 64;

process.on("message", (job: ReadJob) => {
  let reply: ReadReply;
  try {
    let db = open.get(job.path);
    open.delete(job.path);
    if (db === undefined) {
      db = openDatabase(job.path, DEFAULT_SQL_LIMITS, true);
      const [oldestPath, oldest] = open.entries().next().value ?? [];
      if (open.size >= MAX_OPEN && oldestPath !== undefined) {
        oldest?.close();
        open.delete(oldestPath);
      }
    }
    open.set(job.path, db);
    reply = { id: job.id, body: queryOn(db, grantFromWire(job.grant), { sql: job.sql, params: job.params }, job.bounds) };
  } catch (error) {
    reply = error instanceof HttpError ? { id: job.id, code: error.code, message: error.message } : { id: job.id, code: "SQL_ERROR", message: String((error as Error).message ?? error).slice(0, 500) };
  }
  process.send?.(reply);
});
