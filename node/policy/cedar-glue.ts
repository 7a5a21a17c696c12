/**
 * The host side of cedar-wasm's wasm-bindgen interface, per instance. The package's own glue
 * (`@cedar-policy/cedar-wasm`) holds ONE module-wide instance; a policy decision needs instances of its
 * own (fresh, metered, reset between decisions), so the six imports it expects are provided here:
 * JSON parse/stringify, throw, string get, is-undefined and the externref table's initial slots.
 * None gives the policy a clock, randomness or I/O.
 */

export const CEDAR_IMPORT_MODULE = "./cedar_wasm_bg.js";

/** The exports the glue and the engine use. */
export interface CedarExports {
  readonly memory: WebAssembly.Memory;
  readonly __wbindgen_externrefs: WebAssembly.Table;
  readonly __wbindgen_malloc: (size: number, align: number) => number;
  readonly __wbindgen_realloc: (ptr: number, oldSize: number, newSize: number, align: number) => number;
  readonly __wbindgen_exn_store: (index: number) => void;
  readonly __externref_table_alloc: () => number;
  readonly __wbindgen_start: () => void;
  readonly preparsePolicySet: (idPtr: number, idLen: number, policies: unknown) => unknown;
  readonly statefulIsAuthorized: (call: unknown) => unknown;
  readonly __gas?: WebAssembly.Global;
  readonly __depth?: WebAssembly.Global;
}

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

/** Import object for one instance; `exports()` returns that instance's exports once it exists. */
export function cedarImports(module: WebAssembly.Module, exports: () => CedarExports): WebAssembly.Imports {
  const text = (ptr: number, len: number) => decoder.decode(new Uint8Array(exports().memory.buffer, ptr >>> 0, len));
  // An exception in an import is handed to Rust as an externref (wasm-bindgen `catch`), not thrown through.
  const catching =
    <A extends unknown[]>(f: (...args: A) => unknown) =>
    (...args: A): unknown => {
      try {
        return f(...args);
      } catch (error) {
        const ex = exports();
        const index = ex.__externref_table_alloc();
        ex.__wbindgen_externrefs.set(index, error);
        ex.__wbindgen_exn_store(index);
        return undefined;
      }
    };
  const host: Record<string, (...args: never[]) => unknown> = {};
  for (const { name, kind } of WebAssembly.Module.imports(module)) {
    if (kind !== "function") throw new Error(`cedar-wasm imports a ${kind} (${name}); this host provides functions only`);
    if (name.includes("is_undefined")) host[name] = (value: unknown) => value === undefined;
    else if (name.includes("string_get")) host[name] = (ret: number, value: unknown) => writeOptionalString(exports(), ret, value);
    else if (name.includes("throw"))
      host[name] = (ptr: number, len: number) => {
        throw new Error(text(ptr, len));
      };
    else if (name.startsWith("__wbg_parse_")) host[name] = catching((ptr: number, len: number) => JSON.parse(text(ptr, len)));
    else if (name.startsWith("__wbg_stringify_")) host[name] = catching((value: unknown) => JSON.stringify(value));
    else if (name === "__wbindgen_init_externref_table") host[name] = () => initExternrefTable(exports().__wbindgen_externrefs);
    else throw new Error(`cedar-wasm imports ${name}, which this host does not provide (a cedar-wasm version other than 4.13.0?)`);
  }
  return { [CEDAR_IMPORT_MODULE]: host };
}

/** wasm-bindgen's reserved slots: index 0 and the four constants undefined, null, true, false. */
export function initExternrefTable(table: WebAssembly.Table): void {
  const offset = table.grow(4);
  table.set(0, undefined);
  table.set(offset, undefined);
  table.set(offset + 1, null);
  table.set(offset + 2, true);
  table.set(offset + 3, false);
}

/** A Rust `&str` argument: UTF-8 into memory the module allocates. */
export function passString(ex: CedarExports, value: string): [number, number] {
  const bytes = encoder.encode(value);
  const ptr = ex.__wbindgen_malloc(bytes.length, 1) >>> 0;
  new Uint8Array(ex.memory.buffer).set(bytes, ptr);
  return [ptr, bytes.length];
}

function writeOptionalString(ex: CedarExports, ret: number, value: unknown): void {
  const [ptr, len] = typeof value === "string" ? passString(ex, value) : [0, 0];
  const view = new DataView(ex.memory.buffer);
  view.setInt32(ret + 4, len, true);
  view.setInt32(ret, ptr, true);
}
