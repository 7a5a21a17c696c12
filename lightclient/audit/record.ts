/** A published batch record is untrusted JSON until it passes its one schema (core/rollup/wire.ts). */
import { TinyCloudError } from "../../core/errors.js";
import { DecodedPublishedBatchSchema, parseWire } from "../../core/rollup/wire.js";
import type { PublishedBatch } from "./types.js";

export class RecordShapeError extends TinyCloudError<"RECORD_MALFORMED"> {
  override readonly name = "RecordShapeError" as const;
  constructor(message: string) {
    super("RECORD_MALFORMED", message);
  }
}

/**
 * Check the record's shape (the published form: a private space's updates may be sealed) and that it is
 * batch `n`; its field elements come back decoded.
 */
export function parseBatchRecord(value: unknown, n: number): PublishedBatch {
  const parsed = parseWire(DecodedPublishedBatchSchema, value, `batch ${n}`);
  if (!parsed.ok) throw new RecordShapeError(parsed.error);
  if (parsed.value.number !== n) throw new RecordShapeError(`asked for batch ${n}, the record is batch ${parsed.value.number}`);
  return parsed.value;
}
