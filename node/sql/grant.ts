/**
 * What one SQL request may do, resolved from the invocation's `tinycloud.sql/*` abilities and the caveats
 * of its delegation chain (node/sql/policy.ts turns it into an authorizer). Abilities add up: a request
 * holding `read` and `write` may run both kinds of statement.
 */
import type { SelectScope } from "./select-scope.js";

export interface SqlGrant {
  /** Any SELECT over user tables: `read`, `*`, or `select` without a caveat. */
  readonly readAll: boolean;
  /** `select` with a table/column caveat: reads limited to it (ignored when readAll). */
  readonly scope?: SelectScope;
  /** INSERT / UPDATE / DELETE and the reads they need. */
  readonly write: boolean;
  /** CREATE / ALTER / DROP (`schema`, implied by `admin`). */
  readonly ddl: boolean;
  /** The PRAGMA allow-list, ANALYZE, REINDEX (`admin`). */
  readonly admin: boolean;
}

/** The grant of a set of canonical sql abilities (`tinycloud.sql/read`, …) and the chain's select scope. */
export function grantOf(abilities: Iterable<string>, scope?: SelectScope): SqlGrant {
  const held = new Set([...abilities].map((a) => a.slice(a.indexOf("/") + 1)));
  const all = held.has("*");
  const admin = all || held.has("admin");
  const selectUnrestricted = held.has("select") && scope === undefined;
  const grant: SqlGrant = {
    readAll: all || held.has("read") || selectUnrestricted,
    write: all || held.has("write"),
    ddl: admin || held.has("schema"),
    admin,
  };
  return held.has("select") && scope !== undefined ? { ...grant, scope } : grant;
}
