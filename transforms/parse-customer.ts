import Type from 'typebox';
import { DataError, defineTransform, eventTimeOf, withRecord, type ConnectRecord } from '../runtime/api/index.js';
import type { CustomerChange } from '../connectors/postgres-sink/records.js';
import { asEnvelope, carriesNoChange, tombstoneDelete, documentId, envelopeDocument, num, str, type PlainDocument } from './support/documents.js';

/** The customer fields of a customer document (typed record or parsed Extended JSON). */
export function customerFields(doc: PlainDocument) {
  const address = (doc.address ?? null) as PlainDocument | null;
  return {
    name: str(doc.name),
    email: str(doc.email),
    segment: str(doc.segment),
    city: str(address?.city),
    country: str(address?.country),
    created_at: num(doc.created_at),
    updated_at: num(doc.updated_at),
  };
}

export function parseCustomer(record: ConnectRecord): CustomerChange {
  const envelope = asEnvelope(record);
  const source_ts_ms = envelope.source.cluster_time_ms;
  const source_seq = eventTimeOf(record)?.seq ?? 0;
  if (envelope.op === 'd') {
    return { kind: 'customer', op: 'delete', id: documentId(record, envelopeDocument(envelope, 'before')), source_ts_ms, source_seq };
  }
  const doc = envelopeDocument(envelope, 'after');
  if (!doc) throw new DataError(`a customer change with op ${envelope.op} has no after document`);
  const id = documentId(record, doc);
  const fields = customerFields(doc);
  if (fields.name === null) throw new DataError(`customer ${id} has no name`);
  return { kind: 'customer', op: 'upsert', id, source_ts_ms, source_seq, customer: { customer_id: id, ...fields, name: fields.name } };
}

export const ParseCustomer = defineTransform({
  name: 'ParseCustomer',
  version: '1.0.0',
  description:
    'Turns a customers CDC envelope into a warehouse customer (dim_customers): op d becomes a delete, c/r/u an upsert; a tombstone (null value) and an update whose document was deleted before MongoDB looked it up (the delete follows) are dropped. ' +
    'A customer without a name is a data error. The result is schemaless, for the PostgreSQL sink.',
  config: Type.Object({}),
  create() {
    return {
      apply<R extends ConnectRecord>(record: R): R | null {
        const deleted = tombstoneDelete(record, 'customer');
        if (deleted) return withRecord(record, { value: deleted, valueSchema: undefined });
        if (carriesNoChange(record)) return null;
        return withRecord(record, { value: parseCustomer(record), valueSchema: undefined });
      },
    };
  },
});
