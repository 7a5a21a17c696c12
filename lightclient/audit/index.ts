/** Batch auditor: re-checks a rollup batch from published data alone (see README.md). */
export { auditBatch, depthOfCircuit, type AuditOptions } from "./audit.js";
export { checkEvent, contentHashOfOp, type EventCheckContext } from "./event-check.js";
export { DelegationResolver, SpaceHistory, fetchEvent, isRevocationUcan } from "./evidence.js";
export { parseBatchRecord } from "./record.js";
export { formatAuditReport, reportToJson } from "./report.js";
export { AuditSourceError, CachingSource, emptyFixture, FixtureSource, HttpAuditSource, RecordingSource, type AuditFixture } from "./source.js";
export { ViemAuditChain, type ViemChainOptions } from "./chain.js";
export * from "./types.js";
