/**
 * The SQL caveats of one invoked capability, collected from the invocation and every delegation of its
 * chain that grants it (node/server/caveats.ts walks the chain). They all bind: select scopes intersect,
 * and a named statement must be listed by every execute caveat. A caveat on the wrong ability, or one the
 * node does not know, refuses the invocation (400 UNSUPPORTED_CAVEAT): ignoring it would widen the grant.
 */
import type { Caveat } from "../../core/capability.js";
import { HttpError } from "../server/http-error.js";
import { parseStatementsCaveat, type StatementsCaveat } from "./named-statements.js";
import { intersectScopes, parseSelectCaveat, type SelectScope } from "./select-scope.js";

export interface SqlCaveats {
  readonly scope?: SelectScope;
  /** Every execute caveat of the chain (all must allow a statement). */
  readonly statements?: readonly StatementsCaveat[];
}

export function sqlCaveats(ability: string, caveats: readonly Caveat[]): SqlCaveats {
  let scope: SelectScope | undefined;
  const statements: StatementsCaveat[] = [];
  for (const caveat of caveats) {
    if (Object.keys(caveat).length === 0) continue;
    if ("mode" in caveat) {
      if (ability !== "tinycloud.sql/execute") throw new HttpError("UNSUPPORTED_CAVEAT", `a constrained-statements caveat applies to tinycloud.sql/execute, not to ${ability}`);
      statements.push(parseStatementsCaveat(caveat));
    } else if ("tables" in caveat) {
      if (ability !== "tinycloud.sql/select") throw new HttpError("UNSUPPORTED_CAVEAT", `a tables/columns caveat applies to tinycloud.sql/select, not to ${ability}`);
      const parsed = parseSelectCaveat(caveat);
      scope = scope === undefined ? parsed : intersectScopes(scope, parsed);
    } else {
      throw new HttpError(
        "UNSUPPORTED_CAVEAT",
        `caveat ${JSON.stringify(Object.keys(caveat)[0]).slice(0, 60)} on ${ability} is not one this node enforces (select: tables/columns; execute: mode constrained-statements)`,
      );
    }
  }
  return { ...(scope === undefined ? {} : { scope }), ...(statements.length === 0 ? {} : { statements }) };
}
