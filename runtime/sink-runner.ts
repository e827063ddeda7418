import type { Batch, Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type {
  Logger,
  SinkRecord,
  SinkTask,
  SinkTaskContext,
  TopicPartition,
  TopicPartitionOffset,
  TopicPartitionOffsets,
} from './api/index.js';
import { abortable, connectUnlessStopped, delay, untilAborted, withTimeout } from './abortable.js';
import type { Converter } from './converters/index.js';
import type { DeadLetterPayload } from './dead-letter.js';
import type { RecordErrorHandler } from './error-handler.js';
import type { WorkerMetrics } from './metrics.js';
import { BaseTaskRunner } from './task-runner.js';
import type { TransformChain } from './transform-chain.js';

export interface SinkRunnerOptions {
  connector: string;
  taskId: number;
  task: SinkTask;
  taskConfig: unknown;
  kafka: Kafka;
  topics: string[];
  keyConverter: Converter;
  valueConverter: Converter;
  /** Built when the task starts, so a transform that cannot be created fails the task visibly. */
  buildChain: () => Promise<TransformChain>;
  errors: RecordErrorHandler;
  abort: AbortController;
  metrics: WorkerMetrics;
  logger: Logger;
  context: Omit<SinkTaskContext, 'offsetsManagedBySink' | 'seek' | 'assignment' | 'reportError'>;
  /** Upper bound of bytes fetched per partition and request: caps the size of one put() batch. */
  maxBytesPerPartition?: number;
}

const tpKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;
const DISCONNECT_TIMEOUT_MS = 10_000;

/**
 * Runs one sink task as a member of the connector's consumer group `connect-<name>`:
 * fetch -> converters -> transforms -> put -> flush -> commit, one fetched batch at a time.
 * Because a batch is flushed and committed before the next one is taken, nothing committed was
 * not flushed, and a rebalance (which waits for the running batch) never loses records.
 * Sinks that keep offsets themselves seek on assignment; records below the sought position are
 * skipped, so a batch fetched before the seek is not written twice.
 */
export class SinkTaskRunner extends BaseTaskRunner {
  private consumer: Consumer | undefined;
  private chain: TransformChain | undefined;
  private sinkManagedOffsets = false;
  private assigned: TopicPartition[] = [];
  private readonly opened = new Set<string>();
  private readonly positions = new Map<string, string>();
  private failure: ((err: unknown) => void) | undefined;
  /** The raw messages of the batch being handled, by offset: what a dead letter carries. */
  private batchMessages = new Map<string, KafkaMessage>();
  private batchPartition = -1;

  constructor(private readonly o: SinkRunnerOptions) {
    super(o.taskId, o.connector, o.abort);
  }

  override pause(): void {
    super.pause();
    this.consumer?.pause(this.o.topics.map((topic) => ({ topic })));
  }

  override resume(): void {
    super.resume();
    this.consumer?.resume(this.o.topics.map((topic) => ({ topic })));
  }

  private context(): SinkTaskContext {
    return {
      ...this.o.context,
      offsetsManagedBySink: () => {
        this.sinkManagedOffsets = true;
      },
      seek: (offsets) => {
        for (const { topic, partition, offset } of offsets) this.positions.set(tpKey(topic, partition), offset);
      },
      assignment: () => [...this.assigned],
      reportError: async (record, error) => {
        const message = this.batchMessages.get(record.kafkaOffset);
        if (!message || record.kafkaPartition !== this.batchPartition) {
          throw new Error(`reportError: ${record.topic}-${record.kafkaPartition}@${record.kafkaOffset} is not in the batch being put`);
        }
        await this.o.errors.reject('put', () => rawPayload(record.topic, record.kafkaPartition, message), error);
      },
    };
  }

  protected async loop(): Promise<void> {
    const { o } = this;
    const signal = o.abort.signal;
    const failed = new Promise<never>((_, reject) => {
      this.failure = reject;
    });
    failed.catch(() => undefined);
    try {
      this.chain = await o.buildChain();
      await o.errors.retry('start', () => o.task.start(this.context(), o.taskConfig));
      const consumer = o.kafka.consumer({
        groupId: `connect-${o.connector}`,
        allowAutoTopicCreation: false,
        maxBytesPerPartition: o.maxBytesPerPartition ?? 1024 * 1024,
        // kafkajs retries transient broker errors (coordinator loading, leader moves) itself; when
        // it gives up, the task fails visibly instead of the consumer restarting silently.
        retry: { restartOnFailure: async () => false },
      });
      this.consumer = consumer;
      consumer.on(consumer.events.GROUP_JOIN, (event) => {
        this.assigned = Object.entries(event.payload.memberAssignment).flatMap(([topic, partitions]) =>
          (partitions as number[]).map((partition) => ({ topic, partition })),
        );
      });
      consumer.on(consumer.events.CRASH, (event) => this.failure?.(event.payload.error));
      await o.errors.retry('connect', () => connectUnlessStopped(consumer, signal));
      if (!(await this.waitForTopics(signal))) return;
      await consumer.subscribe({ topics: o.topics, fromBeginning: true });
      // run() resolves only once the group is joined, which a rebalance can hold up for the
      // rebalance timeout; a stop must not wait for that.
      const running = consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
          if (!isRunning() || isStale() || signal.aborted) return;
          try {
            await this.handleBatch(batch, resolveOffset);
            await heartbeat();
          } catch (err) {
            // A rebalance surfacing in heartbeat/commit is kafkajs's to handle (it rejoins).
            if (!isGroupChurn(err)) this.failure?.(err);
            throw err;
          }
        },
      });
      await abortable(running, signal).catch((err: unknown) => {
        if (!signal.aborted) throw err;
      });
      if (this.gate.isPaused) this.pause();
      await Promise.race([failed, untilAborted(signal)]);
    } finally {
      // kafkajs's disconnect waits for a rebalance in progress; a stop must not hang on it.
      if (this.consumer) await withTimeout(this.consumer.disconnect(), DISCONNECT_TIMEOUT_MS, () => this.o.logger.warn('consumer did not leave the group in time'));
      await Promise.allSettled([o.task.stop()]);
      await this.chain?.close();
    }
  }

  /**
   * A sink may be created before anything wrote its topics. Like Kafka Connect, it then waits
   * (RUNNING, with a log line) rather than failing; subscribing to a missing topic fails in kafkajs.
   * Resolves false when stopped while waiting.
   */
  private async waitForTopics(signal: AbortSignal): Promise<boolean> {
    const admin = this.o.kafka.admin();
    await this.o.errors.retry('connect', () => connectUnlessStopped(admin, signal));
    try {
      let logged = false;
      while (!signal.aborted) {
        const existing = new Set(await this.o.errors.retry('metadata', () => admin.listTopics()));
        const missing = this.o.topics.filter((topic) => !existing.has(topic));
        if (missing.length === 0) return true;
        if (!logged) this.o.logger.info('waiting for topics to exist', { missing });
        logged = true;
        await delay(500, signal);
      }
      return false;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** Calls open() for newly assigned partitions and close() for revoked ones, before any put(). */
  private async syncAssignment(): Promise<void> {
    const current = new Set(this.assigned.map((tp) => tpKey(tp.topic, tp.partition)));
    const revoked = [...this.opened].filter((k) => !current.has(k));
    if (revoked.length > 0) {
      await this.o.task.close?.(revoked.map(parseKey));
      for (const k of revoked) this.opened.delete(k);
    }
    const added = this.assigned.filter((tp) => !this.opened.has(tpKey(tp.topic, tp.partition)));
    if (added.length > 0) {
      await this.o.task.open?.(added);
      for (const tp of added) this.opened.add(tpKey(tp.topic, tp.partition));
    }
  }

  private async handleBatch(batch: Batch, resolveOffset: (offset: string) => void): Promise<void> {
    const { o } = this;
    await this.syncAssignment();
    const { topic, partition } = batch;
    const key = tpKey(topic, partition);
    const position = this.positions.get(key);
    if (position !== undefined && batch.messages.length > 0 && BigInt(batch.messages[0]!.offset) > BigInt(position)) {
      // The sink asked for records before this batch: go back and fetch them.
      this.consumer!.seek({ topic, partition, offset: position });
      return;
    }
    if (position !== undefined && batch.messages.length > 0 && BigInt(batch.lastOffset()) + 1n < BigInt(position)) {
      // The whole batch is below the sought position (already written): jump ahead to it.
      this.consumer!.seek({ topic, partition, offset: position });
      return;
    }
    this.positions.delete(key);

    const records: SinkRecord[] = [];
    this.batchPartition = partition;
    this.batchMessages = new Map(batch.messages.map((m) => [m.offset, m]));
    for (const message of batch.messages) {
      if (position !== undefined && BigInt(message.offset) < BigInt(position)) continue;
      const original = () => rawPayload(topic, partition, message);
      const converted = await o.errors.execute('convert', original, async () => {
        const k = await o.keyConverter.toConnect(topic, message.key);
        const v = await o.valueConverter.toConnect(topic, message.value);
        const record: SinkRecord = Object.freeze({
          topic,
          kafkaPartition: partition,
          kafkaOffset: message.offset,
          key: k.value,
          value: v.value,
          ...(k.schema ? { keySchema: k.schema } : {}),
          ...(v.schema ? { valueSchema: v.schema } : {}),
          headers: Object.freeze({ ...(message.headers as Record<string, string | Buffer>) }),
          timestamp: Number(message.timestamp),
        });
        return record;
      });
      if (!converted.ok) continue;
      const transformed = await o.errors.execute('transform', original, () => this.chain!.apply(converted.value));
      if (!transformed.ok) continue;
      if (transformed.value === null) {
        o.metrics.recordsFiltered.inc(this.labels);
        continue;
      }
      records.push(transformed.value);
    }
    o.metrics.recordsConsumed.inc(this.labels, batch.messages.length);

    if (records.length > 0) {
      const end = o.metrics.putLatency.startTimer(this.labels);
      await o.errors.retry('put', () => o.task.put(records));
      end();
      o.metrics.batchSize.observe({ ...this.labels, direction: 'put' }, records.length);
    }
    const next: TopicPartitionOffsets = [{ topic, partition, offset: (BigInt(batch.lastOffset()) + 1n).toString() }];
    const endFlush = o.metrics.flushLatency.startTimer(this.labels);
    await o.errors.retry('flush', () => o.task.flush(next));
    endFlush();
    const committable = o.task.preCommit ? await o.task.preCommit(next) : next;
    if (committable.length > 0) await this.commit(committable);
    resolveOffset(batch.lastOffset());

    const now = Date.now();
    for (const r of records) o.metrics.endToEndLatency.observe(this.labels, Math.max(0, now - r.timestamp) / 1000);
    o.metrics.recordsWritten.inc(this.labels, records.length);
    o.metrics.consumerLag.set({ ...this.labels, topic, partition: String(partition) }, Number(batch.offsetLag()));
  }

  private async commit(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    const end = this.o.metrics.offsetCommitLatency.startTimer(this.labels);
    try {
      // With sink-managed offsets the group commit is for monitoring only; still worth doing.
      await this.o.errors.retry('commit', () => this.consumer!.commitOffsets(offsets.map((tp) => ({ ...tp }))));
      end();
    } catch (err) {
      if (!isGroupChurn(err)) throw err;
      // A rebalance took the partitions away mid-commit. The records are flushed; the next owner
      // starts from the previous commit, so they may be delivered again (at least once), or, for
      // sink-managed offsets, are skipped by its seek. Not a reason to fail the task.
      this.o.metrics.errors.inc({ ...this.labels, stage: 'commit', outcome: 'skipped' });
      this.o.logger.warn('offset commit lost to a rebalance; records since the last commit may be redelivered', {
        error: (err as Error).message,
      });
    }
  }
}

/** Commit failures that mean "the group moved on", as opposed to a broken consumer. */
const GROUP_CHURN = new Set([
  'REBALANCE_IN_PROGRESS',
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
  'NOT_COORDINATOR',
  'COORDINATOR_NOT_AVAILABLE',
  'COORDINATOR_LOAD_IN_PROGRESS',
]);

function isGroupChurn(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (GROUP_CHURN.has((e as Error & { type?: string }).type ?? '')) return true;
  }
  return false;
}

function rawPayload(topic: string, partition: number, message: KafkaMessage): DeadLetterPayload {
  return { key: message.key, value: message.value, headers: message.headers ?? {}, topic, partition, offset: message.offset };
}

function parseKey(key: string): TopicPartition {
  const [topic, partition] = key.split('\u0000');
  return { topic: topic!, partition: Number(partition) };
}
