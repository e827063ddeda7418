import type { ChangeStreamDocument, Document } from 'mongodb';
import {
  cdcEnvelopeSchema,
  documentKey,
  EXTENDED_JSON,
  SNAPSHOT_ID_HEADER,
  type CdcEnvelope,
  type CdcOp,
  type EventTime,
  type RecordSchema,
  type SourceRecord,
} from '../../runtime/api/index.js';
import { avroValue, extendedJson, keyOf } from './bson.js';
import type { SchemaDrift } from './schema-drift.js';
import type { CollectionPlan } from './config.js';

const KEY_SCHEMA: RecordSchema = Object.freeze({ type: 'string' });

/**
 * How the documents of one collection become records: the topic, the envelope schema (one object
 * for the connector's lifetime, so the converter registers it once) and the document mapping.
 */
export class RecordShape {
  readonly topic: string;
  readonly valueSchema: RecordSchema;
  private readonly typed: boolean;

  constructor(
    readonly db: string,
    plan: CollectionPlan,
    readonly sourcePartition: Readonly<Record<string, unknown>>,
    private readonly drift?: SchemaDrift,
  ) {
    this.topic = plan.topic;
    this.typed = plan.documentSchema !== undefined;
    this.valueSchema = cdcEnvelopeSchema(plan.collection, plan.documentSchema ?? EXTENDED_JSON);
  }

  get collection(): string {
    return this.sourcePartition.collection as string;
  }

  /** `after`/`before`: the typed record's values, or canonical Extended JSON for schemaless collections. */
  document(doc: Document | null | undefined): unknown {
    if (doc === null || doc === undefined) return null;
    if (!this.typed) return extendedJson(doc);
    this.drift?.check(doc);
    return avroValue(doc);
  }

  record(key: unknown, envelope: CdcEnvelope, sourceOffset: Readonly<Record<string, unknown>>, eventTime?: EventTime, readTime?: EventTime): SourceRecord {
    return {
      ...(eventTime ? { eventTime } : {}),
      ...(readTime ? { readTime } : {}),
      topic: this.topic,
      key: keyOf(key),
      keySchema: KEY_SCHEMA,
      value: envelope,
      valueSchema: this.valueSchema,
      headers: {},
      timestamp: envelope.ts_ms,
      sourcePartition: this.sourcePartition,
      sourceOffset,
    };
  }

  /**
   * The tombstone that follows a delete record: same topic, key and position, a null value, so
   * that compaction can drop the key.
   */
  tombstone(deleted: SourceRecord): SourceRecord {
    return { ...deleted, value: null, valueSchema: undefined };
  }

  /** An existing document copied by the snapshot (op r). */
  snapshotRecord(doc: Document, clusterTime: EventTime, readTime: EventTime | undefined, sourceOffset: Readonly<Record<string, unknown>>): SourceRecord {
    const now = Date.now();
    const clusterTimeMs = clusterTime.ms;
    return this.record(
      doc._id,
      {
        op: 'r',
        ts_ms: now,
        source: { db: this.db, collection: this.collection, cluster_time_ms: clusterTimeMs, snapshot: true, resume_token: '' },
        before: null,
        after: this.document(doc),
        update_description: null,
      },
      sourceOffset,
      clusterTime,
      readTime,
    );
  }

  /**
   * A document read by an incremental snapshot (op r): dated by the read's cluster time, so that
   * it orders against the stream's changes, and marked with the snapshot's id.
   */
  incrementalRecord(
    doc: Document,
    readTime: EventTime,
    partition: Readonly<Record<string, unknown>>,
    sourceOffset: Readonly<Record<string, unknown>>,
    snapshotId: string,
  ): SourceRecord {
    const record = this.snapshotRecord(doc, readTime, readTime, sourceOffset);
    return { ...record, sourcePartition: partition, headers: { ...record.headers, [SNAPSHOT_ID_HEADER]: snapshotId } };
  }

  /** An `_id` an incremental snapshot was asked for and found absent: a delete dated by that read. */
  incrementalDelete(
    id: unknown,
    readTime: EventTime,
    partition: Readonly<Record<string, unknown>>,
    sourceOffset: Readonly<Record<string, unknown>>,
    snapshotId: string,
  ): SourceRecord {
    const record = this.record(
      id,
      {
        op: 'd',
        ts_ms: Date.now(),
        source: { db: this.db, collection: this.collection, cluster_time_ms: readTime.ms, snapshot: true, resume_token: '' },
        before: null,
        after: null,
        update_description: null,
      },
      sourceOffset,
      readTime,
      readTime,
    );
    return { ...record, sourcePartition: partition, headers: { ...record.headers, [SNAPSHOT_ID_HEADER]: snapshotId } };
  }

  /**
   * A change event as a record, or undefined for events that change no document (drop, rename,
   * invalidate...: the caller handles those). `ts_ms` is the event's wallTime (MongoDB 6.0+),
   * or the time it was read on servers that do not report one.
   */
  changeRecord(event: ChangeStreamDocument, resumeToken: string, sourceOffset: Readonly<Record<string, unknown>>): SourceRecord | undefined {
    let op: CdcOp;
    switch (event.operationType) {
      case 'insert':
        op = 'c';
        break;
      case 'update':
      case 'replace':
        op = 'u';
        break;
      case 'delete':
        op = 'd';
        break;
      default:
        return undefined;
    }
    const e = event as ChangeStreamDocument & {
      documentKey: { _id: unknown };
      fullDocument?: Document | null;
      fullDocumentBeforeChange?: Document | null;
      updateDescription?: { updatedFields?: Document; removedFields?: string[] };
      wallTime?: Date;
      clusterTime?: { high: number; low: number };
    };
    const ud = e.operationType === 'update' ? e.updateDescription : undefined;
    return this.record(
      e.documentKey._id,
      {
        op,
        ts_ms: e.wallTime instanceof Date ? e.wallTime.getTime() : Date.now(),
        source: {
          db: this.db,
          collection: this.collection,
          cluster_time_ms: (e.clusterTime?.high ?? 0) * 1000,
          snapshot: false,
          resume_token: resumeToken,
        },
        before: this.document(e.fullDocumentBeforeChange),
        after: op === 'd' ? null : this.document(e.fullDocument),
        update_description: ud ? { updated_fields: extendedJson(ud.updatedFields ?? {}), removed_fields: [...(ud.removedFields ?? [])] } : null,
      },
      sourceOffset,
      e.clusterTime ? { ms: e.clusterTime.high * 1000, seq: e.clusterTime.low } : undefined,
    );
  }

  /**
   * A change event the server emptied because it was over the size limit
   * (cursor.oversize.handling.mode=skip): the runtime dead-letters it with the reason, sends
   * nothing to the topic, and stores its position, so the stream goes on after it.
   */
  skippedRecord(event: Document, sourceOffset: Readonly<Record<string, unknown>>, bytes: number): SourceRecord {
    const id = (event.documentKey as { _id?: unknown } | undefined)?._id;
    const time = event.clusterTime as { high: number; low: number } | undefined;
    const at = time ? ` at cluster time ${time.high}.${time.low}` : '';
    return {
      ...(time ? { eventTime: { ms: time.high * 1000, seq: time.low } } : {}),
      topic: this.topic,
      key: keyOf(id),
      keySchema: KEY_SCHEMA,
      value: null,
      headers: {},
      timestamp: Date.now(),
      sourcePartition: this.sourcePartition,
      sourceOffset,
      skipReason:
        `the ${String(event.operationType)} event of _id ${documentKey(id)} in ${this.db}.${this.collection}${at} carries ${bytes} bytes of document and update description, ` +
        "over MongoDB's 16 MB limit for a change event; skipped (cursor.oversize.handling.mode=skip)",
    };
  }
}
