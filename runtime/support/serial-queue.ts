/**
 * Runs operations one at a time per key, in the order they were asked for. The worker keys its
 * lifecycle operations by connector name, as Kafka Connect's herder serialises them: a restart,
 * a config change, a stop or a delete then always sees the tasks the previous one left, never a
 * half-stopped set, so no task is orphaned and no answered request is undone by an older one.
 */
export class SerialQueue {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `op` once every earlier operation of `key` has settled; a failure does not block later ones. */
  run<T>(key: string, op: () => Promise<T>): Promise<T> {
    const result = (this.tails.get(key) ?? Promise.resolve()).then(op);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with operations queued or running. */
  busyKeys(): string[] {
    return [...this.tails.keys()];
  }
}
