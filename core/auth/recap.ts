/**
 * ReCap (EIP-5573): capabilities carried in a SIWE message's last resource.
 *
 * `urn:recap:` + base64url-no-pad(JCS JSON `{"att":{uri:{ability:[caveats]}},"prf":[base58btc CIDs]}`),
 * and a statement that must END WITH the text generated from `att`:
 * `I further authorize the stated URI to perform the following actions on my behalf: (1) 'kv': 'get', 'put' for '<uri>'. (2) …`
 * One numbered clause per (resource, ability namespace); resources and abilities in byte order
 * (the BTreeMap order of the Rust siwe-recap crate); any custom statement precedes it, separated by a space.
 *
 * Ability strings are kept as written: the legacy client writes `kv/get`, the current one `tinycloud.kv/get`.
 */
import { type CID, parseCid, toBase58 } from "../cid.js";
import { bytesToUtf8, canonicalJson, decodeBase64UrlUnpadded, encodeBase64UrlUnpadded, isPlainObject, parseJson, utf8ToBytes } from "../encoding.js";
import { CacaoError, EncodingError } from "../errors.js";
import { parseAbility } from "../abilities.js";
import { wireCaveats, type Caveat } from "../capability.js";

export const RECAP_PREFIX = "urn:recap:";
export const RECAP_STATEMENT_PREFIX = "I further authorize the stated URI to perform the following actions on my behalf:";

export interface Recap {
  /** resource URI → ability (as written) → caveats (wire form, never empty). */
  readonly att: Readonly<Record<string, Readonly<Record<string, readonly Caveat[]>>>>;
  readonly prf: readonly CID[];
}

/** Find, decode and validate the ReCap; it must be the last SIWE resource and the only one. */
export function extractRecap(resources: readonly string[] | undefined): Recap {
  const list = resources ?? [];
  const positions = list.flatMap((r, i) => (r.startsWith(RECAP_PREFIX) ? [i] : []));
  if (positions.length === 0) throw new CacaoError("CACAO_MISSING_RECAP", `SIWE message has no ${RECAP_PREFIX} resource`);
  if (positions.length > 1 || positions[0] !== list.length - 1) {
    throw new CacaoError("CACAO_RECAP_NOT_LAST", "the ReCap must be the last SIWE resource, and the only one");
  }
  return decodeRecap(list[list.length - 1] as string);
}

export function decodeRecap(uri: string): Recap {
  if (!uri.startsWith(RECAP_PREFIX)) throw new CacaoError("CACAO_RECAP_MALFORMED", `not a ${RECAP_PREFIX} URI`);
  const body = uri.slice(RECAP_PREFIX.length);
  let json: string;
  try {
    json = bytesToUtf8(decodeBase64UrlUnpadded(body, "ReCap"));
  } catch (cause) {
    if (cause instanceof EncodingError) throw cause;
    throw new CacaoError("CACAO_RECAP_MALFORMED", "ReCap payload is not base64url", { cause });
  }
  const value = parseJson(json, "ReCap");
  if (!isPlainObject(value) || !isPlainObject(value["att"]) || (value["prf"] !== undefined && !Array.isArray(value["prf"]))) {
    throw new CacaoError("CACAO_RECAP_MALFORMED", 'ReCap must be {"att": {...}, "prf": [...]}');
  }
  const extra = Object.keys(value).filter((k) => k !== "att" && k !== "prf");
  if (extra.length > 0) throw new CacaoError("CACAO_RECAP_MALFORMED", `ReCap has unknown members: ${extra.join(", ")}`);
  if (canonicalJson(value) !== json) {
    throw new CacaoError("CACAO_RECAP_NOT_CANONICAL", "ReCap JSON is not in RFC 8785 canonical form");
  }
  const att: Record<string, Record<string, readonly Caveat[]>> = {};
  for (const [resource, abilities] of Object.entries(value["att"])) {
    if (!isPlainObject(abilities) || Object.keys(abilities).length === 0) {
      throw new CacaoError("CACAO_RECAP_MALFORMED", `ReCap resource ${resource.slice(0, 80)} must map to a non-empty object of abilities`);
    }
    const entry: Record<string, readonly Caveat[]> = {};
    for (const [ability, caveats] of Object.entries(abilities)) {
      parseAbility(ability);
      if (!Array.isArray(caveats) || caveats.length === 0 || !caveats.every((c: unknown) => isPlainObject(c))) {
        throw new CacaoError("CACAO_RECAP_MALFORMED", `ReCap caveats of ${ability} must be a non-empty list of objects ([{}] for none)`);
      }
      entry[ability] = caveats as Caveat[];
    }
    att[resource] = entry;
  }
  const prf = ((value["prf"] ?? []) as unknown[]).map((p) => {
    if (typeof p !== "string" || !p.startsWith("z")) throw new CacaoError("CACAO_RECAP_MALFORMED", "ReCap prf entries must be base58btc CID strings (z…)");
    return parseCid(p);
  });
  return { att, prf };
}

export function encodeRecap(recap: Recap): string {
  const att: Record<string, Record<string, readonly Caveat[]>> = {};
  for (const [resource, abilities] of Object.entries(recap.att)) {
    att[resource] = Object.fromEntries(Object.entries(abilities).map(([a, c]) => [a, wireCaveats(c)]));
  }
  const json = canonicalJson({ att, prf: recap.prf.map(toBase58) });
  return RECAP_PREFIX + encodeBase64UrlUnpadded(utf8ToBytes(json));
}

const byOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The statement text generated from the ReCap's `att`. */
export function recapStatement(recap: Recap): string {
  const clauses: string[] = [];
  for (const resource of Object.keys(recap.att).sort(byOrder)) {
    const byNamespace = new Map<string, string[]>();
    for (const ability of Object.keys(recap.att[resource] ?? {}).sort(byOrder)) {
      const { namespace, action } = parseAbility(ability);
      const actions = byNamespace.get(namespace) ?? [];
      actions.push(action);
      byNamespace.set(namespace, actions);
    }
    // Groups follow namespace order (a BTreeMap in siwe-recap), not the order of the first ability.
    for (const namespace of [...byNamespace.keys()].sort(byOrder)) {
      const actions = byNamespace.get(namespace) as string[];
      clauses.push(`'${namespace}': ${actions.map((a) => `'${a}'`).join(", ")} for '${resource}'`);
    }
  }
  return RECAP_STATEMENT_PREFIX + clauses.map((clause, i) => ` (${i + 1}) ${clause}.`).join("");
}

/** Statement to sign: an optional custom text, a space, then the generated ReCap text. */
export function statementWithRecap(recap: Recap, custom?: string): string {
  const generated = recapStatement(recap);
  return custom === undefined || custom.length === 0 ? generated : `${custom} ${generated}`;
}

/** Reject a statement that does not end with the text generated from the ReCap (a tampered statement or ReCap). */
export function checkRecapStatement(statement: string | undefined, recap: Recap): void {
  const expected = recapStatement(recap);
  if (statement === undefined || !statement.endsWith(expected)) {
    throw new CacaoError("CACAO_STATEMENT_MISMATCH", "SIWE statement does not match the capabilities in its ReCap", {
      details: { expectedSuffix: expected },
    });
  }
}
