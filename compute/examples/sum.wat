;; The byte sum of input 0 as a 4-byte little-endian output, written by hand against tc:compute/abi@1.
(module
  (import "tc" "input_len" (func $input_len (param i32) (result i32)))
  (import "tc" "input_read" (func $input_read (param i32 i32 i32) (result i32)))
  (import "tc" "output_write" (func $output_write (param i32 i32) (result i32)))
  (memory (export "memory") 1 256)
  (func (export "run") (result i32)
    (local $len i32) (local $i i32) (local $sum i32) (local $pages i32)
    (local.set $len (call $input_len (i32.const 0)))
    (if (i32.lt_s (local.get $len) (i32.const 0)) (then (local.set $len (i32.const 0))))
    ;; room for the input after the 16-byte output area
    (local.set $pages (i32.sub (i32.shr_u (i32.add (local.get $len) (i32.const 65551)) (i32.const 16)) (memory.size)))
    (if (i32.gt_s (local.get $pages) (i32.const 0))
      (then (if (i32.eq (memory.grow (local.get $pages)) (i32.const -1)) (then (return (i32.const 1))))))
    (drop (call $input_read (i32.const 0) (i32.const 16) (local.get $len)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (local.set $sum (i32.add (local.get $sum) (i32.load8_u offset=16 (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.store (i32.const 0) (local.get $sum))
    (drop (call $output_write (i32.const 0) (i32.const 4)))
    (i32.const 0)))
