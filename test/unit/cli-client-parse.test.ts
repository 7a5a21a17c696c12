/** The space client's option parsers (cli/client/parse.ts): durations, wallet keys, abilities, versions, node URLs. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseDuration, parseKvAbilities, parseNodeUrl, parsePositiveInteger, parseWalletKey } from "../../cli/client/parse.js";
import { CliClientError } from "../../cli/client/errors.js";

function refused(fn: () => unknown, code: string, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => error instanceof CliClientError && error.code === code && pattern.test(error.message));
}

describe("parseDuration", () => {
  it("reads seconds, units and combinations", () => {
    assert.equal(parseDuration("90"), 90);
    assert.equal(parseDuration("30s"), 30);
    assert.equal(parseDuration("15m"), 900);
    assert.equal(parseDuration("1h"), 3600);
    assert.equal(parseDuration(" 1h30m "), 5400);
    assert.equal(parseDuration("7d"), 604_800);
    assert.equal(parseDuration("2w"), 1_209_600);
  });
  it("refuses what is not a duration, zero, and more than 366 days", () => {
    for (const bad of ["", "soon", "1x", "h", "-5m", "1.5h", "1h 30m", "1e3"]) refused(() => parseDuration(bad), "CLI_USAGE", /is not a duration/);
    refused(() => parseDuration("0"), "CLI_USAGE", /between 1s and 366d/);
    refused(() => parseDuration("0h0m"), "CLI_USAGE", /between 1s and 366d/);
    refused(() => parseDuration("367d"), "CLI_USAGE", /between 1s and 366d/);
    refused(() => parseDuration("99999999999999999999"), "CLI_USAGE", /between 1s and 366d/);
    refused(() => parseDuration("5y", "--expires"), "CLI_USAGE", /^--expires "5y"/);
  });
});

describe("parseWalletKey", () => {
  const hex = "ab".repeat(32);
  it("accepts 32 bytes of hex, 0x optional, trailing newline (a key file) ignored", () => {
    assert.equal(parseWalletKey(hex, "f"), `0x${hex}`);
    assert.equal(parseWalletKey(`0x${hex.toUpperCase()}\n`, "f"), `0x${hex}`);
    assert.equal(parseWalletKey(`  0X${hex}\r\n`, "f"), `0x${hex}`);
  });
  it("refuses short, long, non-hex and zero keys, without echoing the text", () => {
    for (const bad of ["", "0x1234", `${hex}00`, `${hex.slice(0, 62)}zz`, `{"key":"${hex}"}`]) {
      assert.throws(
        () => parseWalletKey(bad, "--wallet-key-file k"),
        (error: unknown) => error instanceof CliClientError && error.code === "CLI_WALLET_KEY" && error.message.startsWith("--wallet-key-file k:") && !error.message.includes("abab"),
      );
    }
    refused(() => parseWalletKey("0".repeat(64), "env"), "CLI_WALLET_KEY", /must not be zero/);
  });
});

describe("parseKvAbilities", () => {
  it("maps short and full names, all, and de-duplicates", () => {
    assert.deepEqual(parseKvAbilities(["get", "tinycloud.kv/get", " put "]), ["tinycloud.kv/get", "tinycloud.kv/put"]);
    assert.deepEqual(parseKvAbilities(["all"]), ["tinycloud.kv/get", "tinycloud.kv/put", "tinycloud.kv/del", "tinycloud.kv/list", "tinycloud.kv/metadata"]);
  });
  it("refuses unknown abilities and an empty list", () => {
    refused(() => parseKvAbilities(["get", "fly"]), "CLI_USAGE", /unknown ability "fly"/);
    refused(() => parseKvAbilities(["tinycloud.sql/read"]), "CLI_USAGE", /unknown ability/);
    refused(() => parseKvAbilities([]), "CLI_USAGE", /no abilities/);
  });
});

describe("parsePositiveInteger and parseNodeUrl", () => {
  it("versions and limits are positive integers", () => {
    assert.equal(parsePositiveInteger("3", "--version"), 3);
    for (const bad of ["0", "-1", "two", "1.5", "", "1e3", "9999999999999999"]) refused(() => parsePositiveInteger(bad, "--limit"), "CLI_USAGE", /^--limit ".*" is not a positive integer/);
  });
  it("node URLs are http(s), without a trailing slash", () => {
    assert.equal(parseNodeUrl("http://127.0.0.1:8000/"), "http://127.0.0.1:8000");
    assert.equal(parseNodeUrl("https://node.example/base/"), "https://node.example/base");
    refused(() => parseNodeUrl("127.0.0.1:8000x"), "CLI_USAGE", /URL|http/);
    refused(() => parseNodeUrl("not a url"), "CLI_USAGE", /is not a URL/);
    refused(() => parseNodeUrl("ftp://x"), "CLI_USAGE", /http\(s\)/);
  });
});
