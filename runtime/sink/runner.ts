import type { Batch, Consumer, Kafka, KafkaMessage } from 'kafkajs';
import {
  parseTopicPartitionKey,
  topicPartitionKey,
  type Logger,
  type SinkRecord,
  type SinkTask,
  type SinkTaskContext,
  type TopicPartition,
  type TopicPartitionOffsets,
} from '../api/index.js';
import { abortable, connectUnlessStopped, untilAborted, withTimeout } from '../support/abortable.js';
import { DEFAULT_PARKING, type ParkingBounds } from './parking.js';
import { ParkedRetries } from './parked-retries.js';
import { WatermarkLag } from './watermark-lag.js';
import { PausedLag } from './paused-lag.js';
import { waitForTopics } from './topics.js';
import { withHeartbeats } from './heartbeat.js';
import { leaveGroup } from '../kafka/leave-group.js';
import { DEFAULT_BATCH, SinkAccumulator, type BatchSettings, type StagedBatch, type StagedGroup } from './batch.js';
import { assignedOnly, commitToGroup, isGroupChurn } from './commit.js';
import { SinkLifecycle } from './lifecycle.js';
import { SinkPositions } from './positions.js';
import { rawPayload, toSinkRecords, type SinkRecordDeps } from './records.js';
import type { Converter } from '../converters/index.js';
import type { RecordErrorHandler } from '../tasks/record-errors.js';
import type { WorkerMetrics } from '../observability/metrics.js';
import { BaseTaskRunner } from '../tasks/task-runner.js';
import type { TransformChain } from '../tasks/transform-chain.js';

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
  context: Omit<SinkTaskContext, 'offsetsManagedBySink' | 'receiveSnapshotMarkers' | 'seek' | 'assignment' | 'reportError'>;
  /** Upper bound of bytes fetched per partition and request: caps the size of one fetched batch. */
  maxBytesPerPartition?: number;
  /** When staged records are put and flushed (see SinkAccumulator); DEFAULT_BATCH when absent. */
  batch?: BatchSettings;
  /** Session timeout and heartbeat interval of the task's consumer; kafkajs's defaults when absent. */
  group?: { sessionTimeoutMs: number; heartbeatIntervalMs: number };
  /** How much may wait parked (see ParkingLot); DEFAULT_PARKING when absent. */
  parking?: ParkingBounds;
}

/** Records of one flush whose end-to-end latency is observed (see observeLatency). */
const LATENCY_SAMPLES_PER_FLUSH = 100;
const DISCONNECT_TIMEOUT_MS = 10_000;

/** A staged batch keeps its raw messages: what a dead letter reported during put() carries. */
interface Staged extends StagedBatch {
  readonly messages: readonly KafkaMessage[];
}

/**
 * Runs one sink task as a member of the connector's consumer group `connect-<name>`.
 *
 * Two stages overlap. kafkajs's eachBatch fetches, converts and transforms a batch and stages it
 * (SinkAccumulator), then returns so that kafkajs fetches the next one. A flush takes everything
 * staged when `batch.max.records` are staged or the oldest has lingered `batch.linger.ms`, and runs
 * put -> flush -> commit in the background, at most one at a time; meanwhile the next batches are
 * fetched and transformed. While a flush runs and a full batch is staged, eachBatch waits (with
 * heartbeats), which bounds memory. Only flushed positions are committed, so nothing committed was
 * not flushed; per partition, batches are staged and put in offset order.
 *
 * kafkajs fetches again from the position resolved in eachBatch, so a batch is resolved when it is
 * staged; after a rebalance kafkajs restarts every partition from the group's committed offsets, so
 * everything staged is dropped then and fetched again, and partitions kept are moved to their last
 * flushed position (the group commit may have lost to the rebalance). Every call into the task
 * (open, put, flush, preCommit, close, stop) runs one at a time, in `exclusive`.
 */
export class SinkTaskRunner extends BaseTaskRunner {
  private consumer: Consumer | undefined;
  /** The consumer's run(): settles once it has joined the group (see leaveGroup). */
  private joining: Promise<void> | undefined;
  private readonly lifecycle = new SinkLifecycle();
  private chain: TransformChain | undefined;
  private assigned: TopicPartition[] = [];
  private readonly opened = new Set<string>();
  private readonly positions = new SinkPositions();
  private failure: ((err: unknown) => void) | undefined;
  private readonly staged: SinkAccumulator<Staged>;
  /** The put -> flush -> commit in progress, if any (at most one). */
  private flushing: Promise<void> | undefined;
  /** The put() of the flush in progress: a batch is not planned while the task may still seek. */
  private putting: Promise<void> | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  /** Settles once the task has seen the latest assignment; batches wait for it. */
  private assignmentSynced: Promise<void> = Promise.resolve();
  /** Per partition, the next offset after what was last flushed. */
  private readonly flushed = new Map<string, string>();
  /** Per partition, the position the task last asked for with seek() (its own stored offset). */
  private readonly soughtAt = new Map<string, string>();
  /** The batches of the put() and flush() in progress: where reportError finds a record's raw message. */
  private putBatches: readonly Staged[] = [];
  /** The end-to-end latency histogram's series of this task, looked up once rather than per record. */
  private endToEnd: { observe(value: number): void } | undefined;
  /** Tail of the queue of task calls; see `exclusive`. */
  private serial: Promise<unknown> = Promise.resolve();
  /** Records a transform could not decide yet, waiting per key, and their retries. */
  private readonly parked: ParkedRetries;
  /** Per partition, the next offset after the last batch staged: where a released record's batch says the partition stands. */
  private readonly fetchedNext = new Map<string, string>();
  /** Tail of the chain's uses: fetched batches and parked retries take turns, never overlap. */
  private chainTurn: Promise<unknown> = Promise.resolve();
  private readonly watermarkLag: WatermarkLag;
  private readonly pausedLag: PausedLag;
  /** The task asked for snapshot markers in put(). */
  private snapshotMarkers = false;

  constructor(private readonly o: SinkRunnerOptions) {
    super(o.taskId, o.connector, o.abort);
    this.staged = new SinkAccumulator(o.batch ?? DEFAULT_BATCH);
    this.parked = new ParkedRetries(o.parking ?? DEFAULT_PARKING, {
      labels: this.labels,
      connector: o.connector,
      metrics: o.metrics,
      logger: o.logger,
      context: o.context,
      signal: o.abort.signal,
      active: () => this.lifecycle.active,
      ending: () => this.lifecycle.ending,
      isOpen: (key) => this.opened.has(key),
      fetchedNext: (key) => this.fetchedNext.get(key),
      recordDeps: () => this.recordDeps(),
      takeChainTurn: (fn) => this.takeChainTurn(fn),
      stage: (batches) => {
        for (const batch of batches) this.staged.add(batch, Date.now());
        this.schedule();
      },
      fail: (err) => this.fail(err),
    });
    this.watermarkLag = new WatermarkLag((topic, lag) => o.metrics.watermarkLag.set({ ...this.labels, topic }, lag));
    this.pausedLag = new PausedLag(o.kafka, {
      assigned: () => this.assigned,
      position: (key) => this.fetchedNext.get(key) ?? this.flushed.get(key) ?? this.soughtAt.get(key),
      set: (topic, partition, lag) => o.metrics.consumerLag.set({ ...this.labels, topic, partition: String(partition) }, lag),
      logger: o.logger,
    });
  }

  override pause(): void {
    super.pause();
    this.applyPause();
    this.pausedLag.start();
    // A paused task holds nothing back: what is staged is flushed now rather than after the linger.
    this.schedule();
  }

  override resume(): void {
    super.resume();
    this.applyPause();
    void this.pausedLag.stop();
  }

  /**
   * kafkajs rejects pause/resume before run(); until then the gate alone holds the state and
   * it is applied when consuming starts, so a pause or resume never fails halfway.
   */
  private applyPause(): void {
    if (!this.consumer || !this.lifecycle.consumerRunning) return;
    const topics = this.o.topics.map((topic) => ({ topic }));
    try {
      if (this.gate.isPaused) this.consumer.pause(topics);
      else this.consumer.resume(topics);
    } catch (err) {
      // Only a consumer that is already leaving gets here; its task is stopping anyway.
      this.o.logger.warn('could not apply pause/resume to the consumer', { error: (err as Error).message });
    }
  }

  /** Runs task calls one after another: a rebalance, a flush and a stop never overlap in the task. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.serial.then(fn);
    this.serial = run.catch(() => undefined);
    return run;
  }

  private fail(err: unknown): void {
    this.lifecycle.to('failed');
    this.failure?.(err);
  }

  private context(): SinkTaskContext {
    return {
      ...this.o.context,
      // Every sink resumes from the positions it asks for with seek(); declaring that they are its
      // own changes nothing in the runner, which commits to the group for monitoring either way.
      offsetsManagedBySink: () => undefined,
      receiveSnapshotMarkers: () => {
        this.snapshotMarkers = true;
      },
      seek: (offsets) => {
        for (const { topic, partition, offset } of offsets) {
          this.positions.request(topic, partition, offset);
          // Where the partition resumes until a flush moves it: also after a rebalance that keeps it.
          this.soughtAt.set(topicPartitionKey(topic, partition), BigInt(offset).toString());
        }
      },
      assignment: () => [...this.assigned],
      reportError: async (record, error) => {
        // Rare, so the staged batches are searched here rather than indexed for every batch.
        const batch = this.putBatches.find((b) => b.partition === record.kafkaPartition && b.topic === record.topic && b.records.includes(record));
        const message = batch?.messages.find((m) => m.offset === record.kafkaOffset);
        if (!message) {
          throw new Error(`reportError: ${record.topic}-${record.kafkaPartition}@${record.kafkaOffset} is not in the batch being put`);
        }
        await this.o.errors.reject('put', () => rawPayload(record.topic, record.kafkaPartition, message), error);
      },
    };
  }

  /**
   * The whole life of the task, top to bottom: start it, subscribe, consume until a stop or a
   * failure, then finish (the stop path: flush what can be flushed, close, leave the group).
   */
  protected async loop(): Promise<void> {
    const failed = new Promise<never>((_, reject) => {
      this.failure = reject;
    });
    failed.catch(() => undefined);
    try {
      this.chain = await this.o.buildChain();
      await this.o.errors.retry('start', () => this.o.task.start(this.context(), this.o.taskConfig));
      const consumer = this.createConsumer();
      if (!(await this.subscribe(consumer))) return;
      await this.consume(consumer, failed);
    } catch (err) {
      this.lifecycle.to('failed');
      throw err;
    } finally {
      await this.finish();
    }
  }

  /** The task's member of the group `connect-<name>`, its rebalance events wired to the lifecycle. */
  private createConsumer(): Consumer {
    const { o } = this;
    const consumer = o.kafka.consumer({
      groupId: `connect-${o.connector}`,
      allowAutoTopicCreation: false,
      maxBytesPerPartition: o.maxBytesPerPartition ?? 1024 * 1024,
      ...(o.group ? { sessionTimeout: o.group.sessionTimeoutMs, heartbeatInterval: o.group.heartbeatIntervalMs } : {}),
      // kafkajs retries transient broker errors (coordinator loading, leader moves) itself; when
      // it gives up, the task fails visibly instead of the consumer restarting silently.
      retry: { restartOnFailure: async () => false },
    });
    this.consumer = consumer;
    // Emitted before kafkajs rejoins; it waited for the eachBatch in progress, not for a flush.
    consumer.on(consumer.events.REBALANCING, () => {
      this.lifecycle.rebalancing();
      this.clearLinger();
    });
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      this.assigned = Object.entries(event.payload.memberAssignment).flatMap(([topic, partitions]) =>
        (partitions as number[]).map((partition) => ({ topic, partition })),
      );
      this.lifecycle.rebalancing();
      // Revoked partitions are closed as soon as the group says so, not when the next batch
      // happens to arrive (Kafka Connect closes them in onPartitionsRevoked).
      const synced = this.exclusive(() => this.afterJoin());
      this.assignmentSynced = synced.catch(() => undefined);
      synced.catch((err: unknown) => this.fail(err));
    });
    consumer.on(consumer.events.CRASH, (event) => this.fail(event.payload.error));
    return consumer;
  }

  /** Connects and subscribes once the topics exist; false when stopped first. */
  private async subscribe(consumer: Consumer): Promise<boolean> {
    const { o } = this;
    const signal = o.abort.signal;
    await o.errors.retry('connect', () => connectUnlessStopped(consumer, signal));
    if (!(await waitForTopics(o.kafka, o.topics, { errors: o.errors, logger: o.logger, signal }))) return false;
    await consumer.subscribe({ topics: o.topics, fromBeginning: true });
    return !signal.aborted;
  }

  /** Runs the consumer until a stop is asked for or the task fails (`failed` rejects). */
  private async consume(consumer: Consumer, failed: Promise<never>): Promise<void> {
    const signal = this.o.abort.signal;
    // run() resolves only once the group is joined, which a rebalance can hold up for the
    // rebalance timeout; a stop must not wait for that.
    const running = consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        await this.assignmentSynced;
        if (!isRunning() || isStale() || this.lifecycle.ending || signal.aborted) return;
        try {
          await this.stage(batch, resolveOffset, heartbeat, isStale);
          await heartbeat();
        } catch (err) {
          // Stopping: the batch was not committed and is replayed by the next owner.
          if (signal.aborted) return;
          // A rebalance surfacing in heartbeat/commit is kafkajs's to handle (it rejoins).
          if (!isGroupChurn(err)) this.fail(err);
          throw err;
        }
      },
    });
    this.joining = running;
    // kafkajs created its consumer group synchronously inside run(): pause() is valid now.
    this.lifecycle.to('consuming');
    this.applyPause();
    await abortable(running, signal).catch((err: unknown) => {
      if (!signal.aborted) throw err;
    });
    await Promise.race([failed, untilAborted(signal)]);
  }

  /**
   * The stop path, after a stop or a failure: the flush in flight finishes, what is staged is
   * flushed unless the task failed, the partitions are closed, the group left, the task stopped.
   */
  private async finish(): Promise<void> {
    const { o } = this;
    this.lifecycle.to('stopping');
    this.clearLinger();
    await this.pausedLag.stop();
    this.parked.stop();
    // Parked records are not committed (offsets stop below them); the next owner reads them again.
    this.parked.drop();
    // The flush in flight finishes (put, flush, commit) before anything else happens to the task.
    await this.flushing?.catch(() => undefined);
    // What is staged is flushed too, unless the task failed: a stop loses no work it can finish.
    if (!this.lifecycle.failed && this.consumer && !this.staged.isEmpty) {
      await this.exclusive(() => this.flushGroup(this.staged.take())).catch((err: unknown) =>
        o.logger.warn('flushing the staged records on stop failed; they are fetched again on restart', { error: (err as Error).message }),
      );
    }
    this.staged.drop();
    await this.serial;
    await this.exclusive(() => this.closePartitions([...this.opened])).catch((err: unknown) =>
      o.logger.warn('closing partitions on stop failed', { error: (err as Error).message }),
    );
    // kafkajs's disconnect waits for a rebalance in progress; a stop must not hang on it. Past
    // the bound the consumer still leaves, in the background, once its join completes.
    if (this.consumer) {
      await withTimeout(leaveGroup(this.consumer, this.joining), DISCONNECT_TIMEOUT_MS, () =>
        o.logger.warn('consumer did not leave the group in time; it leaves once its join completes'),
      );
    }
    await this.serial;
    await Promise.allSettled([o.task.stop()]);
    await this.chain?.close();
    this.lifecycle.to('stopped');
  }

  /**
   * After a (re)join, in `exclusive`, so after the flush in flight. kafkajs now fetches every
   * partition from the group's committed offsets: what is staged is dropped (it comes again), and
   * partitions kept move to their last flushed position, which is where their commit, possibly lost
   * to the rebalance, would have put them. Then revoked partitions are closed and new ones opened.
   */
  private async afterJoin(): Promise<void> {
    this.staged.drop();
    this.parked.drop();
    const current = new Set(this.assigned.map((tp) => topicPartitionKey(tp.topic, tp.partition)));
    for (const key of this.opened) {
      // A partition kept before its first flush resumes where the task asked, not at the group's
      // offset, which may be ahead of the sink's own (a warehouse restored from a backup).
      const next = this.flushed.get(key) ?? this.soughtAt.get(key);
      if (!current.has(key) || next === undefined || !this.consumer) continue;
      const { topic, partition } = parseTopicPartitionKey(key);
      this.consumer.seek({ topic, partition, offset: next });
      this.positions.seeking(topic, partition, next);
    }
    await this.syncAssignment();
    this.lifecycle.synced();
    this.schedule();
  }

  /** Calls close() for revoked partitions and open() for newly assigned ones, before any put(). */
  private async syncAssignment(): Promise<void> {
    const current = new Set(this.assigned.map((tp) => topicPartitionKey(tp.topic, tp.partition)));
    await this.closePartitions([...this.opened].filter((k) => !current.has(k)));
    if (this.lifecycle.ending || this.o.abort.signal.aborted) return;
    const added = this.assigned.filter((tp) => !this.opened.has(topicPartitionKey(tp.topic, tp.partition)));
    if (added.length > 0) {
      await this.o.task.open?.(added);
      for (const tp of added) this.opened.add(topicPartitionKey(tp.topic, tp.partition));
    }
  }

  private async closePartitions(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    // Seeks asked for a partition that is gone are for its next owner's open() to decide; its
    // staged records are fetched again by that owner.
    this.positions.forget(keys);
    this.staged.drop(new Set(keys));
    this.parked.drop(new Set(keys));
    for (const k of keys) this.fetchedNext.delete(k);
    for (const k of keys) {
      this.opened.delete(k);
      this.flushed.delete(k);
      this.soughtAt.delete(k);
    }
    await this.o.task.close?.(keys.map(parseTopicPartitionKey));
  }

  /** eachBatch: convert and transform a fetched batch and stage it for the next flush. */
  private async stage(batch: Batch, resolveOffset: (offset: string) => void, heartbeat: () => Promise<void>, isStale: () => boolean): Promise<void> {
    const { o } = this;
    const { topic, partition } = batch;
    if (batch.messages.length === 0) return;
    const lost = await withHeartbeats(heartbeat, async (membership) => {
      // A seek the task asks for during put() must be seen by this plan, not raced by it.
      await this.putting;
      const plan = this.positions.plan(topic, partition, batch.messages[0]!.offset, batch.lastOffset());
      if (plan.kind === 'seek') {
        // The batch was fetched before the position the sink asked for: fetch from there instead.
        this.consumer!.seek({ topic, partition, offset: plan.offset });
        return undefined;
      }
      if (plan.note) o.logger.warn(plan.note, { topic, partition });
      // Parked records are bounded: at the bound the partition waits, visibly, and loses nothing.
      await this.parked.waitForRoom(membership);
      if (membership.lost) return membership;
      const { records, rejected, stoppedAt } = await this.takeChainTurn(() => toSinkRecords(batch, plan.from, this.recordDeps()));
      o.metrics.recordsConsumed.inc(this.labels, batch.messages.length);
      if (membership.lost) return membership;
      // Revoked or sought (a rewind) while converting: the batch is fetched again from where it belongs.
      if (!this.lifecycle.active || isStale() || !this.opened.has(topicPartitionKey(topic, partition))) {
        this.parked.dropFrom(topic, partition, BigInt(batch.messages[0]!.offset));
        return undefined;
      }
      const next = stoppedAt ?? (BigInt(batch.lastOffset()) + 1n).toString();
      this.fetchedNext.set(topicPartitionKey(topic, partition), next);
      this.staged.add({ topic, partition, records, messages: batch.messages, next, ...(rejected.length > 0 ? { rejected } : {}) }, Date.now());
      this.parked.arm();
      // kafkajs fetches on from the resolved position; what is committed is decided by the flush.
      // A batch cut short at the parking bound is fetched again from where it stopped.
      resolveOffset((BigInt(next) - 1n).toString());
      o.metrics.consumerLag.set({ ...this.labels, topic, partition: String(partition) }, Number(batch.offsetLag()));
      this.schedule();
      // Back-pressure: with a full batch staged and a flush running, fetch nothing more for now.
      while (this.staged.isFull && this.flushing && !membership.lost) {
        await this.flushing.catch(() => undefined);
      }
      if (stoppedAt !== undefined) await this.parked.waitForRoom(membership);
      return membership.lost ? membership : undefined;
    });
    if (lost !== undefined) {
      // Evicted: another member owns the partitions now. Nothing staged is flushed or committed;
      // close() lets the task drop what it buffered, and kafkajs rejoins.
      o.logger.warn('the consumer group evicted this task; its staged records are left to the new owner', { topic, partition });
      this.staged.drop();
      await this.exclusive(() => this.closePartitions([...this.opened]));
      throw lost.error;
    }
  }

  /** What converting and transforming a record needs, parking and watermarks included. */
  private recordDeps(): SinkRecordDeps {
    return {
      ...this.o,
      chain: this.chain!,
      labels: this.labels,
      parking: { lot: this.parked.lot, park: (topic, partition, message, notYet) => this.parked.park(topic, partition, message, notYet) },
      onWatermark: (topic, partition, message) => this.watermarkLag.read(topic, partition, message, this.assigned),
      snapshotMarkers: this.snapshotMarkers,
    };
  }

  /** Runs `fn` when no other use of the chain is under way: transforms are called one at a time. */
  private takeChainTurn<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chainTurn.then(fn);
    this.chainTurn = run.catch(() => undefined);
    return run;
  }

  private clearLinger(): void {
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
  }

  /** Starts a flush when one is due and none is running, or arms the linger timer. */
  private schedule(): void {
    if (this.flushing || !this.lifecycle.active) return;
    const dueIn = this.gate.isPaused && !this.staged.isEmpty ? 0 : this.staged.dueIn(Date.now());
    if (dueIn === undefined) return this.clearLinger();
    if (dueIn > 0) {
      this.lingerTimer ??= setTimeout(() => {
        this.lingerTimer = undefined;
        this.schedule();
      }, dueIn);
      return;
    }
    this.clearLinger();
    // Taken now, not when the flush gets its turn: batches fetched from here on form the next one,
    // and a full eachBatch waiting for room sees the room at once.
    const group = this.staged.take();
    const flushing = this.exclusive(() => this.flushGroup(group));
    this.flushing = flushing;
    flushing.then(
      () => {
        this.flushing = undefined;
        this.schedule();
      },
      (err: unknown) => {
        this.flushing = undefined;
        // Stopping: what was not flushed is not committed either and is fetched again.
        if (!this.o.abort.signal.aborted) this.fail(err);
      },
    );
  }

  /**
   * put -> flush -> commit of a staged group. Runs in `exclusive`. A group taken before a
   * rebalance is dropped like everything staged: kafkajs fetches it again.
   */
  private async flushGroup(group: StagedGroup<Staged>): Promise<void> {
    if (!this.lifecycle.mayFlush || group.batches.length === 0) return;
    let offsets: TopicPartitionOffsets;
    try {
      offsets = await this.put(group);
      const endFlush = this.o.metrics.flushLatency.startTimer(this.labels);
      // Once put, the records are flushed and committed even when a stop arrives meanwhile.
      await this.o.errors.retry('flush', () => this.o.task.flush(offsets), true);
      endFlush();
    } finally {
      // reportError finds records of the put and the flush after it here.
      this.putBatches = [];
    }
    const committable = this.o.task.preCommit ? assignedOnly(await this.o.task.preCommit(offsets), this.assigned, this.o.logger) : offsets;
    if (committable.length > 0) await commitToGroup(this.consumer!, committable, { ...this.o, labels: this.labels });
    for (const tp of offsets) this.flushed.set(topicPartitionKey(tp.topic, tp.partition), tp.offset);
    this.observeLatency(group.records);
    this.o.metrics.recordsWritten.inc(this.labels, group.records.length);
  }

  /** Puts a group and returns the positions to flush, which a seek asked for during put() rewinds. */
  private async put(group: StagedGroup<Staged>): Promise<TopicPartitionOffsets> {
    const { o } = this;
    let done!: () => void;
    this.putting = new Promise<void>((resolve) => (done = resolve));
    try {
      this.putBatches = group.batches;
      // What was rejected on the way goes first, in the same flush: the sink keeps its destination
      // from showing an older version of a rejected one (rejected.version.policy of postgres-sink).
      if (group.rejected.length > 0 && o.task.rejected) await o.errors.retry('put', () => o.task.rejected!(group.rejected), this.lifecycle.ending);
      if (group.records.length > 0) {
        const end = o.metrics.putLatency.startTimer(this.labels);
        await o.errors.retry('put', () => o.task.put(group.records), this.lifecycle.ending);
        end();
        o.metrics.batchSize.observe({ ...this.labels, direction: 'put' }, group.records.length);
      }
      // A seek the sink asked for during put() (a rewind) is where its partition continues, and
      // what is committed: committing past it would skip the rewound records after a crash.
      return group.offsets.map((staged) => {
        const tp = this.parked.notPast(staged);
        const rewound = this.positions.take(tp.topic, tp.partition);
        if (rewound === undefined) return tp;
        this.staged.drop(new Set([topicPartitionKey(tp.topic, tp.partition)]));
        this.consumer!.seek({ topic: tp.topic, partition: tp.partition, offset: rewound });
        this.positions.seeking(tp.topic, tp.partition, rewound);
        return { ...tp, offset: rewound };
      });
    } finally {
      this.putting = undefined;
      done();
    }
  }

  private observeLatency(records: readonly SinkRecord[]): void {
    const now = Date.now();
    const endToEnd = (this.endToEnd ??= this.o.metrics.endToEndLatency.labels(this.labels));
    // A histogram observation costs about as much as converting the record: observe an evenly
    // spaced sample of a large flush, which describes the latency as well at a fraction of the cost.
    const step = Math.max(1, Math.floor(records.length / LATENCY_SAMPLES_PER_FLUSH));
    for (let i = 0; i < records.length; i += step) {
      const timestamp = records[i]!.timestamp;
      if (Number.isFinite(timestamp)) endToEnd.observe(Math.max(0, now - timestamp) / 1000);
    }
  }
}
