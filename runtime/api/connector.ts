import type { ConfigErrorEntry } from './errors.js';
import type { IncrementalSnapshots } from './incremental-snapshots.js';
import type { Static, TSchema } from 'typebox';
import type { Logger } from './logger.js';
import type { TaskMetrics } from './metrics.js';
import type { RejectedRecord, SinkRecord, SourceRecord } from './records.js';

/** A source partition's stored offset, or `undefined` when the partition was never committed. */
export interface OffsetReader {
  /**
   * The last committed `sourceOffset` for `sourcePartition` (matched by value, key order does not
   * matter). `undefined` means start from the beginning (or from the connector's configured start).
   */
  offset(sourcePartition: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> | undefined;
  /**
   * Every source partition of the connector with a stored offset, whichever task stored it: for a
   * task that takes over partitions it cannot name, such as another task count's shares.
   */
  stored(): readonly StoredOffset[];
}

/** A source partition and its last committed offset. */
export interface StoredOffset {
  readonly partition: Readonly<Record<string, unknown>>;
  readonly offset: Readonly<Record<string, unknown>>;
}

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/**
 * A Kafka position. `offset` is the NEXT offset to read (Kafka's convention: last processed + 1),
 * as a decimal int64 string.
 */
export interface TopicPartitionOffset extends TopicPartition {
  readonly offset: string;
}

export type TopicPartitionOffsets = readonly TopicPartitionOffset[];

/**
 * One string per topic partition, for maps and sets keyed by partition. A NUL separates the two
 * parts: a topic name cannot contain it, so no two partitions share a key.
 */
export const topicPartitionKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/** The partition a {@link topicPartitionKey} stands for. */
export function parseTopicPartitionKey(key: string): TopicPartition {
  const at = key.lastIndexOf('\u0000');
  return { topic: key.slice(0, at), partition: Number(key.slice(at + 1)) };
}

/**
 * How far one long phase of a task has come (an initial copy, a backfill), shown on the task's
 * entry in `GET /connectors/:name/status`.
 */
export interface TaskProgress {
  /** What the task is doing, e.g. `snapshot`. */
  readonly phase: string;
  /** What it is working through, e.g. the collection `shop.orders`. */
  readonly source: string;
  /** Units done so far (e.g. documents copied). */
  readonly done: number;
  /** Estimated units in all, when known; `done` may pass an estimate. */
  readonly total?: number;
}

/** What every task gets from the runtime. */
export interface TaskContext {
  readonly connector: string;
  /** 0-based index of this task among the connector's tasks. */
  readonly taskId: number;
  /** Already bound to connector and task. */
  readonly logger: Logger;
  readonly metrics: TaskMetrics;
  /**
   * Replaces what the task's status shows as its progress: one entry per phase under way, an empty
   * list when none is (the status then has no progress). Cheap (it only keeps the list), so it may
   * be called after every poll or put. The list is copied; the runtime forgets it when the task ends.
   */
  reportProgress(progress: readonly TaskProgress[]): void;
}

/** A topic a source task writes to, with the settings it needs when it does not exist yet. */
export interface TopicSpec {
  readonly topic: string;
  /** Partition count for a new topic; the broker default when absent. */
  readonly partitions?: number;
  /** Topic configs for a new topic, e.g. `{ 'cleanup.policy': 'compact' }`. */
  readonly config?: Readonly<Record<string, string>>;
}

export interface SourceTaskContext extends TaskContext {
  /** Committed offsets as of `start()`. Offsets committed later are not reflected. */
  readonly offsets: OffsetReader;
  /**
   * Creates the topics that do not exist yet with the given settings; existing topics are left
   * as they are (never altered). Call it in `start()`, before the first record of those topics
   * is polled, so the producer does not create them with the broker's defaults first.
   */
  ensureTopics(topics: readonly TopicSpec[]): Promise<void>;
}

export interface SinkTaskContext extends TaskContext {
  /**
   * Declares that the sink stores its Kafka offsets itself (in the same transaction as the data),
   * so the runtime must not rely on the consumer group's committed offsets for correctness. Call it
   * in `start()`, before the first `put()`. The runtime still commits to the group for monitoring.
   */
  offsetsManagedBySink(): void;
  /**
   * Declares that `put()` also receives snapshot markers (SinkRecord.snapshotComplete): a source
   * finished copying the collection behind a topic, and every record of the copy on that
   * partition came before the marker. Call it in `start()`; tasks that do not never see them.
   */
  receiveSnapshotMarkers(): void;
  /**
   * Asks the runtime to continue from these positions (NEXT offsets to read). Takes effect before
   * the next `put()`; records already delivered are not redelivered unless a seek moves back.
   * Typically called from `open()` with the offsets read from the sink's own store. Called during
   * `put()` for the partition being put, it is a rewind: that position, not the end of the batch,
   * is flushed and committed. A position that no longer exists continues at the next record; one
   * beyond the end of the log restarts from the earliest record. Seeks for partitions revoked
   * before they took effect are dropped.
   */
  seek(offsets: TopicPartitionOffsets): void;
  /** Partitions currently assigned to this task. */
  assignment(): readonly TopicPartition[];
  /**
   * Reports one record that cannot be written (a poison record), like Kafka Connect's
   * ErrantRecordReporter. Under `errors.tolerance=all` the record goes to the dead-letter topic
   * with the reason and the task should write the rest; under `none` this rejects with a
   * FatalError, which the task should let propagate (the task fails). Valid during `put()` and
   * the `flush()` after it, for the records put since the previous flush.
   */
  reportError(record: SinkRecord, error: Error): Promise<void>;
}

/**
 * A source task reads one share of the source and returns records.
 *
 * Call order: `start` once, then `poll` repeatedly, then `stop` once. `commit` may be called
 * between polls. The runtime never calls two methods of one task concurrently,
 * except `stop`, which may run while a `poll` is pending: `poll` must then settle promptly, which
 * is also what its `signal` says.
 */
export interface SourceTask<C = unknown> {
  /**
   * Connects and positions the reader. `config` is the frozen task config from `taskConfigs`.
   * `lastOffsets` is the same reader as `ctx.offsets`. Throwing fails the task (a
   * `RetriableError` is retried first).
   */
  start(ctx: SourceTaskContext, config: C, lastOffsets: OffsetReader): Promise<void>;
  /**
   * Returns the next batch, possibly empty. Must return (an empty batch if nothing arrived) within
   * about a second so the runtime can pause, commit and stop; must return promptly when `signal`
   * aborts. Returned records belong to the runtime: do not touch them afterwards.
   */
  poll(signal: AbortSignal): Promise<SourceRecord[]>;
  /** The runtime just committed the offsets of acknowledged records (for sources that ack upstream). */
  commit?(): Promise<void>;
  /** Releases everything (cursors, connections, timers). Called once, also after a failed `start`. */
  stop(): Promise<void>;
}

/**
 * A sink task writes batches of records to the destination.
 *
 * Call order: `start`, then `open` for assigned partitions, then any mix of `put` and `flush` (and
 * `close`/`open` on rebalance), then `stop`. Calls never overlap.
 */
export interface SinkTask<C = unknown> {
  start(ctx: SinkTaskContext, config: C): Promise<void>;
  /**
   * Writes (or buffers) a batch. Records of one key are in offset order; records of a partition
   * are too, except that a record a transform parked (NotYetError) comes in a later batch than the
   * records of other keys that followed it. Throwing a
   * `RetriableError` makes the runtime retry the same batch; a `DataError` is about one record and
   * must say which (the runtime cannot dead-letter a whole batch meaningfully).
   */
  put(records: SinkRecord[]): Promise<void>;
  /**
   * Makes everything passed to `put` so far durable. `offsets` are the positions the runtime
   * is about to commit to the consumer group (NEXT offsets to read).
   */
  flush(offsets: TopicPartitionOffsets): Promise<void>;
  /**
   * Returns the offsets that are safe to commit (for sinks that write asynchronously). When
   * absent, the runtime calls `flush` and commits `offsets`. Offsets of partitions not assigned to
   * this task are ignored.
   */
  preCommit?(offsets: TopicPartitionOffsets): Promise<TopicPartitionOffsets>;
  /**
   * Records of the next flush that the runtime rejected before they reached `put` (a transform or
   * the converter failed, and errors.tolerance dead-lettered or skipped them), in offset order per
   * partition, before the `put` of that flush. A sink whose destination holds the latest version
   * of each key uses it to stop showing an older version of a rejected one. Called in the same
   * sequence as `put` (never concurrently), and what it does must become durable with the next
   * `flush`.
   */
  rejected?(records: readonly RejectedRecord[]): Promise<void>;
  /** These partitions were assigned to the task (startup, rebalance). */
  open?(partitions: readonly TopicPartition[]): Promise<void>;
  /**
   * These partitions are being revoked (a rebalance, or the task stopping: then all of them, right
   * before `stop`); flush or discard their buffered records.
   */
  close?(partitions: readonly TopicPartition[]): Promise<void>;
  /** Releases everything. Called once, also after a failed `start`. */
  stop(): Promise<void>;
}

interface ConnectorDefinitionBase {
  /** Registry name, used as `connector.class`. */
  readonly name: string;
  readonly version: string;
  /** One paragraph for `GET /connector-plugins`. */
  readonly description: string;
  /**
   * TypeBox object schema of the plugin's own keys (the common keys such as `tasks.max` are added
   * by the runtime). Descriptions, defaults and examples are the user documentation.
   */
  readonly config: TSchema;
}

/**
 * A source connector plugin: a definition object, registered in `connectors/index.ts`.
 * `C` is the validated, frozen connector config; `TC` the per-task config.
 */
export interface SourceConnectorDefinition<C = unknown, TC = C> extends ConnectorDefinitionBase {
  readonly type: 'source';
  /**
   * Splits the work into at most `maxTasks` task configs (fewer when there is less to share).
   * Pure and deterministic: it runs again on every config change and on rebalance. Task configs
   * must be JSON-serialisable because they are stored.
   */
  taskConfigs(config: C, maxTasks: number): TC[];
  /**
   * Optional checks the config schema cannot express (keys that must agree with each other, files
   * a key names), like Kafka Connect's `Connector.validate`. Returns every problem with its key;
   * an empty list means valid. Runs after the schema validation passed, on create, on update and
   * for `config/validate`, so a bad config is a 400 instead of a connector that fails later.
   */
  validate?(config: C): ConfigErrorEntry[];
  /** A new, unstarted task. Called once per task (re)start; tasks are never reused. */
  createTask(): SourceTask<TC>;
  /** Incremental snapshots while streaming, when the source supports them. */
  readonly snapshots?: IncrementalSnapshots<C>;
}

/** One partition's stored position as a sink keeps it: the next offset to read, or null for none (alter: remove it). */
export interface SinkOffset extends TopicPartition {
  readonly offset: string | null;
}

/**
 * The offsets of a sink that keeps them with its data (`offsetsManagedBySink`), for the offsets
 * endpoints (KIP-875), like Kafka Connect's `SinkConnector.alterOffsets`: the runtime cannot
 * change them through the consumer group, which such a sink overrides on every assignment. `alter`
 * and `reset` run only while the connector is STOPPED (no task writes meanwhile).
 */
export interface SinkOffsetsStore<C = unknown> {
  /** The stored positions of the connector's partitions of `topics`. */
  read(config: C, connector: string, topics: readonly string[]): Promise<SinkOffset[]>;
  /** Sets (or, with offset null, removes) the given positions; others stay. */
  alter(config: C, connector: string, offsets: readonly SinkOffset[]): Promise<void>;
  /** Removes every stored position of the connector: it starts over as configured. */
  reset(config: C, connector: string): Promise<void>;
}

/** A sink connector plugin. Every task consumes from all `topics` in one consumer group. */
export interface SinkConnectorDefinition<C = unknown, TC = C> extends ConnectorDefinitionBase {
  readonly type: 'sink';
  /** Where the sink keeps its offsets, when it keeps them itself (see SinkOffsetsStore). */
  readonly offsets?: SinkOffsetsStore<C>;
  /** See {@link SourceConnectorDefinition.taskConfigs}. */
  taskConfigs(config: C, maxTasks: number): TC[];
  /** See {@link SourceConnectorDefinition.validate}. */
  validate?(config: C): ConfigErrorEntry[];
  createTask(): SinkTask<TC>;
}

export type ConnectorDefinition = SourceConnectorDefinition | SinkConnectorDefinition;

/** Types a source definition from its config schema: `config` in every method is `Static<S>`. */
export function defineSourceConnector<S extends TSchema, TC = Static<S>>(
  def: SourceConnectorDefinition<Static<S>, TC> & { readonly config: S },
): SourceConnectorDefinition<Static<S>, TC> {
  return Object.freeze(def);
}

/** Types a sink definition from its config schema. */
export function defineSinkConnector<S extends TSchema, TC = Static<S>>(
  def: SinkConnectorDefinition<Static<S>, TC> & { readonly config: S },
): SinkConnectorDefinition<Static<S>, TC> {
  return Object.freeze(def);
}
