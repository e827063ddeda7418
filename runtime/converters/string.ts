import { DataError } from '../api/index.js';
import { synchronousConverter, type Converter, type RecordPart } from './converter.js';

/** UTF-8 strings; anything but a string or a Buffer is refused rather than silently stringified. */
export function stringConverter(part: RecordPart): Converter {
  return synchronousConverter({
    fromConnect(topic, value) {
      if (value === null || value === undefined) return null;
      if (typeof value === 'string') return Buffer.from(value, 'utf8');
      if (Buffer.isBuffer(value)) return value;
      throw new DataError(`string converter: the ${part} for topic ${topic} is a ${typeof value}, not a string`);
    },
    toConnect(_topic, data) {
      return { value: data === null ? null : data.toString('utf8') };
    },
  });
}
