import type { RecordSchema } from './records.js';

/**
 * The change event every CDC source writes and every CDC sink reads (ARCHITECTURE.md, "Topics and
 * the event envelope"). It is part of the plugin contract because a source connector produces it
 * and transforms and sinks consume it, and they may only share `runtime/api`.
 */
export type CdcOp = 'c' | 'u' | 'd' | 'r';

export interface CdcSource {
  readonly db: string;
  readonly collection: string;
  /** The change's cluster time in epoch milliseconds (the seconds part of MongoDB's clusterTime). */
  readonly cluster_time_ms: number;
  /** True for records of the initial snapshot (`op` r). */
  readonly snapshot: boolean;
  /** The change stream resume token as canonical Extended JSON; empty during the snapshot. */
  readonly resume_token: string;
}

export interface CdcUpdateDescription {
  /** The updated fields and their new values, as a canonical Extended JSON object. */
  readonly updated_fields: string;
  readonly removed_fields: readonly string[];
}

/**
 * `D` is the typed document (the record of `config/schemas/<collection>.avsc`) or, for a
 * collection without a schema file, the document as canonical Extended JSON in a string.
 */
export interface CdcEnvelope<D = unknown> {
  readonly op: CdcOp;
  /** When the source connector handled the change, epoch milliseconds. */
  readonly ts_ms: number;
  readonly source: CdcSource;
  readonly before: D | null;
  readonly after: D | null;
  readonly update_description: CdcUpdateDescription | null;
}

/** The document part of an envelope without a typed schema. */
export const EXTENDED_JSON = 'extended-json' as const;

const avroName = (s: string) => s.replace(/[^A-Za-z0-9_]/g, '_').replace(/^(?=[0-9])/, '_');

/**
 * The Avro value schema of the envelope for one collection: `document` is the collection's record
 * schema (parsed `.avsc`) or {@link EXTENDED_JSON}. The envelope is named
 * `conflux.cdc.<collection>.Envelope`, so envelopes of different collections never clash in one
 * registry, and `before`/`after` share the one document type (the second use refers to it by name,
 * as Avro requires).
 */
export function cdcEnvelopeSchema(collection: string, document: RecordSchema | typeof EXTENDED_JSON): RecordSchema {
  let first: unknown = 'string';
  let again: unknown = 'string';
  if (document !== EXTENDED_JSON) {
    const doc = document as { type?: unknown; name?: unknown; namespace?: unknown };
    if (doc.type !== 'record' || typeof doc.name !== 'string') throw new TypeError('cdcEnvelopeSchema: document must be an Avro record schema');
    first = document;
    again = doc.name.includes('.') || typeof doc.namespace !== 'string' ? doc.name : `${doc.namespace}.${doc.name}`;
  }
  return {
    type: 'record',
    name: 'Envelope',
    namespace: `conflux.cdc.${avroName(collection)}`,
    doc: `A change of the MongoDB collection ${collection}.`,
    fields: [
      { name: 'op', type: { type: 'enum', name: 'Op', symbols: ['c', 'u', 'd', 'r'] }, doc: 'c create, u update/replace, d delete, r snapshot read.' },
      { name: 'ts_ms', type: 'long', doc: 'When the source connector handled the change, epoch ms.' },
      {
        name: 'source',
        type: {
          type: 'record',
          name: 'Source',
          fields: [
            { name: 'db', type: 'string' },
            { name: 'collection', type: 'string' },
            { name: 'cluster_time_ms', type: 'long' },
            { name: 'snapshot', type: 'boolean' },
            { name: 'resume_token', type: 'string' },
          ],
        },
      },
      { name: 'before', type: ['null', first], default: null },
      { name: 'after', type: ['null', again], default: null },
      {
        name: 'update_description',
        default: null,
        type: [
          'null',
          {
            type: 'record',
            name: 'UpdateDescription',
            fields: [
              { name: 'updated_fields', type: 'string' },
              { name: 'removed_fields', type: { type: 'array', items: 'string' } },
            ],
          },
        ],
      },
    ],
  };
}
