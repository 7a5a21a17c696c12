/**
 * Files that snarkjs 0.7.6 and @iden3/binfileutils open (through fastfile, `fs.promises.open`) and, on
 * some failure paths, never close: `zKey.verifyFromInit` returns false at the first mismatch with the
 * zkey and ptau still open, and `readBinFile` throws on a wrong magic or version with the file open.
 * Since Node 25 a FileHandle closed by the garbage collector is an uncaught error (it was a deprecation
 * warning), which would crash the process some time after it rejected a tampered or foreign file.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { promises as fsPromises } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import * as binFileUtils from "@iden3/binfileutils";

let openTracking: AsyncLocalStorage<Set<FileHandle>> | undefined;

/**
 * Runs `call`, then closes the handles opened within it that are still open: always, or with
 * `onError` only when `call` throws (its result holds open files on success). Only its own async
 * context counts, not files that other work opened meanwhile.
 */
export async function closingLeftOpenFiles<T>(call: () => Promise<T>, when: "always" | "onError" = "always"): Promise<T> {
  if (!openTracking) {
    const open = fsPromises.open;
    const tracking = new AsyncLocalStorage<Set<FileHandle>>();
    fsPromises.open = async (...args: Parameters<typeof open>) => {
      const handle = await open(...args);
      tracking.getStore()?.add(handle);
      return handle;
    };
    openTracking = tracking;
  }
  const opened = new Set<FileHandle>();
  let failed = true;
  try {
    const result = await openTracking.run(opened, call);
    failed = false;
    return result;
  } finally {
    // close() of a handle that was closed already resolves without effect.
    if (failed || when === "always") await Promise.all([...opened].map((handle) => handle.close().catch(() => undefined)));
  }
}

/** `binFileUtils.readBinFile` that closes the file when it throws (on success the caller closes `fd`). */
export function readBinFile(file: string, type: string, maxVersion: number): ReturnType<typeof binFileUtils.readBinFile> {
  return closingLeftOpenFiles(() => binFileUtils.readBinFile(file, type, maxVersion), "onError");
}
