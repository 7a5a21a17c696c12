/** Messages between the node and its SQL read process (structured clone: no Maps of Sets in a grant). */
import type { SQLInputValue } from "node:sqlite";
import type { Bounds } from "./database.js";
import type { SqlGrant } from "./grant.js";

export interface WireGrant {
  readonly readAll: boolean;
  readonly write: boolean;
  readonly ddl: boolean;
  readonly admin: boolean;
  readonly scope?: readonly (readonly [string, readonly string[] | "*"])[];
}

export interface ReadJob {
  readonly id: number;
  readonly path: string;
  readonly grant: WireGrant;
  readonly sql: string;
  readonly params: readonly SQLInputValue[];
  readonly bounds: Bounds;
}

export type ReadReply = { readonly id: number; readonly body: string } | { readonly id: number; readonly code: string; readonly message: string };

export function grantToWire(grant: SqlGrant): WireGrant {
  const { scope, ...rest } = grant;
  return scope === undefined ? rest : { ...rest, scope: [...scope].map(([table, cols]) => [table, cols === "*" ? "*" : [...cols]] as const) };
}

export function grantFromWire(wire: WireGrant): SqlGrant {
  const { scope, ...rest } = wire;
  return scope === undefined ? rest : { ...rest, scope: new Map(scope.map(([table, cols]) => [table, cols === "*" ? "*" : new Set(cols)])) };
}
