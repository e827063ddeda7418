import type { Kafka, Message, Producer } from 'kafkajs';
import {
  DataError,
  EVENT_TIME_HEADER,
  READ_TIME_HEADER,
  formatEventTime,
  type Logger,
  type OffsetReader,
  type SourceRecord,
  type SourceTask,
  type SourceTaskContext,
  type TopicSpec,
} from '../api/index.js';
import type { Converter } from '../converters/index.js';
import type { DeadLetterPayload } from '../tasks/dead-letter.js';
import { connectUnlessStopped } from '../support/abortable.js';
import type { RecordErrorHandler } from '../tasks/record-errors.js';
import type { WorkerMetrics } from '../observability/metrics.js';
import type { OffsetStore } from '../offsets/store.js';
import { SubmittedRecords, type SubmittedRecord } from './submitted-records.js';
import { OrderedSends } from './ordered-sends.js';
import { ProduceRequestBuilder, recordBytes, type ProduceRequest } from './produce-requests.js';
import { stableKey } from '../offsets/stable-key.js';
import { BaseTaskRunner } from '../tasks/task-runner.js';
import type { TransformChain } from '../tasks/transform-chain.js';
import { isPromise } from '../support/is-promise.js';
import { WatermarkFanOut } from './watermark-fan-out.js';

export interface SourceRunnerOptions {
  connector: string;
  taskId: number;
  task: SourceTask;
  taskConfig: unknown;
  kafka: Kafka;
  keyConverter: Converter;
  valueConverter: Converter;
  /** Built when the task starts, so a transform that cannot be created fails the task visibly. */
  buildChain: () => Promise<TransformChain>;
  offsetStore: OffsetStore;
  errors: RecordErrorHandler;
  /** Aborted by `stop()`; shared with the error handler so retries end on stop. */
  abort: AbortController;
  offsetFlushIntervalMs: number;
  /** Converted batches that may wait for Kafka while the task polls the next (at least 1). */
  maxInFlightBatches: number;
  /** Budget of one produce request (producer.max.request.size): a larger batch is sent in several. */
  maxRequestBytes: number;
  metrics: WorkerMetrics;
  logger: Logger;
  context: Omit<SourceTaskContext, 'offsets' | 'ensureTopics'>;
  /** Tasks the connector runs: every one of them writes watermarks of the topics it writes. */
  taskCount: number;
}

/**
 * A converted poll on its way to Kafka: produce requests within the byte budget, in poll order,
 * each with the handles that acknowledge its records.
 */
interface OutgoingBatch {
  /** `null` handles belong to watermark records, which acknowledge no source position. */
  readonly requests: readonly ProduceRequest<SubmittedRecord | null>[];
}

/**
 * Runs one source task: poll -> transforms -> converters -> idempotent producer (acks=all) ->
 * commit source offsets. An offset is committed only when its record and every earlier record of
 * the same source partition were acknowledged by Kafka (or deliberately skipped), so a crash can
 * repeat records but never lose one.
 *
 * The task keeps polling while up to `max.in.flight.batches` batches wait for Kafka; they are
 * sent one after another in poll order (see OrderedSends), so the broker's round trip overlaps
 * the next poll and conversion, and a slow broker still slows polling.
 *
 * A record costs the runtime no promise, closure or retry state unless something fails: the
 * transforms and converters run synchronously where they can, and only a record that throws takes
 * the error handler's slow path (retries, errors.tolerance, dead letter).
 */
export class SourceTaskRunner extends BaseTaskRunner {
  private readonly submitted = new SubmittedRecords();
  private producer: Producer | undefined;
  private chain: TransformChain | undefined;
  private sends: OrderedSends<OutgoingBatch> | undefined;
  private readonly watermarks: WatermarkFanOut;
  private lastCommit = Date.now();
  /**
   * Until a first position is stored, a crash restarts the task from nothing: a source that
   * copies a snapshot then copies it again from a new starting point, and a document deleted in
   * between stays in every sink. So the first acknowledged position is committed at once.
   */
  private committedOnce = false;
  /**
   * Source partitions with a stored position (stableKey). A position-only record of any other
   * partition is stored before the records polled with or after it are sent: a source that notes
   * where it starts (the stream position before a snapshot) has it stored before any record it
   * produces from there reaches Kafka, so a crash in between cannot restart it elsewhere.
   */
  private readonly storedPartitions = new Set<string>();

  constructor(private readonly o: SourceRunnerOptions) {
    super(o.taskId, o.connector, o.abort);
    this.watermarks = new WatermarkFanOut(o.kafka, `${o.connector}-${o.taskId}`, o.taskCount);
  }

  protected async loop(): Promise<void> {
    const { o } = this;
    const signal = o.abort.signal;
    try {
      this.chain = await o.buildChain();
      const offsets = await this.offsetReader();
      this.producer = o.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: true });
      this.sends = new OrderedSends((batch) => this.send(batch), o.maxInFlightBatches);
      await o.errors.retry('connect', () => connectUnlessStopped(this.producer!, signal));
      await o.errors.retry('start', () => o.task.start({ ...o.context, offsets, ensureTopics: (topics) => this.ensureTopics(topics) }, o.taskConfig, offsets));
      while (!signal.aborted) {
        if (this.gate.isPaused) {
          await this.sends.drain();
          await this.commitOffsets();
          await this.gate.wait(signal);
          continue;
        }
        const records = await o.errors.retry('poll', () => o.task.poll(signal));
        if (records.length > 0) {
          o.metrics.recordsPolled.inc(this.labels, records.length);
          o.metrics.batchSize.observe({ ...this.labels, direction: 'poll' }, records.length);
          const batch = await this.convert(records);
          if (records.some((r) => r.positionOnly && !this.storedPartitions.has(stableKey(r.sourcePartition)))) {
            // Everything before it is acknowledged first, so that its position is committable.
            await this.sends.drain();
            await this.commitOffsets();
          }
          if (batch) await this.sends.enqueue(batch);
        }
        if (!this.committedOnce || Date.now() - this.lastCommit >= o.offsetFlushIntervalMs) await this.commitOffsets();
      }
      // A graceful stop sends what was already polled, so that nothing is produced twice.
      await this.sends.drain();
      await this.commitOffsets();
    } catch (err) {
      // Whether a stop interrupted a batch or the task failed, what Kafka acknowledged is
      // committed (as Kafka Connect does), so a restart does not send it again. Batches already
      // handed to the producer are let finish first: they are in order, so acking them is safe.
      await this.sends?.drain().catch(() => undefined);
      if (this.o.abort.signal.aborted) {
        await this.commitOffsets();
        return;
      }
      await this.commitOffsets().catch((commitErr: unknown) =>
        o.logger.error('could not commit the offsets of acknowledged records after the task failed', { error: (commitErr as Error).message }),
      );
      throw err;
    } finally {
      // Stop releases the task's resources whether the loop ended by request or by failure.
      await Promise.allSettled([o.task.stop(), this.producer?.disconnect(), this.watermarks.close()]);
      await this.chain?.close();
    }
  }

  private async offsetReader(): Promise<OffsetReader> {
    const entries = await this.o.offsetStore.getAll(this.o.connector);
    const byKey = new Map(entries.map((e) => [stableKey(e.partition), e.offset]));
    for (const [key, offset] of byKey) if (offset) this.storedPartitions.add(key);
    const stored = entries.filter((e) => e.offset);
    return { offset: (partition) => byKey.get(stableKey(partition)), stored: () => stored };
  }

  /** Transforms and converts one polled batch; undefined when no record is left to send. */
  private async convert(records: SourceRecord[]): Promise<OutgoingBatch | undefined> {
    const { o } = this;
    const chain = this.chain!;
    const requests = new ProduceRequestBuilder<SubmittedRecord | null>(o.maxRequestBytes);
    let filtered = 0;
    for (const record of records) {
      if (record.watermark) {
        for (const message of await this.watermarks.messages(record.topic, record.watermark, record.snapshotComplete))
          requests.add(record.topic, message, recordBytes(message), null);
        continue;
      }
      const handle = this.submitted.submit(record);
      if (record.positionOnly) {
        // Nothing to send: the position is committed once every earlier record is acknowledged.
        handle.ack();
        continue;
      }
      if (record.skipReason !== undefined) {
        await o.errors.skip('source', () => sourcePayload(record), new DataError(record.skipReason));
        handle.ack();
        continue;
      }
      let out: SourceRecord | null;
      try {
        const result = chain.empty ? record : chain.run(record);
        out = isPromise(result) ? await result : result;
      } catch (err) {
        const outcome = await o.errors.recover(
          'transform',
          () => sourcePayload(record),
          () => chain.apply(record),
          err,
        );
        if (!outcome.ok) {
          handle.ack();
          continue;
        }
        out = outcome.value;
      }
      if (out === null) {
        filtered++;
        handle.ack();
        continue;
      }
      let key: Buffer | null | undefined;
      let value: Buffer | null | undefined;
      try {
        key = o.keyConverter.fromConnectSync(out.topic, out.key, out.keySchema) ?? (await o.keyConverter.fromConnect(out.topic, out.key, out.keySchema));
        value =
          o.valueConverter.fromConnectSync(out.topic, out.value, out.valueSchema) ??
          (await o.valueConverter.fromConnect(out.topic, out.value, out.valueSchema));
      } catch (err) {
        const converted = out;
        const outcome = await o.errors.recover(
          'convert',
          () => sourcePayload(record),
          async () =>
            [
              await o.keyConverter.fromConnect(converted.topic, converted.key, converted.keySchema),
              await o.valueConverter.fromConnect(converted.topic, converted.value, converted.valueSchema),
            ] as const,
          err,
        );
        if (!outcome.ok) {
          handle.ack();
          continue;
        }
        [key, value] = outcome.value;
      }
      const message: Message = {
        key,
        value,
        headers: timeHeaders(out) as Message['headers'],
        timestamp: String(out.timestamp),
        ...(out.partition !== undefined ? { partition: out.partition } : {}),
      };
      const bytes = recordBytes(message);
      if (!requests.fits(bytes)) {
        await this.rejectTooLarge(record, bytes);
        handle.ack();
        continue;
      }
      requests.add(out.topic, message, bytes, handle);
    }
    if (filtered > 0) o.metrics.recordsFiltered.inc(this.labels, filtered);
    const built = requests.finish();
    return built.length === 0 ? undefined : { requests: built };
  }

  /**
   * A record no produce request can carry (the broker would answer MESSAGE_TOO_LARGE) is a data
   * error: the task fails, or under errors.tolerance=all it is dead-lettered, without its value,
   * which the dead-letter topic could not take either.
   */
  private async rejectTooLarge(record: SourceRecord, bytes: number): Promise<void> {
    const error = new DataError(
      `the record for topic ${record.topic} is about ${bytes} bytes once converted, more than producer.max.request.size (${this.o.maxRequestBytes}): Kafka would refuse it (MESSAGE_TOO_LARGE)`,
    );
    await this.o.errors.reject('produce', () => ({ ...sourcePayload(record), value: null }), error);
  }

  private async send(batch: OutgoingBatch): Promise<void> {
    const { o } = this;
    // Once stopping, a batch already polled is still sent once (no more retries), so that a
    // graceful stop produces nothing twice; what fails then is polled again after the restart.
    // One request after another: a later one never overtakes an earlier one, so order holds, and
    // a failure leaves exactly the records of the requests before it acknowledged.
    for (const request of batch.requests) {
      await o.errors.retry('produce', () => this.producer!.sendBatch({ topicMessages: request.topicMessages, acks: -1 }), true);
      let produced = 0;
      for (const handle of request.handles) {
        if (handle === null) continue;
        handle.ack();
        produced++;
      }
      o.metrics.recordsProduced.inc(this.labels, produced);
    }
  }

  /** SourceTaskContext.ensureTopics: creates the missing topics, leaves existing ones alone. */
  private async ensureTopics(topics: readonly TopicSpec[]): Promise<void> {
    const admin = this.o.kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((t) => !existing.has(t.topic));
      if (missing.length === 0) return;
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({
          topic: t.topic,
          ...(t.partitions !== undefined ? { numPartitions: t.partitions } : {}),
          configEntries: Object.entries(t.config ?? {}).map(([name, value]) => ({ name, value })),
        })),
      });
    } catch (err) {
      // Another task or worker may have created it meanwhile; that is what we wanted.
      if ((err as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') throw err;
    } finally {
      await admin.disconnect();
    }
  }

  private async commitOffsets(): Promise<void> {
    this.lastCommit = Date.now();
    const { offsets: committable } = this.submitted.committableOffsets();
    if (committable.length === 0) return;
    const end = this.o.metrics.offsetCommitLatency.startTimer(this.labels);
    await this.o.offsetStore.set(this.o.connector, committable);
    await this.o.offsetStore.flush();
    this.committedOnce = true;
    for (const { partition } of committable) this.storedPartitions.add(stableKey(partition));
    end();
    await this.o.task.commit?.();
  }
}

function sourcePayload(record: SourceRecord): DeadLetterPayload {
  const text = (v: unknown) =>
    v === null || v === undefined ? null : Buffer.isBuffer(v) ? v : JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
  return { key: text(record.key), value: text(record.value), headers: { ...record.headers }, topic: record.topic };
}

/** The record's headers with its event and read times, which joins downstream read. */
function timeHeaders(record: SourceRecord): SourceRecord['headers'] {
  if (!record.eventTime && !record.readTime) return record.headers;
  return {
    ...record.headers,
    ...(record.eventTime ? { [EVENT_TIME_HEADER]: formatEventTime(record.eventTime) } : {}),
    ...(record.readTime ? { [READ_TIME_HEADER]: formatEventTime(record.readTime) } : {}),
  };
}
