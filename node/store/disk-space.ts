/**
 * A full disk, told apart from every other storage failure. LevelDB reports it as LEVEL_IO_ERROR with
 * the OS's text ("No space left on device", ENOSPC; "Disk quota exceeded", EDQUOT); a write that fails
 * so is refused with 507 INSUFFICIENT_STORAGE instead of a 500 INTERNAL, the node reports itself
 * degraded (/healthz), and it recovers by itself once a write (or the store's probe) succeeds again.
 * A failed LevelDB write leaves the database as it was (nothing of that batch is applied).
 */
import { TinyCloudError } from "../../core/errors.js";

export class StorageFullError extends TinyCloudError<"INSUFFICIENT_STORAGE"> {
  override readonly name = "StorageFullError" as const;
}

const NO_SPACE = /no space left on device|disk quota exceeded|ENOSPC|EDQUOT/i;

/** True when `error` (or its cause) says the file system has no room for the write. */
export function isNoSpaceError(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (code === "ENOSPC" || code === "EDQUOT") return true;
    if (e instanceof Error && NO_SPACE.test(e.message)) return true;
  }
  return false;
}
