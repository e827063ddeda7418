import type { Batch, KafkaMessage } from 'kafkajs';
import { NotYetError, WATERMARK_HEADER, snapshotCompleteOf, type Headers, type RejectedRecord, type SinkRecord, type SnapshotComplete } from '../api/index.js';
import { StageError } from '../errors.js';
import type { ParkingLot, ResumePoint } from './parking.js';
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
  /** Where records that cannot be decided yet wait; without it, NotYetError is retried in place. */
  parking?: Parker;
  /** A watermark control record of the batch's partition (it is handed to no one else). */
  onWatermark?: (topic: string, partition: number, message: KafkaMessage) => void;
  /** The task asked for snapshot markers (SinkTaskContext.receiveSnapshotMarkers). */
  snapshotMarkers?: boolean;
}

/** What the sink runner does with a record a transform could not decide yet. */
export interface Parker {
  readonly lot: ParkingLot;
  /** Parks `message`: as the head of its key with where to resume, or, without, behind the head of its key. */
  park(topic: string, partition: number, message: KafkaMessage, notYet?: NotYet): void;
}

/** A transform's NotYetError with the stage to resume at. */
export interface NotYet {
  readonly resume: ResumePoint;
  readonly error: NotYetError;
}

/** The NotYetError a chain failure carries, when the sink can park it. */
export function notYetOf(err: unknown): NotYet | undefined {
  if (!(err instanceof StageError) || !(err.cause instanceof NotYetError) || !err.resume) return undefined;
  return { resume: { index: err.resume.index, input: err.resume.input as SinkRecord }, error: err.cause };
}

/** One record's fate: passed on, dropped by a transform, rejected (dead letter), or parked. */
export type Outcome =
  { kind: 'record'; record: SinkRecord } | { kind: 'dropped' } | { kind: 'rejected'; rejected: RejectedRecord } | { kind: 'not-yet'; notYet: NotYet };

const NO_HEADERS: Headers = Object.freeze({});

/**
 * Converts and transforms the records of a fetched batch from offset `from` on (all when
 * undefined). Records rejected under errors.tolerance=all and records a transform dropped are
 * left out; watermark control records go to `onWatermark`; a record a transform could not decide
 * yet is parked, and so is every later record of its key (see ParkingLot). Once the parked records
 * reach their bound the rest of the batch is not processed: `stoppedAt` is the first offset left.
 *
 * The loop is the sink's hot path. A record that converts and transforms synchronously (cached
 * schemas, synchronous transforms: the usual case) costs no promise, closure or retry state; only
 * a record that throws, or a stage that needs I/O, takes the slow path, with the same retries,
 * errors.tolerance and dead letter as before.
 */
export async function toSinkRecords(
  batch: Batch,
  from: bigint | undefined,
  deps: SinkRecordDeps,
): Promise<{ records: SinkRecord[]; rejected: RejectedRecord[]; stoppedAt?: string }> {
  const { topic, partition } = batch;
  const { chain } = deps;
  const parking = deps.parking;
  const records: SinkRecord[] = [];
  const rejected: RejectedRecord[] = [];
  let filtered = 0;
  let stoppedAt: string | undefined;
  for (const message of batch.messages) {
    if (from !== undefined && BigInt(message.offset) < from) continue;
    // At the bound of parked records the rest of the batch is left to be fetched again later.
    if (parking && parking.lot.full) {
      stoppedAt = message.offset;
      break;
    }
    if (message.headers !== undefined && message.headers[WATERMARK_HEADER.time] !== undefined) {
      deps.onWatermark?.(topic, partition, message);
      const snapshot = deps.snapshotMarkers ? snapshotCompleteOf(message.headers as Headers) : undefined;
      if (snapshot) records.push(snapshotMarker(topic, partition, message, snapshot));
      continue;
    }
    if (parking && parking.lot.size > 0 && parking.lot.waiting(topic, partition, message)) {
      parking.park(topic, partition, message);
      continue;
    }
    let record: SinkRecord | undefined;
    try {
      record = convertSync(topic, partition, message, deps);
    } catch {
      record = undefined;
    }
    let outcome: Outcome | undefined;
    if (record !== undefined) {
      try {
        const result = chain.empty ? record : chain.run(record);
        if (!isPromise(result)) outcome = result === null ? DROPPED : { kind: 'record', record: result };
      } catch {
        outcome = undefined;
      }
    }
    // The slow path: a converter or a stage needs I/O, or something threw (tried again there).
    outcome ??= await decide(topic, partition, message, deps);
    if (outcome.kind === 'record') records.push(outcome.record);
    else if (outcome.kind === 'dropped') filtered++;
    else if (outcome.kind === 'not-yet') parking!.park(topic, partition, message, outcome.notYet);
    else rejected.push(outcome.rejected);
  }
  if (filtered > 0) deps.metrics.recordsFiltered.inc(deps.labels, filtered);
  return stoppedAt === undefined ? { records, rejected } : { records, rejected, stoppedAt };
}

const DROPPED: Outcome = Object.freeze({ kind: 'dropped' });

function snapshotMarker(topic: string, partition: number, message: KafkaMessage, snapshotComplete: SnapshotComplete): SinkRecord {
  return Object.freeze({
    topic,
    kafkaPartition: partition,
    kafkaOffset: message.offset,
    key: null,
    value: null,
    headers: NO_HEADERS,
    timestamp: Number(message.timestamp),
    snapshotComplete,
  });
}

/**
 * The whole way of one record, with retries, errors.tolerance and the dead letter: converted and
 * transformed from the start, or, with `resume`, from the stage that parked it.
 */
export async function decide(topic: string, partition: number, message: KafkaMessage, deps: SinkRecordDeps, resume?: ResumePoint): Promise<Outcome> {
  const { chain, errors } = deps;
  let start: SinkRecord;
  let index = 0;
  if (resume) {
    start = resume.input;
    index = resume.index;
  } else {
    const converted = await errors.execute(
      'convert',
      () => rawPayload(topic, partition, message),
      () => convert(topic, partition, message, deps),
    );
    if (!converted.ok) return rejection(topic, partition, message, converted, undefined);
    start = converted.value;
  }
  const apply = async () => (chain.empty ? start : await chain.resume(index, start));
  let out: SinkRecord | null;
  try {
    out = await apply();
  } catch (err) {
    const notYet = deps.parking ? notYetOf(err) : undefined;
    if (notYet) return { kind: 'not-yet', notYet };
    const outcome = await errors.recover('transform', () => rawPayload(topic, partition, message), apply, err);
    if (!outcome.ok) return rejection(topic, partition, message, outcome, err instanceof StageError && err.resume ? (err.resume.input as SinkRecord) : start);
    out = outcome.value;
  }
  return out === null ? DROPPED : { kind: 'record', record: out };
}

/** What the sink task is told of a record the runtime rejected: where, why, and its last form. */
function rejection(topic: string, partition: number, message: KafkaMessage, failed: { stage: string; error: Error }, record: SinkRecord | undefined): Outcome {
  return {
    kind: 'rejected',
    rejected: Object.freeze({
      topic,
      kafkaPartition: partition,
      kafkaOffset: message.offset,
      headers: headersOf(message),
      rawKey: message.key ? message.key.toString('utf8') : null,
      ...(record ? { record } : {}),
      stage: failed.stage,
      reason: failed.error.message,
    }),
  };
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
