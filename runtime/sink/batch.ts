import { topicPartitionKey, type RejectedRecord, type SinkRecord, type TopicPartitionOffset } from '../api/index.js';

/** When the sink runner hands accumulated records to the task and flushes them. */
export interface BatchSettings {
  /** Flush once this many records are staged; also bounds what is staged while a flush runs. */
  readonly maxRecords: number;
  /** Flush staged records at the latest this long after the first of them was staged. */
  readonly lingerMs: number;
}

/** For sinks whose config says nothing: flush as soon as the previous flush is done. */
export const DEFAULT_BATCH: BatchSettings = Object.freeze({ maxRecords: 10_000, lingerMs: 0 });

/**
 * The runner's settings from a sink connector's config: the conventional `batch.max.records` and
 * `batch.linger.ms` keys when its plugin declares them (the config is validated by then), the
 * defaults otherwise.
 */
export function batchSettings(config: Readonly<Record<string, unknown>>): BatchSettings {
  const max = config['batch.max.records'];
  const linger = config['batch.linger.ms'];
  return {
    maxRecords: Number.isInteger(max) && (max as number) > 0 ? (max as number) : DEFAULT_BATCH.maxRecords,
    lingerMs: Number.isInteger(linger) && (linger as number) >= 0 ? (linger as number) : DEFAULT_BATCH.lingerMs,
  };
}

/** The records of one fetched batch, converted and transformed, with the position after it. */
export interface StagedBatch {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly SinkRecord[];
  /** The next offset to read after this batch (its last offset + 1), even when `records` is empty. */
  readonly next: string;
  /** Records of the batch the runtime rejected (dead-lettered or skipped), for SinkTask.rejected. */
  readonly rejected?: readonly RejectedRecord[];
}

/** What one flush takes: every staged record in fetch order and each partition's next position. */
export interface StagedGroup<B extends StagedBatch> {
  readonly batches: readonly B[];
  readonly records: SinkRecord[];
  readonly rejected: RejectedRecord[];
  readonly offsets: TopicPartitionOffset[];
}

/**
 * Fetched batches waiting for the next put and flush. Pure bookkeeping: the runner asks it when
 * a flush is due (enough records, or the oldest staged record has lingered long enough) and takes
 * everything at once, so one flush (one transaction for a database sink) covers many fetches.
 * Batches keep their fetch order, so records stay in offset order per partition.
 */
export class SinkAccumulator<B extends StagedBatch = StagedBatch> {
  private batches: B[] = [];
  private count = 0;
  private since = 0;

  constructor(private readonly settings: BatchSettings) {}

  /** Staged records (a batch whose records were all filtered counts none but still holds a position). */
  get size(): number {
    return this.count;
  }

  get isEmpty(): boolean {
    return this.batches.length === 0;
  }

  /** At or over `batch.max.records`: flush now, and stage nothing more while a flush runs. */
  get isFull(): boolean {
    return this.count >= this.settings.maxRecords;
  }

  add(batch: B, now: number): void {
    if (this.batches.length === 0) this.since = now;
    this.batches.push(batch);
    this.count += batch.records.length;
  }

  /** Milliseconds until a flush is due (0: now), or undefined when nothing is staged. */
  dueIn(now: number): number | undefined {
    if (this.batches.length === 0) return undefined;
    if (this.isFull) return 0;
    return Math.max(0, this.since + this.settings.lingerMs - now);
  }

  /** Takes everything staged, leaving the accumulator empty. */
  take(): StagedGroup<B> {
    const batches = this.batches;
    const records: SinkRecord[] = [];
    const rejected: RejectedRecord[] = [];
    const next = new Map<string, TopicPartitionOffset>();
    for (const b of batches) {
      for (const r of b.records) records.push(r);
      if (b.rejected) for (const r of b.rejected) rejected.push(r);
      next.set(topicPartitionKey(b.topic, b.partition), { topic: b.topic, partition: b.partition, offset: b.next });
    }
    this.batches = [];
    this.count = 0;
    return { batches, records, rejected, offsets: [...next.values()] };
  }

  /** Drops the staged batches of these partitions (all when omitted): they will be fetched again. */
  drop(keys?: ReadonlySet<string>): void {
    if (!keys) {
      this.batches = [];
      this.count = 0;
      return;
    }
    this.batches = this.batches.filter((b) => !keys.has(topicPartitionKey(b.topic, b.partition)));
    this.count = this.batches.reduce((n, b) => n + b.records.length, 0);
  }
}
