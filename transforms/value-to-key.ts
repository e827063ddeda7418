import Type from 'typebox';
import { ConfigError, DataError, defineTransform, withRecord, type ConnectRecord } from '../runtime/api/index.js';
import { recordFields, splitList, structOf } from './support/parts.js';

export const ValueToKey = defineTransform({
  name: 'ValueToKey',
  version: '1.0.0',
  description:
    "Replaces the key by a struct of the given fields of the value, like Kafka Connect's ValueToKey. With a value record schema, the key " +
    'gets a record schema of those fields.',
  config: Type.Object({
    fields: Type.String({ description: 'Comma-separated value fields that make up the key.', minLength: 1, examples: ['customer_id'] }),
  }),
  create(config) {
    const fields = splitList(config.fields);
    if (fields.length === 0) throw new ConfigError([{ key: 'fields', message: 'names no field' }]);
    return {
      apply<R extends ConnectRecord>(record: R): R {
        const value = structOf(record.value, 'ValueToKey', 'value');
        const key: Record<string, unknown> = {};
        for (const f of fields) {
          if (!Object.hasOwn(value, f)) throw new DataError(`ValueToKey: the value has no field ${f}`);
          key[f] = value[f];
        }
        const valueFields = recordFields(record.valueSchema);
        const keySchema = valueFields
          ? {
              type: 'record',
              name: `${(record.valueSchema as { name?: string }).name ?? 'Value'}Key`,
              fields: fields.map((f) => valueFields.find((v) => v.name === f) ?? { name: f, type: 'string' }),
            }
          : undefined;
        return withRecord(record, { key, keySchema });
      },
    };
  },
});
