/**
 * The open databases of a node: one SQLite file per (space, db) under `<dataDir>/sql/<space hash>/<db>.sqlite`,
 * one connection each, opened on first use and closed after `idleMs` without a request. Requests to one
 * database run one at a time (a per-database queue), so a transaction never interleaves with another
 * request's statements on the shared connection; different databases do not wait for each other.
 */
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { HttpError } from "../server/http-error.js";
import { DEFAULT_SQL_LIMITS, SqlDatabase, type SqlLimits } from "./database.js";

/** Database names: the last path segment of `<space>/sql/<db>`. */
const DB_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

interface Entry {
  db: SqlDatabase;
  tail: Promise<unknown>;
  /** Requests queued or running: the idle timer runs only at 0. */
  pending: number;
  timer: NodeJS.Timeout | undefined;
}

export class SqlManager {
  private readonly open = new Map<string, Entry>();

  constructor(
    private readonly dataDir: string,
    private readonly limits: SqlLimits = DEFAULT_SQL_LIMITS,
    private readonly idleMs = 60_000,
  ) {}

  /** Runs `work` on the database once every earlier request to it has finished. */
  run<T>(spaceId: string, dbName: string, work: (db: SqlDatabase) => T): Promise<T> {
    if (!DB_NAME.test(dbName)) throw new HttpError("SQL_BAD_REQUEST", `database name ${JSON.stringify(dbName.slice(0, 80))} must be 1–128 of A-Z a-z 0-9 _ . - (not starting with . or -)`);
    const key = `${spaceId}\u0000${dbName}`;
    const entry = this.open.get(key) ?? this.openEntry(key, spaceId, dbName);
    if (entry.timer !== undefined) clearTimeout(entry.timer);
    entry.pending += 1;
    const result = entry.tail.then(() => work(entry.db));
    entry.tail = result.catch(() => undefined);
    void entry.tail.then(() => {
      entry.pending -= 1;
      if (entry.pending === 0) this.armIdle(key, entry);
    });
    return result;
  }

  /** Closes every database (node shutdown). */
  close(): void {
    for (const entry of this.open.values()) {
      if (entry.timer !== undefined) clearTimeout(entry.timer);
      entry.db.close();
    }
    this.open.clear();
  }

  private openEntry(key: string, spaceId: string, dbName: string): Entry {
    const dir = join(this.dataDir, "sql", createHash("sha256").update(spaceId).digest("hex").slice(0, 32));
    mkdirSync(dir, { recursive: true });
    const entry: Entry = { db: new SqlDatabase(join(dir, `${dbName}.sqlite`), this.limits), tail: Promise.resolve(), pending: 0, timer: undefined };
    this.open.set(key, entry);
    return entry;
  }

  private armIdle(key: string, entry: Entry): void {
    if (this.open.get(key) !== entry) return;
    if (entry.timer !== undefined) clearTimeout(entry.timer);
    entry.timer = setTimeout(() => {
      if (this.open.get(key) !== entry || entry.pending > 0) return;
      this.open.delete(key);
      entry.db.close();
    }, this.idleMs);
    entry.timer.unref();
  }
}
