/**
 * How far a topic view has read: the wall time before which every record written to its topic
 * has been applied.
 *
 * kafkajs fetches from each broker in a loop and starts a broker's next fetch only after the
 * batches of its previous fetch were processed. So when a fetch starts and no partition ended its
 * last batch below the high watermark, everything written before that broker's previous fetch
 * started has been applied. While the consumer cannot fetch (a broker restart, a rebalance) no
 * fetch starts and the horizon stands still, which is what lets a join tell "absent" from "not
 * read yet".
 */
export class ReadHorizon {
  /** Partitions whose last batch ended below the high watermark. */
  private readonly behind = new Set<number>();
  /** Per broker, when its fetch in flight started. */
  private readonly started = new Map<number, number>();
  /** Per broker, when its last fully processed fetch started. */
  private readonly processed = new Map<number, number>();
  private at: number;

  /** `readUpTo`: the view already holds everything written before this time (its restore point). */
  constructor(readUpTo: number) {
    this.at = readUpTo;
  }

  get currentAt(): number {
    return this.at;
  }

  /** A batch of `partition` was applied; `lag` is the high watermark minus the next offset. */
  batchApplied(partition: number, lag: bigint): void {
    if (lag > 0n) this.behind.add(partition);
    else this.behind.delete(partition);
  }

  /** A fetch from broker `node` starts at `now`: the batches of its previous fetch are applied. */
  fetchStarted(node: number, now: number): void {
    const previous = this.started.get(node);
    if (previous !== undefined) this.processed.set(node, previous);
    this.started.set(node, now);
    if (this.behind.size > 0) return;
    // Every broker fetched from must have completed a fetch: the slowest one bounds the horizon.
    let upTo = Infinity;
    for (const broker of this.started.keys()) upTo = Math.min(upTo, this.processed.get(broker) ?? -Infinity);
    if (upTo > this.at) this.at = upTo;
  }

  /** The consumer (re)joined its group: fetches start over, possibly from other brokers. */
  rejoined(): void {
    this.started.clear();
    this.processed.clear();
  }
}
