import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, Kafka } from 'kafkajs';
import {
  ConfigError,
  EVENT_TIME_HEADER,
  RetriableError,
  compareEventTime,
  parseEventTime,
  type EventTime,
  type LookupTable,
  type Logger,
} from '../api/index.js';
import type { Converter } from '../converters/index.js';
import { ReadHorizon } from './read-horizon.js';
import { isWatermark, TopicWatermarks } from './watermarks.js';

export interface TopicViewOptions {
  kafka: Kafka;
  topic: string;
  keyConverter: Converter;
  valueConverter: Converter;
  logger: Logger;
  /** Names the view's private consumer group, for operators reading the broker's group list. */
  workerId: string;
  /**
   * How long start() waits for a missing topic to appear before it fails as a config error. The
   * topic is usually written by a source started together with the sink (the versioned pipeline
   * on its first run), so its absence at the first instant is not yet a mistake.
   */
  topicWaitMs?: number;
}

export const TOPIC_WAIT_MS = 60_000;
/**
 * How long an idle fetch waits for records. Short, so that the read horizon (see ReadHorizon)
 * moves on a quiet topic in well under a second; it costs one small request per interval.
 */
const IDLE_FETCH_WAIT_MS = 250;

/** A lookup key: strings as they are, anything else (an Avro key record) as its JSON text. */
export function lookupKey(key: unknown): string {
  return typeof key === 'string' ? key : JSON.stringify(key);
}

/**
 * The latest value per key of one compacted topic, held in memory. It reads every partition from
 * the beginning with a consumer group of its own that never commits (a view is rebuilt on every
 * start, like a Kafka Streams global table), and is restored once it has read up to the end
 * offsets seen at start.
 */
export class TopicView implements LookupTable {
  readonly topic: string;
  private readonly entries = new Map<string, unknown>();
  /** Per key, the event time header of the record that set its value (when its source dated it). */
  private readonly times = new Map<string, string>();
  private consumer: Consumer | undefined;
  private readonly groupId: string;
  private skipped = 0;
  private horizon: ReadHorizon | undefined;
  private watermarks: TopicWatermarks | undefined;
  private lastProgress = 0;
  /** whenEventTime() callers, resolved as the event time passes theirs. */
  private waiters: Array<{ time: EventTime; resolve: () => void }> = [];
  private stopped = false;

  constructor(private readonly o: TopicViewOptions) {
    this.topic = o.topic;
    this.groupId = `conflux-table-${o.workerId}-${o.topic}-${randomUUID()}`;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): unknown {
    return this.entries.get(key);
  }

  timeOf(key: string): EventTime | undefined {
    return parseEventTime(this.times.get(key));
  }

  get currentAt(): number {
    return this.horizon?.currentAt ?? 0;
  }

  get eventTime(): EventTime | undefined {
    return this.watermarks?.current;
  }

  get progressAt(): number {
    return this.lastProgress;
  }

  whenEventTime(time: EventTime): Promise<void> {
    const now = this.eventTime;
    if (this.stopped || (now && compareEventTime(now, time) >= 0)) return Promise.resolve();
    return new Promise<void>((resolve) => this.waiters.push({ time, resolve }));
  }

  /** Something was read: a record applied, or the event time moved (then its waiters are woken). */
  private progressed(eventTimeMoved: boolean): void {
    this.lastProgress = this.currentAt;
    if (!eventTimeMoved || this.waiters.length === 0) return;
    const now = this.eventTime!;
    const due = this.waiters.filter((w) => compareEventTime(now, w.time) >= 0);
    if (due.length === 0) return;
    this.waiters = this.waiters.filter((w) => compareEventTime(now, w.time) < 0);
    for (const w of due) w.resolve();
  }

  /** Resolves when the view holds everything written before the call. */
  async start(): Promise<void> {
    const { kafka, topic } = this.o;
    const admin = kafka.admin();
    let ends: Map<number, bigint>;
    let readFrom: number;
    try {
      await admin.connect();
      await this.waitForTopic(admin);
      readFrom = Date.now();
      const offsets = await admin.fetchTopicOffsets(topic);
      this.watermarks = new TopicWatermarks(offsets.length);
      ends = new Map(offsets.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high)]));
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      throw new RetriableError(`lookup table ${topic}: cannot read the topic's offsets: ${(err as Error).message}`, { cause: err });
    } finally {
      await admin.disconnect().catch(() => undefined);
    }

    let restored!: () => void;
    const ready = new Promise<void>((resolve) => (restored = resolve));
    if (ends.size === 0) restored();
    const horizon = new ReadHorizon(readFrom);
    this.horizon = horizon;
    this.lastProgress = readFrom;
    const watermarks = this.watermarks!;
    const consumer = kafka.consumer({ groupId: this.groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: IDLE_FETCH_WAIT_MS });
    this.consumer = consumer;
    consumer.on(consumer.events.FETCH_START, (event) => horizon.fetchStarted(event.payload.nodeId, Date.now()));
    consumer.on(consumer.events.GROUP_JOIN, () => horizon.rejoined());
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        let moved = false;
        for (const message of batch.messages) {
          // Watermarks say how far the topic's source has written; they are not entries.
          if (isWatermark(message.headers)) moved = watermarks.observe(batch.partition, message.headers!) || moved;
          else await this.apply(message.key, message.value, message.headers?.[EVENT_TIME_HEADER]);
        }
        if (batch.messages.length > 0) this.progressed(moved);
        horizon.batchApplied(batch.partition, BigInt(batch.highWatermark) - BigInt(batch.lastOffset()) - 1n);
        const end = ends.get(batch.partition);
        if (end !== undefined && BigInt(batch.lastOffset()) + 1n >= end) {
          ends.delete(batch.partition);
          if (ends.size === 0) restored();
        }
      },
    });
    await ready;
    this.o.logger.info('lookup table restored', { topic, keys: this.entries.size, skipped: this.skipped });
  }

  private async waitForTopic(admin: Admin): Promise<void> {
    const { topic, topicWaitMs = TOPIC_WAIT_MS } = this.o;
    const deadline = Date.now() + topicWaitMs;
    let logged = false;
    while (!(await admin.listTopics()).includes(topic)) {
      if (Date.now() >= deadline) throw new ConfigError(`lookup table topic ${topic} does not exist (waited ${topicWaitMs} ms for it)`);
      if (!logged) this.o.logger.info('waiting for the lookup table topic to exist', { topic, timeoutMs: topicWaitMs });
      logged = true;
      await new Promise((resolve) => setTimeout(resolve, Math.min(500, Math.max(0, deadline - Date.now()))));
    }
  }

  private async apply(rawKey: Buffer | null, rawValue: Buffer | null, time: Buffer | string | (Buffer | string)[] | undefined): Promise<void> {
    if (rawKey === null) return;
    try {
      const key = lookupKey((await this.o.keyConverter.toConnect(this.topic, rawKey)).value);
      const value = (await this.o.valueConverter.toConnect(this.topic, rawValue)).value;
      if (value === null) {
        this.entries.delete(key);
        this.times.delete(key);
      } else {
        this.entries.set(key, value);
        const text = Array.isArray(time) ? time[time.length - 1] : time;
        if (text === undefined) this.times.delete(key);
        else this.times.set(key, text.toString());
      }
    } catch (err) {
      // One undecodable record must not take every task that joins against this topic down.
      this.skipped += 1;
      this.o.logger.warn('lookup table skipped a record it cannot decode', { topic: this.topic, error: (err as Error).message });
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.waiters.splice(0)) w.resolve();
    await this.consumer?.disconnect().catch(() => undefined);
    // The group never committed anything; removing it keeps the broker's group list clean.
    const admin = this.o.kafka.admin();
    try {
      await admin.connect();
      await admin.deleteGroups([this.groupId]);
    } catch {
      // Best effort: an empty group without offsets expires on its own.
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}
