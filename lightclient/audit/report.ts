/** Human-readable audit report: one line per event (✓/✗ + reason), the batch checks, a summary. */
import type { AuditReport, Check } from "./types.js";
import { shortCid } from "./evidence.js";

const MARK: Record<Check["status"], string> = { pass: "✓", fail: "✗", skip: "–" };

export function formatAuditReport(report: AuditReport, options: { verbose?: boolean } = {}): string {
  const lines: string[] = [];
  const head = [
    `batch ${report.batch}`,
    report.status !== undefined ? `status ${report.status}` : undefined,
    report.circuit !== undefined ? `circuit ${report.circuit}` : undefined,
    `depth ${report.depth}`,
  ]
    .filter((x) => x !== undefined)
    .join(", ");
  lines.push(`Audit of ${head} from ${report.source}`);
  lines.push("");
  lines.push(`Events (${report.events.length})`);
  if (report.events.length === 0) lines.push("  (none)");
  for (const e of report.events) {
    if (e.sealed === true) {
      lines.push(`  – #${e.index} seq ${e.seq} sealed: ${e.reason}`);
      continue;
    }
    const target = e.op === "salt" ? `salt leaf of ${e.spaceId}` : `${e.op} ${e.spaceId}/kv/${e.path}`;
    lines.push(`  ${e.ok ? "✓" : "✗"} #${e.index} seq ${e.seq} ${target}`);
    lines.push(`      event ${shortCid(e.event)}  epoch ${shortCid(e.epoch)}`);
    if (e.ok) lines.push(`      ${e.reason}`);
    else lines.push(`      ${e.code}: ${e.reason}`);
    if (options.verbose || !e.ok) {
      for (const c of e.checks) {
        if (c.status === "fail" && !options.verbose) continue;
        lines.push(`        ${MARK[c.status]} ${c.name.padEnd(10)} ${c.status === "pass" ? c.reason : `${c.code}: ${c.reason}`}`);
      }
    }
    for (const w of e.warnings) lines.push(`      ! ${w}`);
  }
  lines.push("");
  lines.push("Batch");
  for (const c of report.checks) lines.push(`  ${MARK[c.status]} ${c.name.padEnd(11)} ${c.status === "pass" ? c.reason : `${c.code}: ${c.reason}`}`);
  if (report.warnings.length > 0) {
    lines.push("");
    lines.push("Warnings");
    for (const w of report.warnings) lines.push(`  ! ${w}`);
  }
  const s = report.summary;
  lines.push("");
  lines.push(
    `${report.ok ? "PASS" : "FAIL"}: ${s.eventsPassed}/${s.events - s.eventsSealed} event(s) authorized and consistent${s.eventsSealed > 0 ? ` (${s.eventsSealed} sealed update(s) of private spaces skipped: no read capability)` : ""}; batch checks ${s.checksPassed} passed, ${s.checksFailed} failed, ${s.checksSkipped} skipped`,
  );
  return lines.join("\n");
}

/** JSON-safe view of a report (bigints as strings). */
export function reportToJson(report: AuditReport): string {
  return JSON.stringify(report, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2);
}
