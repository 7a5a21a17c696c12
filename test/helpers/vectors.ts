/** Typed loaders for the golden vectors in test/vectors (produced by independent tools; see its README). */
import { readFileSync } from "node:fs";

const dir = new URL("../vectors/", import.meta.url);

export function loadVectors<T = any>(name: string): T {
  return JSON.parse(readFileSync(new URL(name, dir), "utf8")) as T;
}

export function hex(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text.startsWith("0x") ? text.slice(2) : text, "hex"));
}
