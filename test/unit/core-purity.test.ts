/**
 * The protocol core is pure: the node, the prover and the browser light client all import it, so it
 * must not import Node built-ins, the network, the filesystem or the node's own I/O layers.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";

const coreDir = new URL("../../core/", import.meta.url);
const FORBIDDEN = [/^node:/, /^(fs|path|os|http|https|net|crypto|child_process|worker_threads|stream)$/, /^classic-level$/, /^fastify/, /^bullmq$/, /^ioredis$/, /\.\.\/(server|store|crypto|client|rollup)\//];

test("default: node/core imports no I/O module", () => {
  const files = readdirSync(coreDir).filter((f) => f.endsWith(".ts"));
  assert.ok(files.length >= 10);
  const offences: string[] = [];
  for (const file of files) {
    const source = readFileSync(new URL(file, coreDir), "utf8");
    for (const [, specifier] of source.matchAll(/(?:^|\n)\s*(?:import|export)[^"'`]*?from\s*["']([^"']+)["']/g)) {
      if (FORBIDDEN.some((pattern) => pattern.test(specifier as string))) offences.push(`${file}: ${specifier}`);
    }
    if (/\bprocess\.(env|argv|exit)|\bBuffer\./.test(source)) offences.push(`${file}: uses process/Buffer`);
  }
  assert.deepEqual(offences, []);
});

test("default: lightclient/core imports no I/O module (it runs unchanged in the browser)", () => {
  const dir = new URL("../../lightclient/core/", import.meta.url);
  const files = readdirSync(dir).filter((f) => f.endsWith(".ts"));
  assert.ok(files.length >= 5);
  const offences: string[] = [];
  for (const file of files) {
    const source = readFileSync(new URL(file, dir), "utf8");
    for (const [, specifier] of source.matchAll(/(?:^|\n)\s*(?:import|export)[^"'`]*?from\s*["']([^"']+)["']/g)) {
      const s = specifier as string;
      // Only the pure protocol core, the repository's key/manifest JSON, and browser-safe libraries.
      const allowed = s.startsWith("./") || s.startsWith("../../core/") || /^\.\.\/\.\.\/(circuits\/.*|contracts\/generated\/verifiers)\.json$/.test(s) || /^(@noble\/hashes\/|canonicalize$)/.test(s);
      if (FORBIDDEN.some((pattern) => pattern.test(s)) || !allowed) offences.push(`${file}: ${s}`);
    }
    if (/\bprocess\.(env|argv|exit)|\bBuffer\.|\bfetch\(|\bDate\.now\(|\bperformance\./.test(source)) offences.push(`${file}: uses process/Buffer/fetch/clock`);
  }
  assert.deepEqual(offences, []);
});

test("default: core/key-security.ts has no imports at all (deploy, node and the browser light client import keySecurity)", () => {
  const source = readFileSync(new URL("../../core/key-security.ts", import.meta.url), "utf8");
  const imports = [...source.matchAll(/(?:^|\n)\s*(?:import|export)[^"'`;]*?from\s*["']([^"']+)["']/g)].map((m) => m[1]);
  assert.deepEqual(imports, [], "no imports at all");
  assert.doesNotMatch(source, /\bprocess\.|\bBuffer\b|\bfetch\(|\brequire\(|\bimport\(/);
});
