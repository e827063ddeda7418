import type { RecordSchema } from '../api/index.js';

/** Which part of a Kafka record a converter handles: subjects and error messages depend on it. */
export type RecordPart = 'key' | 'value';

/**
 * Turns a record's key or value into Kafka bytes and back. Source runners call `fromConnect`,
 * sink runners `toConnect`. A `null` value is a tombstone and passes through as `null` both ways.
 * Converters may be called concurrently and must not mutate the value they are given.
 * A value that cannot be converted is a DataError: the record is dead-lettered or fails the task
 * according to `errors.tolerance`.
 */
export interface Converter {
  fromConnect(topic: string, value: unknown, schema: RecordSchema | undefined): Promise<Buffer | null>;
  toConnect(topic: string, data: Buffer | null): Promise<{ value: unknown; schema?: RecordSchema }>;
}

export type ConverterKind = 'avro' | 'json' | 'string';
