import Type from 'typebox';
import { ConfigError, defineTransform, type ConnectRecord } from '../runtime/api/index.js';
import { partConfig, partOf, recordFields, splitList, structOf, withFields, withPart } from './support/parts.js';

export const ReplaceField = defineTransform({
  name: 'ReplaceField',
  version: '1.0.0',
  description:
    "Keeps only the `include` fields, drops the `exclude` fields, and renames fields (`renames`, old:new pairs), like Kafka Connect's ReplaceField. " +
    'A record schema is changed the same way.',
  config: Type.Object({
    part: partConfig,
    include: Type.String({ description: 'Comma-separated fields to keep (empty: all).', default: '' }),
    exclude: Type.String({ description: 'Comma-separated fields to drop.', default: '' }),
    renames: Type.String({ description: 'Comma-separated old:new pairs.', default: '', examples: ['cust_id:customer_id'] }),
  }),
  create(config) {
    const include = new Set(splitList(config.include));
    const exclude = new Set(splitList(config.exclude));
    const renames = new Map<string, string>();
    for (const pair of splitList(config.renames)) {
      const [from, to, extra] = pair.split(':').map((s) => s.trim());
      if (!from || !to || extra !== undefined) throw new ConfigError([{ key: 'renames', message: `"${pair}" is not an old:new pair` }]);
      renames.set(from, to);
    }
    const keep = (name: string) => (include.size === 0 || include.has(name)) && !exclude.has(name);
    const rename = (name: string) => renames.get(name) ?? name;
    return {
      apply<R extends ConnectRecord>(record: R): R {
        const { value, schema } = partOf(record, config.part);
        const struct = structOf(value, 'ReplaceField', config.part);
        const next: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(struct)) if (keep(k)) next[rename(k)] = v;
        const fields = recordFields(schema);
        const nextSchema = fields
          ? withFields(
              schema!,
              fields.filter((f) => keep(f.name)).map((f) => ({ ...f, name: rename(f.name) })),
            )
          : schema;
        return withPart(record, config.part, next, nextSchema);
      },
    };
  },
});
