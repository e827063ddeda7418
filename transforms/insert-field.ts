import Type from 'typebox';
import { ConfigError, defineTransform, type ConnectRecord } from '../runtime/api/index.js';
import { partConfig, partOf, recordFields, structOf, withFields, withPart, type AvroField } from './support/parts.js';

const optional = (type: unknown): AvroField['type'] => ['null', type];

export const InsertField = defineTransform({
  name: 'InsertField',
  version: '1.0.0',
  description:
    "Adds fields with record metadata (topic, partition, Kafka offset, timestamp) or a static value, like Kafka Connect's InsertField. " +
    'A record schema gets the new fields as optional (nullable, default null) so that it stays backward compatible.',
  config: Type.Object({
    part: partConfig,
    'topic.field': Type.Optional(Type.String({ description: 'Field name for the topic.', minLength: 1 })),
    'partition.field': Type.Optional(Type.String({ description: 'Field name for the Kafka partition (sink records) or target partition.', minLength: 1 })),
    'offset.field': Type.Optional(Type.String({ description: 'Field name for the Kafka offset, as a decimal string (sink records only).', minLength: 1 })),
    'timestamp.field': Type.Optional(Type.String({ description: 'Field name for the record timestamp (epoch ms).', minLength: 1 })),
    'static.field': Type.Optional(Type.String({ description: 'Field name for the static value.', minLength: 1 })),
    'static.value': Type.Optional(Type.String({ description: 'The static value (a string).' })),
  }),
  create(config) {
    if ((config['static.field'] === undefined) !== (config['static.value'] === undefined)) {
      throw new ConfigError([{ key: 'static.value', message: 'static.field and static.value go together' }]);
    }
    const inserts: Array<{ name: string; type: unknown; value: (r: ConnectRecord) => unknown }> = [];
    const add = (name: string | undefined, type: unknown, value: (r: ConnectRecord) => unknown) => {
      if (name !== undefined) inserts.push({ name, type, value });
    };
    add(config['topic.field'], 'string', (r) => r.topic);
    add(config['partition.field'], 'int', (r) => (r as { kafkaPartition?: number }).kafkaPartition ?? r.partition ?? null);
    add(config['offset.field'], 'string', (r) => (r as { kafkaOffset?: string }).kafkaOffset ?? null);
    add(config['timestamp.field'], { type: 'long', logicalType: 'timestamp-millis' }, (r) => r.timestamp);
    add(config['static.field'], 'string', () => config['static.value']);
    if (inserts.length === 0) throw new ConfigError([{ key: 'topic.field', message: 'name at least one field to insert' }]);
    const names = new Set(inserts.map((i) => i.name));
    return {
      apply<R extends ConnectRecord>(record: R): R {
        const { value, schema } = partOf(record, config.part);
        const struct = structOf(value, 'InsertField', config.part);
        const next: Record<string, unknown> = { ...struct };
        for (const i of inserts) next[i.name] = i.value(record);
        const fields = recordFields(schema);
        const nextSchema = fields
          ? withFields(schema!, [...fields.filter((f) => !names.has(f.name)), ...inserts.map((i) => ({ name: i.name, type: optional(i.type), default: null }))])
          : schema;
        return withPart(record, config.part, next, nextSchema);
      },
    };
  },
});
