import type { Batch, KafkaMessage } from 'kafkajs';
import type { SinkRecord } from './api/index.js';
import type { Converter } from './converters/index.js';
import type { DeadLetterPayload } from './dead-letter.js';
import type { RecordErrorHandler } from './error-handler.js';
import type { WorkerMetrics } from './metrics.js';
import type { TransformChain } from './transform-chain.js';

export interface SinkRecordDeps {
  keyConverter: Converter;
  valueConverter: Converter;
  chain: TransformChain;
  errors: RecordErrorHandler;
  metrics: WorkerMetrics;
  labels: { connector: string; task: string };
}

/**
 * Converts and transforms the records of a fetched batch from offset `from` on (all when
 * undefined). Records rejected under errors.tolerance=all and records a transform dropped are
 * left out.
 */
export async function toSinkRecords(batch: Batch, from: bigint | undefined, deps: SinkRecordDeps): Promise<SinkRecord[]> {
  const { topic, partition } = batch;
  const records: SinkRecord[] = [];
  for (const message of batch.messages) {
    if (from !== undefined && BigInt(message.offset) < from) continue;
    const original = () => rawPayload(topic, partition, message);
    const converted = await deps.errors.execute('convert', original, async () => {
      const k = await deps.keyConverter.toConnect(topic, message.key);
      const v = await deps.valueConverter.toConnect(topic, message.value);
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
    const transformed = await deps.errors.execute('transform', original, () => deps.chain.apply(converted.value));
    if (!transformed.ok) continue;
    if (transformed.value === null) {
      deps.metrics.recordsFiltered.inc(deps.labels);
      continue;
    }
    records.push(transformed.value);
  }
  return records;
}

/** What a dead letter carries: the record as it was fetched. */
export function rawPayload(topic: string, partition: number, message: KafkaMessage): DeadLetterPayload {
  return { key: message.key, value: message.value, headers: message.headers ?? {}, topic, partition, offset: message.offset };
}
