import t from 'tap';
import Type from 'typebox';
import { Secret, definePredicate, defineTransform } from '../../runtime/api/index.js';
import { lookupFromMaps, validateConnectorConfig } from '../../runtime/config/index.js';
import { predicates } from '../../transforms/index.js';

const plugin = Type.Object({
  'connection.uri': Secret(Type.String({ minLength: 1, description: 'uri' })),
  'batch.size': Type.Integer({ minimum: 1, default: 500 }),
  'snapshot.enabled': Type.Boolean({ default: true }),
  'start.mode': Type.Optional(Type.Union([Type.Literal('earliest'), Type.Literal('latest')])),
});

const Rename = defineTransform({
  name: 'Rename',
  version: '1',
  description: 'rename a topic',
  config: Type.Object({ to: Type.String({ minLength: 1 }), 'keep.original': Type.Boolean({ default: false }) }),
  create: (config) => ({ apply: (r) => r && { ...r, topic: config.to } }),
});

const lookup = lookupFromMaps({ Rename }, predicates);

t.test('valid string map: coerced, defaulted, frozen', async (t) => {
  const r = validateConnectorConfig(plugin, {
    'connector.class': 'mongodb-source',
    'connection.uri': 'mongodb://x',
    'tasks.max': '2',
    'snapshot.enabled': 'false',
    'errors.log.enable': 'true',
  });
  t.ok(r.ok);
  if (!r.ok) return;
  t.equal(r.config['tasks.max'], 2);
  t.equal(r.config['snapshot.enabled'], false);
  t.equal(r.config['errors.log.enable'], true);
  t.equal(r.config['batch.size'], 500);
  t.equal(r.config['key.converter'], 'string');
  t.equal(r.config['value.converter'], 'avro');
  t.equal(r.config['errors.tolerance'], 'none');
  t.equal(r.config['errors.retry.timeout'], 0);
  t.equal(r.config['errors.retry.delay.max.ms'], 60000);
  t.equal(r.config['errors.deadletterqueue.topic.name'], '');
  t.equal(r.config['errors.deadletterqueue.context.headers.enable'], true);
  t.equal(r.config['offset.flush.interval.ms'], 10000);
  t.equal(r.config.transforms, '');
  t.same(r.transforms, []);
  t.ok(Object.isFrozen(r.config));
});

t.test('every error is reported with its dotted key', async (t) => {
  const raw = {
    'tasks.max': '0',
    'value.converter': 'protobuf',
    'batch.size': 'many',
    'start.mode': 'middle',
    'errors.tolerance': 'some',
    'conection.uri': 'typo',
  };
  const r = validateConnectorConfig(plugin, raw);
  t.notOk(r.ok);
  if (r.ok) return;
  const byKey = Object.fromEntries(r.errors.map((e) => [e.key, e.message]));
  t.same(Object.keys(byKey).sort(), [
    'batch.size',
    'conection.uri',
    'connection.uri',
    'connector.class',
    'errors.tolerance',
    'start.mode',
    'tasks.max',
    'value.converter',
  ]);
  t.equal(byKey['connector.class'], 'is required');
  t.equal(byKey['conection.uri'], 'is not a known configuration key');
  t.equal(byKey['value.converter'], 'must be one of: "avro", "json", "string"');
  t.equal(byKey['start.mode'], 'must be one of: "earliest", "latest"', 'union branches collapse into one message');
  t.match(byKey['tasks.max'], />= 1/);
  t.same(raw['tasks.max'], '0', 'input is not modified');
});

t.test('sink kind requires topics', async (t) => {
  const base = { 'connector.class': 'postgres-sink', 'connection.uri': 'x' };
  const r = validateConnectorConfig(plugin, base, { kind: 'sink' });
  t.same(r.ok ? [] : r.errors, [{ key: 'topics', message: 'is required' }]);
  const ok = validateConnectorConfig(plugin, { ...base, topics: 'orders-cdc, customers-cdc' }, { kind: 'sink' });
  t.ok(ok.ok);
  if (ok.ok) t.equal(ok.config.topics, 'orders-cdc, customers-cdc');
  const bad = validateConnectorConfig(plugin, { ...base, topics: 'a,,b c' }, { kind: 'sink' });
  t.notOk(bad.ok);
});

t.test('non-object input', async (t) => {
  for (const raw of [null, 'x', [], 3]) {
    const r = validateConnectorConfig(plugin, raw);
    t.notOk(r.ok);
  }
});

const withChain = {
  'connector.class': 'c',
  'connection.uri': 'x',
  transforms: 'rename, route',
  'transforms.rename.type': 'Rename',
  'transforms.rename.to': 'out',
  'transforms.rename.predicate': 'tomb',
  'transforms.rename.negate': 'true',
  'transforms.route.type': 'Rename',
  'transforms.route.to': 'x',
  'transforms.route.keep.original': 'true',
  predicates: 'tomb',
  'predicates.tomb.type': 'RecordIsTombstone',
};

t.test('transform chain keys are validated against the plugins', async (t) => {
  const r = validateConnectorConfig(plugin, withChain, { lookup });
  t.ok(r.ok, r.ok ? '' : JSON.stringify(r.errors));
  if (!r.ok) return;
  t.same(
    r.transforms.map((s) => [s.alias, s.type, s.config, s.negate, s.predicate?.alias]),
    [
      ['rename', 'Rename', { to: 'out', 'keep.original': false }, true, 'tomb'],
      ['route', 'Rename', { to: 'x', 'keep.original': true }, false, undefined],
    ],
  );
  t.same(r.transforms[0]?.predicate, { alias: 'tomb', type: 'RecordIsTombstone', config: {} });
});

t.test('transform chain errors', async (t) => {
  const r = validateConnectorConfig(
    plugin,
    {
      'connector.class': 'c',
      'connection.uri': 'x',
      transforms: 'a,b,c,a,bad.alias',
      'transforms.a.type': 'Rename',
      'transforms.a.too': 'typo',
      'transforms.b.type': 'Nope',
      'transforms.a.predicate': 'missing',
      'transforms.a.negate': 'maybe',
      'transforms.ghost.type': 'Rename',
      predicates: 'p',
      'predicates.p.type': 'TopicNameMatches',
    },
    { lookup },
  );
  t.notOk(r.ok);
  if (r.ok) return;
  const lines = r.errors.map((e) => `${e.key}: ${e.message}`);
  t.same(lines.sort(), [
    'predicates.p.pattern: is required',
    'transforms.a.negate: must be true or false',
    'transforms.a.predicate: "missing" is not listed in predicates',
    'transforms.a.to: is required',
    'transforms.a.too: is not a known configuration key',
    'transforms.b.type: unknown transform "Nope"',
    'transforms.bad.alias.type: is required: the transform plugin name',
    'transforms.c.type: is required: the transform plugin name',
    'transforms.ghost.type: "ghost" is not listed in transforms',
    'transforms: alias "a" is listed twice',
    'transforms: alias "bad.alias" may contain only letters, digits, "_" and "-"',
  ]);
});

t.test('without a lookup, transform keys pass through unvalidated', async (t) => {
  const r = validateConnectorConfig(plugin, withChain);
  t.ok(r.ok);
  if (!r.ok) return;
  t.same(r.transforms[1]?.config, { to: 'x', 'keep.original': 'true' });
});

t.test('plugin keys may narrow common keys', async (t) => {
  const single = Type.Object({ 'tasks.max': Type.Integer({ minimum: 1, maximum: 1, default: 1 }) });
  const r = validateConnectorConfig(single, { 'connector.class': 'x', 'tasks.max': 2 });
  t.notOk(r.ok);
  if (!r.ok)
    t.same(
      r.errors.map((e) => e.key),
      ['tasks.max'],
    );
});

t.test('a predicate plugin with defaults', async (t) => {
  const P = definePredicate({
    name: 'P',
    description: 'p',
    config: Type.Object({ n: Type.Integer({ default: 3 }) }),
    create: () => ({ test: () => true }),
  });
  const r = validateConnectorConfig(
    plugin,
    {
      'connector.class': 'c',
      'connection.uri': 'x',
      predicates: 'p',
      'predicates.p.type': 'P',
      transforms: 't',
      'transforms.t.type': 'Rename',
      'transforms.t.to': 'y',
      'transforms.t.predicate': 'p',
    },
    { lookup: lookupFromMaps({ Rename }, { P }) },
  );
  t.ok(r.ok);
  if (r.ok) t.same(r.transforms[0]?.predicate?.config, { n: 3 });
});
