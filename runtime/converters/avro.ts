import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type avsc from 'avsc';
import { DataError, FatalError, RetriableError, type RecordSchema } from '../api/index.js';
import type { Converter, RecordPart, SchemaAndValue } from './converter.js';

const MAGIC_BYTE = 0;

/** A registered schema ready to encode with: its id, its Avro type and the 5-byte wire header. */
interface Writer {
  readonly type: avsc.Type;
  readonly header: Buffer;
}

/** A writer schema fetched by id, ready to decode with. */
interface Reader {
  readonly type: avsc.Type;
  readonly schema: RecordSchema;
}

/**
 * Avro in the Confluent wire format: a zero magic byte, the 4-byte big-endian schema id, then the
 * Avro binary body. Schemas are registered under `<topic>-key` / `<topic>-value` (TopicNameStrategy).
 *
 * The registry is asked once per schema, not per record: writers are cached by schema object (a
 * connector normally hands the same object with every record; another object with the same text
 * costs one JSON.stringify, then it is cached too) and readers by id. Once cached, encoding and
 * decoding are synchronous calls into avsc, with the same Avro types the registry client builds.
 */
export function avroConverter(part: RecordPart, registry: SchemaRegistry): Converter {
  const writersByObject = new WeakMap<object, Map<string, Writer>>();
  const writersByText = new Map<string, Promise<Writer>>();
  const readers = new Map<number, Reader>();
  const readerLoads = new Map<number, Promise<Reader>>();

  function cachedWriter(subject: string, schema: RecordSchema): Writer | undefined {
    return writersByObject.get(schema)?.get(subject);
  }

  async function loadWriter(subject: string, schema: RecordSchema): Promise<Writer> {
    const text = JSON.stringify(schema);
    const cacheKey = `${subject}\u0000${text}`;
    let writer = writersByText.get(cacheKey);
    if (!writer) {
      writer = register(subject, text);
      writer.catch(() => writersByText.delete(cacheKey));
      writersByText.set(cacheKey, writer);
    }
    const loaded = await writer;
    let bySubject = writersByObject.get(schema);
    if (!bySubject) writersByObject.set(schema, (bySubject = new Map()));
    bySubject.set(subject, loaded);
    return loaded;
  }

  async function register(subject: string, text: string, attempt = 1): Promise<Writer> {
    let id: number;
    try {
      ({ id } = await registry.register({ type: SchemaType.AVRO, schema: text }, { subject }));
    } catch (err) {
      const status = (err as { status?: number }).status;
      // Two tasks registering the first schema of a new subject at once: the registry may refuse
      // the second with a conflict about creating the subject itself (Apicurio: "A rule named
      // 'COMPATIBILITY' already exists"). Once the subject exists, registering again succeeds.
      if (status === 409 && attempt === 1 && /already exists/i.test((err as Error).message)) return register(subject, text, 2);
      // 409: incompatible with the subject's compatibility rule; 422: not a valid schema. Either
      // refuses every record of the subject, not one: a per-record error would dead-letter them
      // all while the task says RUNNING. The task fails, with the registry's words.
      if (status === 409 || status === 422) {
        throw new FatalError(
          `avro converter: the registry refused the schema for subject ${subject} (${status === 409 ? "incompatible with the subject's compatibility rule" : 'not a valid schema'}): ${(err as Error).message}. Make the schema compatible (or change the subject's rule: PUT /config/${subject}), then restart the task`,
          { cause: err },
        );
      }
      throw new RetriableError(`avro converter: schema registry unavailable: ${(err as Error).message}`, { cause: err });
    }
    // register() leaves the parsed type in the client's cache, so this asks no server.
    const type = (await registry.getSchema(id)) as unknown as avsc.Type;
    const header = Buffer.alloc(5);
    header.writeUInt8(MAGIC_BYTE, 0);
    header.writeInt32BE(id, 1);
    return { type, header };
  }

  function loadReader(id: number): Promise<Reader> {
    let load = readerLoads.get(id);
    if (!load) {
      load = registry.getSchema(id).then(
        (type) => {
          const reader = { type: type as unknown as avsc.Type, schema: (type as unknown as avsc.Type).schema() as RecordSchema };
          readers.set(id, reader);
          return reader;
        },
        (err: unknown) => {
          readerLoads.delete(id);
          if ((err as { status?: number }).status === 404) throw new DataError(`avro converter: schema id ${id} is unknown to the registry`, { cause: err });
          throw new RetriableError(`avro converter: schema registry unavailable: ${(err as Error).message}`, { cause: err });
        },
      );
      readerLoads.set(id, load);
    }
    return load;
  }

  function encode(writer: Writer, topic: string, value: unknown): Buffer {
    try {
      return Buffer.concat([writer.header, writer.type.toBuffer(value)]);
    } catch (err) {
      const paths: string[] = [];
      writer.type.isValid(value, { errorHook: (path, found, type) => paths.push(`${path.join('.')}: expected ${typeName(type)}, found ${kindOf(found)}`) });
      // The library's own message quotes the value, which may be personal data: the paths say enough.
      const why = paths.length > 0 ? ` (invalid: ${paths.join('; ')})` : `: ${(err as Error).message}`;
      throw new DataError(`avro converter: the ${part} for topic ${topic} does not match its schema${why}`, { cause: err });
    }
  }

  /** The schema id of wire-format bytes; throws a DataError for bytes in another format. */
  function schemaIdOf(topic: string, data: Buffer): number {
    if (data.length < 5 || data[0] !== MAGIC_BYTE) {
      throw new DataError(`avro converter: the ${part} on topic ${topic} is not in the Confluent wire format (magic byte ${data[0]})`);
    }
    return data.readInt32BE(1);
  }

  function decode(reader: Reader, topic: string, data: Buffer): SchemaAndValue {
    try {
      return { value: reader.type.fromBuffer(data.subarray(5)), schema: reader.schema };
    } catch (err) {
      throw new DataError(`avro converter: cannot decode the ${part} on topic ${topic}: ${(err as Error).message}`, { cause: err });
    }
  }

  function requireSchema(topic: string, schema: RecordSchema | undefined): asserts schema is RecordSchema {
    if (!schema) throw new DataError(`avro converter: the ${part} for topic ${topic} has no schema`);
  }

  return {
    fromConnectSync(topic, value, schema) {
      if (value === null || value === undefined) return null;
      requireSchema(topic, schema);
      const writer = cachedWriter(`${topic}-${part}`, schema);
      return writer && encode(writer, topic, value);
    },
    async fromConnect(topic, value, schema) {
      if (value === null || value === undefined) return null;
      requireSchema(topic, schema);
      const subject = `${topic}-${part}`;
      return encode(cachedWriter(subject, schema) ?? (await loadWriter(subject, schema)), topic, value);
    },
    toConnectSync(topic, data) {
      if (data === null) return { value: null };
      const reader = readers.get(schemaIdOf(topic, data));
      return reader && decode(reader, topic, data);
    },
    async toConnect(topic, data) {
      if (data === null) return { value: null };
      const id = schemaIdOf(topic, data);
      return decode(readers.get(id) ?? (await loadReader(id)), topic, data);
    },
  };
}

/** An Avro type as a schema would spell it: its name, its logical type, or its branches. */
function typeName(type: { typeName?: string; name?: string; types?: readonly unknown[] } | undefined): string {
  if (!type) return 'unknown';
  const t = type as { typeName: string; name?: string; types?: Array<{ typeName?: string; name?: string }> };
  if (t.types) return t.types.map((branch) => typeName(branch)).join(' | ');
  return t.name ?? t.typeName;
}

/** The kind of a value that failed its schema, without the value itself (it may be personal data). */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing (missing)';
  if (Array.isArray(value)) return 'an array';
  if (Buffer.isBuffer(value)) return 'bytes';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer number' : 'a number';
  return `a ${typeof value}`;
}
