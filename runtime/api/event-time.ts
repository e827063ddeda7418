import type { SourceRecord } from './records.js';

/**
 * A point in a source's own time: when a change happened in the source system, not when conflux
 * saw it. `ms` is epoch milliseconds; `seq` orders changes within one millisecond (for MongoDB the
 * increment of the cluster time, whose seconds are `ms / 1000`). Compared as the pair (ms, seq).
 */
export interface EventTime {
  readonly ms: number;
  readonly seq: number;
}

/** Header of every record a source gave an event time: `<ms>.<seq>`. */
export const EVENT_TIME_HEADER = 'conflux.event.time';

/** Header of a copied record's read time (SourceRecord.readTime): `<ms>.<seq>`. */
export const READ_TIME_HEADER = 'conflux.read.time';

/**
 * Watermark records: control records a source runner writes to every partition of a topic, saying
 * that every change of its source up to and including the event time in `conflux.watermark` is in
 * that partition (or before it). They carry no value (a tombstone for other consumers, keyed
 * `{@link WATERMARK_KEY}.<writer>`, so compaction keeps the latest of each writer), and conflux's sink runners and
 * lookup tables consume them and never hand them to a task or transform. `writer` names the
 * source task that wrote it and `writers` how many tasks of that connector write the topic: a
 * partition's watermark is the smallest of its writers', known once every writer has written one.
 */
export const WATERMARK_HEADER = {
  time: 'conflux.watermark',
  writer: 'conflux.watermark.writer',
  writers: 'conflux.watermark.writers',
} as const;

/** The prefix of every watermark record's key. */
export const WATERMARK_KEY = '__conflux.watermark';

export function compareEventTime(a: EventTime, b: EventTime): number {
  return a.ms - b.ms || a.seq - b.seq;
}

export function formatEventTime(t: EventTime): string {
  return `${t.ms}.${t.seq}`;
}

/** The event time a header value spells, or undefined when it is not one. */
export function parseEventTime(value: string | Buffer | undefined): EventTime | undefined {
  if (value === undefined) return undefined;
  const text = typeof value === 'string' ? value : value.toString('utf8');
  const m = /^(\d{1,16})\.(\d{1,10})$/.exec(text);
  return m ? { ms: Number(m[1]), seq: Number(m[2]) } : undefined;
}

/** The event time the source gave a record (its `conflux.event.time` header), if any. */
export function eventTimeOf(record: { readonly headers: Readonly<Record<string, string | Buffer>> }): EventTime | undefined {
  return parseEventTime(record.headers[EVENT_TIME_HEADER]);
}

/**
 * The time a join must take a record as of: the source time by which its data had been read. For
 * a copy (a snapshot record) that is its `conflux.read.time`, which can be later than its event
 * time; for a change event it is its event time.
 */
export function readTimeOf(record: { readonly headers: Readonly<Record<string, string | Buffer>> }): EventTime | undefined {
  return parseEventTime(record.headers[READ_TIME_HEADER]) ?? eventTimeOf(record);
}

/**
 * A record that publishes a watermark of `topic`: every change this task will ever produce to it
 * with an event time at or before `time` has been returned by earlier polls. The runtime sends it
 * to every partition of the topic after the records polled before it, and commits no offset for
 * it. Publish one regularly, also while the source is quiet, so that joins against the topic can
 * decide from the data rather than from the clock; publish none while the topic cannot promise it
 * (a snapshot still copying).
 */
export function watermarkRecord(topic: string, time: EventTime): SourceRecord {
  return Object.freeze({ topic, key: null, value: null, headers: {}, timestamp: time.ms, sourcePartition: {}, sourceOffset: {}, watermark: time });
}
