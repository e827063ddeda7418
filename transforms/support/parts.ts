import Type from 'typebox';
import { DataError, withRecord, type ConnectRecord, type RecordSchema } from '../../runtime/api/index.js';

/** Which part of the record a generic transform works on (Kafka Connect's `$Key` / `$Value`). */
export type Part = 'key' | 'value';

export const partConfig = Type.Union([Type.Literal('value'), Type.Literal('key')], {
  description: "The part of the record to transform: `value` (like Kafka Connect's $Value) or `key` ($Key).",
  default: 'value',
});

export interface AvroField {
  readonly name: string;
  readonly type: unknown;
  readonly default?: unknown;
  readonly doc?: string;
}

/** The fields of an Avro record schema, or undefined for any other (or no) schema. */
export function recordFields(schema: RecordSchema | undefined): readonly AvroField[] | undefined {
  const s = schema as { type?: unknown; fields?: unknown } | undefined;
  return s?.type === 'record' && Array.isArray(s.fields) ? (s.fields as AvroField[]) : undefined;
}

export function withFields(schema: RecordSchema, fields: readonly AvroField[]): RecordSchema {
  return { ...schema, fields };
}

export function partOf(record: ConnectRecord, part: Part): { value: unknown; schema: RecordSchema | undefined } {
  return part === 'key' ? { value: record.key, schema: record.keySchema } : { value: record.value, schema: record.valueSchema };
}

export function withPart<R extends ConnectRecord>(record: R, part: Part, value: unknown, schema: RecordSchema | undefined): R {
  return part === 'key' ? withRecord(record, { key: value, keySchema: schema }) : withRecord(record, { value, valueSchema: schema });
}

/** The part as a plain object (a struct); anything else is a data error naming the transform. */
export function structOf(value: unknown, transform: string, part: Part): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || Buffer.isBuffer(value)) {
    throw new DataError(`${transform}: the record ${part} is not a struct`);
  }
  return value as Record<string, unknown>;
}

export const splitList = (text: string): string[] =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
