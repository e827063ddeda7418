import type { Batch, KafkaMessage } from 'kafkajs';
import type { Headers, SinkRecord } from '../api/index.js';
import type { Converter } from '../converters/index.js';
import type { DeadLetterPayload } from '../tasks/dead-letter.js';
import type { RecordErrorHandler } from '../tasks/record-errors.js';
import type { WorkerMetrics } from '../observability/metrics.js';
import type { TransformChain } from '../tasks/transform-chain.js';
import { isPromise } from '../support/is-promise.js';

export interface SinkRecordDeps {
  keyConverter: Converter;
  valueConverter: Converter;
  chain: TransformChain;
  errors: RecordErrorHandler;
  metrics: WorkerMetrics;
  labels: { connector: string; task: string };
}

const NO_HEADERS: Headers = Object.freeze({});

/**
 * Converts and transforms the records of a fetched batch from offset `from` on (all when
 * undefined). Records rejected under errors.tolerance=all and records a transform dropped are
 * left out.
 *
 * The loop is the sink's hot path. A record that converts and transforms synchronously (cached
 * schemas, synchronous transforms: the usual case) costs no promise, closure or retry state; only
 * a record that throws, or a stage that needs I/O, takes the slow path, with the same retries,
 * errors.tolerance and dead letter as before.
 */
export async function toSinkRecords(batch: Batch, from: bigint | undefined, deps: SinkRecordDeps): Promise<SinkRecord[]> {
  const { topic, partition } = batch;
  const { chain, errors } = deps;
  const records: SinkRecord[] = [];
  let filtered = 0;
  for (const message of batch.messages) {
    if (from !== undefined && BigInt(message.offset) < from) continue;
    let record: SinkRecord;
    try {
      record = convertSync(topic, partition, message, deps) ?? (await convert(topic, partition, message, deps));
    } catch (err) {
      const outcome = await errors.recover(
        'convert',
        () => rawPayload(topic, partition, message),
        () => convert(topic, partition, message, deps),
        err,
      );
      if (!outcome.ok) continue;
      record = outcome.value;
    }
    let out: SinkRecord | null;
    try {
      const result = chain.empty ? record : chain.run(record);
      out = isPromise(result) ? await result : result;
    } catch (err) {
      const converted = record;
      const outcome = await errors.recover(
        'transform',
        () => rawPayload(topic, partition, message),
        () => chain.apply(converted),
        err,
      );
      if (!outcome.ok) continue;
      out = outcome.value;
    }
    if (out === null) filtered++;
    else records.push(out);
  }
  if (filtered > 0) deps.metrics.recordsFiltered.inc(deps.labels, filtered);
  return records;
}

/** The record without a promise, or undefined when a converter needs I/O first. */
function convertSync(topic: string, partition: number, message: KafkaMessage, deps: SinkRecordDeps): SinkRecord | undefined {
  const k = deps.keyConverter.toConnectSync(topic, message.key);
  if (k === undefined) return undefined;
  const v = deps.valueConverter.toConnectSync(topic, message.value);
  if (v === undefined) return undefined;
  return sinkRecord(topic, partition, message, k, v);
}

async function convert(topic: string, partition: number, message: KafkaMessage, deps: SinkRecordDeps): Promise<SinkRecord> {
  const k = await deps.keyConverter.toConnect(topic, message.key);
  const v = await deps.valueConverter.toConnect(topic, message.value);
  return sinkRecord(topic, partition, message, k, v);
}

function sinkRecord(
  topic: string,
  partition: number,
  message: KafkaMessage,
  k: { value: unknown; schema?: object },
  v: { value: unknown; schema?: object },
): SinkRecord {
  const record: { -readonly [K in keyof SinkRecord]: SinkRecord[K] } = {
    topic,
    kafkaPartition: partition,
    kafkaOffset: message.offset,
    key: k.value,
    value: v.value,
    headers: headersOf(message),
    timestamp: Number(message.timestamp),
  };
  if (k.schema) record.keySchema = k.schema;
  if (v.schema) record.valueSchema = v.schema;
  return Object.freeze(record);
}

/** kafkajs decodes a fresh headers object per message and never touches it again: freeze it in place. */
function headersOf(message: KafkaMessage): Headers {
  const headers = message.headers;
  if (!headers) return NO_HEADERS;
  for (const _ in headers) return Object.freeze(headers) as Headers;
  return NO_HEADERS;
}

/** What a dead letter carries: the record as it was fetched. */
export function rawPayload(topic: string, partition: number, message: KafkaMessage): DeadLetterPayload {
  return { key: message.key, value: message.value, headers: message.headers ?? {}, topic, partition, offset: message.offset };
}
