/**
 * `tinycloud.sql/execute`: the reference node's constrained-statements caveat
 * `{"mode": "constrained-statements", "readOnly": bool, "statements": [{"name", "sql", "fixedParams": [{"index", "value"}]}]}`.
 * The invoker names a statement; its SQL comes from the caveat, and pinned parameters are bound by the node.
 * A client value at a pinned index must be null or absent (`sql-fixed-param-override` otherwise), unlike
 * the reference, which refuses any value there and so cannot call a statement pinned at 0 with a free 1.
 */
import { HttpError } from "../server/http-error.js";
import type { SQLInputValue } from "node:sqlite";
import { toSqlParams } from "./params.js";

export interface NamedStatement {
  readonly name: string;
  readonly sql: string;
  readonly fixedParams: ReadonlyMap<number, SQLInputValue>;
}

export interface StatementsCaveat {
  readonly readOnly: boolean;
  readonly statements: ReadonlyMap<string, NamedStatement>;
}

export function parseStatementsCaveat(value: unknown): StatementsCaveat {
  const bad = (why: string) => new HttpError("UNSUPPORTED_CAVEAT", `execute caveat ${why}`);
  if (typeof value !== "object" || value === null) throw bad("must be an object");
  const { mode, readOnly, statements } = value as Record<string, unknown>;
  if (mode !== "constrained-statements") throw bad('needs mode "constrained-statements"');
  if (readOnly !== undefined && typeof readOnly !== "boolean") throw bad("readOnly must be a boolean");
  if (!Array.isArray(statements) || statements.length > 1000) throw bad("needs a statements list");
  const out = new Map<string, NamedStatement>();
  for (const entry of statements as unknown[]) {
    const { name, sql, fixedParams } = (entry ?? {}) as Record<string, unknown>;
    if (typeof name !== "string" || typeof sql !== "string" || out.has(name)) throw bad("statements need a unique name and an sql string");
    const pins = new Map<number, SQLInputValue>();
    for (const pin of (fixedParams ?? []) as unknown[]) {
      const { index, value: pinned } = (pin ?? {}) as Record<string, unknown>;
      if (!Number.isSafeInteger(index) || (index as number) < 0) throw bad("fixedParams need a non-negative index");
      pins.set(index as number, (toSqlParams([pinned]) as SQLInputValue[])[0] as SQLInputValue);
    }
    out.set(name, { name, sql, fixedParams: pins });
  }
  return { readOnly: readOnly !== false, statements: out };
}

/** The SQL and the parameters to bind for `executeStatement` of `name` with the client's `params`. */
export function resolveNamed(caveat: StatementsCaveat, name: unknown, params: unknown): { sql: string; params: SQLInputValue[] } {
  const statement = typeof name === "string" && caveat.statements.has(name) ? (caveat.statements.get(name) as NamedStatement) : undefined;
  if (statement === undefined) throw new HttpError("SQL_STATEMENT_NOT_ALLOWED", `sql-statement-not-allowed: ${JSON.stringify(String(name).slice(0, 80))} is not a statement this grant names`);
  const values = toSqlParams(params);
  for (const [index, value] of statement.fixedParams) {
    if (index < values.length && values[index] !== null) throw new HttpError("SQL_FIXED_PARAM_OVERRIDE", `sql-fixed-param-override: parameter ${index} is pinned by the grant`);
    while (values.length <= index) values.push(null);
    values[index] = value;
  }
  return { sql: statement.sql, params: values };
}
