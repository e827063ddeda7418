import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type avsc from 'avsc';
import { DataError, RetriableError, type RecordSchema } from '../api/index.js';
import type { Converter, RecordPart } from './converter.js';

const MAGIC_BYTE = 0;

/**
 * Avro in the Confluent wire format: a zero magic byte, the 4-byte big-endian schema id, then the
 * Avro binary body. Schemas are registered under `<topic>-key` / `<topic>-value` (TopicNameStrategy)
 * and cached per subject and schema text, so the registry is asked once per schema, not per record.
 */
export function avroConverter(part: RecordPart, registry: SchemaRegistry): Converter {
  const ids = new Map<string, Promise<number>>();
  const schemasById = new Map<number, Promise<RecordSchema>>();

  function schemaId(topic: string, schema: RecordSchema): Promise<number> {
    const subject = `${topic}-${part}`;
    const text = JSON.stringify(schema);
    const cacheKey = `${subject}\u0000${text}`;
    let id = ids.get(cacheKey);
    if (!id) {
      id = registry
        .register({ type: SchemaType.AVRO, schema: text }, { subject })
        .then((registered) => registered.id)
        .catch((err: Error & { status?: number }) => {
          ids.delete(cacheKey);
          // 409: incompatible with the subject's compatibility rule; 422: not a valid schema.
          if (err.status === 409 || err.status === 422) {
            throw new DataError(`avro converter: schema refused by the registry for subject ${subject}: ${err.message}`, { cause: err });
          }
          throw new RetriableError(`avro converter: schema registry unavailable: ${err.message}`, { cause: err });
        });
      ids.set(cacheKey, id);
    }
    return id;
  }

  function writerSchema(id: number): Promise<RecordSchema> {
    let schema = schemasById.get(id);
    if (!schema) {
      schema = registry.getSchema(id).then((type) => (type as unknown as avsc.Type).schema() as RecordSchema);
      schema.catch(() => schemasById.delete(id));
      schemasById.set(id, schema);
    }
    return schema;
  }

  return {
    async fromConnect(topic, value, schema) {
      if (value === null || value === undefined) return null;
      if (!schema) throw new DataError(`avro converter: the ${part} for topic ${topic} has no schema`);
      const id = await schemaId(topic, schema);
      try {
        return await registry.encode(id, value);
      } catch (err) {
        throw new DataError(`avro converter: the ${part} for topic ${topic} does not match its schema: ${(err as Error).message}`, { cause: err });
      }
    },
    async toConnect(topic, data) {
      if (data === null) return { value: null };
      if (data.length < 5 || data[0] !== MAGIC_BYTE) {
        throw new DataError(`avro converter: the ${part} on topic ${topic} is not in the Confluent wire format (magic byte ${data[0]})`);
      }
      const id = data.readInt32BE(1);
      let schema: RecordSchema;
      try {
        schema = await writerSchema(id);
      } catch (err) {
        const status = (err as { status?: number }).status;
        if (status === 404) throw new DataError(`avro converter: schema id ${id} is unknown to the registry`, { cause: err });
        throw new RetriableError(`avro converter: schema registry unavailable: ${(err as Error).message}`, { cause: err });
      }
      try {
        return { value: await registry.decode(data), schema };
      } catch (err) {
        throw new DataError(`avro converter: cannot decode the ${part} on topic ${topic}: ${(err as Error).message}`, { cause: err });
      }
    },
  };
}
