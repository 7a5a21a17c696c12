/**
 * `tinycloud audit --executions --space <id> --node URL [--auth-key FILE --proof CIDS] [--json]`: re-execute
 * every logged execution of a space (node/compute/audit.ts) and check its output CID, gas and status.
 * Exit status: 0 all match; 1 a mismatch (a tampered output); 2 bad usage or the node unreachable.
 */
import { auditExecutions, ExecutionAuditError, type ExecutionAudit } from "../node/compute/audit.js";

export async function runExecutionAudit(options: { node: string; space: string; authorization?: () => string; json?: boolean }): Promise<number> {
  let report: ExecutionAudit;
  try {
    report = await auditExecutions({ url: options.node, spaceId: options.space, ...(options.authorization !== undefined ? { authorization: options.authorization } : {}) });
  } catch (error) {
    if (error instanceof ExecutionAuditError) {
      console.error(`audit: ${error.message}`);
      return 2;
    }
    throw error;
  }
  if (options.json === true) console.log(JSON.stringify(report));
  else {
    for (const e of report.executions) {
      console.log(`execution ${e.seq}: ${e.ok ? "ok" : "FAILED"}  ${e.function_cid}  gas ${e.gas_used}  output ${e.output_cid}`);
      for (const problem of e.problems) console.log(`  ✗ ${problem}`);
    }
    console.log(`${report.executions.length} execution(s) of ${report.space} re-executed: ${report.ok ? "all match" : "MISMATCH"}`);
  }
  return report.ok ? 0 : 1;
}
