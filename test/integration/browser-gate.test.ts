/**
 * The browser-test rule: with Chromium missing, test/e2e/lightclient-browser.test.ts FAILS when the
 * `CI` environment variable is set and is skipped (with a message) when it is not. Checked on the rule
 * itself and on the real test file, run in a child test runner with CHROMIUM_PATH pointing nowhere.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { browserGate } from "../helpers/browser-gate.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const NODE_BIN = fileURLToPath(new URL("../../node_modules/.bin/node", import.meta.url));
const BROWSER_TEST = "test/e2e/lightclient-browser.test.ts";
const NOWHERE = "/nonexistent/chromium-for-the-gate-test";

/** Run the browser test file in its own test runner with Chromium missing and `CI` as given. */
function runBrowserTests(ci: string | undefined): { status: number | null; output: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, CHROMIUM_PATH: NOWHERE };
  delete env["NODE_TEST_CONTEXT"];
  delete env["NODE_OPTIONS"];
  delete env["CI"];
  if (ci !== undefined) env["CI"] = ci;
  const run = spawnSync(NODE_BIN, ["--import", "tsx", "--test", "--test-reporter=tap", BROWSER_TEST], { cwd: ROOT, env, encoding: "utf8", timeout: 120_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe("browser tests without Chromium", () => {
  test("the rule: present → run; missing under CI → fail; missing locally → skip with a reason", () => {
    assert.deepEqual(browserGate("/usr/bin/chromium", true, { CI: "true" }), { skip: false });
    assert.deepEqual(browserGate("/usr/bin/chromium", true, {}), { skip: false });
    for (const ci of ["true", "1", "yes"]) {
      const gate = browserGate("/x/chromium", false, { CI: ci });
      assert.equal(gate.skip, false, `CI=${ci}: not skipped`);
      assert.match(gate.failure ?? "", /Chromium is missing at \/x\/chromium and CI is set/);
    }
    for (const env of [{}, { CI: "" }, { CI: "false" }, { CI: "0" }]) {
      const gate = browserGate("/x/chromium", false, env);
      assert.equal(gate.failure, undefined, JSON.stringify(env));
      assert.match(gate.skip || "", /Chromium is not installed at \/x\/chromium .*skipped locally/);
    }
  });

  test("CI set: the browser test file fails, saying why", () => {
    const { status, output } = runBrowserTests("true");
    assert.equal(status, 1, output);
    assert.match(output, new RegExp(`Chromium is missing at ${NOWHERE} and CI is set`));
    assert.match(output, /^not ok 1 - light client page in Chromium/m);
  });

  test("CI unset: the browser test file is skipped, not failed", () => {
    const { status, output } = runBrowserTests(undefined);
    assert.equal(status, 0, output);
    assert.match(output, /# fail 0/);
    assert.match(output, /^ok 1 - light client page in Chromium .* # SKIP Chromium is not installed at /m);
  });
});
