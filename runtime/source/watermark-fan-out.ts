import type { Admin, Kafka, Message } from 'kafkajs';
import { WATERMARK_HEADER, WATERMARK_KEY, formatEventTime, snapshotHeaders, type EventTime } from '../api/index.js';

/** How long a topic's partition count is trusted before it is asked again (partitions may be added). */
const PARTITIONS_TTL_MS = 60_000;

/**
 * Turns a source task's watermark into one control record per partition of its topic, so that
 * every partition says how far the source has written (see runtime/api/event-time.ts). The records
 * travel in the same produce requests as the data, after the records polled before them, so a
 * consumer reads a watermark only after everything it covers.
 */
export class WatermarkFanOut {
  private admin: Admin | undefined;
  private readonly partitions = new Map<string, { count: number; at: number }>();
  /** One key per writer, so that compaction keeps the latest watermark of every writer of a partition. */
  private readonly key: Buffer;

  constructor(
    private readonly kafka: Kafka,
    /** Names the task in `conflux.watermark.writer`: `<connector>-<task>`. */
    private readonly writer: string,
    /** How many tasks of the connector write each topic: `conflux.watermark.writers`. */
    private readonly writers: number,
  ) {
    this.key = Buffer.from(`${WATERMARK_KEY}.${writer}`, 'utf8');
  }

  /** The control records of a watermark, and of the snapshot it completes when `snapshotStart` is given. */
  async messages(topic: string, time: EventTime, snapshotStart?: EventTime): Promise<Message[]> {
    const count = await this.partitionCount(topic);
    const headers = {
      [WATERMARK_HEADER.time]: formatEventTime(time),
      [WATERMARK_HEADER.writer]: this.writer,
      [WATERMARK_HEADER.writers]: String(this.writers),
      ...(snapshotStart ? snapshotHeaders(snapshotStart, count) : {}),
    };
    return Array.from({ length: count }, (_, partition) => ({ key: this.key, value: null, headers, partition, timestamp: String(time.ms) }));
  }

  private async partitionCount(topic: string): Promise<number> {
    const known = this.partitions.get(topic);
    if (known && Date.now() - known.at < PARTITIONS_TTL_MS) return known.count;
    if (!this.admin) {
      const admin = this.kafka.admin();
      await admin.connect();
      this.admin = admin;
    }
    const metadata = await this.admin.fetchTopicMetadata({ topics: [topic] });
    const count = metadata.topics[0]?.partitions.length ?? 0;
    this.partitions.set(topic, { count, at: Date.now() });
    return count;
  }

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    await admin?.disconnect().catch(() => undefined);
  }
}
