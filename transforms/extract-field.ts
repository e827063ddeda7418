import Type from 'typebox';
import { defineTransform, type ConnectRecord, type RecordSchema } from '../runtime/api/index.js';
import { partConfig, partOf, recordFields, structOf, withPart } from './support/parts.js';

export const ExtractField = defineTransform({
  name: 'ExtractField',
  version: '1.0.0',
  description:
    "Replaces the key or value by one of its fields (a dotted path reaches into nested structs), like Kafka Connect's ExtractField. " +
    "A missing field gives null; the schema becomes the field's schema.",
  config: Type.Object({
    part: partConfig,
    field: Type.String({ description: 'Field name, or a dotted path such as after._id.', minLength: 1, examples: ['after._id'] }),
  }),
  create(config) {
    const path = config.field.split('.');
    return {
      apply<R extends ConnectRecord>(record: R): R {
        const { value, schema } = partOf(record, config.part);
        let current: unknown = value;
        let currentSchema: RecordSchema | undefined = schema;
        for (const name of path) {
          if (current === null || current === undefined) break;
          current = structOf(current, 'ExtractField', config.part)[name];
          currentSchema = fieldSchema(currentSchema, name);
        }
        return withPart(record, config.part, current ?? null, currentSchema);
      },
    };
  },
});

/** The schema of `name` in a record schema, looking through a nullable union; undefined if unknown. */
function fieldSchema(schema: RecordSchema | undefined, name: string): RecordSchema | undefined {
  let s: unknown = schema;
  if (Array.isArray(s)) s = s.find((branch) => branch !== 'null');
  const type = recordFields(s as RecordSchema)?.find((f) => f.name === name)?.type;
  if (type === undefined) return undefined;
  return (typeof type === 'string' ? { type } : type) as RecordSchema;
}
