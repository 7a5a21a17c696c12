/**
 * The light-client page's states in a real Chromium against the real stack (a proving node with its
 * embedded anvil, test/helpers/lightclient-stack.ts), one test per state, each saving a screenshot to
 * test-artifacts/lightclient/<state>.png and asserting on the DOM text (never on pixels):
 *
 *   verified     a public value: every step green; times in UTC in one format in the chart and the table,
 *                every batch labelled on the y axis, no x label clipped, no 404 (no favicon request) on load
 *   private-file a private entry: the reader's key pasted, the value file picked and hashed in the page;
 *                no request carries the file's bytes; a different file fails "value"
 *   wrong-anchor an EOA, and another contract (the anchor's router), as ?anchor=: "this address is not a
 *                TinyCloudAnchor", never "No batch anchored yet."
 *   pending      a value written seconds ago (anvil's mining paused, so its batch is proven but not
 *                anchored): "written (version 1), in batch N, …", never "Verified: no value"; mining
 *                resumed, the page polls, verifies against the new anchored root and says so
 *
 * Skipped when /usr/bin/chromium is missing (fails under CI instead: browser-gate.ts).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { bytesToHex } from "../../core/encoding.js";
import { ed25519Signer } from "../../core/keys.js";
import { signIn } from "../../node/client/client.js";
import { releaseSnarkjsWorkers } from "../../prover/setup/artifacts.js";
import { chromiumGate, launchChromium, pageLink, readOutcome, rollupStatus, startLightClientStack, type LightClientStack } from "../helpers/lightclient-stack.js";
import { pauseMining, recordTraffic, routerOf, saveScreenshot } from "../helpers/page-recorder.js";
import { testWallet } from "../helpers/wallets.js";

const gate = chromiumGate();
const READER_SECRET = new Uint8Array(32).fill(0x5a);
const PRIVATE_VALUE = "blood type: AB negative — private-file-marker-7f3c";
const UTC = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/;

describe("light-client page states in Chromium (real node, prover, anvil)", { skip: gate.skip, timeout: 900_000 }, () => {
  let stack: LightClientStack | undefined;
  let browser: Browser | undefined;
  let rpcUrl = "";
  let anchor = "";
  let privateUri = "";
  let readerProof = "";
  let latestBatch = 0;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];

  before(async () => {
    if (gate.failure !== undefined) assert.fail(gate.failure);
    stack = await startLightClientStack();
    const owner = await signIn({ url: stack.node.url, wallet: testWallet(0x71), space: "notes" });
    await owner.kv.put("medical/result", PRIVATE_VALUE);
    privateUri = `${owner.spaceId}/kv/medical/result`;
    readerProof = (await owner.share({ to: ed25519Signer(READER_SECRET).did, path: "", abilities: ["tinycloud.kv/get"] })).cid.toString();
    await stack.putAnchored("greeting", "hello, page");
    latestBatch = await stack.putAnchored("notes/today.txt", "a public note");
    const status = await rollupStatus(stack.node.url);
    assert.ok(status.chain?.rpcUrl !== undefined);
    rpcUrl = status.chain.rpcUrl;
    anchor = status.chain.anchor;
    browser = await launchChromium();
  });

  after(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await stack?.close();
    await releaseSnarkjsWorkers();
  });

  async function openPage(params: Record<string, string | undefined>): Promise<{ page: Page; traffic: ReturnType<typeof recordTraffic> }> {
    const context = await browser!.newContext({ viewport: { width: 1100, height: 1400 } });
    contexts.push(context);
    const page = await context.newPage();
    page.on("pageerror", (error) => pageErrors.push(error.message));
    const traffic = recordTraffic(page);
    await page.goto(pageLink(stack!.pageUrl, params));
    return { page, traffic };
  }

  const text = async (page: Page, selector: string) => ((await page.textContent(selector)) ?? "").trim();

  test("verified: a public value; UTC times in one format, every batch labelled, no clipped label, no 404", async () => {
    const { page, traffic } = await openPage({ uri: stack!.uri("notes/today.txt") });
    const outcome = await readOutcome(page);
    assert.equal(outcome.verdict, "pass", JSON.stringify(outcome.steps));
    assert.match(await text(page, "#verdict"), /^Verified: version 1 \(13 bytes\) is in the root anchored at batch \d+\./);
    assert.equal(await page.isHidden("#progress"), true, "nothing pending: no progress shown");
    await page.waitForSelector(`#chart circle[data-batch="${latestBatch}"]`);
    await page.evaluate(() => (window as unknown as { tinycloudLightClient: { loaded: Promise<void> } }).tinycloudLightClient.loaded);

    const times = await page.$$eval("#anchors tbody td.time", (cells) => cells.map((c) => c.textContent ?? ""));
    assert.equal(times.length, latestBatch);
    for (const t of times) assert.match(t, UTC, "table times");
    // Inline callbacks only: a named function inside would be wrapped in tsx's __name(), unknown in the page.
    const labelBoxes = (cls: string) =>
      page.$$eval(`#chart svg text.${cls}`, (texts) =>
        texts.map((t) => {
          const b = (t as SVGTextElement).getBBox();
          return { text: t.textContent ?? "", left: b.x, right: b.x + b.width, top: b.y, bottom: b.y + b.height };
        }),
      );
    const chart = {
      width: await page.$eval("#chart svg", (root) => (root as SVGSVGElement).viewBox.baseVal.width),
      x: await labelBoxes("x-label"),
      y: await labelBoxes("y-label"),
    };
    assert.ok(chart.x.length >= 2, "first and last time are labelled");
    for (const label of chart.x) {
      assert.match(label.text, UTC, "chart times: the table's format");
      assert.ok(label.left >= 0 && label.right <= chart.width, `x label "${label.text}" [${label.left}, ${label.right}] inside 0..${chart.width}`);
    }
    assert.deepEqual(
      chart.y.map((l) => Number(l.text)).sort((a, b) => a - b),
      Array.from({ length: latestBatch }, (_, i) => i + 1),
      "every batch is labelled (none skipped)",
    );
    const ys = chart.y.sort((a, b) => a.top - b.top);
    for (let i = 1; i < ys.length; i++) assert.ok(ys[i]!.top >= ys[i - 1]!.bottom, "y labels do not overlap");

    const failed = traffic.responses.filter((r) => r.status >= 400);
    assert.deepEqual(failed, [], "no 4xx/5xx on load");
    assert.ok(!traffic.requests.some((r) => new URL(r.url).pathname === "/favicon.ico"), "the icon is inline: no /favicon.ico request");
    await saveScreenshot(page, "verified");
  });

  test("private with a local file: the reader's key and the picked file verify it; the file's bytes never leave the browser", async () => {
    const { page, traffic } = await openPage({});
    await page.fill("#uri", privateUri);
    await page.click("#private summary");
    await page.fill("#reader-key", bytesToHex(READER_SECRET));
    await page.fill("#reader-proofs", readerProof);
    await page.setInputFiles("#value-file", { name: "result.txt", mimeType: "text/plain", buffer: Buffer.from(PRIVATE_VALUE) });
    await page.click("#verify");
    const outcome = await readOutcome(page);
    assert.equal(outcome.verdict, "pass", JSON.stringify(outcome.steps));
    assert.deepEqual(Object.fromEntries(Object.entries(outcome.steps).map(([step, s]) => [step, s.code])), {
      vkey: "VKEY_OK",
      proof: "PROOF_OK",
      root: "ROOT_ANCHORED",
      path: "PATH_OK",
      value: "VALUE_OK",
    });
    assert.match(await text(page, "#verdict"), /^Verified: version 1 \(\d+ bytes\)/);
    assert.match(await text(page, "#value-facts"), /your file result\.txt, hashed in this browser \(not uploaded\)/);
    assert.equal(outcome.value, PRIVATE_VALUE);
    assert.match(await text(page, "#reader-did"), new RegExp(`signs as ${ed25519Signer(READER_SECRET).did}`));
    await saveScreenshot(page, "private-file");

    // A file that is not the entry's value fails "value": the page checked the bytes, not the node.
    await page.setInputFiles("#value-file", { name: "guess.txt", mimeType: "text/plain", buffer: Buffer.from("blood type: O positive") });
    await page.click("#verify");
    await page.waitForFunction(() => document.querySelector<HTMLElement>("#verdict")?.dataset["verdict"] === "fail");
    const wrong = await readOutcome(page);
    assert.equal(wrong.steps["value"]?.code, "VALUE_HASH_MISMATCH");

    assert.ok(
      traffic.requests.some((r) => r.url.includes("/rollup/proof") && r.headers["authorization"] !== undefined),
      "the proof was asked with the reader's invocation",
    );
    for (const bytes of [PRIVATE_VALUE, "blood type: O positive"])
      assert.deepEqual(
        traffic.carrying(new TextEncoder().encode(bytes)).map((r) => `${r.method} ${r.url}`),
        [],
        `no request carries "${bytes}"`,
      );
    assert.deepEqual(traffic.carrying(READER_SECRET), [], "nor the reader's secret key");
  });

  test("wrong anchor: an EOA or another contract is 'not a TinyCloudAnchor', not 'No batch anchored yet.'", async () => {
    const router = await routerOf(rpcUrl, anchor);
    const eoa = testWallet(0x71).address;
    for (const [state, address, why] of [
      ["wrong-anchor", eoa, /no contract code at this address/],
      ["wrong-anchor-contract", router, /genesisRoot\(\), treeDepth\(\) or deployedAt\(\) fails|genesis root is not the empty state tree/],
    ] as const) {
      const { page } = await openPage({ uri: stack!.uri("greeting"), anchor: address });
      const outcome = await readOutcome(page);
      assert.equal(outcome.verdict, "error");
      assert.match(await text(page, "#verdict"), /this address is not a TinyCloudAnchor/);
      await page.waitForSelector("#anchor-error:not([hidden])");
      assert.match(await text(page, "#anchor-error"), /this address is not a TinyCloudAnchor/);
      assert.match(await text(page, "#anchor-error"), why);
      await page.waitForFunction(() => /No anchored roots to show/.test(document.querySelector("#history-note")?.textContent ?? ""));
      assert.doesNotMatch((await page.textContent("body")) ?? "", /No batch anchored yet/);
      await saveScreenshot(page, state);
    }
  });

  test("pending: a value written seconds ago shows 'written, in batch N', never 'Verified: no value'; then anchored and verified", async () => {
    const s = stack!;
    const resume = await pauseMining(rpcUrl);
    let resumed = false;
    try {
      const anchoredBefore = (await rollupStatus(s.node.url)).anchoredBatch;
      await s.session.kv.put("fresh/note.txt", "written just now");
      const { page } = await openPage({ uri: s.uri("fresh/note.txt") });
      // The first verdict the page gives, whatever it is, must not be a verified absence.
      await page.waitForSelector(["pending", "pass", "fail", "error"].map((v) => `#verdict[data-verdict="${v}"]`).join(", "), { timeout: 120_000 });
      const verdict = await text(page, "#verdict");
      assert.doesNotMatch(verdict, /Verified: no value/);
      assert.equal(await page.getAttribute("#verdict", "data-verdict"), "pending", verdict);
      assert.match(verdict, /^Pending: written \(version 1\)/);
      assert.match(verdict, new RegExp(`latest anchored batch, ${anchoredBefore}, predates this write`));
      // Mining is paused: the batch gets cut and proven, but its anchoring transaction waits.
      await page.waitForSelector('#progress[data-stage="proven"]', { timeout: 240_000 });
      const batch = anchoredBefore + 1;
      assert.match(await text(page, "#verdict"), new RegExp(`^Pending: written \\(version 1\\), in batch ${batch}, proven, being anchored`));
      assert.match(await text(page, '#progress li[data-stage="batched"]'), new RegExp(`^in batch ${batch}$`));
      assert.match(await text(page, '#progress li[data-stage="anchored"]'), /being anchored in batch \d+ \(est\. ~\d+ s\)/);
      assert.equal(await page.getAttribute('#progress li[data-stage="verified"]', "data-state"), "todo");
      // The steps checked the older anchored root: green for what they checked, but the verdict is not.
      assert.equal(await page.getAttribute('#steps li[data-step="value"]', "data-code"), "VALUE_ABSENT");
      await saveScreenshot(page, "pending");

      await resume();
      resumed = true;
      const outcome = await readOutcome(page, 120_000);
      assert.equal(outcome.verdict, "pass", JSON.stringify(outcome.steps));
      assert.match(await text(page, "#verdict"), new RegExp(`^Verified: version 1 \\(16 bytes\\) is in the root anchored at batch ${batch}\\.`));
      assert.equal(outcome.value, "written just now");
      assert.equal(await page.getAttribute("#progress", "data-stage"), "verified");
      assert.equal(await page.getAttribute('#progress li[data-stage="verified"]', "data-state"), "done");
      assert.equal(await text(page, '#progress li[data-stage="anchored"]'), `anchored in batch ${batch}`);
      await saveScreenshot(page, "pending-verified");
    } finally {
      if (!resumed) await resume();
    }
  });

  test("no page errors in any state", () => {
    assert.deepEqual(pageErrors, []);
  });
});
