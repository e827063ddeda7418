import Type from 'typebox';
import { DataError, defineTransform, type ConnectRecord, type RecordSchema } from '../runtime/api/index.js';
import { partConfig, partOf, recordFields, structOf, withFields, withPart } from './support/parts.js';

type Target = 'string' | 'unix' | 'Date' | 'Timestamp';
type Precision = 'seconds' | 'milliseconds' | 'microseconds' | 'nanoseconds';
const PER_MS: Record<Precision, number> = { seconds: 1 / 1000, milliseconds: 1, microseconds: 1000, nanoseconds: 1_000_000 };
const DAY = 86_400_000;

const targetSchema: Record<Target, unknown> = {
  string: 'string',
  unix: 'long',
  Date: { type: 'int', logicalType: 'date' },
  Timestamp: { type: 'long', logicalType: 'timestamp-millis' },
};

export const TimestampConverter = defineTransform({
  name: 'TimestampConverter',
  version: '1.0.0',
  description:
    'Converts a timestamp field (or the whole key/value) between ISO-8601 strings, unix numbers, Avro date (days) and timestamp-millis, ' +
    "like Kafka Connect's TimestampConverter. Strings are read and written as ISO-8601 in UTC (no custom format patterns).",
  config: Type.Object({
    part: partConfig,
    field: Type.String({ description: 'The field to convert; empty converts the whole key or value.', default: '' }),
    'target.type': Type.Union([Type.Literal('string'), Type.Literal('unix'), Type.Literal('Date'), Type.Literal('Timestamp')], {
      description: 'string: ISO-8601; unix: number in unix.precision; Date: days since the epoch; Timestamp: epoch ms.',
    }),
    'unix.precision': Type.Union([Type.Literal('seconds'), Type.Literal('milliseconds'), Type.Literal('microseconds'), Type.Literal('nanoseconds')], {
      description: 'Unit of unix numbers, read and written.',
      default: 'milliseconds',
    }),
  }),
  create(config) {
    const target = config['target.type'] as Target;
    const precision = config['unix.precision'] as Precision;
    const toMs = (v: unknown): number => {
      if (typeof v === 'number' && Number.isFinite(v)) return v / PER_MS[precision];
      if (typeof v === 'bigint') return Number(v) / PER_MS[precision];
      if (v instanceof Date) return v.getTime();
      if (typeof v === 'string') {
        const ms = Date.parse(v);
        if (!Number.isNaN(ms)) return ms;
      }
      throw new DataError(`TimestampConverter: ${JSON.stringify(v)} is not a timestamp`);
    };
    const convert = (v: unknown): unknown => {
      if (v === null || v === undefined) return null;
      const ms = toMs(v);
      switch (target) {
        case 'string':
          return new Date(ms).toISOString();
        case 'unix':
          return Math.round(ms * PER_MS[precision]);
        case 'Date':
          return Math.floor(ms / DAY);
        case 'Timestamp':
          return Math.round(ms);
      }
    };
    const newType = (old: unknown): unknown => (Array.isArray(old) && old.includes('null') ? ['null', targetSchema[target]] : targetSchema[target]);
    return {
      apply<R extends ConnectRecord>(record: R): R {
        const { value, schema } = partOf(record, config.part);
        if (config.field === '') {
          return withPart(record, config.part, convert(value), schema ? newTypeSchema(targetSchema[target]) : schema);
        }
        const struct = structOf(value, 'TimestampConverter', config.part);
        const next = { ...struct, [config.field]: convert(struct[config.field]) };
        const fields = recordFields(schema);
        const nextSchema = fields
          ? withFields(
              schema!,
              fields.map((f) => (f.name === config.field ? { ...f, type: newType(f.type) } : f)),
            )
          : schema;
        return withPart(record, config.part, next, nextSchema);
      },
    };
  },
});

function newTypeSchema(type: unknown): RecordSchema {
  return (typeof type === 'string' ? { type } : type) as RecordSchema;
}
