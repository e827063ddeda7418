import type { Batch, Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type {
  Logger,
  SinkRecord,
  SinkTask,
  SinkTaskContext,
  TopicPartition,
  TopicPartitionOffsets,
} from './api/index.js';
import { abortable, connectUnlessStopped, delay, untilAborted, withTimeout } from './abortable.js';
import { withHeartbeats } from './heartbeat.js';
import { assignedOnly, commitToGroup, isGroupChurn } from './sink-commit.js';
import { SinkPositions, parseTpKey, tpKey } from './sink-positions.js';
import { rawPayload, toSinkRecords } from './sink-records.js';
import type { Converter } from './converters/index.js';
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

/** Records of one batch whose end-to-end latency is observed (see handleBatch). */
const LATENCY_SAMPLES_PER_BATCH = 100;
const DISCONNECT_TIMEOUT_MS = 10_000;

/**
 * Runs one sink task as a member of the connector's consumer group `connect-<name>`:
 * fetch -> converters -> transforms -> put -> flush -> commit, one fetched batch at a time.
 * Because a batch is flushed and committed before the next one is taken, nothing committed was
 * not flushed, and a rebalance (which waits for the running batch) never loses records.
 * Sinks that keep offsets themselves seek on assignment (see SinkPositions). Every call into the
 * task (open, put, flush, preCommit, close, stop) runs one at a time, in `exclusive`.
 */
export class SinkTaskRunner extends BaseTaskRunner {
  private consumer: Consumer | undefined;
  /** consumer.run() was called: from then on kafkajs accepts pause() and resume(). */
  private consuming = false;
  private chain: TransformChain | undefined;
  private sinkManagedOffsets = false;
  private assigned: TopicPartition[] = [];
  private readonly opened = new Set<string>();
  private readonly positions = new SinkPositions();
  private failure: ((err: unknown) => void) | undefined;
  /** The raw messages of the batch being handled, by offset: what a dead letter carries. */
  private batchMessages: readonly KafkaMessage[] = [];
  /** The end-to-end latency histogram's series of this task, looked up once rather than per record. */
  private endToEnd: { observe(value: number): void } | undefined;
  private batchPartition = -1;
  /** The loop is ending (stopped or failed): no more batches, no more opens. */
  private closing = false;
  /** Tail of the queue of task calls; see `exclusive`. */
  private serial: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: SinkRunnerOptions) {
    super(o.taskId, o.connector, o.abort);
  }

  override pause(): void {
    super.pause();
    this.applyPause();
  }

  override resume(): void {
    super.resume();
    this.applyPause();
  }

  /**
   * kafkajs rejects pause/resume before run(); until then the gate alone holds the state and
   * it is applied when consuming starts, so a pause or resume never fails halfway.
   */
  private applyPause(): void {
    if (!this.consumer || !this.consuming) return;
    const topics = this.o.topics.map((topic) => ({ topic }));
    try {
      if (this.gate.isPaused) this.consumer.pause(topics);
      else this.consumer.resume(topics);
    } catch (err) {
      // Only a consumer that is already leaving gets here; its task is stopping anyway.
      this.o.logger.warn('could not apply pause/resume to the consumer', { error: (err as Error).message });
    }
  }

  /** Runs task calls one after another: a rebalance, a batch and a stop never overlap in the task. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.serial.then(fn);
    this.serial = run.catch(() => undefined);
    return run;
  }

  private context(): SinkTaskContext {
    return {
      ...this.o.context,
      offsetsManagedBySink: () => {
        this.sinkManagedOffsets = true;
      },
      seek: (offsets) => {
        for (const { topic, partition, offset } of offsets) this.positions.request(topic, partition, offset);
      },
      assignment: () => [...this.assigned],
      reportError: async (record, error) => {
        // Rare, so the batch is searched here rather than indexed for every batch.
        const message = record.kafkaPartition === this.batchPartition ? this.batchMessages.find((m) => m.offset === record.kafkaOffset) : undefined;
        if (!message) {
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
        // Revoked partitions are closed as soon as the group says so, not when the next batch
        // happens to arrive (Kafka Connect closes them in onPartitionsRevoked).
        this.exclusive(() => this.syncAssignment()).catch((err: unknown) => this.failure?.(err));
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
        eachBatch: ({ batch, resolveOffset, heartbeat, isRunning, isStale }) =>
          this.exclusive(async () => {
            if (!isRunning() || isStale() || this.closing || signal.aborted) return;
            try {
              await this.handleBatch(batch, resolveOffset, heartbeat);
              await heartbeat();
            } catch (err) {
              // Stopping: the batch was not committed and is replayed by the next owner.
              if (signal.aborted) return;
              // A rebalance surfacing in heartbeat/commit is kafkajs's to handle (it rejoins).
              if (!isGroupChurn(err)) this.failure?.(err);
              throw err;
            }
          }),
      });
      // kafkajs created its consumer group synchronously inside run(): pause() is valid now.
      this.consuming = true;
      this.applyPause();
      await abortable(running, signal).catch((err: unknown) => {
        if (!signal.aborted) throw err;
      });
      await Promise.race([failed, untilAborted(signal)]);
    } finally {
      this.closing = true;
      // The batch in flight finishes (put, flush, commit) before anything else happens to the task.
      await this.serial;
      await this.exclusive(() => this.closePartitions([...this.opened])).catch((err: unknown) =>
        o.logger.warn('closing partitions on stop failed', { error: (err as Error).message }),
      );
      this.consuming = false;
      // kafkajs's disconnect waits for a rebalance in progress; a stop must not hang on it.
      if (this.consumer) await withTimeout(this.consumer.disconnect(), DISCONNECT_TIMEOUT_MS, () => this.o.logger.warn('consumer did not leave the group in time'));
      await this.serial;
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

  /** Calls close() for revoked partitions and open() for newly assigned ones, before any put(). */
  private async syncAssignment(): Promise<void> {
    const current = new Set(this.assigned.map((tp) => tpKey(tp.topic, tp.partition)));
    await this.closePartitions([...this.opened].filter((k) => !current.has(k)));
    if (this.closing || this.o.abort.signal.aborted) return;
    const added = this.assigned.filter((tp) => !this.opened.has(tpKey(tp.topic, tp.partition)));
    if (added.length > 0) {
      await this.o.task.open?.(added);
      for (const tp of added) this.opened.add(tpKey(tp.topic, tp.partition));
    }
  }

  private async closePartitions(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    // Seeks asked for a partition that is gone are for its next owner's open() to decide.
    this.positions.forget(keys);
    for (const k of keys) this.opened.delete(k);
    await this.o.task.close?.(keys.map(parseTpKey));
  }

  private async handleBatch(batch: Batch, resolveOffset: (offset: string) => void, heartbeat: () => Promise<void>): Promise<void> {
    const { o } = this;
    await this.syncAssignment();
    const { topic, partition } = batch;
    if (batch.messages.length === 0) return;
    const plan = this.positions.plan(topic, partition, batch.messages[0]!.offset, batch.lastOffset());
    if (plan.kind === 'seek') {
      // The batch was fetched before the position the sink asked for: fetch from there instead.
      this.consumer!.seek({ topic, partition, offset: plan.offset });
      return;
    }
    if (plan.note) o.logger.warn(plan.note, { topic, partition });

    let records: SinkRecord[] = [];
    const done = await withHeartbeats(heartbeat, async (membership) => {
      this.batchPartition = partition;
      this.batchMessages = batch.messages;
      records = await toSinkRecords(batch, plan.from, { ...o, chain: this.chain!, labels: this.labels });
      o.metrics.recordsConsumed.inc(this.labels, batch.messages.length);
      if (records.length > 0) {
        const end = o.metrics.putLatency.startTimer(this.labels);
        await o.errors.retry('put', () => o.task.put(records));
        end();
        o.metrics.batchSize.observe({ ...this.labels, direction: 'put' }, records.length);
      }
      // A seek the sink asked for during put() (a rewind) is where this partition continues, and
      // what is committed: committing past it would skip the rewound records after a crash.
      const rewound = this.positions.take(topic, partition);
      if (rewound !== undefined) {
        this.consumer!.seek({ topic, partition, offset: rewound });
        this.positions.seeking(topic, partition, rewound);
      }
      if (membership.lost) return { lost: membership.error, rewound };
      const next: TopicPartitionOffsets = [{ topic, partition, offset: rewound ?? (BigInt(batch.lastOffset()) + 1n).toString() }];
      const endFlush = o.metrics.flushLatency.startTimer(this.labels);
      // Once put, a batch is flushed and committed even when a stop arrives meanwhile.
      await o.errors.retry('flush', () => o.task.flush(next), true);
      endFlush();
      const committable = o.task.preCommit ? assignedOnly(await o.task.preCommit(next), this.assigned, o.logger) : next;
      if (committable.length > 0) await commitToGroup(this.consumer!, committable, { ...o, labels: this.labels });
      return { lost: undefined, rewound };
    });
    if (done.lost !== undefined) {
      // Evicted while putting: another member owns the partitions now. Nothing was flushed or
      // committed; close() lets the task drop what it buffered, and kafkajs rejoins.
      o.logger.warn('the consumer group evicted this task during put(); the batch is left to the new owner', { topic, partition });
      await this.closePartitions([...this.opened]);
      throw done.lost;
    }
    if (done.rewound === undefined) resolveOffset(batch.lastOffset());

    const now = Date.now();
    const endToEnd = (this.endToEnd ??= o.metrics.endToEndLatency.labels(this.labels));
    // A histogram observation costs about as much as converting the record: observe an evenly
    // spaced sample of a large batch, which describes the latency as well at a fraction of the cost.
    const step = Math.max(1, Math.floor(records.length / LATENCY_SAMPLES_PER_BATCH));
    for (let i = 0; i < records.length; i += step) {
      const timestamp = records[i]!.timestamp;
      if (Number.isFinite(timestamp)) endToEnd.observe(Math.max(0, now - timestamp) / 1000);
    }
    o.metrics.recordsWritten.inc(this.labels, records.length);
    o.metrics.consumerLag.set({ ...this.labels, topic, partition: String(partition) }, Number(batch.offsetLag()));
  }
}

