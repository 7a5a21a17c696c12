/**
 * JSON ↔ SQLite values, the reference node's mapping: null → NULL, boolean → 0/1, integer → INTEGER (must
 * fit in 64 bits), other number → REAL, string → TEXT, array of bytes → BLOB. Parameters are positional.
 * Out: integers beyond 2^53 are written as exact JSON number text, BLOBs as arrays of bytes.
 */
import type { SQLInputValue, SQLOutputValue } from "node:sqlite";
import { HttpError } from "../server/http-error.js";

export const MAX_PARAMS = 999;
const MAX_BLOB_PARAM = 1 << 20;

export function toSqlParams(params: unknown): SQLInputValue[] {
  if (params === undefined || params === null) return [];
  if (!Array.isArray(params)) throw new HttpError("SQL_BAD_PARAMS", "params must be an array (positional parameters)");
  if (params.length > MAX_PARAMS) throw new HttpError("SQL_BAD_PARAMS", `at most ${MAX_PARAMS} parameters, got ${params.length}`);
  return params.map(toSqlValue);
}

function toSqlValue(value: unknown, index: number): SQLInputValue {
  if (value === null) return null;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "string") return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new HttpError("SQL_BAD_PARAMS", `parameter ${index} is not a finite number`);
    return value;
  }
  if (Array.isArray(value) && value.length <= MAX_BLOB_PARAM && value.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) return Uint8Array.from(value as number[]);
  throw new HttpError("SQL_BAD_PARAMS", `parameter ${index} must be null, a boolean, a number, a string or an array of bytes`);
}

/** One value as JSON text. */
export function jsonValue(value: SQLOutputValue): string {
  if (value === null) return "null";
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "null";
  if (typeof value === "string") return JSON.stringify(value);
  return `[${Array.from(value as Uint8Array).join(",")}]`;
}
