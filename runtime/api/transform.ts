import type { Static, TSchema } from 'typebox';
import type { Logger } from './logger.js';
import type { TaskMetrics } from './metrics.js';
import type { EventTime } from './event-time.js';
import type { ConnectRecord } from './records.js';

/**
 * A single-message transform instance.
 *
 * `apply` is called for one record at a time, in record order, never concurrently. It returns a
 * new record (see `withRecord`), the same record unchanged, or `null` to drop it. It must not
 * mutate its input. Throwing a `DataError` (or any non-retriable error) rejects this record (dead
 * letter or task failure, per `errors.tolerance`); a `RetriableError` makes the runtime retry.
 *
 * The method is generic so one transform serves source and sink records alike: copy the record
 * with `withRecord` and the source offset or Kafka position stays attached.
 */
export interface Transform {
  apply<R extends ConnectRecord>(record: R): R | null | Promise<R | null>;
  /** Releases resources (caches, clients). Called once, when the chain is discarded. */
  close?(): void | Promise<void>;
}

/**
 * A keyed, read-only view of a compacted topic (a table in Kafka Streams' sense): the latest value
 * of every key, decoded with the connector's converters. A tombstone removes its key. The view is
 * complete up to the topic's end as of `open()` before `open()` resolves, and then follows the
 * topic live, so a lookup may see a key that appeared after the record being transformed.
 */
export interface LookupTable {
  readonly topic: string;
  /** The latest value for `key` (keys are compared as strings), or `undefined` when absent. */
  get(key: string): unknown;
  /** The event time of the record that set `key`'s current value (its source dated it), if known. */
  timeOf(key: string): EventTime | undefined;
  /** Number of keys held. */
  readonly size: number;
  /**
   * Wall-clock time (ms) up to which the table holds every record written to its topic. It stops
   * advancing while the topic cannot be read (a broker restart, a rebalance), so that a transform
   * can tell a key that is absent from one the table has not read yet.
   */
  readonly currentAt: number;
  /**
   * The event time up to which the table holds every change of its topic's source: the smallest
   * watermark over its partitions (see watermarkRecord), undefined until every partition has one
   * (a topic whose source publishes none never has one).
   */
  readonly eventTime: EventTime | undefined;
  /**
   * The read horizon (`currentAt`) at which the table last made progress: applied a record or
   * moved its event time. `currentAt - progressAt` is how long, in read time, its source has stood
   * still: a stopped source, not a broker outage (which holds `currentAt` too).
   */
  readonly progressAt: number;
  /** Settles once `eventTime` is at or after `time`, or when the table is closed. */
  whenEventTime(time: EventTime): Promise<void>;
}

export interface LookupTables {
  /**
   * The view of `topic`, restored. One view per topic is shared by every transform of the worker
   * that opens it; it is released when the last chain using it closes. Rejects with a
   * `ConfigError` when lookups are not available in this runtime, a `RetriableError` when Kafka
   * cannot be reached.
   */
  open(topic: string): Promise<LookupTable>;
}

/** What a transform gets when it is created, besides its config. */
export interface TransformContext {
  /** Bound to the connector and task. */
  readonly logger: Logger;
  readonly metrics: TaskMetrics;
  readonly tables: LookupTables;
}

/** A transform plugin, registered in `transforms/index.ts` and named in `transforms.<alias>.type`. */
export interface TransformDefinition<C = unknown> {
  readonly name: string;
  readonly version: string;
  readonly description: string;
  /** TypeBox object schema of the keys under `transforms.<alias>.`, prefix removed. */
  readonly config: TSchema;
  /**
   * Builds one instance from its validated, frozen config. Throw `ConfigError` for bad values.
   * May be async (to open lookup tables): the chain waits for it before the first record.
   */
  create(config: C, ctx: TransformContext): Transform | Promise<Transform>;
}

/**
 * A condition that decides whether a transform applies to a record (`transforms.<alias>.predicate`).
 * `test` is synchronous, pure and must not throw for well-formed records.
 */
export interface Predicate {
  test(record: ConnectRecord): boolean;
}

/** A predicate plugin, named in `predicates.<alias>.type`. */
export interface PredicateDefinition<C = unknown> {
  readonly name: string;
  readonly description: string;
  /** TypeBox object schema of the keys under `predicates.<alias>.`, prefix removed. */
  readonly config: TSchema;
  create(config: C): Predicate;
}

/** Types a transform definition from its config schema. */
export function defineTransform<S extends TSchema>(def: TransformDefinition<Static<S>> & { readonly config: S }): TransformDefinition<Static<S>> {
  return Object.freeze(def);
}

/** Types a predicate definition from its config schema. */
export function definePredicate<S extends TSchema>(def: PredicateDefinition<Static<S>> & { readonly config: S }): PredicateDefinition<Static<S>> {
  return Object.freeze(def);
}
