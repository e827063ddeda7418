import t from 'tap';
import Type from 'typebox';
import { ConfigError, DataError, noopMetrics, silentLogger, type SinkRecord, type Transform, type TransformContext } from '../../runtime/api/index.js';
import { buildTransformChain } from '../../runtime/tasks/transform-chain.js';
import { lookupFromMaps, validateConnectorConfig } from '../../runtime/config/validate.js';
import { ExtractField } from '../../transforms/extract-field.js';
import { Filter } from '../../transforms/filter.js';
import { InsertField } from '../../transforms/insert-field.js';
import { predicates, transforms } from '../../transforms/index.js';
import { ReplaceField } from '../../transforms/replace-field.js';
import { TimestampConverter } from '../../transforms/timestamp-converter.js';
import { ValueToKey } from '../../transforms/value-to-key.js';

const ctx: TransformContext = { logger: silentLogger, metrics: noopMetrics, tables: { open: () => Promise.reject(new Error('none')) } };
const schema = {
  type: 'record',
  name: 'Order',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'cust_id', type: 'string' },
    { name: 'secret', type: 'string' },
    { name: 'at', type: ['null', 'long'] },
  ],
};
const rec = (value: unknown, valueSchema: object | undefined = schema): SinkRecord =>
  Object.freeze({ topic: 't', kafkaPartition: 3, kafkaOffset: '42', key: 'k', value, ...(valueSchema ? { valueSchema } : {}), headers: {}, timestamp: 1000 });
const value = { id: 'o1', cust_id: 'c1', secret: 's', at: 1768471200000 };
const apply = (tr: Transform, r: SinkRecord) => tr.apply(r) as SinkRecord | null;

t.test('InsertField adds metadata and static fields, and optional schema fields', async (t) => {
  const tr = InsertField.create(
    {
      part: 'value',
      'topic.field': 'src_topic',
      'partition.field': 'p',
      'offset.field': 'off',
      'timestamp.field': 'ts',
      'static.field': 'env',
      'static.value': 'prod',
    },
    ctx,
  ) as Transform;
  const input = rec(value);
  const out = apply(tr, input)!;
  t.same(out.value, { ...value, src_topic: 't', p: 3, off: '42', ts: 1000, env: 'prod' });
  t.same(
    (out.valueSchema as { fields: Array<{ name: string; default?: unknown }> }).fields.slice(4).map((f) => [f.name, f.default]),
    [
      ['src_topic', null],
      ['p', null],
      ['off', null],
      ['ts', null],
      ['env', null],
    ],
  );
  t.same(input.value, value, 'the input is not mutated');
  t.throws(() => InsertField.create({ part: 'value' }, ctx), ConfigError);
  t.throws(() => InsertField.create({ part: 'value', 'static.field': 'x' }, ctx), ConfigError);
  t.throws(() => apply(tr, rec('text', undefined)), DataError);
});

t.test('ReplaceField includes, excludes and renames, in the value and its schema', async (t) => {
  const tr = ReplaceField.create({ part: 'value', include: '', exclude: 'secret', renames: 'cust_id:customer_id' }, ctx) as Transform;
  const out = apply(tr, rec(value))!;
  t.same(out.value, { id: 'o1', customer_id: 'c1', at: value.at });
  t.same(
    (out.valueSchema as { fields: Array<{ name: string }> }).fields.map((f) => f.name),
    ['id', 'customer_id', 'at'],
  );
  const only = ReplaceField.create({ part: 'value', include: 'id', exclude: '', renames: '' }, ctx) as Transform;
  t.same(apply(only, rec(value))!.value, { id: 'o1' });
  t.throws(() => ReplaceField.create({ part: 'value', include: '', exclude: '', renames: 'a' }, ctx), ConfigError);
});

t.test('Filter drops what its predicate matches (with negate)', async (t) => {
  t.equal(apply(Filter.create({}, ctx) as Transform, rec(value)), null);
  const lookup = lookupFromMaps(transforms, predicates);
  const v = validateConnectorConfig(
    Type.Object({}),
    {
      'connector.class': 'x',
      transforms: 'drop',
      'transforms.drop.type': 'Filter',
      'transforms.drop.predicate': 'isOrders',
      'transforms.drop.negate': 'true',
      predicates: 'isOrders',
      'predicates.isOrders.type': 'TopicNameMatches',
      'predicates.isOrders.pattern': 'orders-.*',
    },
    { lookup },
  );
  if (!v.ok) throw new Error(JSON.stringify(v.errors));
  const specs = v.transforms;
  const chain = await buildTransformChain(specs, lookup);
  t.equal(await chain.apply({ ...rec(value), topic: 'other' }), null, 'a record of another topic is dropped');
  t.ok(await chain.apply({ ...rec(value), topic: 'orders-cdc' }), 'an orders record passes');
});

t.test('TimestampConverter converts between unix, string, Date and Timestamp', async (t) => {
  const mk = (target: 'string' | 'unix' | 'Date' | 'Timestamp', precision: 'seconds' | 'milliseconds' = 'milliseconds', field = 'at') =>
    TimestampConverter.create({ part: 'value', field, 'target.type': target, 'unix.precision': precision }, ctx) as Transform;
  const s = apply(mk('string'), rec(value))!;
  t.equal((s.value as { at: string }).at, '2026-01-15T10:00:00.000Z');
  t.same((s.valueSchema as { fields: Array<{ type: unknown }> }).fields[3]!.type, ['null', 'string'], 'nullable stays nullable');
  t.equal((apply(mk('unix', 'seconds'), s)!.value as { at: number }).at, 1768471200);
  t.equal((apply(mk('Date'), rec(value))!.value as { at: number }).at, 20468);
  t.equal((apply(mk('Timestamp'), s)!.value as { at: number }).at, 1768471200000);
  t.equal((apply(mk('string'), rec({ ...value, at: null }))!.value as { at: null }).at, null);
  t.equal(apply(mk('string', 'milliseconds', ''), rec(5, { type: 'long' }))!.value, '1970-01-01T00:00:00.005Z', 'the whole value');
  t.throws(() => apply(mk('string'), rec({ ...value, at: 'soon' })), DataError);
});

t.test('ValueToKey builds the key from value fields, with a key schema', async (t) => {
  const out = apply(ValueToKey.create({ fields: 'id,cust_id' }, ctx) as Transform, rec(value))!;
  t.same(out.key, { id: 'o1', cust_id: 'c1' });
  t.same(out.keySchema, { type: 'record', name: 'OrderKey', fields: [schema.fields[0], schema.fields[1]] });
  t.throws(() => apply(ValueToKey.create({ fields: 'nope' }, ctx) as Transform, rec(value)), DataError);
  t.throws(() => ValueToKey.create({ fields: ' , ' }, ctx), ConfigError);
});

t.test('ExtractField replaces the value by a (nested) field and its schema', async (t) => {
  const out = apply(ExtractField.create({ part: 'value', field: 'cust_id' }, ctx) as Transform, rec(value))!;
  t.equal(out.value, 'c1');
  t.same(out.valueSchema, { type: 'string' });
  const nested = ExtractField.create({ part: 'value', field: 'after._id' }, ctx) as Transform;
  t.equal(apply(nested, rec({ after: { _id: 'x' } }, undefined))!.value, 'x');
  t.equal(apply(nested, rec({ after: null }, undefined))!.value, null, 'a missing path gives null');
  const key = ExtractField.create({ part: 'key', field: 'id' }, ctx) as Transform;
  t.equal(apply(key, { ...rec(value), key: { id: 'k1' } })!.key, 'k1');
});
