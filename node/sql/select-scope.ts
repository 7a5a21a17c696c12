/**
 * The table/column caveat of `tinycloud.sql/select`: `{"tables": [...], "columns": [...]}` (the reference
 * node's flat form: unqualified columns apply to every listed table; `"t.c"` names one table's column;
 * no `columns` means every column of the listed tables). Names compare case-insensitively, as SQLite's do.
 * Every level of a delegation chain may carry one; they bind together (intersection), so a child can only
 * narrow what its parent shared.
 */
import { HttpError } from "../server/http-error.js";

/** table → its readable columns, or "*" for all of them. */
export type SelectScope = ReadonlyMap<string, ReadonlySet<string> | "*">;

const MAX_NAMES = 1000;

export function parseSelectCaveat(value: unknown): SelectScope {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw bad("must be an object {tables, columns?}");
  const { tables, columns, ...rest } = value as Record<string, unknown>;
  if (Object.keys(rest).length > 0) throw bad(`unknown field ${JSON.stringify(Object.keys(rest)[0])}`);
  const tableNames = names(tables, "tables");
  if (tableNames === undefined) throw bad("needs a tables list");
  const columnNames = names(columns, "columns");
  const scope = new Map<string, Set<string> | "*">();
  for (const table of tableNames) scope.set(table, columnNames === undefined ? "*" : new Set());
  for (const column of columnNames ?? []) {
    const dot = column.indexOf(".");
    const targets = dot < 0 ? tableNames : [column.slice(0, dot)];
    const name = dot < 0 ? column : column.slice(dot + 1);
    for (const table of targets) {
      const cols = scope.get(table);
      if (cols === undefined) throw bad(`column ${column} names a table not in tables`);
      if (cols !== "*") cols.add(name);
    }
  }
  return scope;
}

/** Both scopes at once: what each allows. */
export function intersectScopes(a: SelectScope, b: SelectScope): SelectScope {
  const out = new Map<string, ReadonlySet<string> | "*">();
  for (const [table, colsA] of a) {
    const colsB = b.get(table);
    if (colsB === undefined) continue;
    if (colsA === "*") out.set(table, colsB);
    else if (colsB === "*") out.set(table, colsA);
    else out.set(table, new Set([...colsA].filter((c) => colsB.has(c))));
  }
  return out;
}

/** Does `parent` allow everything `child` does (a sub-delegation may only narrow)? */
export function scopeCovers(parent: SelectScope, child: SelectScope): boolean {
  for (const [table, cols] of child) {
    const held = parent.get(table);
    if (held === undefined) return false;
    if (held === "*") continue;
    if (cols === "*") return false;
    for (const c of cols) if (!held.has(c)) return false;
  }
  return true;
}

/** A READ of `table.column` ('' = the table is touched, no column read, e.g. count(*)). */
export function scopeAllowsRead(scope: SelectScope, table: string, column: string): boolean {
  const cols = scope.get(table.toLowerCase());
  if (cols === undefined) return false;
  return column === "" || cols === "*" || cols.has(column.toLowerCase());
}

function names(value: unknown, field: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length > MAX_NAMES || !value.every((v) => typeof v === "string" && v.length > 0 && v.length <= 256)) {
    throw bad(`${field} must be a list of at most ${MAX_NAMES} non-empty names`);
  }
  return value.map((v: string) => v.toLowerCase());
}

function bad(message: string): HttpError {
  return new HttpError("UNSUPPORTED_CAVEAT", `select caveat ${message}`);
}
