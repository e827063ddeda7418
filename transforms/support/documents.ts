import { BSON } from 'mongodb';
import { DataError, documentKey, type CdcEnvelope, type ConnectRecord, eventTimeOf } from '../../runtime/api/index.js';

export type PlainDocument = Record<string, unknown>;

/** BSON values of a parsed Extended JSON document as plain values: ids as hex, decimals as strings, dates as ms. */
function plain(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(plain);
  if (value instanceof Date) return value.getTime();
  const bsonType = (value as { _bsontype?: string })._bsontype;
  switch (bsonType) {
    case 'ObjectId':
      return (value as BSON.ObjectId).toHexString();
    case 'Decimal128':
      return (value as BSON.Decimal128).toString();
    case 'Long':
      return (value as BSON.Long).toNumber();
    case 'Int32':
    case 'Double':
      return (value as BSON.Int32).valueOf();
    case undefined:
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
    default:
      return String(value);
  }
}

/** The canonical Extended JSON a schemaless document was parsed from, which keeps the BSON types of its ids. */
const canonical = new WeakMap<PlainDocument, PlainDocument>();

/**
 * A field of a document that holds another document's id (an order's customer_id), in the one id
 * encoding of record keys (documentKey), so that it finds the key of that document in a lookup
 * table. A typed record's id fields are strings already in that encoding (its schema says so).
 */
export function referenceKey(doc: PlainDocument, name: string): string | null {
  const raw = canonical.get(doc);
  if (!raw) return str(doc[name]);
  const value = raw[name];
  return value === undefined || value === null ? null : documentKey(value);
}

/**
 * The document of an envelope's `before`/`after`: the typed Avro record as decoded, or the
 * schemaless form (canonical Extended JSON in a string) parsed into the same plain shape.
 */
export function envelopeDocument(value: unknown, field: 'before' | 'after'): PlainDocument | null {
  const doc = (value as Record<string, unknown>)[field];
  if (doc === null || doc === undefined) return null;
  if (typeof doc === 'string') {
    try {
      const raw = JSON.parse(doc) as PlainDocument;
      const parsed = plain(BSON.EJSON.deserialize(raw, { relaxed: false })) as PlainDocument;
      canonical.set(parsed, raw);
      return parsed;
    } catch (err) {
      throw new DataError(`${field} is not valid Extended JSON: ${(err as Error).message}`, { cause: err });
    }
  }
  if (typeof doc === 'object') return doc as PlainDocument;
  throw new DataError(`${field} is neither a record nor an Extended JSON string`);
}

/** The record's value as a CDC envelope, or a DataError saying why it is not one. */
export function asEnvelope(record: ConnectRecord): CdcEnvelope {
  const v = record.value as Partial<CdcEnvelope> | null;
  if (v === null || typeof v !== 'object') throw new DataError('the value is not a CDC envelope (null or not an object)');
  if (v.op !== 'c' && v.op !== 'u' && v.op !== 'd' && v.op !== 'r') throw new DataError(`the envelope has an unknown op ${JSON.stringify(v.op)}`);
  if (typeof v.source?.cluster_time_ms !== 'number') throw new DataError('the envelope has no source.cluster_time_ms');
  return v as CdcEnvelope;
}

/**
 * Records a Parse transform passes over: a tombstone (null value), which only lets compaction drop
 * a deleted key, and an update without its document, which MongoDB's `updateLookup` gives when the
 * document was deleted before the lookup; in both cases the delete event is in the stream too.
 */
export function carriesNoChange(record: ConnectRecord): boolean {
  if (record.value === null) return true;
  const v = record.value as Partial<CdcEnvelope>;
  return v.op === 'u' && (v.after === null || v.after === undefined);
}

/**
 * The delete a tombstone carries: the source follows each delete with a tombstone of the same key
 * and event time, which is all that is left of the delete once compaction removed the delete
 * itself (a sink that lagged behind the cleaner). A tombstone without an event time (written by
 * someone else) carries nothing.
 */
export function tombstoneDelete<K extends 'order' | 'customer'>(
  record: ConnectRecord,
  kind: K,
): { kind: K; op: 'delete'; id: string; source_ts_ms: number; source_seq: number } | undefined {
  if (record.value !== null) return undefined;
  const time = eventTimeOf(record);
  if (!time || typeof record.key !== 'string' || record.key === '') return undefined;
  return { kind, op: 'delete', id: record.key, source_ts_ms: time.ms, source_seq: time.seq };
}

/**
 * The document id of a change: the record key, which the source wrote in the one id encoding
 * (documentKey), so an upsert and the delete of the same document (whose key is all a delete
 * has) name one row; without a key, the `_id` of after/before in that encoding.
 */
export function documentId(record: ConnectRecord, doc: PlainDocument | null): string {
  if (typeof record.key === 'string' && record.key.length > 0) return record.key;
  const id = doc ? (referenceKey(doc, '_id') ?? undefined) : undefined;
  if (id !== undefined && id.length > 0) return id;
  throw new DataError('the change has no document id (record key or _id)');
}

export const str = (v: unknown): string | null => (typeof v === 'string' ? v : v === null || v === undefined ? null : String(v));
export const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
