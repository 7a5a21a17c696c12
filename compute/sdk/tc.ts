// The tc:compute/abi@1 host functions (imported from module "tc": AssemblyScript names the module after this file).
export declare function input_count(): i32;
export declare function input_len(i: i32): i32;
export declare function input_read(i: i32, ptr: usize, len: i32): i32;
export declare function output_write(ptr: usize, len: i32): i32;
export declare function time_ms(): i64;
export declare function seed(ptr: usize): void;
