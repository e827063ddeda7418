import type { EventTime } from './event-time.js';
import type { SnapshotComplete } from './snapshot-marker.js';

/**
 * Record headers. A header value is a string (UTF-8 on the wire) or raw bytes. Kafka allows repeated
 * header keys; conflux keeps the last one, which is what every transform and connector here needs.
 */
export type Headers = Readonly<Record<string, string | Buffer>>;

/** An Avro schema as parsed JSON (record, union, primitive name wrapped in an object, ...). */
export type RecordSchema = object;

/**
 * A record between a connector and Kafka, in either direction.
 *
 * Records are immutable by contract: a transform or converter that wants to change a record
 * returns a new one (see {@link withRecord}); it never writes to the record it was given, because
 * the runtime may still hold it (for the dead-letter queue, for retries, for offset tracking).
 */
export interface ConnectRecord {
  readonly topic: string;
  /** Target partition; `undefined` lets the producer's partitioner choose (by key hash). */
  readonly partition?: number;
  /** `null` is a record without a key (round-robin partitioning). */
  readonly key: unknown;
  /** Avro schema of `key`; `undefined` means schemaless (the converter infers or rejects). */
  readonly keySchema?: RecordSchema;
  /** `null` is a tombstone: on a compacted topic it deletes the key. */
  readonly value: unknown;
  readonly valueSchema?: RecordSchema;
  readonly headers: Headers;
  /** Milliseconds since the epoch. */
  readonly timestamp: number;
}

/**
 * A record produced by a source task.
 *
 * `sourcePartition` names the stream the record came from (a collection, a table shard) and
 * `sourceOffset` the position within it to resume *after* this record. Both are small JSON objects;
 * they are stored verbatim by the offset store, so they must survive `JSON.stringify` round trips.
 */
export interface SourceRecord extends ConnectRecord {
  readonly sourcePartition: Readonly<Record<string, unknown>>;
  readonly sourceOffset: Readonly<Record<string, unknown>>;
  /**
   * True for a record that only moves the stored position (a heartbeat of a quiet stream): the
   * runtime sends nothing to Kafka and commits its offset in order with the other records of its
   * source partition. Build it with {@link positionRecord}.
   */
  readonly positionOnly?: boolean;
  /**
   * When the change happened in the source (see EventTime); the runtime writes it into the
   * record's `conflux.event.time` header, where joins downstream read it.
   */
  readonly eventTime?: EventTime;
  /**
   * For a copy of data rather than a change (a snapshot record): a source time by which the copy
   * had been read, so its data is from some time between `eventTime` and this. `eventTime` stays
   * the lower bound, which orders the copy before every change it may miss; joins take the record
   * as of this upper bound (readTimeOf), since anything the copy refers to existed by then. The
   * runtime writes it into the `conflux.read.time` header.
   */
  readonly readTime?: EventTime;
  /** Set on a watermark record (build it with watermarkRecord): the runtime fans it out and sends nothing else. */
  readonly watermark?: EventTime;
  /**
   * Set on a record the source read but skips by its own configured policy (a change event too
   * large to deliver): the runtime sends nothing to the topic, logs it, dead-letters the record
   * (key, headers, no value) with this reason when a dead-letter topic is configured, whatever
   * errors.tolerance says (skipping was asked for), and commits its position.
   */
  readonly skipReason?: string;
  /** Set on a watermark record that also ends a snapshot which started then (build it with snapshotCompleteRecord). */
  readonly snapshotComplete?: EventTime;
}

/**
 * A record that carries only a new position of `sourcePartition`, e.g. the resume token a quiet
 * change stream reports, so that a restart after a long quiet period resumes from a recent point.
 */
export function positionRecord(sourcePartition: Readonly<Record<string, unknown>>, sourceOffset: Readonly<Record<string, unknown>>): SourceRecord {
  return Object.freeze({ topic: '', key: null, value: null, headers: {}, timestamp: Date.now(), sourcePartition, sourceOffset, positionOnly: true });
}

/** A record consumed from Kafka and handed to a sink task. */
export interface SinkRecord extends ConnectRecord {
  readonly kafkaPartition: number;
  /** The record's int64 offset as a decimal string, as kafkajs reports it (no precision loss). */
  readonly kafkaOffset: string;
  /**
   * Set on a snapshot marker (see snapshot-marker.ts), handed only to tasks that asked for them
   * (SinkTaskContext.receiveSnapshotMarkers), in order with the records of its partition, without
   * key or value and past every transform.
   */
  readonly snapshotComplete?: SnapshotComplete;
}

/** The fields a transform may change. Identity fields (source offsets, Kafka position) are kept. */
export type RecordChanges = Partial<Pick<ConnectRecord, 'topic' | 'partition' | 'key' | 'keySchema' | 'value' | 'valueSchema' | 'headers' | 'timestamp'>>;

/**
 * Returns a shallow copy of `record` with `changes` applied, frozen so that accidental mutation
 * downstream fails loudly instead of corrupting the record the runtime still holds. Nested values
 * (`key`, `value`, `headers`) are shared, not copied: replace them, don't edit them.
 *
 * The copy keeps the record's kind, so a transform written against `ConnectRecord` returns a
 * `SourceRecord` when given one.
 */
export function withRecord<R extends ConnectRecord>(record: R, changes: RecordChanges): R {
  return Object.freeze({ ...record, ...changes });
}

/** Returns a copy of `headers` with `name` set (or removed when `value` is `undefined`). */
export function withHeader(headers: Headers, name: string, value: string | Buffer | undefined): Headers {
  const next: Record<string, string | Buffer> = { ...headers };
  if (value === undefined) delete next[name];
  else next[name] = value;
  return Object.freeze(next);
}

/**
 * A record the runtime rejected (dead-lettered, or skipped under errors.tolerance=all) before it
 * reached the sink task, handed to `SinkTask.rejected` in order with the records put, so that the
 * sink can keep its destination from holding an older version of what was rejected.
 */
export interface RejectedRecord {
  readonly topic: string;
  readonly kafkaPartition: number;
  readonly kafkaOffset: string;
  readonly headers: Headers;
  /** The raw key as fetched, as a string (UTF-8), or null. */
  readonly rawKey: string | null;
  /**
   * The record as the failing stage was given it (converted, through the transforms before that
   * stage); undefined when it could not be converted.
   */
  readonly record?: SinkRecord;
  /** Where it failed: `convert`, `transform:<alias>`, ... */
  readonly stage: string;
  /** Why, as in conflux.error.message. */
  readonly reason: string;
}
