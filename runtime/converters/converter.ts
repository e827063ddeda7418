import type { RecordSchema } from '../api/index.js';

/** Which part of a Kafka record a converter handles: subjects and error messages depend on it. */
export type RecordPart = 'key' | 'value';

export interface SchemaAndValue {
  value: unknown;
  schema?: RecordSchema;
}

/**
 * Turns a record's key or value into Kafka bytes and back. Source runners call `fromConnect`,
 * sink runners `toConnect`. A `null` value is a tombstone and passes through as `null` both ways.
 * Converters may be called concurrently and must not mutate the value they are given.
 * A value that cannot be converted is a DataError: the record is dead-lettered or fails the task
 * according to `errors.tolerance`.
 *
 * The `*Sync` variants are the runners' batch fast path: they convert without a promise when no
 * I/O is needed (a schema already cached), and return `undefined` when it is, so the caller awaits
 * the asynchronous method once, which warms the cache. They throw what the asynchronous methods
 * reject with.
 */
export interface Converter {
  fromConnect(topic: string, value: unknown, schema: RecordSchema | undefined): Promise<Buffer | null>;
  toConnect(topic: string, data: Buffer | null): Promise<SchemaAndValue>;
  fromConnectSync(topic: string, value: unknown, schema: RecordSchema | undefined): Buffer | null | undefined;
  toConnectSync(topic: string, data: Buffer | null): SchemaAndValue | undefined;
}

export type ConverterKind = 'avro' | 'json' | 'string';

/** Builds a converter whose conversions never need I/O: the async methods wrap the sync ones. */
export function synchronousConverter(convert: {
  fromConnect(topic: string, value: unknown, schema: RecordSchema | undefined): Buffer | null;
  toConnect(topic: string, data: Buffer | null): SchemaAndValue;
}): Converter {
  return {
    fromConnect: async (topic, value, schema) => convert.fromConnect(topic, value, schema),
    toConnect: async (topic, data) => convert.toConnect(topic, data),
    fromConnectSync: convert.fromConnect,
    toConnectSync: convert.toConnect,
  };
}
