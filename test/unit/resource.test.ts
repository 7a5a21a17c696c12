import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { rawBlake3Cid } from "../../core/cid.js";
import { utf8ToBytes } from "../../core/encoding.js";
import {
  type CapabilityResource,
  cidUrn,
  formatCapabilityResource,
  formatResourceUri,
  formatSpaceId,
  parseCapabilityResource,
  parseResourceUri,
  parseSpaceId,
  parseUrnResource,
  pathCovers,
  resourceCovers,
  resourceOf,
  sameSpace,
  spaceIdFor,
  spaceKey,
  validatePath,
} from "../../core/resource.js";
import { loadVectors } from "../helpers/vectors.js";

const wasm = loadVectors("official-wasm.json");
const WALLET: string = wasm.constants.walletAddress;
const OWNER = `did:pkh:eip155:1:${WALLET}`;
const SPACE = `tinycloud:pkh:eip155:1:${WALLET}:default`;
const ORBIT = `tinycloud:pkh:eip155:1:${WALLET}://default`;

const r = (text: string): CapabilityResource => parseCapabilityResource(text);
const covers = (base: string, child: string): boolean => resourceCovers(r(base), r(child));

/** A kv resource URI of OWNER's default space, written in `form`, parses to its parts and formats back to `text`. */
function assertKvRoundTrip(text: string, form: "space" | "orbit", path: string): void {
  const parsed = parseResourceUri(text);
  assert.deepEqual(parsed, {
    kind: "tinycloud",
    space: { did: OWNER, name: "default", form },
    service: "kv",
    path,
  });
  assert.equal(formatResourceUri(parsed), text);
}

describe("resource URIs: parse and format", () => {
  for (const entry of wasm.orbitIds as { address: string; chainId: number; name: string | null; orbitId: string }[]) {
    test(`default: legacy orbit id ${entry.orbitId.slice(0, 40)}…${entry.orbitId.slice(-12)} parses`, () => {
      const parsed = parseResourceUri(entry.orbitId);
      assert.equal(parsed.kind, "tinycloud");
      assert.equal(parsed.space.form, "orbit");
      assert.equal(parsed.space.name, entry.name ?? "default");
      assert.equal(parsed.space.did.toLowerCase(), `did:pkh:eip155:${entry.chainId}:${entry.address}`.toLowerCase());
      assert.equal(parsed.service, undefined);
      assert.equal(parsed.path, undefined);
      assert.deepEqual(parseSpaceId(entry.orbitId), parsed.space);
    });
  }

  test("default: checksummed legacy orbit ids format back byte for byte", () => {
    for (const entry of wasm.orbitIds as { address: string; orbitId: string }[]) {
      if (entry.address !== entry.address.toLowerCase()) {
        assert.equal(formatResourceUri(parseResourceUri(entry.orbitId)), entry.orbitId);
      }
    }
  });

  test("behavior: a lowercase address in an orbit id is canonicalized to EIP-55", () => {
    const lower = (wasm.orbitIds as { orbitId: string }[])[3]?.orbitId as string;
    assert.ok(lower.includes(WALLET.toLowerCase()));
    const parsed = parseResourceUri(lower);
    assert.equal(parsed.space.did, OWNER);
    assert.equal(formatResourceUri(parsed), (wasm.orbitIds as { orbitId: string }[])[0]?.orbitId);
    assert.equal(formatResourceUri(parseResourceUri(`tinycloud:pkh:eip155:1:${WALLET.toLowerCase()}:default/kv/a`)), `${SPACE}/kv/a`);
  });

  test("default: current form with service and path round trips", () => {
    assertKvRoundTrip(`${SPACE}/kv/photos/2024/a.jpg`, "space", "photos/2024/a.jpg");
  });

  test("default: legacy form with service and path round trips (as the official client writes it)", () => {
    assertKvRoundTrip(`${ORBIT}/kv/default/obj.json`, "orbit", "default/obj.json");
    const capabilities = `${ORBIT}/capabilities/all`;
    assert.equal(formatResourceUri(parseResourceUri(capabilities)), capabilities);
  });

  test("behavior: query and fragment are kept and written back", () => {
    const text = `${SPACE}/kv/photos?version=2&x=%20#frag-1`;
    const parsed = parseResourceUri(text);
    assert.equal(parsed.path, "photos");
    assert.equal(parsed.query, "version=2&x=%20");
    assert.equal(parsed.fragment, "frag-1");
    assert.equal(formatResourceUri(parsed), text);
    const serviceOnly = `${ORBIT}/sql?db=main`;
    assert.equal(parseResourceUri(serviceOnly).query, "db=main");
    assert.equal(parseResourceUri(serviceOnly).path, undefined);
    assert.equal(formatResourceUri(parseResourceUri(serviceOnly)), serviceOnly);
  });

  test("behavior: a bare space id (both forms) has no service and may carry a fragment", () => {
    assert.deepEqual(parseResourceUri(SPACE), { kind: "tinycloud", space: { did: OWNER, name: "default", form: "space" } });
    assert.equal(formatResourceUri(parseResourceUri(SPACE)), SPACE);
    const withFragment = parseResourceUri(`${SPACE}#x`);
    assert.equal(withFragment.fragment, "x");
    assert.equal(withFragment.service, undefined);
    assert.equal(formatResourceUri(withFragment), `${SPACE}#x`);
  });

  test("behavior: a did:key owner and a did:web owner with path parts are split at the last colon", () => {
    const key = wasm.constants.hostPeer.did as string;
    const keySpace = parseResourceUri(`tinycloud:${key.slice(4)}:notes/kv/a`);
    assert.equal(keySpace.space.did, key);
    assert.equal(keySpace.space.name, "notes");
    const web = parseResourceUri("tinycloud:web:example.com:user:alice:main/kv/x");
    assert.equal(web.space.did, "did:web:example.com:user:alice");
    assert.equal(web.space.name, "main");
  });

  test("behavior: sub-delims, ':' and '@' and valid UTF-8 escapes are allowed in paths", () => {
    for (const path of ["a+b(c),d;e=f", "user@host:1", "caf%C3%A9", "%F0%9F%98%80", "a//b", "~tilde_under-dash.dot", "dir/"]) {
      assert.equal(parseResourceUri(`${SPACE}/kv/${path}`).path, path);
      assert.doesNotThrow(() => validatePath(path));
    }
  });

  test("behavior: resourceOf builds the same value the parser returns", () => {
    const space = spaceIdFor(OWNER, "default");
    assert.deepEqual(resourceOf(space, "kv", "photos/x"), parseResourceUri(`${SPACE}/kv/photos/x`));
    assert.deepEqual(resourceOf(space, "kv"), parseResourceUri(`${SPACE}/kv`));
    assert.deepEqual(resourceOf(space), parseResourceUri(SPACE));
  });
});

describe("space ids: spaceIdFor ↔ parseSpaceId", () => {
  const owners = [OWNER, `did:pkh:eip155:8453:${wasm.constants.otherWalletAddress}`, wasm.constants.hostPeer.did as string, "did:web:example.com", "did:web:example.com:user:alice"];
  const names = ["default", "photos", "a", "A-b_9"];

  test("default: spaceIdFor canonicalizes the owner DID", () => {
    assert.deepEqual(spaceIdFor(`did:pkh:eip155:1:${WALLET.toLowerCase()}`, "default"), { did: OWNER, name: "default", form: "space" });
    assert.equal(formatSpaceId(spaceIdFor(OWNER, "default")), SPACE);
    assert.equal(formatSpaceId(spaceIdFor(OWNER, "default", "orbit")), ORBIT);
  });

  test("behavior: parseSpaceId(formatSpaceId(spaceIdFor(did, name))) returns the same space, in both forms", () => {
    for (const owner of owners) {
      for (const name of names) {
        for (const form of ["space", "orbit"] as const) {
          const space = spaceIdFor(owner, name, form);
          assert.equal(space.did, owner);
          assert.equal(space.name, name);
          assert.deepEqual(parseSpaceId(formatSpaceId(space)), space);
        }
      }
    }
  });

  test("behavior: distinct (owner, name) pairs give distinct space ids and keys", () => {
    const seen = new Set<string>();
    const keys = new Set<string>();
    for (const owner of owners) {
      for (const name of names) {
        seen.add(formatSpaceId(spaceIdFor(owner, name)));
        keys.add(spaceKey(spaceIdFor(owner, name)));
      }
    }
    assert.equal(seen.size, owners.length * names.length);
    assert.equal(keys.size, owners.length * names.length);
  });

  test("behavior: the legacy and current spellings name the same space (sameSpace, spaceKey)", () => {
    const a = parseSpaceId(SPACE);
    const b = parseSpaceId(ORBIT);
    assert.notEqual(a.form, b.form);
    assert.ok(sameSpace(a, b));
    assert.equal(spaceKey(a), spaceKey(b));
    assert.equal(spaceKey(a), `${OWNER}:default`);
    assert.ok(!sameSpace(a, parseSpaceId(`tinycloud:pkh:eip155:8453:${WALLET}:default`)));
    assert.ok(!sameSpace(a, parseSpaceId(`${SPACE.slice(0, -"default".length)}photos`)));
  });

  test("error: parseSpaceId rejects a URI with a service or a fragment with URI_MISSING_SPACE", () => {
    assert.throws(() => parseSpaceId(`${SPACE}/kv`), { code: "URI_MISSING_SPACE" });
    assert.throws(() => parseSpaceId(`${SPACE}#x`), { code: "URI_MISSING_SPACE" });
  });

  test("error: spaceIdFor rejects a non-DID owner (URI_BAD_DID), a bad name (URI_BAD_SPACE_NAME) and an empty name (URI_MISSING_SPACE)", () => {
    assert.throws(() => spaceIdFor("pkh:eip155:1:x", "default"), { code: "URI_BAD_DID" });
    assert.throws(() => spaceIdFor(`did:pkh:eip155:0:${WALLET}`, "default"), { code: "URI_BAD_DID" });
    assert.throws(() => spaceIdFor(OWNER, "a.b"), { code: "URI_BAD_SPACE_NAME" });
    assert.throws(() => spaceIdFor(OWNER, "a/b"), { code: "URI_BAD_SPACE_NAME" });
    assert.throws(() => spaceIdFor(OWNER, ""), { code: "URI_MISSING_SPACE" });
  });
});

describe("coverage: pathCovers and resourceCovers", () => {
  test("default: a path covers itself and paths below it on '/' boundaries, never a sibling prefix", () => {
    assert.equal(pathCovers("photos", "photos"), true);
    assert.equal(pathCovers("photos", "photos/x"), true);
    assert.equal(pathCovers("photos", "photos/x/y"), true);
    assert.equal(pathCovers("photos", "photos2"), false);
    assert.equal(pathCovers("photos", "photo"), false);
    assert.equal(pathCovers("photos/x", "photos"), false);
    assert.equal(pathCovers("photos", "Photos/x"), false);
  });

  test("behavior: a base ending in '/' covers what is below it, but not the name without the slash", () => {
    assert.equal(pathCovers("photos/", "photos/x"), true);
    assert.equal(pathCovers("photos/", "photos/"), true);
    assert.equal(pathCovers("photos/", "photos"), false);
    assert.equal(pathCovers("photos/", "photos2/x"), false);
  });

  test("behavior: no path covers every path; a path does not cover 'no path'", () => {
    assert.equal(pathCovers(undefined, "anything/at/all"), true);
    assert.equal(pathCovers(undefined, undefined), true);
    assert.equal(pathCovers("photos", undefined), false);
  });

  test("default: resourceCovers applies path containment within one space and service", () => {
    assert.equal(covers(`${SPACE}/kv/photos`, `${SPACE}/kv/photos`), true);
    assert.equal(covers(`${SPACE}/kv/photos`, `${SPACE}/kv/photos/x`), true);
    assert.equal(covers(`${SPACE}/kv/photos`, `${SPACE}/kv/photos2`), false);
    assert.equal(covers(`${SPACE}/kv/photos/`, `${SPACE}/kv/photos/x`), true);
    assert.equal(covers(`${SPACE}/kv`, `${SPACE}/kv/photos/x`), true);
    assert.equal(covers(`${SPACE}/kv`, `${SPACE}/kv`), true);
    assert.equal(covers(`${SPACE}/kv/photos`, `${SPACE}/kv`), false);
  });

  test("behavior: a different service, space, chain or owner is not covered", () => {
    assert.equal(covers(`${SPACE}/kv`, `${SPACE}/sql/photos`), false);
    assert.equal(covers(`${SPACE}/kv/photos`, `tinycloud:pkh:eip155:1:${WALLET}:other/kv/photos`), false);
    assert.equal(covers(`${SPACE}/kv/photos`, `tinycloud:pkh:eip155:8453:${WALLET}:default/kv/photos`), false);
    assert.equal(covers(`${SPACE}/kv/photos`, `tinycloud:pkh:eip155:1:${wasm.constants.otherWalletAddress}:default/kv/photos`), false);
    // A bare space id covers only the bare space, not its services.
    assert.equal(covers(SPACE, SPACE), true);
    assert.equal(covers(SPACE, `${SPACE}/kv/photos`), false);
  });

  test("behavior: a different fragment is not covered", () => {
    assert.equal(covers(`${SPACE}/kv/photos#a`, `${SPACE}/kv/photos#a`), true);
    assert.equal(covers(`${SPACE}/kv/photos#a`, `${SPACE}/kv/photos#b`), false);
    assert.equal(covers(`${SPACE}/kv/photos#a`, `${SPACE}/kv/photos`), false);
  });

  test("behavior: a base query must match exactly; a base without a query covers any query", () => {
    assert.equal(covers(`${SPACE}/kv/photos?v=1`, `${SPACE}/kv/photos?v=1`), true);
    assert.equal(covers(`${SPACE}/kv/photos?v=1`, `${SPACE}/kv/photos?v=2`), false);
    assert.equal(covers(`${SPACE}/kv/photos?v=1`, `${SPACE}/kv/photos`), false);
    assert.equal(covers(`${SPACE}/kv/photos`, `${SPACE}/kv/photos/x?v=1`), true);
  });

  test("behavior: legacy and current spellings of the same space cover each other", () => {
    assert.equal(covers(`${ORBIT}/kv/default`, `${SPACE}/kv/default/obj.json`), true);
    assert.equal(covers(`${SPACE}/kv/default`, `${ORBIT}/kv/default/obj.json`), true);
    assert.equal(covers(ORBIT, SPACE), true);
    assert.equal(covers(SPACE, ORBIT), true);
    const lowerOrbit = `tinycloud:pkh:eip155:1:${WALLET.toLowerCase()}://default/kv/default`;
    assert.equal(covers(lowerOrbit, `${SPACE}/kv/default/x`), true);
    assert.equal(covers(`${ORBIT}/kv/default`, `${SPACE}/kv/default2`), false);
  });

  test("behavior: URN resources match only by equality and never cover tinycloud URIs", () => {
    const cid = rawBlake3Cid(utf8ToBytes("hello")).toString();
    assert.equal(covers(`urn:cid:${cid}`, `urn:cid:${cid}`), true);
    assert.equal(covers(`urn:cid:${cid}`, `urn:cid:${rawBlake3Cid(utf8ToBytes("other")).toString()}`), false);
    assert.equal(covers(`urn:cid:${cid}`, SPACE), false);
    assert.equal(covers(SPACE, `urn:cid:${cid}`), false);
  });
});

describe("resource URIs: errors", () => {
  const cases: [string, string, string][] = [
    ["bad scheme https", "https://example.com/kv/x", "URI_BAD_SCHEME"],
    ["bad scheme case", `TinyCloud:pkh:eip155:1:${WALLET}:default`, "URI_BAD_SCHEME"],
    ["no scheme", `pkh:eip155:1:${WALLET}:default/kv/x`, "URI_BAD_SCHEME"],
    ["no ':<space>' at all", "tinycloud:nothing/kv", "URI_MISSING_SPACE"],
    ["empty space name (current)", `tinycloud:pkh:eip155:1:${WALLET}:/kv/x`, "URI_MISSING_SPACE"],
    ["empty space name (orbit)", `tinycloud:pkh:eip155:1:${WALLET}://`, "URI_MISSING_SPACE"],
    ["empty space name (orbit, with service)", `tinycloud:pkh:eip155:1:${WALLET}:///kv`, "URI_MISSING_SPACE"],
    // Without a space name the last ':' part (the address) is read as the space, so the DID is cut short.
    ["space omitted after a pkh DID", `tinycloud:pkh:eip155:1:${WALLET}/kv/x`, "URI_BAD_DID"],
    ["space name with a space", `tinycloud:pkh:eip155:1:${WALLET}:def ault/kv/x`, "URI_BAD_SPACE_NAME"],
    ["space name with a dot", `tinycloud:pkh:eip155:1:${WALLET}:a.b/kv/x`, "URI_BAD_SPACE_NAME"],
    ["orbit name with a dot", `tinycloud:pkh:eip155:1:${WALLET}://a.b/kv/x`, "URI_BAD_SPACE_NAME"],
    ["space name percent-encoded", `tinycloud:pkh:eip155:1:${WALLET}:a%20b`, "URI_BAD_SPACE_NAME"],
    ["empty service (trailing slash)", `${SPACE}/`, "URI_MISSING_SERVICE"],
    ["empty service (double slash)", `${SPACE}//x`, "URI_MISSING_SERVICE"],
    ["empty service (orbit)", `${ORBIT}//x`, "URI_MISSING_SERVICE"],
    ["query on a bare space", `${SPACE}?x=1`, "URI_MISSING_SERVICE"],
    ["service with a dot", `${SPACE}/k.v/x`, "URI_BAD_SERVICE"],
    ["service with a space", `${SPACE}/k v/x`, "URI_BAD_SERVICE"],
    ["service percent-encoded", `${SPACE}/k%76/x`, "URI_BAD_SERVICE"],
    ["empty path", `${SPACE}/kv/`, "URI_BAD_PATH"],
    ["empty path (orbit)", `${ORBIT}/kv/`, "URI_BAD_PATH"],
    ["'..' segment", `${SPACE}/kv/photos/../secret`, "URI_DOT_SEGMENT"],
    ["'.' segment", `${SPACE}/kv/./photos`, "URI_DOT_SEGMENT"],
    ["leading '..'", `${SPACE}/kv/..`, "URI_DOT_SEGMENT"],
    ["'%2E%2E' segment", `${SPACE}/kv/photos/%2E%2E/secret`, "URI_DOT_SEGMENT"],
    ["'%2e' segment", `${SPACE}/kv/%2e/photos`, "URI_DOT_SEGMENT"],
    ["'.%2E' segment", `${SPACE}/kv/.%2E`, "URI_DOT_SEGMENT"],
    ["'%zz'", `${SPACE}/kv/a%zz`, "URI_BAD_PERCENT_ENCODING"],
    ["truncated escape", `${SPACE}/kv/a%4`, "URI_BAD_PERCENT_ENCODING"],
    ["lone '%'", `${SPACE}/kv/100%`, "URI_BAD_PERCENT_ENCODING"],
    ["'%e0' invalid UTF-8", `${SPACE}/kv/a%e0`, "URI_BAD_PERCENT_ENCODING"],
    ["'%C3' truncated UTF-8", `${SPACE}/kv/%C3x`, "URI_BAD_PERCENT_ENCODING"],
    ["'%ff' invalid UTF-8", `${SPACE}/kv/%ff`, "URI_BAD_PERCENT_ENCODING"],
    ["space in path", `${SPACE}/kv/my photo`, "URI_BAD_PATH"],
    ["'<' in path", `${SPACE}/kv/a<b`, "URI_BAD_PATH"],
    ["'\"' in path", `${SPACE}/kv/a"b`, "URI_BAD_PATH"],
    ["'\\' in path", `${SPACE}/kv/a\\b`, "URI_BAD_PATH"],
    ["non-ASCII in path", `${SPACE}/kv/café`, "URI_BAD_PATH"],
    ["'%2F' encoded slash", `${SPACE}/kv/a%2Fb`, "URI_BAD_PATH"],
    ["'%2f' encoded slash", `${SPACE}/kv/a%2fb`, "URI_BAD_PATH"],
    ["'%00' encoded NUL", `${SPACE}/kv/a%00b`, "URI_BAD_PATH"],
    ["malformed address in DID", `tinycloud:pkh:eip155:1:0x1234:default/kv/x`, "URI_BAD_DID"],
    ["bad checksum in DID", `tinycloud:pkh:eip155:1:${WALLET.replace("E", "e")}:default/kv/x`, "URI_BAD_DID"],
    ["chain id 0 in DID", `tinycloud:pkh:eip155:0:${WALLET}:default`, "URI_BAD_DID"],
    ["bad did:key", "tinycloud:key:z6Mk0OIl:default/kv/x", "URI_BAD_DID"],
    ["empty DID", "tinycloud::default/kv/x", "URI_BAD_DID"],
    ["empty DID (orbit)", "tinycloud:://default/kv/x", "URI_BAD_DID"],
  ];
  for (const [what, text, code] of cases) {
    test(`error: ${what} is rejected with ${code}`, () => {
      assert.throws(() => parseResourceUri(text), { code });
      assert.throws(() => parseCapabilityResource(text), { code });
    });
  }

  test("error: resourceOf validates service and path", () => {
    const space = spaceIdFor(OWNER, "default");
    assert.throws(() => resourceOf(space, "k.v"), { code: "URI_BAD_SERVICE" });
    assert.throws(() => resourceOf(space, "kv", ""), { code: "URI_BAD_PATH" });
    assert.throws(() => resourceOf(space, "kv", "a/../b"), { code: "URI_DOT_SEGMENT" });
  });

  test("error: the errors are ResourceUriError instances", () => {
    assert.throws(
      () => parseResourceUri("nope"),
      (e: unknown) => e instanceof Error && e.name === "ResourceUriError",
    );
  });
});

describe("URN resources", () => {
  const cid = rawBlake3Cid(utf8ToBytes("hello"));

  test("default: urn:cid with a valid CID parses and formats unchanged", () => {
    const text = `urn:cid:${cid.toString()}`;
    assert.deepEqual(parseCapabilityResource(text), { kind: "urn", uri: text });
    assert.equal(formatCapabilityResource(parseCapabilityResource(text)), text);
    assert.deepEqual(cidUrn(cid), { kind: "urn", uri: text });
    assert.ok(resourceCovers(cidUrn(cid), parseUrnResource(text)));
  });

  test("behavior: urn:cid also accepts base58btc CIDs", () => {
    // cids.json "hello": the same raw CID in base58btc.
    const b58 = "urn:cid:zb38SMkuhxoyDCgRqFrDo3oseWnmQByCDaaRzXrTvZtonYFDx";
    assert.deepEqual(parseUrnResource(b58), { kind: "urn", uri: b58 });
  });

  test("default: an encryption network URN with a valid owner and name parses", () => {
    const text = `urn:tinycloud:encryption:${OWNER}:team-keys_1`;
    assert.deepEqual(parseCapabilityResource(text), { kind: "urn", uri: text });
    const keyOwner = `urn:tinycloud:encryption:${wasm.constants.hostPeer.did}:net`;
    assert.equal(parseUrnResource(keyOwner).uri, keyOwner);
  });

  for (const [what, text] of [
    ["nonsense CID", "urn:cid:nonsense"],
    ["empty CID", "urn:cid:"],
    ["CIDv0", "urn:cid:QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"],
    ["encryption URN with a bad owner", `urn:tinycloud:encryption:did:pkh:eip155:0:${WALLET}:net`],
    ["encryption URN with no owner", "urn:tinycloud:encryption:net"],
    ["encryption URN with a bad name", `urn:tinycloud:encryption:${OWNER}:a.b`],
    ["encryption URN with an empty name", `urn:tinycloud:encryption:${OWNER}:`],
    ["unsupported URN", "urn:isbn:0451450523"],
    ["recap URN as a resource", "urn:recap:eyJhdHQiOnt9fQ"],
  ] as const) {
    test(`error: ${what} is rejected with URI_BAD_URN`, () => {
      assert.throws(() => parseCapabilityResource(text), { code: "URI_BAD_URN" });
    });
  }
});
