/**
 * Review of issue 14: a module declaring huge tables is refused at deploy. V8 allocates a table's initial
 * elements at every instantiation, before any gas is charged, so a 16-gas function with a 10 M-element
 * table spent ~300 ms and ~80 MB per execution (and several such tables could exhaust the worker).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { isComputeError } from "../../core/compute/errors.js";
import { meterModule, TABLE_ELEMENTS_MAX } from "../../node/compute/meter.js";
import { wat } from "../helpers/compute.js";

const module = (tables: string) =>
  wat(`(module (import "tc" "output_write" (func $out (param i32 i32) (result i32))) (memory 1) ${tables}
    (func (export "run") (result i32) (drop (call $out (i32.const 0) (i32.const 1))) (i32.const 0)))`);

test("a table of 10 M elements, or many tables that add up past the cap, is refused with WASM_TABLE_FORBIDDEN", async () => {
  for (const tables of ["(table 10000000 funcref)", "(table $a 40000 funcref) (table $b 40000 externref)"]) {
    await assert.rejects(meterModule(module(tables)), (error: unknown) => isComputeError(error) && error.code === "WASM_TABLE_FORBIDDEN" && /at most/.test(error.message));
  }
});

test("tables up to the cap are accepted", async () => {
  await meterModule(module(`(table ${TABLE_ELEMENTS_MAX} funcref)`));
  await meterModule(module("(table 1 funcref)"));
});
