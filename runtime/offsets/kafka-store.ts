import { randomUUID } from 'node:crypto';
import type { Kafka, Producer } from 'kafkajs';
import { FatalError } from '../api/errors.js';
import { ensureCompactedTopic } from '../kafka/compacted-topic.js';
import { OffsetTable } from './offset-table.js';
import { stableKey } from './stable-key.js';
import type { OffsetEntry, OffsetStore, OffsetWrite, SourceOffset, SourcePartition } from './store.js';

/**
 * Source offsets in a compacted Kafka topic (`conflux-offsets`), as Kafka Connect's distributed
 * mode keeps them: the key is `[connector, partition]` as stable JSON, the value the offset as JSON,
 * a tombstone deletes it. Compaction keeps the newest offset per key, so start-up reads the topic
 * from the beginning to its end and replays it into memory.
 */
export class KafkaOffsetStore implements OffsetStore {
  private readonly table = new OffsetTable();
  private producer: Producer | undefined;
  private writes: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    /** Used when the store creates the topic; -1 takes the broker's default. */
    private readonly replicationFactor = -1,
  ) {}

  async start(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      await ensureCompactedTopic(admin, { topic: this.topic, holds: 'offsets', key: 'offset.storage.topic', replicationFactor: this.replicationFactor });
      const ends = await admin.fetchTopicOffsets(this.topic);
      await this.replay(ends);
    } finally {
      await admin.disconnect();
    }
    this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await this.producer.connect();
  }

  /**
   * Reads what other workers wrote since the start (distributed mode: a task that moves here
   * must start from the offsets its previous worker committed).
   */
  async refresh(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      await this.replay(await admin.fetchTopicOffsets(this.topic));
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * Reads every partition from its start to the end offset taken before. Progress is the fetch
   * position, not the offset of the last message seen: the tail of a partition may hold no
   * message at all (a cleaned tombstone, a transaction marker), and an empty partition may have
   * an end above 0.
   */
  private async replay(ends: Array<{ partition: number; high: string; low: string }>): Promise<void> {
    const remaining = new Map(ends.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high)]));
    if (remaining.size === 0) return;
    // A throwaway group: the store reads everything on every start and commits nothing.
    const groupId = `conflux-offsets-reader-${randomUUID()}`;
    const consumer = this.kafka.consumer({ groupId });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: this.topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        // Emitted for every fetched batch, also one whose records were all filtered out.
        consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
          const end = remaining.get(payload.partition);
          if (end !== undefined && BigInt(payload.lastOffset) + 1n >= end) remaining.delete(payload.partition);
          if (remaining.size === 0) resolve();
        });
        consumer
          .run({
            autoCommit: false,
            eachMessage: async ({ message }) => {
              // Thrown here, kafkajs would retry the message forever: an unusable record ends the start.
              try {
                this.apply(message.key, message.value);
              } catch (err) {
                reject(err);
              }
            },
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
      const admin = this.kafka.admin();
      await admin.connect();
      await admin.deleteGroups([groupId]).catch(() => undefined);
      await admin.disconnect();
    }
  }

  private apply(key: Buffer | null, value: Buffer | null): void {
    if (!key) return;
    const [connector, partition] = JSON.parse(key.toString('utf8')) as [string, SourcePartition];
    const offset = value ? (JSON.parse(value.toString('utf8')) as SourceOffset) : null;
    try {
      this.table.set(connector, [{ partition, offset }]);
    } catch (err) {
      throw new FatalError(`the offsets topic ${this.topic} holds an unusable offset: ${(err as Error).message}`);
    }
  }

  async get(connector: string, partition: SourcePartition): Promise<SourceOffset | undefined> {
    return this.table.get(connector, partition);
  }

  async getAll(connector: string): Promise<OffsetEntry[]> {
    return this.table.getAll(connector);
  }

  async set(connector: string, entries: readonly OffsetWrite[]): Promise<void> {
    if (!this.producer) throw new Error('the Kafka offset store is not started');
    this.table.set(connector, entries);
    const producer = this.producer;
    const send = producer.send({
      topic: this.topic,
      acks: -1,
      messages: entries.map((e) => ({
        key: stableKey([connector, e.partition]),
        value: e.offset === null ? null : JSON.stringify(e.offset),
      })),
    });
    // flush() waits for earlier sends; a failed one was already reported to its caller.
    this.writes = this.writes.then(() => send).catch(() => undefined);
    await send;
  }

  async deleteAll(connector: string): Promise<void> {
    const entries = this.table.getAll(connector).map((e) => ({ partition: e.partition, offset: null }));
    if (entries.length > 0) await this.set(connector, entries);
    this.table.deleteAll(connector);
  }

  async flush(): Promise<void> {
    await this.writes;
  }

  async stop(): Promise<void> {
    await this.writes.catch(() => undefined);
    await this.producer?.disconnect();
    this.producer = undefined;
  }
}
