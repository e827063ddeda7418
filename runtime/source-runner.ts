import type { Kafka, Message, Producer, TopicMessages } from 'kafkajs';
import type { Logger, OffsetReader, SourceRecord, SourceTask, SourceTaskContext } from './api/index.js';
import type { Converter } from './converters/index.js';
import type { DeadLetterPayload } from './dead-letter.js';
import { connectUnlessStopped } from './abortable.js';
import { RecordErrorHandler } from './error-handler.js';
import type { WorkerMetrics } from './metrics.js';
import type { OffsetStore } from './offsets/store.js';
import { SubmittedRecords } from './offsets/submitted-records.js';
import { stableKey } from './offsets/stable-key.js';
import { BaseTaskRunner } from './task-runner.js';
import type { TransformChain } from './transform-chain.js';

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
  metrics: WorkerMetrics;
  logger: Logger;
  context: Omit<SourceTaskContext, 'offsets'>;
}

/**
 * Runs one source task: poll -> transforms -> converters -> idempotent producer (acks=all) ->
 * commit source offsets. An offset is committed only when its record and every earlier record of
 * the same source partition were acknowledged by Kafka (or deliberately skipped), so a crash can
 * repeat records but never lose one. One batch is in flight at a time, which bounds memory and
 * gives backpressure: a slow broker slows polling.
 */
export class SourceTaskRunner extends BaseTaskRunner {
  private readonly submitted = new SubmittedRecords();
  private producer: Producer | undefined;
  private chain: TransformChain | undefined;
  private lastCommit = Date.now();

  constructor(private readonly o: SourceRunnerOptions) {
    super(o.taskId, o.connector, o.abort);
  }

  protected async loop(): Promise<void> {
    const { o } = this;
    const signal = o.abort.signal;
    try {
      this.chain = await o.buildChain();
      const offsets = await this.offsetReader();
      this.producer = o.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: true });
      await o.errors.retry('connect', () => connectUnlessStopped(this.producer!, signal));
      await o.errors.retry('start', () => o.task.start({ ...o.context, offsets }, o.taskConfig, offsets));
      while (!signal.aborted) {
        if (this.gate.isPaused) {
          await this.commitOffsets();
          await this.gate.wait(signal);
          continue;
        }
        const records = await o.errors.retry('poll', () => o.task.poll(signal));
        if (records.length > 0) {
          o.metrics.recordsPolled.inc(this.labels, records.length);
          o.metrics.batchSize.observe({ ...this.labels, direction: 'poll' }, records.length);
          await this.process(records);
        }
        if (Date.now() - this.lastCommit >= o.offsetFlushIntervalMs) await this.commitOffsets();
      }
      await this.commitOffsets();
    } catch (err) {
      // Whether a stop interrupted a batch or the task failed, what Kafka acknowledged is
      // committed (as Kafka Connect does), so a restart does not send it again.
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
      await Promise.allSettled([o.task.stop(), this.producer?.disconnect()]);
      await this.chain?.close();
    }
  }

  private async offsetReader(): Promise<OffsetReader> {
    const entries = await this.o.offsetStore.getAll(this.o.connector);
    const byKey = new Map(entries.map((e) => [stableKey(e.partition), e.offset]));
    return { offset: (partition) => byKey.get(stableKey(partition)) };
  }

  private async process(records: SourceRecord[]): Promise<void> {
    const { o } = this;
    const batch: Array<{ topic: string; message: Message; ack: () => void }> = [];
    for (const record of records) {
      const { ack } = this.submitted.submit(record);
      const original = () => sourcePayload(record);
      const transformed = await o.errors.execute('transform', original, () => this.chain!.apply(record));
      if (!transformed.ok) {
        ack();
        continue;
      }
      if (transformed.value === null) {
        o.metrics.recordsFiltered.inc(this.labels);
        ack();
        continue;
      }
      const out = transformed.value;
      const converted = await o.errors.execute('convert', original, async () => ({
        key: await o.keyConverter.fromConnect(out.topic, out.key, out.keySchema),
        value: await o.valueConverter.fromConnect(out.topic, out.value, out.valueSchema),
      }));
      if (!converted.ok) {
        ack();
        continue;
      }
      batch.push({
        topic: out.topic,
        ack,
        message: {
          key: converted.value.key,
          value: converted.value.value,
          headers: { ...out.headers },
          timestamp: String(out.timestamp),
          ...(out.partition !== undefined ? { partition: out.partition } : {}),
        },
      });
    }
    if (batch.length === 0) return;
    const topicMessages = new Map<string, Message[]>();
    for (const { topic, message } of batch) {
      const list = topicMessages.get(topic) ?? [];
      list.push(message);
      topicMessages.set(topic, list);
    }
    const payload: TopicMessages[] = [...topicMessages].map(([topic, messages]) => ({ topic, messages }));
    await o.errors.retry('produce', () => this.producer!.sendBatch({ topicMessages: payload, acks: -1 }));
    for (const { ack } of batch) ack();
    o.metrics.recordsProduced.inc(this.labels, batch.length);
  }

  private async commitOffsets(): Promise<void> {
    this.lastCommit = Date.now();
    const { offsets: committable } = this.submitted.committableOffsets();
    if (committable.length === 0) return;
    const end = this.o.metrics.offsetCommitLatency.startTimer(this.labels);
    await this.o.offsetStore.set(this.o.connector, committable);
    await this.o.offsetStore.flush();
    end();
    await this.o.task.commit?.();
  }
}

function sourcePayload(record: SourceRecord): DeadLetterPayload {
  const text = (v: unknown) =>
    v === null || v === undefined ? null : Buffer.isBuffer(v) ? v : JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
  return { key: text(record.key), value: text(record.value), headers: { ...record.headers }, topic: record.topic };
}
