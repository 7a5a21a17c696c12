/**
 * The deploy-time metering pass (issue 14, research: service-compute.md §1.3–1.5): validate an uploaded
 * WebAssembly module against what the runtime can run deterministically, then instrument it once with
 * binaryen so that every execution is bounded and its gas is a function of (metered binary, inputs) only.
 *
 * Validation, in order (the first failure is the answer, a typed ComputeError):
 *   1. V8 can compile it at all (WASM_INVALID);
 *   2. exactly one defined, non-shared, 32-bit memory whose initial size fits the cap (WASM_MEMORY_FORBIDDEN);
 *   3. only the features of `ALLOWED_FEATURES` (no SIMD, threads, atomics, GC, exceptions, memory64, tail calls…)
 *      (WASM_FEATURE_FORBIDDEN);
 *   4. imports: only the `tc` host ABI with its exact signatures and AssemblyScript's `env.abort`; no imported
 *      globals, tables or tags (WASM_IMPORT_FORBIDDEN);
 *   5. an exported `run: () -> i32` (WASM_NO_RUN_EXPORT);
 *   6. every instruction is one the walker knows (WASM_UNSUPPORTED_INSTRUCTION): an unknown kind could hide
 *      a loop or a variable-size operation from the gas count.
 *
 * Instrumentation:
 *   - gas: an i64 global `__gas`, internal and exported (an imported global costs 2.4× on a tight loop, an
 *     internal one 1.5×). Every function entry and every loop header (once per iteration) subtracts the
 *     static cost of its region (its IR nodes, nested loops excluded) and traps when the counter goes negative;
 *   - bulk memory and table operations, and memory.grow, are charged by their size operand at run time;
 *   - call depth: every defined function becomes a thunk `depth++; if depth > max trap; call $impl; depth--`;
 *     the depth is the same on every engine, unlike V8's stack limit;
 *   - memory: re-declared with `maximum = min(declared, cap)`, exported as `memory`; a failed grow sets
 *     `__oom` so that the trap that usually follows reads as MEMORY_LIMIT;
 *   - NaN: every float operation that may produce a NaN yields the canonical NaN (0x7fc00000 / 0x7ff8…),
 *     since NaN payloads differ across hosts;
 *   - `start` is stripped and exported as `__start`: the host sets the gas budget first, then calls it.
 * Then a few binaryen passes fold the added blocks and locals (they keep global side effects and traps in
 * order) and the result is emitted with the allowed features only.
 */
import type binaryenType from "binaryen";
import {
  ABI_IMPORTS,
  ABI_MODULE,
  ABORT_IMPORT,
  type AbiImportName,
  DEFAULT_CALL_DEPTH_MAX,
  DEFAULT_MEMORY_PAGES_MAX,
  DEPTH_EXCEEDED,
  DEPTH_EXPORT,
  ENTRY_EXPORT,
  GAS_EXPORT,
  MEMORY_EXPORT,
  METER_COSTS,
  OOM_EXPORT,
  START_EXPORT,
} from "../../core/compute/abi.js";
import { ComputeError } from "../../core/compute/errors.js";
import { currentMeterInfo, type MeterInfo } from "../../core/compute/records.js";

type Binaryen = typeof binaryenType;
type Module = binaryenType.Module;
type ExpressionRef = binaryenType.ExpressionRef;

export interface MeteredModule {
  readonly metered: Uint8Array;
  readonly meter: MeterInfo;
}

export interface MeterOptions {
  /** Memory cap in 64 KiB pages (default 256 = 16 MiB). */
  readonly memoryPagesMax?: number;
  /** Call depth at which an execution traps CALL_DEPTH (default 1000). */
  readonly callDepthMax?: number;
  /**
   * Another host than the compute ABI (the policy engine's cedar-wasm, node/policy/cedar-meter.ts): every
   * function imported from `importModule` is the host's to provide, and no `run` export is required.
   */
  readonly host?: { readonly importModule: string };
  /**
   * Function imports allowed besides the tc ABI, as "module.name" (any signature): for a host-provided
   * engine such as Cedar's wasm-bindgen glue, whose imports the policy runtime supplies. Never user-chosen.
   */
  readonly extraImports?: readonly string[];
}

const RESERVED_EXPORTS = new Set([GAS_EXPORT, START_EXPORT, MEMORY_EXPORT, DEPTH_EXPORT, OOM_EXPORT]);

/**
 * Switches for the mutation tests (test/unit/compute-meter.test.ts): each rule can be turned off to show
 * that its test fails without it. Never set in production code.
 */
export interface MeterRules {
  readonly loopGas: boolean;
  readonly entryGas: boolean;
  readonly bulkGas: boolean;
  readonly depth: boolean;
  readonly memoryCap: boolean;
  readonly nan: boolean;
  readonly stripStart: boolean;
  readonly optimize: boolean;
}
const ALL_RULES: MeterRules = { loopGas: true, entryGas: true, bulkGas: true, depth: true, memoryCap: true, nan: true, stripStart: true, optimize: true };

/** The re-optimisation after instrumentation (binaryen pass names, run in this order). */
const OPTIMIZE_PASSES = ["simplify-locals", "vacuum", "merge-blocks", "remove-unused-brs", "coalesce-locals", "vacuum"];

let loaded: Promise<Binaryen> | undefined;
/** binaryen is 14 MB of asm.js with a top-level await: load it on the first deploy, not at node start. */
export function loadBinaryen(): Promise<Binaryen> {
  loaded ??= import("binaryen").then((m) => m.default);
  return loaded;
}

function allowedFeatures(B: Binaryen): number {
  const F = B.Features;
  // BulkMemoryOpt is binaryen's name for memory.copy/fill as split from BulkMemory; MVP is 0.
  return F.MutableGlobals | F.NontrappingFPToInt | F.SignExt | F.BulkMemory | F.BulkMemoryOpt | F.Multivalue | F.ReferenceTypes;
}

/** Validate and instrument `bytes`. Throws ComputeError (WASM_*) when the module is not acceptable. */
export async function meterModule(bytes: Uint8Array, options: MeterOptions = {}): Promise<MeteredModule> {
  return meterModuleWith(bytes, options, ALL_RULES);
}

/** `meterModule` with some rules off: for the mutation tests only. */
export async function meterModuleWith(bytes: Uint8Array, options: MeterOptions, rules: MeterRules): Promise<MeteredModule> {
  const memoryPagesMax = options.memoryPagesMax ?? DEFAULT_MEMORY_PAGES_MAX;
  const callDepthMax = options.callDepthMax ?? DEFAULT_CALL_DEPTH_MAX;
  if (!(Number.isSafeInteger(memoryPagesMax) && memoryPagesMax >= 1 && memoryPagesMax <= 65_536)) throw new RangeError(`memoryPagesMax ${memoryPagesMax} is not 1..65536`);
  if (!(Number.isSafeInteger(callDepthMax) && callDepthMax >= 1)) throw new RangeError(`callDepthMax ${callDepthMax} is not a positive integer`);
  // V8 first: binaryen's reader aborts the process-wide asm.js runtime on some malformed inputs.
  if (!WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>)) throw new ComputeError("WASM_INVALID", "the module is not valid WebAssembly");
  const B = await loadBinaryen();
  let m: Module;
  try {
    // binaryen 132's readBinary takes the features itself (its .d.ts names a readBinaryWithFeatures that the JS lacks).
    const read = B.readBinary as (data: Uint8Array, features: number) => Module;
    m = quietly(() => read(bytes, B.Features.All));
  } catch (cause) {
    throw new ComputeError("WASM_INVALID", `binaryen cannot read the module: ${messageOf(cause)}`, { cause });
  }
  try {
    const metered = instrument(B, m, { memoryPagesMax, callDepthMax, extraImports: options.extraImports ?? [] }, rules, options.host?.importModule);
    return { metered, meter: currentMeterInfo(memoryPagesMax, callDepthMax) };
  } finally {
    m.dispose();
  }
}

function instrument(B: Binaryen, m: Module, limits: { memoryPagesMax: number; callDepthMax: number; extraImports: readonly string[] }, rules: MeterRules, hostModule?: string): Uint8Array {
  checkMemory(B, m, limits.memoryPagesMax);
  checkTables(B, m);
  m.setFeatures(allowedFeatures(B));
  if (!quietly(() => m.validate()))
    throw new ComputeError(
      "WASM_FEATURE_FORBIDDEN",
      "the module uses a WebAssembly feature outside the allowed set (MVP, mutable globals, non-trapping float-to-int, sign extension, bulk memory, multi-value, reference types): SIMD, threads, atomics, exceptions, GC, memory64 and tail calls are refused",
    );
  checkImports(B, m, new Set(limits.extraImports), hostModule);
  checkExports(B, m, hostModule === undefined);

  m.addGlobal(GAS_EXPORT, B.i64, true, m.i64.const(0n));
  m.addGlobalExport(GAS_EXPORT, GAS_EXPORT);
  m.addGlobal(DEPTH_EXPORT, B.i32, true, m.i32.const(0));
  m.addGlobalExport(DEPTH_EXPORT, DEPTH_EXPORT);
  m.addGlobal(OOM_EXPORT, B.i32, true, m.i32.const(0));
  m.addGlobalExport(OOM_EXPORT, OOM_EXPORT);

  const start = m.getStart();
  if (start !== 0 && rules.stripStart) {
    const startName = B.getFunctionInfo(start).name;
    m.setStart(0 as binaryenType.FunctionRef);
    m.addFunctionExport(startName, START_EXPORT);
  }

  const names: string[] = [];
  for (let i = 0; i < m.getNumFunctions(); i++) {
    const info = B.getFunctionInfo(m.getFunctionByIndex(i));
    if (info.module === "" || info.module === null) names.push(info.name);
  }
  const taken = new Set<string>();
  for (let i = 0; i < m.getNumFunctions(); i++) taken.add(B.getFunctionInfo(m.getFunctionByIndex(i)).name);
  for (const name of names) meterFunction(B, m, name, taken, limits.callDepthMax, rules);

  capMemory(B, m, limits.memoryPagesMax, rules);
  if (!quietly(() => m.validate())) throw new Error("bug: the metering pass produced an invalid module");
  if (rules.optimize) {
    // Not the full -O2: its inliner is superlinear on large modules (38 s for 300 chained functions here).
    // These passes only fold the blocks and scratch locals the instrumentation added.
    m.runPasses(OPTIMIZE_PASSES);
  }
  return m.emitBinary();
}

function checkMemory(B: Binaryen, m: Module, cap: number): void {
  if (!m.hasMemory()) throw new ComputeError("WASM_MEMORY_FORBIDDEN", "the module must define one memory (the host ABI reads and writes it)");
  const info = m.getMemoryInfo();
  if (info.module !== null && info.module !== "") throw new ComputeError("WASM_MEMORY_FORBIDDEN", "an imported memory is refused: the module must define its own");
  if (info.shared) throw new ComputeError("WASM_MEMORY_FORBIDDEN", "a shared memory is refused");
  if (info.is64) throw new ComputeError("WASM_MEMORY_FORBIDDEN", "a 64-bit memory is refused");
  if (info.initial > cap) throw new ComputeError("WASM_MEMORY_FORBIDDEN", `the memory's initial size (${info.initial} pages) exceeds the cap of ${cap} pages`);
  // Multi-memory is a feature: a second memory fails the feature validation that follows.
  void B;
}

/**
 * Most table elements a module may declare (all tables together). V8 allocates a table's initial elements
 * at every instantiation, before any gas is charged: a 10 M-element table cost ~300 ms and ~80 MB per
 * execution of a 16-gas function. Growth past it is `table.grow`, charged by its delta.
 */
export const TABLE_ELEMENTS_MAX = 65_536;

function checkTables(B: Binaryen, m: Module): void {
  let total = 0;
  for (let i = 0; i < m.getNumTables(); i++) total += B.getTableInfo(m.getTableByIndex(i)).initial;
  if (total > TABLE_ELEMENTS_MAX) throw new ComputeError("WASM_TABLE_FORBIDDEN", `the module's tables declare ${total} initial elements; at most ${TABLE_ELEMENTS_MAX} are allowed`);
}

function checkImports(B: Binaryen, m: Module, extra: ReadonlySet<string>, hostModule?: string): void {
  for (let i = 0; i < m.getNumFunctions(); i++) {
    const info = B.getFunctionInfo(m.getFunctionByIndex(i));
    if (info.module === "" || info.module === null || info.module === hostModule) continue;
    const params = B.expandType(info.params).map((t) => typeName(B, t));
    const results = B.expandType(info.results).map((t) => typeName(B, t));
    const label = `${info.module}.${info.base}`;
    if (extra.has(label)) continue;
    let expected: { readonly params: readonly string[]; readonly results: readonly string[] } | undefined;
    if (info.module === ABI_MODULE && Object.hasOwn(ABI_IMPORTS, info.base ?? "")) expected = ABI_IMPORTS[info.base as AbiImportName];
    else if (info.module === ABORT_IMPORT.module && info.base === ABORT_IMPORT.name) expected = ABORT_IMPORT;
    if (expected === undefined) throw new ComputeError("WASM_IMPORT_FORBIDDEN", `import ${label} is outside the host ABI (tc.${Object.keys(ABI_IMPORTS).join(", tc.")}, env.abort)`);
    if (params.join() !== expected.params.join() || results.join() !== expected.results.join()) {
      throw new ComputeError(
        "WASM_IMPORT_FORBIDDEN",
        `import ${label} has type (${params.join(", ")}) -> (${results.join(", ")}), the ABI says (${expected.params.join(", ")}) -> (${expected.results.join(", ")})`,
      );
    }
  }
  for (let i = 0; i < m.getNumGlobals(); i++) {
    const info = B.getGlobalInfo(m.getGlobalByIndex(i));
    if (info.module) throw new ComputeError("WASM_IMPORT_FORBIDDEN", `imported global ${info.module}.${info.base} is refused (only host functions may be imported)`);
  }
  for (let i = 0; i < m.getNumTables(); i++) {
    const info = B.getTableInfo(m.getTableByIndex(i));
    if (info.module) throw new ComputeError("WASM_IMPORT_FORBIDDEN", `imported table ${info.module}.${info.base} is refused (only host functions may be imported)`);
  }
}

function checkExports(B: Binaryen, m: Module, requireRun: boolean): void {
  let run: binaryenType.ExportInfo | undefined;
  for (let i = 0; i < m.getNumExports(); i++) {
    const info = B.getExportInfo(m.getExportByIndex(i));
    if (RESERVED_EXPORTS.has(info.name) && !(info.name === MEMORY_EXPORT && info.kind === B.ExternalMemory)) {
      throw new ComputeError("WASM_INVALID", `export "${info.name}" is reserved for the runtime`);
    }
    if (info.name === ENTRY_EXPORT) run = info;
  }
  if (!requireRun) return;
  if (run === undefined || run.kind !== B.ExternalFunction) throw new ComputeError("WASM_NO_RUN_EXPORT", `the module must export a function "${ENTRY_EXPORT}: () -> i32"`);
  const fn = B.getFunctionInfo(m.getFunction(run.value));
  if (B.expandType(fn.params).length !== 0 || fn.results !== B.i32) throw new ComputeError("WASM_NO_RUN_EXPORT", `export "${ENTRY_EXPORT}" must have type () -> i32`);
}

function typeName(B: Binaryen, t: binaryenType.Type): string {
  if (t === B.i32) return "i32";
  if (t === B.i64) return "i64";
  if (t === B.f32) return "f32";
  if (t === B.f64) return "f64";
  return `type#${t}`;
}

/** `memory` re-declared with its maximum capped, exported under the name the runtime reads. */
function capMemory(B: Binaryen, m: Module, cap: number, rules: MeterRules): void {
  const info = m.getMemoryInfo();
  // Instructions name their memory: keep its internal name (an export's value, else binaryen's default "0").
  let memoryName = "0";
  for (let i = m.getNumExports() - 1; i >= 0; i--) {
    const e = B.getExportInfo(m.getExportByIndex(i));
    if (e.kind !== B.ExternalMemory) continue;
    memoryName = e.value;
    m.removeExport(e.name);
  }
  // setMemory replaces the data segments too: carry them over (offsets are constants: the allowed
  // features have no extended constant expressions, and imported globals are refused).
  const segments: binaryenType.MemorySegment[] = [];
  for (let i = 0; i < dataSegments(m).count(); i++) {
    const seg = dataSegments(m).info(i);
    segments.push({ name: seg.name, data: new Uint8Array(seg.data), passive: seg.passive, offset: seg.passive ? 0 : m.i32.const(seg.offset ?? 0) } as binaryenType.MemorySegment);
  }
  const declared = info.max ?? 65_536;
  const maximum = rules.memoryCap ? Math.min(declared, cap) : declared;
  m.setMemory(info.initial, maximum, MEMORY_EXPORT, segments, false, false, memoryName);
}

/** binaryen 132's JS names these differently from its .d.ts (getNumDataSegments, getDataSegmentInfo). */
function dataSegments(m: Module): { count(): number; info(i: number): { name: string; offset: number | null; data: ArrayBuffer; passive: boolean } } {
  const api = m as unknown as {
    getNumDataSegments(): number;
    getDataSegmentByIndex(i: number): number;
    getDataSegmentInfo(ref: number): { name: string; offset: number | null; data: ArrayBuffer; passive: boolean };
  };
  return { count: () => api.getNumDataSegments(), info: (i) => api.getDataSegmentInfo(api.getDataSegmentByIndex(i)) };
}

// ---- the walker ----

/** binaryen.js has an accessor class per expression kind (`binaryen.Loop.getBody`), missing from its .d.ts. */
function slot(B: Binaryen, kind: string, field: string): ChildSlot {
  const cls = (B as unknown as Record<string, Record<string, unknown>>)[kind];
  const found = cls === undefined ? undefined : fieldSlots(cls, [field])(0 as ExpressionRef)[0];
  if (found === undefined) throw new Error(`bug: binaryen has no ${kind}.${field}`);
  return found;
}

function opOf(B: Binaryen, kind: "Unary" | "Binary", e: ExpressionRef): number {
  const cls = (B as unknown as Record<string, { getOp(e: ExpressionRef): number }>)[kind];
  if (cls === undefined) throw new Error(`bug: binaryen has no ${kind}`);
  return cls.getOp(e);
}

type ChildSlot = { readonly get: (e: ExpressionRef) => ExpressionRef; readonly set: (e: ExpressionRef, c: ExpressionRef) => void };
type Walker = { readonly slots: (e: ExpressionRef) => ChildSlot[] };

function fieldSlots(cls: Record<string, unknown>, fields: readonly string[]): (e: ExpressionRef) => ChildSlot[] {
  const slots = fields.map((f) => {
    const cap = f[0]?.toUpperCase() + f.slice(1);
    const get = cls[`get${cap}`] as ChildSlot["get"];
    const set = cls[`set${cap}`] as ChildSlot["set"];
    if (typeof get !== "function" || typeof set !== "function") throw new Error(`bug: binaryen has no get/set${cap}`);
    return { get, set };
  });
  return () => slots;
}

/** A list of children (block children, call operands), then `after` fields (call_indirect's target). */
function listSlots(cls: Record<string, unknown>, kind: "Child" | "Operand", after: readonly string[] = []): (e: ExpressionRef) => ChildSlot[] {
  const count = cls[kind === "Child" ? "getNumChildren" : "getNumOperands"] as (e: ExpressionRef) => number;
  const getAt = cls[`get${kind}At`] as (e: ExpressionRef, i: number) => ExpressionRef;
  const setAt = cls[`set${kind}At`] as (e: ExpressionRef, i: number, c: ExpressionRef) => void;
  const fixed = fieldSlots(cls, after);
  return (e) => {
    const out: ChildSlot[] = [];
    for (let i = 0; i < count(e); i++) out.push({ get: (x) => getAt(x, i), set: (x, c) => setAt(x, i, c) });
    return [...out, ...fixed(e)];
  };
}

let walkers: Map<number, Walker> | undefined;
/** The expression kinds the pass understands, with their child slots in evaluation order. */
function walkerTable(B: Binaryen): Map<number, Walker> {
  if (walkers !== undefined) return walkers;
  const b = B as unknown as Record<string, Record<string, unknown>>;
  const none = () => [];
  const entries: [string, (e: ExpressionRef) => ChildSlot[]][] = [
    ["Nop", none],
    ["Unreachable", none],
    ["Block", listSlots(b.Block as Record<string, unknown>, "Child")],
    ["If", fieldSlots(b.If as Record<string, unknown>, ["condition", "ifTrue", "ifFalse"])],
    ["Loop", fieldSlots(b.Loop as Record<string, unknown>, ["body"])],
    ["Break", fieldSlots(b.Break as Record<string, unknown>, ["value", "condition"])],
    ["Switch", fieldSlots(b.Switch as Record<string, unknown>, ["value", "condition"])],
    ["Call", listSlots(b.Call as Record<string, unknown>, "Operand")],
    ["CallIndirect", listSlots(b.CallIndirect as Record<string, unknown>, "Operand", ["target"])],
    ["LocalGet", none],
    ["LocalSet", fieldSlots(b.LocalSet as Record<string, unknown>, ["value"])],
    ["GlobalGet", none],
    ["GlobalSet", fieldSlots(b.GlobalSet as Record<string, unknown>, ["value"])],
    ["Load", fieldSlots(b.Load as Record<string, unknown>, ["ptr"])],
    ["Store", fieldSlots(b.Store as Record<string, unknown>, ["ptr", "value"])],
    ["Const", none],
    ["Unary", fieldSlots(b.Unary as Record<string, unknown>, ["value"])],
    ["Binary", fieldSlots(b.Binary as Record<string, unknown>, ["left", "right"])],
    ["Select", fieldSlots(b.Select as Record<string, unknown>, ["ifTrue", "ifFalse", "condition"])],
    ["Drop", fieldSlots(b.Drop as Record<string, unknown>, ["value"])],
    ["Return", fieldSlots(b.Return as Record<string, unknown>, ["value"])],
    ["MemorySize", none],
    ["MemoryGrow", fieldSlots(b.MemoryGrow as Record<string, unknown>, ["delta"])],
    ["MemoryInit", fieldSlots(b.MemoryInit as Record<string, unknown>, ["dest", "offset", "size"])],
    ["DataDrop", none],
    ["MemoryCopy", fieldSlots(b.MemoryCopy as Record<string, unknown>, ["dest", "source", "size"])],
    ["MemoryFill", fieldSlots(b.MemoryFill as Record<string, unknown>, ["dest", "value", "size"])],
    ["RefNull", none],
    ["RefIsNull", fieldSlots(b.RefIsNull as Record<string, unknown>, ["value"])],
    ["RefFunc", none],
    ["RefEq", fieldSlots(b.RefEq as Record<string, unknown>, ["left", "right"])],
    ["TableGet", fieldSlots(b.TableGet as Record<string, unknown>, ["index"])],
    ["TableSet", fieldSlots(b.TableSet as Record<string, unknown>, ["index", "value"])],
    ["TableSize", none],
    ["TableGrow", fieldSlots(b.TableGrow as Record<string, unknown>, ["value", "delta"])],
    ["TupleMake", listSlots(b.TupleMake as Record<string, unknown>, "Operand")],
    ["TupleExtract", fieldSlots(b.TupleExtract as Record<string, unknown>, ["tuple"])],
  ];
  walkers = new Map();
  for (const [kind, slots] of entries) {
    const id = (B as unknown as Record<string, number>)[`${kind}Id`];
    if (typeof id !== "number") throw new Error(`bug: binaryen has no ${kind}Id`);
    walkers.set(id, { slots });
  }
  return walkers;
}

/** Per-function state of the walk: scratch locals are added lazily, one per type. */
interface FunctionContext {
  readonly B: Binaryen;
  readonly m: Module;
  readonly rules: MeterRules;
  readonly table: Map<number, Walker>;
  readonly nanExempt: ReadonlySet<number>;
  readonly firstExtra: number;
  readonly extraVars: binaryenType.Type[];
  readonly scratch: Map<binaryenType.Type, number>;
}

function scratchLocal(ctx: FunctionContext, type: binaryenType.Type): number {
  let index = ctx.scratch.get(type);
  if (index === undefined) {
    index = ctx.firstExtra + ctx.extraVars.length;
    ctx.extraVars.push(type);
    ctx.scratch.set(type, index);
  }
  return index;
}

/** `gas -= amount; if (gas < 0) unreachable` (amount an i64 expression). */
function chargeBy(B: Binaryen, m: Module, amount: ExpressionRef): ExpressionRef {
  return m.block(null, [m.global.set(GAS_EXPORT, m.i64.sub(m.global.get(GAS_EXPORT, B.i64), amount)), m.if(m.i64.lt_s(m.global.get(GAS_EXPORT, B.i64), m.i64.const(0n)), m.unreachable())], B.none);
}

function chargeStatic(B: Binaryen, m: Module, cost: number): ExpressionRef {
  const gas = cost * METER_COSTS.node;
  return chargeBy(B, m, m.i64.const(BigInt(gas)));
}

/** `size` (i32) evaluated once into a scratch local, charged `(size >> shift) * mul` (+0), and passed on. */
function chargedSize(ctx: FunctionContext, size: ExpressionRef, perUnit: { readonly divisor: number; readonly multiplier: number }): ExpressionRef {
  const { B, m } = ctx;
  const t = scratchLocal(ctx, B.i32);
  let amount = m.i64.extend_u(m.local.get(t, B.i32));
  if (perUnit.divisor > 1) amount = m.i64.div_u(amount, m.i64.const(BigInt(perUnit.divisor)));
  if (perUnit.multiplier > 1) amount = m.i64.mul(amount, m.i64.const(BigInt(perUnit.multiplier)));
  return m.block(null, [m.local.set(t, size), chargeBy(B, m, amount), m.local.get(t, B.i32)], B.i32);
}

/** `x` → `x == x ? x : canonical NaN` (the same bits on every host). */
function canonicalNan(ctx: FunctionContext, e: ExpressionRef, type: binaryenType.Type): ExpressionRef {
  const { B, m } = ctx;
  const t = scratchLocal(ctx, type);
  if (type === B.f32) {
    // binaryen's select takes the condition first, but evaluates ifTrue (the tee) before it.
    return m.select(m.f32.eq(m.local.get(t, B.f32), m.local.get(t, B.f32)), m.local.tee(t, e, B.f32), m.f32.const_bits(0x7fc00000));
  }
  return m.select(m.f64.eq(m.local.get(t, B.f64), m.local.get(t, B.f64)), m.local.tee(t, e, B.f64), m.f64.const_bits(0x7ff8_0000_0000_0000n));
}

/** The static cost of `e`'s region (loops excluded: they charge themselves), and `e` or its replacement. */
function walk(ctx: FunctionContext, e: ExpressionRef): [number, ExpressionRef] {
  const { B, m, rules } = ctx;
  const id = B.getExpressionId(e);
  const walker = ctx.table.get(id);
  if (walker === undefined) throw new ComputeError("WASM_UNSUPPORTED_INSTRUCTION", `the metering pass does not support this instruction: ${firstLine(B, e)}`);
  if (id === B.LoopId) {
    const loopBody = slot(B, "Loop", "body");
    const [cost, body] = walk(ctx, loopBody.get(e));
    if (!rules.loopGas) {
      loopBody.set(e, body);
      return [1 + cost, e];
    }
    // Charged at the header: once per iteration, whatever branch re-entered it.
    loopBody.set(e, m.block(null, [chargeStatic(B, m, cost + 1), body], B.getExpressionType(body)));
    return [1, e];
  }
  let cost = 1;
  for (const slot of walker.slots(e)) {
    const child = slot.get(e);
    if (!child) continue;
    const [c, replaced] = walk(ctx, child);
    cost += c;
    if (replaced !== child) slot.set(e, replaced);
  }
  return [cost, transform(ctx, id, e)];
}

/** Run-time charges and NaN canonicalisation around one (already walked) expression. */
function transform(ctx: FunctionContext, id: number, e: ExpressionRef): ExpressionRef {
  const { B, m, rules } = ctx;
  const type = B.getExpressionType(e);
  if (type === B.unreachable) return e; // never completes: nothing to charge after its children
  const bulk = { divisor: METER_COSTS.bulkBytesPerGas, multiplier: 1 };
  const sized: Readonly<Record<number, readonly [string, string]>> = {
    [B.MemoryCopyId]: ["MemoryCopy", "size"],
    [B.MemoryFillId]: ["MemoryFill", "size"],
    [B.MemoryInitId]: ["MemoryInit", "size"],
    [B.TableGrowId]: ["TableGrow", "delta"],
  };
  const bulkOperand = sized[id];
  if (bulkOperand !== undefined) {
    const size = slot(B, ...bulkOperand);
    if (rules.bulkGas) size.set(e, chargedSize(ctx, size.get(e), bulk));
    return e;
  }
  switch (id) {
    case B.MemoryGrowId: {
      const delta = slot(B, "MemoryGrow", "delta");
      if (rules.bulkGas) delta.set(e, chargedSize(ctx, delta.get(e), { divisor: 1, multiplier: METER_COSTS.memoryGrowPage }));
      // A refused grow marks the execution, so the trap that usually follows reads as MEMORY_LIMIT.
      const t = scratchLocal(ctx, B.i32);
      return m.block(null, [m.local.set(t, e), m.if(m.i32.eq(m.local.get(t, B.i32), m.i32.const(-1)), m.global.set(OOM_EXPORT, m.i32.const(1))), m.local.get(t, B.i32)], B.i32);
    }
    case B.UnaryId:
    case B.BinaryId: {
      if (!rules.nan || (type !== B.f32 && type !== B.f64)) return e;
      const op = opOf(B, id === B.UnaryId ? "Unary" : "Binary", e);
      return ctx.nanExempt.has(op) ? e : canonicalNan(ctx, e, type);
    }
    default:
      return e;
  }
}

let exempt: Set<number> | undefined;
/** Float ops that never produce a new NaN bit pattern: sign/bit manipulation and int → float conversions. */
function nanExemptOps(B: Binaryen): Set<number> {
  if (exempt !== undefined) return exempt;
  const ops = new Set<number>();
  exempt = ops;
  for (const [key, value] of Object.entries(B)) {
    if (typeof value === "number" && /^(?:(?:Neg|Abs|CopySign)Float(?:32|64)|ReinterpretInt(?:32|64)|Convert[SU]Int(?:32|64)ToFloat(?:32|64))$/.test(key)) ops.add(value);
  }
  return ops;
}

/**
 * Meter one defined function: its body moves to a fresh `<name>$impl…` with the entry charge in front, and
 * `<name>` becomes the call-depth thunk, so exports, tables, `start` and call sites keep their target.
 */
function meterFunction(B: Binaryen, m: Module, name: string, taken: Set<string>, depthMax: number, rules: MeterRules): void {
  const info = B.getFunctionInfo(m.getFunction(name));
  const paramTypes = B.expandType(info.params);
  const ctx: FunctionContext = {
    B,
    m,
    rules,
    table: walkerTable(B),
    nanExempt: nanExemptOps(B),
    firstExtra: paramTypes.length + info.vars.length,
    extraVars: [],
    scratch: new Map(),
  };
  const [cost, walked] = walk(ctx, info.body);
  const body = rules.entryGas ? m.block(null, [chargeStatic(B, m, cost), walked], info.results === B.none ? B.auto : info.results) : walked;
  let impl = `${name}$impl`;
  for (let n = 2; taken.has(impl); n++) impl = `${name}$impl${n}`;
  taken.add(impl);
  m.removeFunction(name);
  m.addFunction(impl, info.params, info.results, [...info.vars, ...ctx.extraVars], body);
  const args = paramTypes.map((t, i) => m.local.get(i, t));
  const call = m.call(impl, args, info.results);
  if (!rules.depth) {
    m.addFunction(name, info.params, info.results, [], call);
    return;
  }
  const depth = () => m.global.get(DEPTH_EXPORT, B.i32);
  // Over the limit: mark the depth as exceeded (the runtime reads it to classify the trap), then trap.
  const exceeded = m.block(null, [m.global.set(DEPTH_EXPORT, m.i32.const(DEPTH_EXCEEDED)), m.unreachable()], B.unreachable);
  const enter = [m.global.set(DEPTH_EXPORT, m.i32.add(depth(), m.i32.const(1))), m.if(m.i32.gt_u(depth(), m.i32.const(depthMax)), exceeded)];
  const leave = m.global.set(DEPTH_EXPORT, m.i32.sub(depth(), m.i32.const(1)));
  if (info.results === B.none) {
    m.addFunction(name, info.params, info.results, [], m.block(null, [...enter, call, leave], B.none));
    return;
  }
  const result = paramTypes.length;
  m.addFunction(name, info.params, info.results, [info.results], m.block(null, [...enter, m.local.set(result, call), leave, m.local.get(result, info.results)], info.results));
}

function firstLine(B: Binaryen, e: ExpressionRef): string {
  return (B.emitText(e) as string).split("\n")[0]?.slice(0, 120) ?? "?";
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** binaryen prints validation errors on stdout/stderr: keep them out of the node's log. */
function quietly<T>(fn: () => T): T {
  const out = process.stdout.write;
  const err = process.stderr.write;
  const swallow = (() => true) as typeof process.stdout.write;
  process.stdout.write = swallow;
  process.stderr.write = swallow;
  try {
    return fn();
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}
