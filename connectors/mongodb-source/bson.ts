import { BSON } from 'mongodb';
import { documentKey } from '../../runtime/api/index.js';

const { EJSON } = BSON;

/**
 * BSON values to what the records carry. Values from the driver are classes of its bundled `bson`
 * package, told apart by their `_bsontype` tag (robust even if two copies of bson are loaded).
 */
const bsonType = (v: object): string | undefined => (v as { _bsontype?: string })._bsontype;

/** A document or value as canonical Extended JSON: every BSON type survives the round trip. */
export const extendedJson = (value: unknown): string => EJSON.stringify(value, { relaxed: false });

/** Parses what {@link extendedJson} wrote back into BSON values. */
export const fromExtendedJson = (text: string): unknown => EJSON.parse(text, { relaxed: false });

/** The record key of a document: its `_id` in the one id encoding (runtime/api documentKey). */
export function keyOf(id: unknown): string {
  if (typeof id === 'object' && id !== null && bsonType(id) === 'ObjectId') return (id as { toHexString(): string }).toHexString();
  return documentKey(typeof id === 'string' ? id : EJSON.serialize(id, { relaxed: false }));
}

/**
 * A BSON document as the plain values of its Avro record (ARCHITECTURE.md and config/schemas/):
 * ObjectId -> 24 hex digits, Date -> epoch ms, Decimal128 -> decimal string, Long -> number,
 * Binary -> bytes, Timestamp -> epoch ms of its seconds. Whether the result fits the schema is for
 * the Avro converter to decide: a document that does not fit becomes a data error there.
 */
export function avroValue(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(avroValue);
  if (value instanceof Date) return value.getTime();
  if (Buffer.isBuffer(value)) return value;
  switch (bsonType(value)) {
    case undefined: {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = avroValue(v);
      return out;
    }
    case 'ObjectId':
      return (value as { toHexString(): string }).toHexString();
    case 'Decimal128':
      return value.toString();
    case 'Long':
      return (value as { toNumber(): number }).toNumber();
    case 'Int32':
    case 'Double':
      return (value as { valueOf(): number }).valueOf();
    case 'Binary':
      return Buffer.from((value as { buffer: Uint8Array }).buffer);
    case 'Timestamp':
      return (value as { high: number }).high * 1000;
    default:
      return extendedJson(value);
  }
}
