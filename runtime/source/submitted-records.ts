import { stableKey } from '../offsets/stable-key.js';
import type { SourceOffset, SourcePartition } from '../offsets/store.js';

/** Handle of one submitted record. Both methods are idempotent; the first call wins. */
export interface SubmittedRecord {
  /** Kafka acknowledged the record (or it was filtered out and needs no delivery). */
  ack(): void;
  /**
   * Forget the record: it no longer blocks later records and its offset is never committed.
   * For records that will be submitted again (a batch being retried from scratch).
   */
  drop(): void;
}

export interface CommittableOffsets {
  /** Per source partition with progress, the offset to store: the last record of an acked prefix. */
  readonly offsets: readonly { readonly partition: SourcePartition; readonly offset: SourceOffset }[];
  /** Records whose offsets these entries cover. */
  readonly committable: number;
  /** Records still waiting, behind or at a gap. */
  readonly pending: number;
}

/** One record's place in its partition's queue; it is also the handle the runner acks with. */
class Entry implements SubmittedRecord {
  state: 'in-flight' | 'acked' | 'dropped' = 'in-flight';

  constructor(
    private readonly owner: SubmittedRecords,
    readonly partition: SourcePartition,
    readonly offset: SourceOffset,
  ) {}

  ack(): void {
    this.owner.settle(this, 'acked');
  }

  drop(): void {
    this.owner.settle(this, 'dropped');
  }
}

/**
 * Tracks source records between `poll` and Kafka's acknowledgement, like Kafka Connect's
 * SubmittedRecords. Acknowledgements arrive out of order (batches to different Kafka partitions
 * complete independently), but an offset may be stored only when its record and every earlier
 * record of the same source partition are acknowledged: otherwise a crash would skip the
 * unacknowledged records on restart. Different source partitions never block each other.
 *
 * Not thread-safe in any sense that matters in Node: all calls come from the event loop.
 */
export class SubmittedRecords {
  private readonly queues = new Map<string, Entry[]>();
  private unacked = 0;
  private waiters: { check: () => boolean; resolve: () => void }[] = [];
  private lastPartition: SourcePartition | undefined;
  private lastKey = '';
  private lastQueue: Entry[] | undefined;

  /** Records submitted and neither acked nor dropped; bound it for backpressure. */
  get inFlight(): number {
    return this.unacked;
  }

  /** Registers a record in poll order. Call before handing the record to the producer. */
  submit(record: { readonly sourcePartition: SourcePartition; readonly sourceOffset: SourceOffset }): SubmittedRecord {
    const queue = this.queueOf(record.sourcePartition);
    const entry = new Entry(this, record.sourcePartition, record.sourceOffset);
    queue.push(entry);
    this.unacked++;
    return entry;
  }

  /**
   * The queue of a source partition. Sources usually hand the same partition object with every
   * record of a stream, so the last one is remembered by identity and its key is not recomputed.
   */
  private queueOf(partition: SourcePartition): Entry[] {
    if (partition === this.lastPartition && this.lastQueue && this.queues.get(this.lastKey) === this.lastQueue) return this.lastQueue;
    const key = stableKey(partition);
    let queue = this.queues.get(key);
    if (!queue) this.queues.set(key, (queue = []));
    this.lastPartition = partition;
    this.lastKey = key;
    this.lastQueue = queue;
    return queue;
  }

  /** @internal Called by an entry's ack/drop. */
  settle(entry: Entry, state: 'acked' | 'dropped'): void {
    if (entry.state !== 'in-flight') return;
    entry.state = state;
    this.unacked--;
    this.wake();
  }

  /**
   * Returns the newest committable offset of every source partition that made progress, and
   * forgets the records it covers. The caller must pass the result to the offset store; a later
   * call reports only newer progress, so keep it until the store confirms the write.
   */
  committableOffsets(): CommittableOffsets {
    const offsets: { partition: SourcePartition; offset: SourceOffset }[] = [];
    let committable = 0;
    let pending = 0;
    for (const [key, queue] of this.queues) {
      let last: Entry | undefined;
      let i = 0;
      for (; i < queue.length; i++) {
        const e = queue[i] as Entry;
        if (e.state === 'in-flight') break;
        if (e.state === 'acked') {
          last = e;
          committable++;
        }
      }
      queue.splice(0, i);
      pending += queue.length;
      if (last) offsets.push({ partition: last.partition, offset: last.offset });
      if (queue.length === 0) this.queues.delete(key);
    }
    return { offsets, committable, pending };
  }

  /** Resolves `true` once nothing is in flight, `false` after `timeoutMs` (for shutdown). */
  awaitAllAcked(timeoutMs: number): Promise<boolean> {
    return this.awaitCondition(() => this.unacked === 0, timeoutMs);
  }

  /**
   * Resolves `true` once fewer than `limit` records are in flight, `false` after `timeoutMs`:
   * the source loop waits here instead of polling more than the producer can take.
   */
  awaitInFlightBelow(limit: number, timeoutMs: number): Promise<boolean> {
    return this.awaitCondition(() => this.unacked < limit, timeoutMs);
  }

  private awaitCondition(check: () => boolean, timeoutMs: number): Promise<boolean> {
    if (check()) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const waiter = {
        check,
        resolve: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  private wake(): void {
    if (this.waiters.length === 0) return;
    const ready = this.waiters.filter((w) => w.check());
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve();
  }
}
