/** One critical section at a time per space (the compute service's counters and log numbers). */
export class SpaceLocks {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(spaceId: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(spaceId) ?? Promise.resolve();
    const next = previous.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.tails.set(spaceId, tail);
    void tail.then(() => {
      if (this.tails.get(spaceId) === tail) this.tails.delete(spaceId);
    });
    return next;
  }
}
