import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { DLQ_HEADER } from './dead-letter.js';

/** What `GET /connectors/{name}/dead-letters` and `conflux dlq` ask for. */
export interface DeadLetterQuery {
  /** Only records of this rule (the `rule:` a message starts with, else the stage). */
  readonly rule?: string;
  readonly stage?: string;
  /** Most records to return, newest first. */
  readonly limit: number;
  /** Most records read per partition, from the end: a bound on the work, not on what exists. */
  readonly scan: number;
}

/** One rule (or stage) of a dead-letter topic: how many records, and when. */
export interface DeadLetterGroup {
  readonly rule: string;
  readonly stage: string;
  readonly count: number;
  readonly first: string;
  readonly last: string;
}

/** One dead-lettered record, decoded: Avro through the registry, JSON as is, else base64. */
export interface DeadLetterView {
  readonly partition: number;
  readonly offset: string;
  readonly timestamp: string;
  readonly rule: string;
  readonly stage: string;
  readonly key: unknown;
  /** The key as the connector wrote it, when it is text (an Avro string key, or UTF-8): what a replay asks the source for. */
  readonly keyText?: string;
  readonly value: unknown;
  readonly headers: Record<string, string>;
}

export interface DeadLetters {
  readonly topic: string;
  /** Records the topic holds (end minus start offsets). */
  readonly total: number;
  /** Records read to build the answer (the newest `scan` of each partition). */
  readonly scanned: number;
  readonly groups: DeadLetterGroup[];
  readonly records: DeadLetterView[];
}

const CONFLUENT_MAGIC = 0;

/** The rule a dead-letter message names (`unknown-customer: ...`), else its stage. */
export function ruleOf(message: string | undefined, stage: string): string {
  const m = message === undefined ? null : /^([a-z0-9][a-z0-9-]*): /.exec(message);
  return m ? m[1]! : stage;
}

/**
 * Reads the newest records of a dead-letter topic (at most `scan` per partition) and groups them
 * by rule: a bounded read from the current end offsets back, with a consumer group of its own
 * that commits nothing and is deleted afterwards.
 */
export async function readDeadLetters(kafka: Kafka, registry: SchemaRegistry | undefined, topic: string, query: DeadLetterQuery): Promise<DeadLetters> {
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `conflux-dlq-reader-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    // No dead letter yet: the topic is created with the first one.
    if (!(await admin.listTopics()).includes(topic)) return { topic, total: 0, scanned: 0, groups: [], records: [] };
    const offsets = await admin.fetchTopicOffsets(topic);
    const ranges = offsets.map((o) => ({ partition: o.partition, low: BigInt(o.low), high: BigInt(o.high) }));
    const total = ranges.reduce((n, r) => n + Number(r.high - r.low), 0);
    const wanted = ranges
      .map((r) => ({ ...r, from: r.high - BigInt(query.scan) > r.low ? r.high - BigInt(query.scan) : r.low }))
      .filter((r) => r.from < r.high);
    const messages = wanted.length === 0 ? [] : await fetchRanges(kafka, groupId, topic, wanted);
    const views = await Promise.all(messages.map(({ partition, message }) => view(registry, partition, message)));
    const groups = new Map<string, { rule: string; stage: string; count: number; first: string; last: string }>();
    for (const v of views) {
      const id = `${v.rule}\u0000${v.stage}`;
      const g = groups.get(id);
      if (!g) groups.set(id, { rule: v.rule, stage: v.stage, count: 1, first: v.timestamp, last: v.timestamp });
      else {
        g.count += 1;
        if (v.timestamp < g.first) g.first = v.timestamp;
        if (v.timestamp > g.last) g.last = v.timestamp;
      }
    }
    const matching = views
      .filter((v) => (query.rule === undefined || v.rule === query.rule) && (query.stage === undefined || v.stage === query.stage))
      .sort(newestFirst)
      .slice(0, query.limit);
    return {
      topic,
      total,
      scanned: views.length,
      groups: [...groups.values()].sort((a, b) => b.count - a.count || a.rule.localeCompare(b.rule)),
      records: matching,
    };
  } finally {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}

type Range = { partition: number; from: bigint; high: bigint };

/** By time, newest first; within a millisecond, by offset (in a partition the later record is newer). */
function newestFirst(a: DeadLetterView, b: DeadLetterView): number {
  if (a.timestamp !== b.timestamp) return a.timestamp < b.timestamp ? 1 : -1;
  if (a.partition !== b.partition) return a.partition - b.partition;
  const d = BigInt(b.offset) - BigInt(a.offset);
  return d > 0n ? 1 : d < 0n ? -1 : 0;
}

/** The messages of each partition from `from` up to (not including) `high`. */
async function fetchRanges(kafka: Kafka, groupId: string, topic: string, ranges: Range[]): Promise<Array<{ partition: number; message: KafkaMessage }>> {
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
  const out: Array<{ partition: number; message: KafkaMessage }> = [];
  const left = new Map(ranges.map((r) => [r.partition, r]));
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let done: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (done = resolve));
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const range = left.get(batch.partition);
        if (!range) return;
        for (const message of batch.messages) {
          const offset = BigInt(message.offset);
          if (offset >= range.from && offset < range.high) out.push({ partition: batch.partition, message });
          if (offset >= range.high - 1n) {
            left.delete(batch.partition);
            break;
          }
        }
        if (left.size === 0) done();
      },
    });
    for (const r of ranges) consumer.seek({ topic, partition: r.partition, offset: r.from.toString() });
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`reading the dead-letter topic ${topic} took longer than 30 s`)), 30_000).unref(),
    );
    await Promise.race([finished, timeout]);
    return out;
  } finally {
    await consumer.disconnect();
  }
}

async function view(registry: SchemaRegistry | undefined, partition: number, message: KafkaMessage): Promise<DeadLetterView> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    const v = Array.isArray(value) ? value[value.length - 1] : value;
    if (v !== undefined) headers[name] = v.toString();
  }
  const stage = headers[DLQ_HEADER.stage] ?? '';
  const key = await decode(registry, message.key);
  const text = typeof key === 'string' ? key : textOf(message.key);
  return {
    partition,
    offset: message.offset,
    timestamp: new Date(Number(message.timestamp)).toISOString(),
    rule: ruleOf(headers[DLQ_HEADER.message], stage),
    stage,
    key,
    ...(text !== undefined ? { keyText: text } : {}),
    value: await decode(registry, message.value),
    headers,
  };
}

/** UTF-8 text as is (JSON not parsed), else undefined. */
function textOf(bytes: Buffer | null): string | undefined {
  if (bytes === null || (bytes[0] === CONFLUENT_MAGIC && bytes.length >= 5)) return undefined;
  const text = bytes.toString('utf8');
  return Buffer.from(text, 'utf8').equals(bytes) ? text : undefined;
}

/** Avro (the Confluent wire format) through the registry, JSON as parsed, other text as is, else base64. */
async function decode(registry: SchemaRegistry | undefined, bytes: Buffer | null): Promise<unknown> {
  if (bytes === null || bytes.length === 0) return null;
  if (registry && bytes[0] === CONFLUENT_MAGIC && bytes.length >= 5) {
    try {
      return jsonSafe(await registry.decode(bytes));
    } catch {
      // not a registered Avro value after all: shown as bytes below
    }
  }
  const text = bytes.toString('utf8');
  if (Buffer.from(text, 'utf8').equals(bytes) && !text.includes('\u0000')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return { base64: bytes.toString('base64') };
}

/** Avro values as JSON can carry them: longs as numbers or strings, bytes as base64. */
function jsonSafe(value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (Buffer.isBuffer(value)) return { base64: value.toString('base64') };
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonSafe(v)]));
  return value;
}
