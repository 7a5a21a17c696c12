/**
 * What an interrupted setup leaves behind: runSetup writes each output under a name ending in
 * `.partial-<pid>` or `.tmp-<pid>` and renames it when complete, so a build stopped halfway (Ctrl-C, a
 * node shut down mid-build) can remove exactly its own debris and never a file another process is writing.
 */
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";

/**
 * Remove the half-written files of process `pid` (default: this one) under the cache's ptau/, circuits/
 * and each circuit's own directory (circuits/<name>-<hash>/, where the keys are built).
 */
export async function removePartials(cacheDir: string, pid: number = process.pid): Promise<void> {
  const suffixes = [`.partial-${pid}`, `.tmp-${pid}`];
  const isPartial = (name: string) => suffixes.some((s) => name.endsWith(s));
  const sweep = async (dir: string, depth: number): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    await Promise.all(
      entries.map((entry) => {
        const path = join(dir, entry.name);
        if (isPartial(entry.name)) return rm(path, { recursive: true, force: true });
        return entry.isDirectory() && depth > 0 ? sweep(path, depth - 1) : undefined;
      }),
    );
  };
  await sweep(join(cacheDir, "ptau"), 0);
  await sweep(join(cacheDir, "circuits"), 1);
}
