/**
 * BN254 scalar field elements as a branded bigint. A `Field` is an integer in [0, p) that was checked
 * once, where it entered the program (a decimal string on the wire, a hash output, a number), so the
 * functions that take one do not re-parse or re-check it.
 */

/** p of the BN254 scalar field: every key, value, hash and public signal lives in [0, p). */
export const FIELD_MODULUS = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

declare const fieldBrand: unique symbol;
export type Field = bigint & { readonly [fieldBrand]: true };

/** A canonical decimal string (no sign, no leading zeros) short enough to hold a field element. */
export const FIELD_DECIMAL = /^(0|[1-9][0-9]{0,76})$/;

export function isField(value: unknown): value is Field {
  return typeof value === "bigint" && value >= 0n && value < FIELD_MODULUS;
}

/** `value` as a field element; RangeError naming `what` when it is not an integer in [0, p). */
export function toField(value: bigint | number, what = "value"): Field {
  const v = typeof value === "number" ? (Number.isSafeInteger(value) ? BigInt(value) : -1n) : value;
  if (!isField(v)) throw new RangeError(`${what} must be an integer in [0, p)`);
  return v;
}

/** A canonical decimal string below p, or undefined. */
export function fieldFromDecimal(text: unknown): Field | undefined {
  if (typeof text !== "string" || !FIELD_DECIMAL.test(text)) return undefined;
  const v = BigInt(text);
  return isField(v) ? v : undefined;
}
