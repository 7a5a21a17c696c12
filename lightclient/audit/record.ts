/** Shape checks for a published batch record: it is untrusted JSON until these pass. */
import { isPlainObject } from "../../core/encoding.js";
import type { PublishedBatch, PublishedUpdate } from "./types.js";

const DECIMAL = /^(0|[1-9][0-9]{0,77})$/;

export class RecordShapeError extends Error {
  override readonly name = "RecordShapeError" as const;
  readonly code = "RECORD_MALFORMED" as const;
}

function decimal(value: unknown, what: string): string {
  if (typeof value !== "string" || !DECIMAL.test(value)) throw new RecordShapeError(`${what} must be a decimal string`);
  return value;
}

function text(value: unknown, what: string): string {
  if (typeof value !== "string" || value.length === 0) throw new RecordShapeError(`${what} must be a non-empty string`);
  return value;
}

function integer(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) throw new RecordShapeError(`${what} must be a non-negative integer`);
  return value;
}

export function parseUpdate(value: unknown, what: string): PublishedUpdate {
  if (!isPlainObject(value)) throw new RecordShapeError(`${what} must be an object`);
  if (typeof value["deleted"] !== "boolean") throw new RecordShapeError(`${what}.deleted must be a boolean`);
  return {
    seq: integer(value["seq"], `${what}.seq`),
    spaceId: text(value["spaceId"], `${what}.spaceId`),
    service: text(value["service"], `${what}.service`),
    path: text(value["path"], `${what}.path`),
    key: decimal(value["key"], `${what}.key`),
    contentHash: decimal(value["contentHash"], `${what}.contentHash`),
    version: integer(value["version"], `${what}.version`),
    deleted: value["deleted"],
    value: decimal(value["value"], `${what}.value`),
    event: text(value["event"], `${what}.event`),
    epoch: text(value["epoch"], `${what}.epoch`),
  };
}

/** Check the record's shape and that it is batch `n`. */
export function parseBatchRecord(value: unknown, n: number): PublishedBatch {
  if (!isPlainObject(value)) throw new RecordShapeError(`batch ${n} is not a JSON object`);
  const number = integer(value["number"], "number");
  if (number !== n) throw new RecordShapeError(`asked for batch ${n}, the record is batch ${number}`);
  const updates = value["updates"];
  if (!Array.isArray(updates)) throw new RecordShapeError("updates must be a list");
  const eventCids = value["eventCids"];
  if (!Array.isArray(eventCids) || !eventCids.every((c: unknown) => typeof c === "string")) throw new RecordShapeError("eventCids must be a list of strings");
  const publicSignals = value["publicSignals"];
  if (publicSignals !== undefined && (!Array.isArray(publicSignals) || !publicSignals.every((s: unknown) => typeof s === "string"))) {
    throw new RecordShapeError("publicSignals must be a list of decimal strings");
  }
  const circuit = value["circuit"];
  if (circuit !== undefined && typeof circuit !== "string") throw new RecordShapeError("circuit must be a string");
  const anchorTx = value["anchorTx"];
  const anchorBlock = value["anchorBlock"];
  return {
    number,
    oldRoot: decimal(value["oldRoot"], "oldRoot"),
    newRoot: decimal(value["newRoot"], "newRoot"),
    updates: updates.map((u: unknown, i) => parseUpdate(u, `updates[${i}]`)),
    eventCids: eventCids as string[],
    eventsHash: decimal(value["eventsHash"], "eventsHash"),
    header: decimal(value["header"], "header"),
    commitment: decimal(value["commitment"], "commitment"),
    status: typeof value["status"] === "string" ? value["status"] : "unknown",
    ...(typeof circuit === "string" ? { circuit } : {}),
    ...(value["proof"] !== undefined && value["proof"] !== null ? { proof: value["proof"] } : {}),
    ...(publicSignals !== undefined ? { publicSignals: publicSignals as string[] } : {}),
    ...(typeof anchorTx === "string" ? { anchorTx } : {}),
    ...(typeof anchorBlock === "number" ? { anchorBlock } : {}),
  };
}
