import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { ConfigError } from '../api/index.js';
import { avroConverter } from './avro.js';
import type { Converter, ConverterKind, RecordPart } from './converter.js';
import { jsonConverter } from './json.js';
import { stringConverter } from './string.js';

export type { Converter, ConverterKind, RecordPart, SchemaAndValue } from './converter.js';

export function createConverter(kind: ConverterKind, part: RecordPart, registry: SchemaRegistry | undefined): Converter {
  switch (kind) {
    case 'string':
      return stringConverter(part);
    case 'json':
      return jsonConverter(part);
    case 'avro':
      if (!registry) {
        throw new ConfigError([{ key: `${part}.converter`, message: 'the avro converter needs schema.registry.url in the worker config' }]);
      }
      return avroConverter(part, registry);
  }
}
