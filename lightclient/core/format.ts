/** Plain-text rendering of a report (CLI; the page renders the same StepResults its own way). */
import type { StepResult, VerifyReport } from "./types.js";

export const STEP_MARK = { passed: "✓", failed: "✗", skipped: "-" } as const;

export function formatStep(s: StepResult): string {
  const mark = STEP_MARK[s.status];
  const body = s.status === "passed" ? s.reason : s.status === "skipped" ? `skipped: ${s.reason}` : `${s.code}: ${s.reason}`;
  return `${mark} ${s.step.padEnd(5)}  ${body}`;
}

export function formatReport(report: VerifyReport): string {
  const lines = [`verify ${report.uri}`];
  if (report.chainId !== undefined) {
    lines.push(`  chain ${report.chainId}, anchor ${report.anchor}, batch ${report.batch ?? "?"}${report.root !== undefined ? `, anchored root ${report.root}` : ""}`);
  }
  for (const s of report.steps) lines.push(formatStep(s));
  const e = report.entry;
  const verdict = report.ok
    ? e?.kind === "value"
      ? `VERIFIED: ${report.uri} = version ${e.version} (${e.size} bytes) at anchored batch ${report.batch}`
      : e?.kind === "deleted"
        ? `VERIFIED: ${report.uri} was deleted (version ${e.version}) at anchored batch ${report.batch}`
        : `VERIFIED: ${report.uri} holds no value at anchored batch ${report.batch}`
    : `NOT VERIFIED: step "${report.failedStep ?? "?"}" failed`;
  lines.push(verdict);
  for (const w of report.warnings ?? []) lines.push(`WARNING: ${w}`);
  return lines.join("\n");
}
