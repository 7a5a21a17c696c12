/**
 * `kv/list` under a granted path, contained on "/" boundaries like every other resource check
 * (core/resource.ts `pathCovers`): a list on `photos` returns `photos` and `photos/…`, never `photos2/…`,
 * which a plain string prefix would. A path that is empty or ends in "/" is already a boundary.
 */
import type { NodeStore } from "../store/store.js";

export async function listUnderPath(store: NodeStore, spaceId: string, path: string, after: string | undefined, limit: number): Promise<{ keys: string[]; more: boolean }> {
  if (path === "" || path.endsWith("/")) return store.listKeys(spaceId, path, after, limit);
  // `photos` sorts before every `photos/…`, so the listing is: the key itself, then the range below it.
  const below = `${path}/`;
  const keys: string[] = [];
  if (after === undefined) {
    const exact = await store.getCurrent(spaceId, path);
    if (exact !== undefined && !exact.deleted) keys.push(path);
  }
  // A cursor of this listing (its MAC binds the path) is `path` itself or a key below it.
  const rest = await store.listKeys(spaceId, below, after === undefined || after === path ? undefined : after, limit - keys.length);
  return { keys: [...keys, ...rest.keys], more: rest.more };
}
