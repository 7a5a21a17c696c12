/**
 * The ability registry: the single source of truth for `tinycloud.<service>/<action>` names, their
 * aliases and implications (port of the reference node's `capabilities.json`, TC-112/TC-119), plus the
 * mapping from the legacy ReCap spelling (`kv/get`, `orbit/host`) used by the official 0.2.1 client.
 *
 * Matching (`abilityCovers`) is exact string equality widened only by registry aliases and implications.
 * There is no generic `ns/*` wildcard: `tinycloud.kv/*` is not registered, so it matches only itself.
 */
import { AbilityError } from "./errors.js";

export const ABILITY_PREFIX = "tinycloud.";

interface ServiceSpec {
  /** Actions a node handles. */
  readonly actions: readonly string[];
  /** Deprecated spellings → canonical action. */
  readonly aliases?: Readonly<Record<string, string>>;
  /** action → actions it grants as well. */
  readonly implies?: Readonly<Record<string, readonly string[]>>;
}

export const ABILITY_REGISTRY = {
  kv: { actions: ["get", "put", "del", "list", "metadata"], aliases: { delete: "del" } },
  sql: {
    // select (tables/columns caveat) and execute (named statements) are their own abilities: a read holder
    // may share a narrower select; no caveat on select means any SELECT (the reference's alias of read).
    actions: ["read", "write", "schema", "admin", "select", "execute", "*"],
    implies: { read: ["select"], admin: ["schema"], "*": ["read", "write", "schema", "admin", "select", "execute"] },
  },
  compute: { actions: ["deploy", "execute", "prove"] },
  encryption: { actions: ["encrypt", "decrypt", "reencrypt", "network.create", "network.revoke"] },
  space: { actions: ["host", "create", "list", "info"] },
  capabilities: { actions: ["read"] },
  delegation: { actions: ["status", "list", "revoke"] },
  hooks: { actions: ["subscribe", "register", "list", "unregister"] },
} as const satisfies Readonly<Record<string, ServiceSpec>>;

export type ServiceName = keyof typeof ABILITY_REGISTRY;

/** Legacy ReCap namespaces (official client 0.2.1, node 4ac251f) → current service. */
const LEGACY_NAMESPACES: Readonly<Record<string, ServiceName>> = {
  kv: "kv",
  capabilities: "capabilities",
  orbit: "space",
};

const ABILITY_SYNTAX = /^[A-Za-z0-9\-_.+*]+\/[A-Za-z0-9\-_.+*]+$/;

export interface ParsedAbility {
  readonly namespace: string;
  readonly action: string;
}

/** Syntax check only: alphanumerics and `-_.+*`, exactly one "/". */
export function parseAbility(text: string): ParsedAbility {
  if (typeof text !== "string" || !ABILITY_SYNTAX.test(text)) {
    throw new AbilityError("ABILITY_MALFORMED", `ability ${JSON.stringify(String(text).slice(0, 80))} must look like "<namespace>/<action>"`);
  }
  const slash = text.indexOf("/");
  return { namespace: text.slice(0, slash), action: text.slice(slash + 1) };
}

function specOf(service: string): ServiceSpec | undefined {
  return Object.hasOwn(ABILITY_REGISTRY, service) ? (ABILITY_REGISTRY as Readonly<Record<string, ServiceSpec>>)[service] : undefined;
}

/**
 * Canonical current spelling: `kv/get` → `tinycloud.kv/get`, `orbit/host` → `tinycloud.space/host`,
 * `tinycloud.kv/delete` → `tinycloud.kv/del`. Syntactically valid unknown abilities pass through.
 */
export function canonicalAbility(text: string): string {
  const { namespace, action } = parseAbility(text);
  let service: string | undefined;
  if (namespace.startsWith(ABILITY_PREFIX)) service = namespace.slice(ABILITY_PREFIX.length);
  else if (Object.hasOwn(LEGACY_NAMESPACES, namespace)) service = LEGACY_NAMESPACES[namespace];
  if (service === undefined) return text;
  const spec = specOf(service);
  if (spec === undefined) return text;
  // Own properties only: an action named "constructor" or "__proto__" must not hit Object.prototype.
  const canonicalAction = spec.aliases !== undefined && Object.hasOwn(spec.aliases, action) ? (spec.aliases[action] as string) : action;
  return `${ABILITY_PREFIX}${service}/${canonicalAction}`;
}

export function isKnownAbility(text: string): boolean {
  let canonical: string;
  try {
    canonical = canonicalAbility(text);
  } catch {
    return false;
  }
  const { namespace, action } = parseAbility(canonical);
  if (!namespace.startsWith(ABILITY_PREFIX)) return false;
  const spec = specOf(namespace.slice(ABILITY_PREFIX.length));
  return spec?.actions.includes(action) === true;
}

/** Canonical ability, or AbilityError ABILITY_UNKNOWN when the registry does not know it. */
export function requireKnownAbility(text: string): string {
  const canonical = canonicalAbility(text);
  if (!isKnownAbility(canonical)) {
    throw new AbilityError("ABILITY_UNKNOWN", `unknown ability "${text.slice(0, 80)}" (see the ability registry)`);
  }
  return canonical;
}

/** Every ability that `ability` grants, itself included (transitive closure of implications). */
export function impliedAbilities(ability: string): ReadonlySet<string> {
  const canonical = canonicalAbility(ability);
  const out = new Set<string>([canonical]);
  const { namespace } = parseAbility(canonical);
  if (!namespace.startsWith(ABILITY_PREFIX)) return out;
  const spec = specOf(namespace.slice(ABILITY_PREFIX.length));
  if (spec?.implies === undefined) return out;
  const queue = [parseAbility(canonical).action];
  while (queue.length > 0) {
    const action = queue.pop() as string;
    for (const implied of Object.hasOwn(spec.implies, action) ? (spec.implies[action] ?? []) : []) {
      const name = `${namespace}/${implied}`;
      if (!out.has(name)) {
        out.add(name);
        queue.push(implied);
      }
    }
  }
  return out;
}

/** Does holding `parent` grant `child`? Exact match after canonicalization, widened by implications. */
export function abilityCovers(parent: string, child: string): boolean {
  return impliedAbilities(parent).has(canonicalAbility(child));
}

/** `tinycloud.kv` for `tinycloud.kv/get`: the grouping key of ReCap statements. */
export function abilityNamespace(ability: string): string {
  return parseAbility(ability).namespace;
}

/** The service an ability addresses (`kv` for `tinycloud.kv/get` or legacy `kv/get`), if it is a TinyCloud one. */
export function abilityService(ability: string): string | undefined {
  const { namespace } = parseAbility(canonicalAbility(ability));
  return namespace.startsWith(ABILITY_PREFIX) ? namespace.slice(ABILITY_PREFIX.length) : undefined;
}
