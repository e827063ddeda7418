/**
 * Sends batches one after another, in the order they were queued, while the caller goes on
 * preparing the next ones: the source runner polls and converts batch n+1 while Kafka
 * acknowledges batch n. At most `limit` batches are queued or in flight; `enqueue` waits for room,
 * which is the backpressure a slow broker puts on polling.
 *
 * Sends never overlap, so a retried batch cannot be overtaken by a later one and per-key order
 * holds. The first failure stops every batch queued behind it (none of them is sent) and is
 * rethrown by the next `enqueue` or `drain`.
 */
export class OrderedSends<B> {
  private tail: Promise<void> = Promise.resolve();
  private queued = 0;
  private failure: { error: unknown } | undefined;
  private wakeUp: (() => void) | undefined;

  constructor(
    private readonly send: (batch: B) => Promise<void>,
    private readonly limit: number,
  ) {}

  /** Batches queued or being sent. */
  get inFlight(): number {
    return this.queued;
  }

  /** Queues `batch`; resolves once fewer than `limit` batches are in flight. */
  async enqueue(batch: B): Promise<void> {
    this.throwIfFailed();
    this.queued++;
    this.tail = this.tail.then(() => this.sendUnlessFailed(batch));
    while (this.queued >= this.limit && !this.failure) {
      await new Promise<void>((resolve) => (this.wakeUp = resolve));
    }
    this.throwIfFailed();
  }

  /** Resolves when every queued batch was sent; rejects with the first failure. */
  async drain(): Promise<void> {
    await this.tail;
    this.throwIfFailed();
  }

  private async sendUnlessFailed(batch: B): Promise<void> {
    try {
      if (!this.failure) await this.send(batch);
    } catch (error) {
      this.failure = { error };
    } finally {
      this.queued--;
      const wake = this.wakeUp;
      this.wakeUp = undefined;
      wake?.();
    }
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }
}
