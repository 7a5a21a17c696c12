/**
 * `POST /invoke` with `tinycloud.sql/*` on `<space>/sql/<db>`: the reference node's JSON body actions
 * (`query`, `execute` with optional `schema`, `batch`, `executeStatement`, `export`) and response shapes.
 * Deliberate differences (node/README.md, "SQL"): a batch is one transaction; DDL needs admin or schema;
 * select caveats come from the delegation chain and bind; a pinned parameter may be sent as null.
 */
import type { SQLInputValue } from "node:sqlite";
import { HttpError } from "../server/http-error.js";
import type { SqlCaveats } from "./caveats.js";
import type { Bounds, SqlStatementInput } from "./database.js";
import { grantOf } from "./grant.js";
import type { SqlManager } from "./manager.js";
import { type StatementsCaveat, resolveNamed } from "./named-statements.js";
import { toSqlParams } from "./params.js";
import type { ReadRunner } from "./read-runner.js";
import { grantToWire } from "./read-wire.js";

export interface SqlRequest {
  readonly spaceId: string;
  readonly db: string;
  /** Canonical abilities the invocation holds on that database. */
  readonly abilities: readonly string[];
  readonly caveats: SqlCaveats;
  readonly body: Uint8Array;
}

export interface SqlResponse {
  readonly contentType: string;
  readonly body: string | Uint8Array;
}

const MAX_ROWS = 100_000;
const MAX_BYTES = 10 * 1024 * 1024;
const MAX_BATCH = 100;
const MAX_BODY = 4 * 1024 * 1024;
const JSON_TYPE = "application/json";

export class SqlService {
  constructor(
    private readonly manager: SqlManager,
    private readonly reads: ReadRunner,
  ) {}

  async handle(request: SqlRequest): Promise<SqlResponse> {
    const body = parseBody(request.body);
    const grant = grantOf(request.abilities, request.caveats.scope);
    const json = (text: string): SqlResponse => ({ contentType: JSON_TYPE, body: text });
    switch (body["action"]) {
      case "query": {
        const input = statement(body);
        const bounds = boundsOf(body);
        // Opening through the manager creates the file (and its WAL) on first use; the read runs in a killable process.
        const path = await this.manager.run(request.spaceId, request.db, (db) => db.path);
        return json(await this.reads.run({ path, grant: grantToWire(grant), sql: input.sql, params: input.params, bounds }));
      }
      case "execute": {
        const schema = optionalList(body["schema"], "schema").map((sql) => statement({ sql }));
        const inputs = [...schema, statement(body)];
        return this.manager.run(request.spaceId, request.db, (db) => json(JSON.stringify(db.execute(grant, inputs).at(-1))));
      }
      case "batch": {
        const inputs = optionalList(body["statements"], "statements").map((s) => statement(s));
        if (inputs.length === 0 || inputs.length > MAX_BATCH) throw new HttpError("SQL_BAD_REQUEST", `a batch holds 1–${MAX_BATCH} statements`);
        return this.manager.run(request.spaceId, request.db, (db) => json(JSON.stringify({ results: db.execute(grant, inputs) })));
      }
      // The official SDK sends "execute_statement".
      case "executeStatement":
      case "execute_statement": {
        const { input, readOnly } = named(request.caveats.statements, body["name"], body["params"]);
        const baseline = grantOf(readOnly ? ["tinycloud.sql/read"] : ["tinycloud.sql/read", "tinycloud.sql/write"]);
        const bounds = boundsOf(body);
        return this.manager.run(request.spaceId, request.db, (db) => {
          const result = db.executeNamed(baseline, input, bounds);
          return json(result.kind === "query" ? result.body : JSON.stringify(result.result));
        });
      }
      case "export":
        if (!grant.readAll) throw new HttpError("SQL_DENIED", "export needs tinycloud.sql/read");
        return this.manager.run(request.spaceId, request.db, (db) => ({ contentType: "application/vnd.sqlite3", body: db.export() }));
      default:
        throw new HttpError("SQL_BAD_REQUEST", "action must be query, execute, batch, executeStatement or export");
    }
  }
}

function parseBody(bytes: Uint8Array): Record<string, unknown> {
  if (bytes.byteLength > MAX_BODY) throw new HttpError("SQL_TOO_LARGE", `a SQL request body is at most ${MAX_BODY} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new HttpError("SQL_BAD_REQUEST", "the body must be a JSON object with an action");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new HttpError("SQL_BAD_REQUEST", "the body must be a JSON object with an action");
  return value as Record<string, unknown>;
}

function statement(value: unknown): SqlStatementInput {
  const { sql, params } = (typeof value === "object" && value !== null ? value : {}) as Record<string, unknown>;
  if (typeof sql !== "string" || sql.length === 0) throw new HttpError("SQL_BAD_REQUEST", "each statement needs a non-empty sql string");
  return { sql, params: toSqlParams(params) };
}

function optionalList(value: unknown, field: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new HttpError("SQL_BAD_REQUEST", `${field} must be a list`);
  if (value.length > MAX_BATCH) throw new HttpError("SQL_BAD_REQUEST", `${field} holds at most ${MAX_BATCH} statements`);
  return value;
}

function boundsOf(body: Record<string, unknown>): Bounds {
  return { maxRows: bound(body["maxRows"], "maxRows", MAX_ROWS), maxBytes: bound(body["maxBytes"], "maxBytes", MAX_BYTES) };
}

function bound(value: unknown, field: string, max: number): number {
  if (value === undefined || value === null) return max;
  if (!Number.isSafeInteger(value) || (value as number) < 1 || (value as number) > max) throw new HttpError("SQL_BAD_REQUEST", `${field} must be an integer from 1 to ${max}`);
  return value as number;
}

/** The named statement every execute caveat of the chain allows, with its pinned parameters bound. */
function named(caveats: readonly StatementsCaveat[] | undefined, name: unknown, params: unknown): { input: SqlStatementInput; readOnly: boolean } {
  if (caveats === undefined || caveats.length === 0)
    throw new HttpError("SQL_STATEMENT_NOT_ALLOWED", "sql-statement-not-allowed: executeStatement needs tinycloud.sql/execute with a constrained-statements caveat");
  const resolved = caveats.map((caveat) => resolveNamed(caveat, name, params));
  const first = resolved[0] as { sql: string; params: SQLInputValue[] };
  if (resolved.some((r) => r.sql !== first.sql)) throw new HttpError("SQL_STATEMENT_NOT_ALLOWED", "sql-statement-not-allowed: the delegation chain names different SQL for this statement");
  return { input: first, readOnly: caveats.some((c) => c.readOnly) };
}
