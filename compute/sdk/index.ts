// The AssemblyScript SDK of tc:compute/abi@1: read the inputs, write one output, read the signed time and
// the seed. A function is a module exporting `run(): i32` (0 = ok). See compute/README.md.
import { input_count, input_len, input_read, output_write, seed, time_ms } from "./tc";

/** Number of inputs the invocation passed (the KV values it named, in order). */
export function inputCount(): i32 {
  return input_count();
}

/** Input `i` as bytes; an empty array if there is no such input. */
export function readInput(i: i32): Uint8Array {
  const len = input_len(i);
  if (len < 0) return new Uint8Array(0);
  const bytes = new Uint8Array(len);
  input_read(i, bytes.dataStart, len);
  return bytes;
}

/** Input `i` decoded as UTF-8. */
export function readInputString(i: i32): string {
  const bytes = readInput(i);
  return String.UTF8.decodeUnsafe(bytes.dataStart, bytes.length);
}

/** Set the output (a second call replaces it). Over the node's output cap the execution stops: OUTPUT_TOO_LARGE. */
export function writeOutput(bytes: Uint8Array): void {
  output_write(bytes.dataStart, bytes.length);
}

/** Set the output to a string, UTF-8 encoded. */
export function writeString(text: string): void {
  const utf8 = String.UTF8.encode(text);
  output_write(changetype<usize>(utf8), utf8.byteLength);
}

/** The invocation's signed time, ms since the epoch: the only clock a function has. */
export function timeMs(): i64 {
  return time_ms();
}

/** 32 bytes derived from the invocation: the only randomness a function has (the same on every re-run). */
export function seedBytes(): Uint8Array {
  const bytes = new Uint8Array(32);
  seed(bytes.dataStart);
  return bytes;
}
