/**
 * MeterOptions.host (node/compute/meter.ts): the compute meter accepts another host's imports only when
 * told, so cedar-wasm's wasm-bindgen imports can be metered while a deployed function still gets the
 * compute ABI and nothing else.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { meterModule } from "../../node/compute/meter.js";
import { CEDAR_IMPORT_MODULE } from "../../node/policy/cedar-glue.js";
import { wat } from "../helpers/compute.js";

const BINDGEN_STYLE = wat(`(module
  (import "${CEDAR_IMPORT_MODULE}" "__wbg_stringify_x" (func $s (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "isAuthorized") (param i32) (result i32) (call $s (local.get 0))))`);

test("a wasm-bindgen module is refused as a compute function, and metered (gas exported, no run needed) for its own host", async () => {
  await assert.rejects(meterModule(BINDGEN_STYLE), { code: "WASM_IMPORT_FORBIDDEN" });
  const { metered } = await meterModule(BINDGEN_STYLE, { host: { importModule: CEDAR_IMPORT_MODULE } });
  const exports = WebAssembly.Module.exports(new WebAssembly.Module(metered as Uint8Array<ArrayBuffer>)).map((e) => e.name);
  assert.ok(exports.includes("__gas") && exports.includes("isAuthorized"), exports.join());
  // Another module's imports stay forbidden under that host.
  const other = wat(`(module (import "env" "now" (func (result i64))) (memory 1) (func (export "run") (result i32) (i32.const 0)))`);
  await assert.rejects(meterModule(other, { host: { importModule: CEDAR_IMPORT_MODULE } }), { code: "WASM_IMPORT_FORBIDDEN" });
});
