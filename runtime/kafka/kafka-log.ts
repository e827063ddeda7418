import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, Kafka, Producer } from 'kafkajs';
import type { Logger } from '../api/index.js';
import { ensureCompactedTopic, type CompactedTopicSpec } from './compacted-topic.js';

export interface LogRecord {
  key: string;
  /** null: a tombstone. */
  value: Buffer | null;
  partition: number;
  offset: string;
}

export interface KafkaLogOptions extends CompactedTopicSpec {
  /** Called once per record, in offset order per partition; a throw skips the record with an error log. */
  apply(record: LogRecord): void;
  logger: Logger;
}

/**
 * A compacted topic read from its beginning and then followed live, as Kafka Connect's KafkaBasedLog
 * does for the config and status topics: every worker sees every write, its own and the others',
 * in the order of the topic. `start` returns once everything written before it was applied;
 * `send` returns once the record is written and applied here (read your writes).
 */
export class KafkaLog {
  private admin: Admin | undefined;
  private producer: Producer | undefined;
  private consumer: Consumer | undefined;
  private groupId: string | undefined;
  /** Next offset to apply, per partition. */
  private readonly positions = new Map<number, bigint>();
  private waiters: Array<{ done: () => boolean; resolve: () => void; reject: (err: Error) => void }> = [];

  constructor(
    private readonly kafka: Kafka,
    private readonly o: KafkaLogOptions,
  ) {}

  get topic(): string {
    return this.o.topic;
  }

  async start(): Promise<void> {
    this.admin = this.kafka.admin();
    await this.admin.connect();
    await ensureCompactedTopic(this.admin, this.o);
    this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await this.producer.connect();
    // A group of its own: every worker reads the whole topic; no offsets are committed.
    this.groupId = `conflux-log-${this.o.topic}-${randomUUID()}`;
    const consumer = this.kafka.consumer({ groupId: this.groupId, maxWaitTimeInMs: 500 });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topic: this.o.topic, fromBeginning: true });
    // Emitted for every fetched batch, also one whose records were all filtered out (a
    // transaction marker, a cleaned tombstone): progress is the fetch position, not the last record.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => this.advance(payload.partition, BigInt(payload.lastOffset) + 1n));
    consumer.on(consumer.events.CRASH, ({ payload }) =>
      this.o.logger.error('reading the topic failed', { topic: this.o.topic, error: payload.error.message, restart: payload.restart }),
    );
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        if (message.key) {
          try {
            this.o.apply({ key: message.key.toString('utf8'), value: message.value, partition, offset: message.offset });
          } catch (err) {
            this.o.logger.error('skipping an unusable record', { topic: this.o.topic, partition, offset: message.offset, error: (err as Error).message });
          }
        }
        this.advance(partition, BigInt(message.offset) + 1n);
      },
    });
    await this.readToEnd();
  }

  /** Resolves once every record written before the call has been applied here. */
  async readToEnd(): Promise<void> {
    if (!this.admin) throw new Error(`the log of ${this.o.topic} is not started`);
    const ends = await this.admin.fetchTopicOffsets(this.o.topic);
    await this.until(() => ends.every((p) => BigInt(p.high) <= BigInt(p.low) || (this.positions.get(p.partition) ?? 0n) >= BigInt(p.high)));
  }

  /** Writes one record and resolves once it has been applied here; returns its offset. */
  async send(key: string, value: string | null): Promise<string> {
    if (!this.producer) throw new Error(`the log of ${this.o.topic} is not started`);
    const [meta] = await this.producer.send({ topic: this.o.topic, acks: -1, messages: [{ key, value }] });
    if (!meta?.baseOffset) throw new Error(`writing to ${this.o.topic} returned no offset`);
    const next = BigInt(meta.baseOffset) + 1n;
    await this.until(() => (this.positions.get(meta.partition) ?? 0n) >= next);
    return meta.baseOffset;
  }

  async stop(): Promise<void> {
    for (const waiter of this.waiters) waiter.reject(new Error(`the log of ${this.o.topic} stopped`));
    this.waiters = [];
    await this.consumer?.disconnect().catch(() => undefined);
    if (this.admin && this.groupId) await this.admin.deleteGroups([this.groupId]).catch(() => undefined);
    await this.producer?.disconnect().catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
    this.consumer = this.producer = this.admin = undefined;
  }

  private advance(partition: number, next: bigint): void {
    if ((this.positions.get(partition) ?? 0n) >= next) return;
    this.positions.set(partition, next);
    const waiting = this.waiters;
    this.waiters = [];
    for (const waiter of waiting) {
      if (waiter.done()) waiter.resolve();
      else this.waiters.push(waiter);
    }
  }

  private until(done: () => boolean): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ done, resolve, reject }));
  }
}
