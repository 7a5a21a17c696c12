/**
 * The typed SQL client: `session.sql.query/execute/batch/executeStatement/export` on `<space>/sql/<db>`.
 * Each signs a fresh invocation with the ability the action needs (override with `as`, restating the
 * session's caveats with `caveats` for `select`/`execute` grants) and returns a Result, like the official
 * SDK's services: the node's `CODE: message` errors come back as values, never thrown.
 */
import { makeCapability } from "../../core/capability.js";
import type { Result } from "../../core/errors.js";
import { utf8ToBytes } from "../../core/encoding.js";
import type { TinyCloudHttpError, TinyCloudSession } from "./client.js";

export interface SqlCallOptions {
  /** The ability to invoke (default: read for query/export, write for execute/batch, execute for executeStatement). */
  readonly as?: string;
  /** The caveats of the session's grant, restated (a select or execute grant's). */
  readonly caveats?: readonly Record<string, unknown>[];
}

export type SqlValue = null | number | string | boolean | readonly number[];
export interface SqlQueryResult {
  readonly columns: string[];
  readonly rows: unknown[][];
  readonly rowCount: number;
}
export interface SqlExecuteResult {
  readonly changes: number;
  readonly lastInsertRowId: number | null;
}

export class SqlApi {
  constructor(private readonly session: TinyCloudSession) {}

  query(db: string, sql: string, params: readonly SqlValue[] = [], options: SqlCallOptions & { maxRows?: number; maxBytes?: number } = {}): Promise<Result<SqlQueryResult, TinyCloudHttpError>> {
    const { as, caveats, ...bounds } = options;
    return this.json(db, { as: as ?? "tinycloud.sql/read", ...(caveats ? { caveats } : {}) }, { action: "query", sql, params, ...bounds });
  }

  execute(db: string, sql: string, params: readonly SqlValue[] = [], options: SqlCallOptions & { schema?: readonly string[] } = {}): Promise<Result<SqlExecuteResult, TinyCloudHttpError>> {
    const { schema, ...call } = options;
    return this.json(db, { as: call.as ?? "tinycloud.sql/write", ...(call.caveats ? { caveats: call.caveats } : {}) }, { action: "execute", sql, params, ...(schema ? { schema } : {}) });
  }

  /** Statements in one transaction: all applied or none. */
  batch(db: string, statements: readonly { sql: string; params?: readonly SqlValue[] }[], options: SqlCallOptions = {}): Promise<Result<{ results: SqlExecuteResult[] }, TinyCloudHttpError>> {
    return this.json(db, { as: options.as ?? "tinycloud.sql/write", ...(options.caveats ? { caveats: options.caveats } : {}) }, { action: "batch", statements });
  }

  executeStatement(db: string, name: string, params: readonly SqlValue[] = [], options: SqlCallOptions = {}): Promise<Result<SqlQueryResult | SqlExecuteResult, TinyCloudHttpError>> {
    return this.json(db, { as: options.as ?? "tinycloud.sql/execute", ...(options.caveats ? { caveats: options.caveats } : {}) }, { action: "executeStatement", name, params });
  }

  /** The database file. */
  async export(db: string, options: SqlCallOptions = {}): Promise<Result<Uint8Array, TinyCloudHttpError>> {
    const answer = await this.send(db, { as: options.as ?? "tinycloud.sql/read", ...(options.caveats ? { caveats: options.caveats } : {}) }, { action: "export" });
    return answer.ok ? { ok: true, value: new Uint8Array(await answer.value.arrayBuffer()) } : answer;
  }

  private async json<T>(db: string, options: SqlCallOptions, body: object): Promise<Result<T, TinyCloudHttpError>> {
    const answer = await this.send(db, options, body);
    return answer.ok ? { ok: true, value: (await answer.value.json()) as T } : answer;
  }

  private async send(db: string, options: SqlCallOptions, body: object): Promise<Result<Response, TinyCloudHttpError>> {
    const jwt = this.session.invocation([makeCapability(this.session.resource("sql", db), options.as as string, options.caveats ?? [])]);
    try {
      return { ok: true, value: await this.session.http.request("POST", "/invoke", { authorization: jwt, "content-type": "application/json" }, utf8ToBytes(JSON.stringify(body))) };
    } catch (error) {
      if ((error as { name?: string }).name === "TinyCloudHttpError") return { ok: false, error: error as TinyCloudHttpError };
      throw error;
    }
  }
}
