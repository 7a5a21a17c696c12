import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ABILITY_REGISTRY, abilityCovers, abilityNamespace, abilityService, canonicalAbility, impliedAbilities, isKnownAbility, parseAbility, requireKnownAbility } from "../../core/abilities.js";

describe("abilities: canonical spelling", () => {
  for (const [legacy, current] of [
    ["kv/get", "tinycloud.kv/get"],
    ["kv/put", "tinycloud.kv/put"],
    ["kv/del", "tinycloud.kv/del"],
    ["kv/list", "tinycloud.kv/list"],
    ["kv/metadata", "tinycloud.kv/metadata"],
    ["kv/delete", "tinycloud.kv/del"],
    ["orbit/host", "tinycloud.space/host"],
    ["capabilities/read", "tinycloud.capabilities/read"],
  ] as const) {
    test(`default: legacy ${legacy} maps to ${current}`, () => {
      assert.equal(canonicalAbility(legacy), current);
      assert.equal(requireKnownAbility(legacy), current);
    });
  }

  test("behavior: current spellings are already canonical; aliases map to their action", () => {
    assert.equal(canonicalAbility("tinycloud.kv/get"), "tinycloud.kv/get");
    assert.equal(canonicalAbility("tinycloud.kv/delete"), "tinycloud.kv/del");
    assert.equal(canonicalAbility("tinycloud.sql/select"), "tinycloud.sql/select");
    assert.equal(canonicalAbility("tinycloud.space/host"), "tinycloud.space/host");
  });

  test("behavior: syntactically valid unknown abilities pass through unchanged", () => {
    for (const ability of ["tinycloud.kv/explode", "tinycloud.nosuch/get", "sql/admin", "orbit.x/y", "foo/bar", "tinycloud.kv/*"]) {
      assert.equal(canonicalAbility(ability), ability);
    }
  });

  test("behavior: only kv, capabilities and orbit are legacy namespaces", () => {
    assert.equal(canonicalAbility("sql/read"), "sql/read");
    assert.equal(canonicalAbility("space/host"), "space/host");
    assert.equal(abilityService("sql/read"), undefined);
    assert.equal(abilityService("orbit/host"), "space");
    assert.equal(abilityService("kv/get"), "kv");
    assert.equal(abilityService("tinycloud.sql/read"), "sql");
  });

  test("behavior: abilityNamespace is the text before the '/' as written", () => {
    assert.equal(abilityNamespace("kv/get"), "kv");
    assert.equal(abilityNamespace("tinycloud.kv/get"), "tinycloud.kv");
    assert.equal(abilityNamespace("tinycloud.encryption/network.create"), "tinycloud.encryption");
  });

  test("behavior: an action named like an Object.prototype member passes through unchanged", () => {
    assert.equal(canonicalAbility("tinycloud.kv/constructor"), "tinycloud.kv/constructor");
    assert.equal(canonicalAbility("kv/__proto__"), "tinycloud.kv/__proto__");
    assert.equal(canonicalAbility("tinycloud.sql/toString"), "tinycloud.sql/toString");
    assert.equal(isKnownAbility("tinycloud.kv/constructor"), false);
    assert.equal(abilityCovers("tinycloud.kv/constructor", "tinycloud.kv/constructor"), true);
    assert.equal(abilityCovers("tinycloud.kv/constructor", "tinycloud.kv/get"), false);
  });
});

describe("abilities: coverage", () => {
  test("default: an ability covers itself, in legacy and current spelling", () => {
    assert.equal(abilityCovers("tinycloud.kv/get", "tinycloud.kv/get"), true);
    assert.equal(abilityCovers("kv/get", "tinycloud.kv/get"), true);
    assert.equal(abilityCovers("tinycloud.kv/get", "kv/get"), true);
    assert.equal(abilityCovers("orbit/host", "tinycloud.space/host"), true);
    assert.equal(abilityCovers("tinycloud.kv/get", "tinycloud.kv/put"), false);
  });

  test("behavior: tinycloud.kv/delete and tinycloud.kv/del cover each other (alias)", () => {
    assert.equal(abilityCovers("tinycloud.kv/delete", "tinycloud.kv/del"), true);
    assert.equal(abilityCovers("tinycloud.kv/del", "tinycloud.kv/delete"), true);
    assert.equal(abilityCovers("kv/delete", "tinycloud.kv/del"), true);
    assert.equal(abilityCovers("tinycloud.kv/delete", "tinycloud.kv/get"), false);
    // select is its own ability (a caveat narrows it): read grants it, it never grants read.
    assert.equal(abilityCovers("tinycloud.sql/select", "tinycloud.sql/read"), false);
    assert.equal(abilityCovers("tinycloud.sql/read", "tinycloud.sql/select"), true);
  });

  test("behavior: sql/admin covers sql/schema but not sql/read or sql/write", () => {
    assert.equal(abilityCovers("tinycloud.sql/admin", "tinycloud.sql/schema"), true);
    assert.equal(abilityCovers("tinycloud.sql/admin", "tinycloud.sql/admin"), true);
    assert.equal(abilityCovers("tinycloud.sql/admin", "tinycloud.sql/read"), false);
    assert.equal(abilityCovers("tinycloud.sql/admin", "tinycloud.sql/write"), false);
    assert.equal(abilityCovers("tinycloud.sql/schema", "tinycloud.sql/admin"), false);
    assert.deepEqual([...impliedAbilities("tinycloud.sql/admin")].sort(), ["tinycloud.sql/admin", "tinycloud.sql/schema"]);
    assert.equal(abilityCovers("tinycloud.sql/write", "tinycloud.sql/execute"), false);
  });

  test("behavior: sql/* covers read, write, schema and admin (and the select alias)", () => {
    for (const action of ["read", "write", "schema", "admin", "*", "select", "execute"]) {
      assert.equal(abilityCovers("tinycloud.sql/*", `tinycloud.sql/${action}`), true, action);
    }
    assert.deepEqual([...impliedAbilities("tinycloud.sql/*")].sort(), [
      "tinycloud.sql/*",
      "tinycloud.sql/admin",
      "tinycloud.sql/execute",
      "tinycloud.sql/read",
      "tinycloud.sql/schema",
      "tinycloud.sql/select",
      "tinycloud.sql/write",
    ]);
    assert.equal(abilityCovers("tinycloud.sql/read", "tinycloud.sql/*"), false);
    assert.equal(abilityCovers("tinycloud.sql/admin", "tinycloud.sql/*"), false);
  });

  test("behavior: tinycloud.kv/* is not a wildcard: it covers only itself", () => {
    assert.equal(abilityCovers("tinycloud.kv/*", "tinycloud.kv/*"), true);
    for (const action of ABILITY_REGISTRY.kv.actions) {
      assert.equal(abilityCovers("tinycloud.kv/*", `tinycloud.kv/${action}`), false, action);
    }
    assert.deepEqual([...impliedAbilities("tinycloud.kv/*")], ["tinycloud.kv/*"]);
    assert.equal(abilityCovers("kv/*", "kv/get"), false);
  });

  test("behavior: no cross-service coverage", () => {
    assert.equal(abilityCovers("tinycloud.sql/*", "tinycloud.kv/get"), false);
    assert.equal(abilityCovers("tinycloud.sql/read", "tinycloud.kv/get"), false);
    assert.equal(abilityCovers("tinycloud.kv/get", "tinycloud.sql/read"), false);
    assert.equal(abilityCovers("tinycloud.space/host", "tinycloud.kv/put"), false);
    assert.equal(abilityCovers("tinycloud.kv/list", "tinycloud.hooks/list"), false);
    assert.equal(abilityCovers("tinycloud.capabilities/read", "tinycloud.sql/read"), false);
    // The `tinycloud.` namespace is not the same as a bare one outside the legacy mapping.
    assert.equal(abilityCovers("sql/read", "tinycloud.sql/read"), false);
  });

  test("error: abilityCovers rejects a malformed ability on either side with ABILITY_MALFORMED", () => {
    assert.throws(() => abilityCovers("kv", "tinycloud.kv/get"), { code: "ABILITY_MALFORMED" });
    assert.throws(() => abilityCovers("tinycloud.kv/get", "kv/get/x"), { code: "ABILITY_MALFORMED" });
  });
});

describe("abilities: registry", () => {
  test("default: every registered action of every service is known, in current spelling", () => {
    let count = 0;
    for (const [service, spec] of Object.entries(ABILITY_REGISTRY)) {
      for (const action of spec.actions) {
        assert.equal(isKnownAbility(`tinycloud.${service}/${action}`), true, `${service}/${action}`);
        assert.equal(requireKnownAbility(`tinycloud.${service}/${action}`), `tinycloud.${service}/${action}`);
        count++;
      }
    }
    assert.equal(count, 32);
  });

  test("behavior: isKnownAbility accepts legacy spellings and aliases and rejects the rest", () => {
    assert.equal(isKnownAbility("kv/get"), true);
    assert.equal(isKnownAbility("orbit/host"), true);
    assert.equal(isKnownAbility("capabilities/read"), true);
    assert.equal(isKnownAbility("tinycloud.kv/delete"), true);
    assert.equal(isKnownAbility("tinycloud.kv/explode"), false);
    assert.equal(isKnownAbility("tinycloud.kv/*"), false);
    assert.equal(isKnownAbility("tinycloud.nosuch/get"), false);
    assert.equal(isKnownAbility("sql/read"), false);
    assert.equal(isKnownAbility("orbit/create"), true);
    assert.equal(isKnownAbility("orbit/explode"), false);
    assert.equal(isKnownAbility("tinycloud./get"), false);
  });

  test("behavior: isKnownAbility returns false (does not throw) for malformed text", () => {
    for (const bad of ["kv", "", "kv/get/x", "kv/ge t"]) assert.equal(isKnownAbility(bad), false, bad);
  });

  test("error: requireKnownAbility rejects tinycloud.kv/explode with ABILITY_UNKNOWN", () => {
    assert.throws(() => requireKnownAbility("tinycloud.kv/explode"), { code: "ABILITY_UNKNOWN" });
    assert.throws(() => requireKnownAbility("tinycloud.kv/*"), { code: "ABILITY_UNKNOWN" });
    assert.throws(() => requireKnownAbility("foo/bar"), { code: "ABILITY_UNKNOWN" });
    assert.throws(() => requireKnownAbility("tinycloud.kv/constructor"), { code: "ABILITY_UNKNOWN" });
  });

  test("error: requireKnownAbility rejects malformed text with ABILITY_MALFORMED", () => {
    assert.throws(() => requireKnownAbility("kv"), { code: "ABILITY_MALFORMED" });
  });
});

describe("abilities: syntax", () => {
  test("default: parseAbility splits namespace and action at the single '/'", () => {
    assert.deepEqual(parseAbility("tinycloud.kv/get"), { namespace: "tinycloud.kv", action: "get" });
    assert.deepEqual(parseAbility("tinycloud.encryption/network.create"), { namespace: "tinycloud.encryption", action: "network.create" });
    assert.deepEqual(parseAbility("a-b_c+d/*"), { namespace: "a-b_c+d", action: "*" });
  });

  for (const bad of ["kv", "kv/get/x", "kv/ge t", "", "/get", "kv/", "/", "kv//get", " kv/get", "kv/get\n", "kv/gét", "kv:get", "kv/get#x"]) {
    test(`error: malformed ability ${JSON.stringify(bad)} is rejected with ABILITY_MALFORMED`, () => {
      assert.throws(() => parseAbility(bad), { code: "ABILITY_MALFORMED" });
      assert.throws(() => canonicalAbility(bad), { code: "ABILITY_MALFORMED" });
    });
  }

  test("error: a non-string ability is rejected with ABILITY_MALFORMED", () => {
    assert.throws(() => parseAbility(42 as unknown as string), { code: "ABILITY_MALFORMED" });
    assert.throws(() => parseAbility(undefined as unknown as string), { code: "ABILITY_MALFORMED" });
  });
});
