import { topicPartitionKey } from '../api/index.js';

/** What to do with a fetched batch of one partition. */
export type BatchPlan =
  /** Hand the records from `from` on (all when undefined) to the task. */
  | { kind: 'process'; from: bigint | undefined; note?: string }
  /** Drop the batch and move the consumer to `offset` first. */
  | { kind: 'seek'; offset: string };

/**
 * The positions a sink task asked for with `ctx.seek`, and the seeks the runtime issued for them.
 *
 * A batch fetched before a seek took effect starts wherever the consumer was; it is dropped and
 * the consumer moved. The first batch after the runtime's own seek is accepted as it is: Kafka
 * answers a fetch at P with the first record at or after P, which is above P when P was compacted
 * away, deleted by retention or is a transaction marker (Kafka Connect's consumer accepts it the
 * same way). A batch below P after the seek means P was beyond the log end: the consumer then
 * reset by its reset policy (earliest, Kafka Connect's default for sinks), and the records are
 * taken from there rather than seeking into the void forever.
 */
export class SinkPositions {
  private readonly requested = new Map<string, string>();
  private readonly sought = new Map<string, string>();

  request(topic: string, partition: number, offset: string): void {
    this.requested.set(topicPartitionKey(topic, partition), BigInt(offset).toString());
  }

  /** A position the task asked for since the last batch of this partition, now taken over by the caller. */
  take(topic: string, partition: number): string | undefined {
    const key = topicPartitionKey(topic, partition);
    const offset = this.requested.get(key);
    this.requested.delete(key);
    return offset;
  }

  /** The runtime moved the consumer to `offset`; the next batch of the partition starts there. */
  seeking(topic: string, partition: number, offset: string): void {
    this.sought.set(topicPartitionKey(topic, partition), offset);
  }

  /** Partitions revoked: their requests and seeks belong to the next owner's `open`. */
  forget(keys: Iterable<string>): void {
    for (const key of keys) {
      this.requested.delete(key);
      this.sought.delete(key);
    }
  }

  plan(topic: string, partition: number, firstOffset: string, lastOffset: string): BatchPlan {
    const key = topicPartitionKey(topic, partition);
    const first = BigInt(firstOffset);
    const next = BigInt(lastOffset) + 1n;
    const wanted = this.take(topic, partition);
    if (wanted !== undefined) {
      const target = BigInt(wanted);
      // Within (or right after) this batch: skip what lies below; anything else needs a seek.
      if (first <= target && target <= next) {
        this.sought.delete(key);
        return { kind: 'process', from: target };
      }
      this.sought.set(key, wanted);
      return { kind: 'seek', offset: wanted };
    }
    const sought = this.sought.get(key);
    if (sought === undefined) return { kind: 'process', from: undefined };
    this.sought.delete(key);
    const target = BigInt(sought);
    if (first > target) {
      return {
        kind: 'process',
        from: undefined,
        note: `offsets ${target}..${first - 1n} no longer exist (compacted, deleted or transaction markers); continuing at ${first}`,
      };
    }
    if (first < target && next < target) {
      return { kind: 'process', from: undefined, note: `offset ${target} is beyond the end of the log; the consumer reset to ${first} (earliest)` };
    }
    return { kind: 'process', from: target };
  }
}
