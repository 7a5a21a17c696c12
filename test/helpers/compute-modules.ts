/**
 * WebAssembly functions for the compute tests, written in WAT against the host ABI `tc:compute/abi@1`
 * (module "tc": input_count, input_len, input_read, output_write) and compiled with binaryen.
 */
import binaryen from "binaryen";

const IMPORTS = `
  (import "tc" "input_count" (func $count (result i32)))
  (import "tc" "input_len" (func $len (param i32) (result i32)))
  (import "tc" "input_read" (func $read (param i32 i32 i32) (result i32)))
  (import "tc" "output_write" (func $write (param i32 i32) (result i32)))`;

export function wat(text: string, features: number = binaryen.Features.MVP | binaryen.Features.MutableGlobals | binaryen.Features.BulkMemory | binaryen.Features.SignExt): Uint8Array {
  const module = binaryen.parseText(text);
  try {
    module.setFeatures(features);
    if (!module.validate()) throw new Error("invalid WAT fixture");
    return module.emitBinary();
  } finally {
    module.dispose();
  }
}

/** "shout": the inputs concatenated, ASCII letters upper-cased. Output = f(inputs) only. */
export const SHOUT = `(module ${IMPORTS}
  (memory (export "memory") 1 4)
  (func (export "run") (result i32)
    (local $i i32) (local $off i32) (local $j i32) (local $b i32)
    (block $done (loop $next
      (br_if $done (i32.ge_s (local.get $i) (call $count)))
      (local.set $off (i32.add (local.get $off) (call $read (local.get $i) (local.get $off) (call $len (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (block $up (loop $each
      (br_if $up (i32.ge_u (local.get $j) (local.get $off)))
      (local.set $b (i32.load8_u (local.get $j)))
      (if (i32.and (i32.ge_u (local.get $b) (i32.const 97)) (i32.le_u (local.get $b) (i32.const 122)))
        (then (i32.store8 (local.get $j) (i32.sub (local.get $b) (i32.const 32)))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $each)))
    (drop (call $write (i32.const 0) (local.get $off)))
    (i32.const 0)))`;

/** "count": the number of inputs and their total length as text, `n:len`. A second function for pin tests. */
export const COUNT = `(module ${IMPORTS}
  (memory (export "memory") 1 1)
  (func (export "run") (result i32)
    (i32.store8 (i32.const 0) (i32.add (i32.const 48) (call $count)))
    (drop (call $write (i32.const 0) (i32.const 1)))
    (i32.const 0)))`;

export const SPIN = `(module ${IMPORTS}
  (memory (export "memory") 1 1)
  (func (export "run") (result i32) (loop $l (br $l)) (i32.const 0)))`;

export const THROWS = `(module ${IMPORTS}
  (memory (export "memory") 1 1)
  (func (export "run") (result i32) (unreachable)))`;

export const RECURSE = `(module ${IMPORTS}
  (memory (export "memory") 1 1)
  (func $down (param $n i32) (result i32) (i32.add (i32.const 1) (call $down (i32.add (local.get $n) (i32.const 1)))))
  (func (export "run") (result i32) (call $down (i32.const 0))))`;

/** Grows memory a page at a time until refused, then traps: the memory cap holds it. */
export const MEMORY_BOMB = `(module ${IMPORTS}
  (memory (export "memory") 1)
  (func (export "run") (result i32)
    (loop $grow (br_if $grow (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))
    (unreachable)))`;

/** Writes `n` bytes of output (n = the first input's length × 1024, for the output cap test). */
export const HUGE_OUTPUT = `(module ${IMPORTS}
  (memory (export "memory") 32 32)
  (func (export "run") (result i32)
    (drop (call $write (i32.const 0) (i32.const 2000000)))
    (i32.const 0)))`;

export const WASI_IMPORT = `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1 1)
  (func (export "run") (result i32) (i32.const 0)))`;

export const SIMD = `(module
  (memory (export "memory") 1 1)
  (func (export "run") (result i32) (drop (i32x4.splat (i32.const 1))) (i32.const 0)))`;

/** A module padded with a data segment of `bytes` bytes (deploy size and quota tests); `tag` makes its CID unique. */
export function padded(bytes: number, tag: string): Uint8Array {
  return wat(`(module ${IMPORTS}
  (memory (export "memory") 4 4)
  (data (i32.const 0) "${tag}${"x".repeat(Math.max(0, bytes - tag.length))}")
  (func (export "run") (result i32) (drop (call $write (i32.const 0) (i32.const 1))) (i32.const 0)))`);
}
