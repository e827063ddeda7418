import { DataError } from '../api/index.js';
import { synchronousConverter, type Converter, type RecordPart } from './converter.js';

/** Schemaless JSON (like Kafka Connect's JsonConverter with schemas.enable=false). */
export function jsonConverter(part: RecordPart): Converter {
  return synchronousConverter({
    fromConnect(topic, value) {
      if (value === null || value === undefined) return null;
      try {
        return Buffer.from(JSON.stringify(value, bigintReplacer), 'utf8');
      } catch (err) {
        throw new DataError(`json converter: cannot serialize the ${part} for topic ${topic}: ${(err as Error).message}`, { cause: err });
      }
    },
    toConnect(topic, data) {
      if (data === null) return { value: null };
      try {
        return { value: JSON.parse(data.toString('utf8')) };
      } catch (err) {
        throw new DataError(`json converter: the ${part} on topic ${topic} is not valid JSON: ${(err as Error).message}`, { cause: err });
      }
    },
  });
}

function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
