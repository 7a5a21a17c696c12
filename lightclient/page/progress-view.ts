/**
 * The page's view of a write on its way to the chain (lightclient/progress.ts, the node's word, never a
 * verdict): written → in batch N (or waiting for the next batch) → proving (est.) → anchored in batch N →
 * verified. The last step is the page's own: it is marked only after the proof against the anchored root
 * passed. #progress carries data-stage (waiting | cut | proving | proven | anchored | verified) for tests.
 */
import { describeProgress, type WriteProgress } from "../progress.js";
import { $ } from "./dom.js";

type Pending = Exclude<WriteProgress, { stage: "settled" } | { stage: "unknown" }>;

const ORDER = ["written", "batched", "proven", "anchored", "verified"] as const;
const CURRENT: Record<Pending["stage"] | "verified", number> = { waiting: 1, cut: 2, proving: 2, proven: 3, anchored: 4, verified: 5 };

export function isPending(p: WriteProgress): p is Pending {
  return p.stage !== "settled" && p.stage !== "unknown";
}

function paint(stage: Pending["stage"] | "verified", texts: Record<(typeof ORDER)[number], string>, line: string): void {
  const box = $("#progress");
  box.dataset["stage"] = stage;
  box.hidden = false;
  const current = CURRENT[stage];
  ORDER.forEach((name, i) => {
    const li = $(`#progress li[data-stage="${name}"]`);
    li.dataset["state"] = i < current ? "done" : i === current ? "current" : "todo";
    li.textContent = texts[name];
  });
  $("#progress-text").textContent = line;
}

/** A pending write: each stage's words, with the node's estimate. */
export function showPending(p: Pending): void {
  const est = p.estimateSeconds !== undefined ? ` (est. ~${p.estimateSeconds} s)` : "";
  const batch = p.batch !== undefined ? `batch ${p.batch}` : "a later batch";
  paint(
    p.stage,
    {
      written: `written (version ${p.version})`,
      batched: p.stage === "waiting" ? `waiting for the next batch${est}` : `in ${batch}`,
      proven: p.stage === "waiting" || p.stage === "cut" || p.stage === "proving" ? `proving${p.stage === "waiting" ? "" : est}` : "proven",
      anchored: p.stage === "proven" ? `being anchored in ${batch}${est}` : `anchored in ${batch}`,
      verified: "verified",
    },
    `The node says: ${describeProgress(p)}. Informational: only the proof against the anchored root counts; this page checks the chain again until it holds the write.`,
  );
  $<HTMLButtonElement>("#progress-stop").hidden = false;
}

/** The write was pending (last seen in `writeBatch`, when the node named it) and is now verified at anchored `batch`. */
export function showVerified(version: number, batch: number, writeBatch: number | undefined): void {
  const where = writeBatch ?? batch;
  paint(
    "verified",
    { written: `written (version ${version})`, batched: `in batch ${where}`, proven: "proven", anchored: `anchored in batch ${where}`, verified: `verified (anchored batch ${batch})` },
    `Verified against the root anchored at batch ${batch}.`,
  );
  $<HTMLButtonElement>("#progress-stop").hidden = true;
}

/** Watching stopped before the write was verified (the Stop button, or the time limit). */
export function showStopped(why: string): void {
  $("#progress").dataset["stopped"] = "true";
  $("#progress-text").textContent = `Stopped watching: ${why}. Verify again to resume.`;
  $<HTMLButtonElement>("#progress-stop").hidden = true;
}

export function hideProgress(): void {
  const box = $("#progress");
  box.hidden = true;
  delete box.dataset["stage"];
  delete box.dataset["stopped"];
}
