/**
 * When the browser tests run. Chromium present: they run. Chromium missing under CI (the `CI`
 * environment variable set to anything but "", "0" or "false"): they FAIL, so a CI without a browser
 * cannot pass by skipping them. Chromium missing on a developer machine: they are skipped, with a
 * message that says why and how to install it.
 */
export interface BrowserGate {
  /** Skip reason for node:test's `skip` option, or false to run. */
  readonly skip: string | false;
  /** Set when the tests must fail instead: the message to fail with. */
  readonly failure?: string;
}

export function isCi(env: NodeJS.ProcessEnv): boolean {
  const value = env["CI"]?.trim().toLowerCase();
  return value !== undefined && value !== "" && value !== "0" && value !== "false";
}

export function browserGate(chromiumPath: string, available: boolean, env: NodeJS.ProcessEnv = process.env): BrowserGate {
  if (available) return { skip: false };
  const install = "apt-get install chromium (.ci/run does), or point CHROMIUM_PATH at a Chromium binary";
  if (isCi(env)) return { skip: false, failure: `Chromium is missing at ${chromiumPath} and CI is set: the browser tests must run in CI (${install})` };
  return { skip: `Chromium is not installed at ${chromiumPath} (${install}); skipped locally, this fails when CI is set` };
}
