import Type from 'typebox';
import { DataError, defineTransform, eventTimeOf, withRecord, type ConnectRecord } from '../runtime/api/index.js';
import type { OrderChange, WarehouseOrderItem } from '../connectors/postgres-sink/records.js';
import { asEnvelope, carriesNoChange, tombstoneDelete, documentId, envelopeDocument, num, referenceKey, str, type PlainDocument } from './support/documents.js';

/** Money as a decimal string; a schemaless document may hold it as a number (a BSON double or int). */
function money(v: unknown): string | null {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return str(v);
}

function items(doc: PlainDocument): WarehouseOrderItem[] {
  const raw = doc.items;
  if (raw === null || raw === undefined) return [];
  if (!Array.isArray(raw)) throw new DataError('items is not an array');
  return raw.map((it: PlainDocument) => ({
    line: num(it?.line) as number,
    sku: str(it?.sku) as string,
    name: str(it?.name) as string,
    quantity: num(it?.quantity) as number,
    unit_price: money(it?.unit_price) as string,
  }));
}

/**
 * The order of a change envelope in the warehouse's shape. Missing or mistyped fields come out as
 * null so that ValidateOrder can name the rule they break; ParseOrder only rejects what is not
 * an order change at all.
 */
export function parseOrder(record: ConnectRecord): OrderChange {
  const envelope = asEnvelope(record);
  const source_ts_ms = envelope.source.cluster_time_ms;
  const source_seq = eventTimeOf(record)?.seq ?? 0;
  if (envelope.op === 'd') {
    return { kind: 'order', op: 'delete', id: documentId(record, envelopeDocument(envelope, 'before')), source_ts_ms, source_seq };
  }
  const doc = envelopeDocument(envelope, 'after');
  if (!doc) throw new DataError(`an order change with op ${envelope.op} has no after document`);
  const lines = items(doc);
  const id = documentId(record, doc);
  return {
    kind: 'order',
    op: 'upsert',
    id,
    source_ts_ms,
    source_seq,
    order: {
      order_id: id,
      customer_id: referenceKey(doc, 'customer_id') as string,
      customer_name: null,
      customer_email: null,
      customer_segment: null,
      status: str(doc.status) as string,
      currency: str(doc.currency) as string,
      total: money(doc.total) as string,
      item_count: lines.length,
      created_at: num(doc.created_at) as number,
      updated_at: num(doc.updated_at) as number,
    },
    items: lines,
  };
}

export const ParseOrder = defineTransform({
  name: 'ParseOrder',
  version: '1.0.0',
  description:
    'Turns an orders CDC envelope (typed `after` record, or the schemaless Extended JSON string) into a warehouse order with its items: ' +
    'op d becomes a delete of the order, c/r/u an upsert; a tombstone (null value) and an update whose document was deleted before MongoDB looked it up (the delete follows) are dropped. The result is schemaless (for the PostgreSQL sink), so use it on sink connectors.',
  config: Type.Object({}),
  create() {
    return {
      apply<R extends ConnectRecord>(record: R): R | null {
        const deleted = tombstoneDelete(record, 'order');
        if (deleted) return withRecord(record, { value: deleted, valueSchema: undefined });
        if (carriesNoChange(record)) return null;
        return withRecord(record, { value: parseOrder(record), valueSchema: undefined });
      },
    };
  },
});
