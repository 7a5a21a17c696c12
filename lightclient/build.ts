/**
 * Builds the light-client page: lightclient/page/main.ts bundled by esbuild (ESM, browser, minified,
 * es2022), and index.html with the stylesheet inlined.
 *
 * The pinned verification keys (lightclient/core/pinned.ts: circuits/keys/<circuit>.vkey.json imported
 * statically) are compiled into the script, never fetched from the node: the page checks that each one is
 * the key the on-chain verifier uses.
 *
 * The build takes a fraction of a second, so the node builds in memory on the first request
 * (lightclient/serve.ts). As a script it writes the files and prints their sizes:
 *
 *   node --import tsx lightclient/build.ts [--out DIR]     (default .cache/lightclient, gitignored)
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build, type Plugin } from "esbuild";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const PAGE_DIR = join(ROOT, "lightclient", "page");

export interface LightClientBundle {
  /** index.html with the stylesheet inlined; loads /lightclient/app.js. */
  readonly html: string;
  /** The page's script (ESM). */
  readonly js: Uint8Array;
  readonly jsBytes: number;
  readonly jsGzipBytes: number;
  /** esbuild warnings (the build fails on errors). */
  readonly warnings: readonly string[];
  readonly buildMs: number;
}

export interface BuildOptions {
  /** Default true. */
  readonly minify?: boolean;
}

/**
 * poseidon-lite's index is CommonJS that requires all sixteen Poseidon widths (~600 KB of round
 * constants), which esbuild cannot tree-shake. The state tree only hashes with widths 3 and 4: point
 * the bare import at those two per-width modules. A module importing another width fails the build
 * ("No matching export"), so this cannot silently break.
 */
const poseidonWidths: Plugin = {
  name: "poseidon-lite-widths",
  setup(b) {
    b.onResolve({ filter: /^poseidon-lite$/ }, () => ({ path: "poseidon-lite", namespace: "poseidon-lite-widths" }));
    b.onLoad({ filter: /.*/, namespace: "poseidon-lite-widths" }, () => ({
      contents: 'export { poseidon3 } from "poseidon-lite/poseidon3";\nexport { poseidon4 } from "poseidon-lite/poseidon4";\n',
      resolveDir: ROOT,
      loader: "js",
    }));
  },
};

export async function buildLightClient(options: BuildOptions = {}): Promise<LightClientBundle> {
  const started = performance.now();
  const result = await build({
    entryPoints: [join(PAGE_DIR, "main.ts")],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: options.minify ?? true,
    write: false,
    // platform "browser" resolves the "browser" export condition: snarkjs → build/browser.esm.js.
    define: { "process.env.NODE_ENV": '"production"' },
    plugins: [poseidonWidths],
    legalComments: "none",
    logLevel: "silent",
    absWorkingDir: ROOT,
  });
  const output = result.outputFiles[0];
  if (output === undefined) throw new Error("esbuild produced no output for the light-client page");
  const js = output.contents;
  const css = await readFile(join(PAGE_DIR, "style.css"), "utf8");
  const template = await readFile(join(PAGE_DIR, "index.html"), "utf8");
  const html = template.replace("/* STYLE */", () => css);
  return {
    html,
    js,
    jsBytes: js.byteLength,
    jsGzipBytes: gzipSync(js, { level: 9 }).byteLength,
    warnings: result.warnings.map((w) => `${w.location ? `${w.location.file}:${w.location.line}: ` : ""}${w.text}`),
    buildMs: performance.now() - started,
  };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf("--out");
  const out = resolve(at >= 0 && process.argv[at + 1] !== undefined ? (process.argv[at + 1] as string) : join(ROOT, ".cache", "lightclient"));
  const bundle = await buildLightClient();
  await mkdir(out, { recursive: true });
  await writeFile(join(out, "index.html"), bundle.html);
  await writeFile(join(out, "app.js"), bundle.js);
  for (const warning of bundle.warnings) console.warn(`warning: ${warning}`);
  console.log(`light client → ${out}: app.js ${bundle.jsBytes} B raw, ${bundle.jsGzipBytes} B gzip; index.html ${Buffer.byteLength(bundle.html)} B; ` + `built in ${bundle.buildMs.toFixed(0)} ms`);
}
