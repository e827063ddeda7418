import t from 'tap';
import Type from 'typebox';
import { ConfigError, DataError, RetriableError, defineTransform, withRecord, type ConnectRecord, type SinkRecord } from '../../runtime/api/index.js';
import { lookupFromMaps, validateConnectorConfig } from '../../runtime/config/index.js';
import { StageError, classify } from '../../runtime/errors.js';
import { buildTransformChain } from '../../runtime/tasks/transform-chain.js';
import { predicates } from '../../transforms/index.js';

const closed: string[] = [];

const Append = defineTransform({
  name: 'Append',
  version: '1',
  description: 'appends a suffix to the topic',
  config: Type.Object({ suffix: Type.String(), async: Type.Boolean({ default: false }), fail: Type.String({ default: '' }) }),
  create(config) {
    if (config.suffix === 'invalid') throw new ConfigError([{ key: 'suffix', message: 'is invalid' }]);
    return {
      apply(record) {
        if (config.fail === 'data') throw new DataError('bad record');
        if (config.fail === 'retry') throw new RetriableError('later');
        if (config.fail === 'type') throw new TypeError('oops');
        const out = withRecord(record, { topic: record.topic + config.suffix });
        return config.async ? Promise.resolve(out) : out;
      },
      close() {
        closed.push(config.suffix);
        if (config.suffix === '-closefail') throw new Error('close failed');
      },
    };
  },
});

const Drop = defineTransform({
  name: 'Drop',
  version: '1',
  description: 'drops everything',
  config: Type.Object({}),
  create: () => ({ apply: () => null }),
});

const lookup = lookupFromMaps({ Append, Drop }, predicates);

async function chainFor(config: Record<string, unknown>) {
  const v = validateConnectorConfig(Type.Object({}), { 'connector.class': 'x', ...config }, { lookup });
  if (!v.ok) throw new Error(JSON.stringify(v.errors));
  return buildTransformChain(v.transforms, lookup);
}

const record: SinkRecord = Object.freeze({
  topic: 'orders',
  key: 'k',
  value: { a: 1 },
  headers: Object.freeze({ trace: '1' }),
  timestamp: 0,
  kafkaPartition: 0,
  kafkaOffset: '42',
});

t.beforeEach(() => {
  closed.length = 0;
});

t.test('runs stages in order, sync and async, keeping the record kind', async (t) => {
  const chain = await chainFor({
    transforms: 'a,b',
    'transforms.a.type': 'Append',
    'transforms.a.suffix': '-1',
    'transforms.b.type': 'Append',
    'transforms.b.suffix': '-2',
    'transforms.b.async': 'true',
  });
  t.same(chain.aliases, ['a', 'b']);
  const out = await chain.apply(record);
  t.equal(out?.topic, 'orders-1-2');
  t.equal(out?.kafkaOffset, '42');
  t.equal(record.topic, 'orders', 'input untouched');
  await chain.close();
  t.same(closed, ['-1', '-2']);
});

t.test('an empty chain returns the record itself', async (t) => {
  const chain = await buildTransformChain([], lookup);
  t.equal(await chain.apply(record), record);
});

t.test('null stops the chain', async (t) => {
  const chain = await chainFor({
    transforms: 'drop,a',
    'transforms.drop.type': 'Drop',
    'transforms.a.type': 'Append',
    'transforms.a.suffix': '-never',
  });
  t.equal(await chain.apply(record), null);
});

t.test('predicates and negate', async (t) => {
  const chain = await chainFor({
    predicates: 'isOrders,hasTrace',
    'predicates.isOrders.type': 'TopicNameMatches',
    'predicates.isOrders.pattern': 'ord[a-z]*',
    'predicates.hasTrace.type': 'HasHeaderKey',
    'predicates.hasTrace.name': 'trace',
    transforms: 'onOrders,notOrders,untraced',
    'transforms.onOrders.type': 'Append',
    'transforms.onOrders.suffix': '-o',
    'transforms.onOrders.predicate': 'isOrders',
    'transforms.notOrders.type': 'Append',
    'transforms.notOrders.suffix': '-n',
    'transforms.notOrders.predicate': 'isOrders',
    'transforms.notOrders.negate': true,
    'transforms.untraced.type': 'Append',
    'transforms.untraced.suffix': '-u',
    'transforms.untraced.predicate': 'hasTrace',
    'transforms.untraced.negate': 'true',
  });
  // orders -> orders-o (matches); then the topic no longer matches `ord[a-z]*` in full, so notOrders applies.
  t.equal((await chain.apply(record))?.topic, 'orders-o-n');
  t.equal((await chain.apply(withRecord(record, { topic: 'x', headers: {} })))?.topic, 'x-n-u');
});

t.test('a failing stage is named; classification follows the cause', async (t) => {
  for (const [fail, kind] of [
    ['data', 'data'],
    ['retry', 'retriable'],
    ['type', 'data'],
  ] as const) {
    const chain = await chainFor({
      transforms: 'ok,bad',
      'transforms.ok.type': 'Append',
      'transforms.ok.suffix': '-1',
      'transforms.bad.type': 'Append',
      'transforms.bad.suffix': '-2',
      'transforms.bad.fail': fail,
    });
    const err = await chain.apply(record).then(
      () => undefined,
      (e: unknown) => e,
    );
    t.type(err, StageError);
    t.equal((err as StageError).stage, 'transform:bad');
    t.equal(classify(err), kind, fail);
  }
});

t.test('a throwing predicate is named too', async (t) => {
  const chain = await buildTransformChain(
    [{ alias: 't', type: 'Append', config: { suffix: '', async: false, fail: '' }, negate: false, predicate: { alias: 'p', type: 'Boom', config: {} } }],
    lookupFromMaps(
      { Append },
      {
        Boom: {
          name: 'Boom',
          description: '',
          config: Type.Object({}),
          create: () => ({
            test: () => {
              throw new Error('x');
            },
          }),
        },
      },
    ),
  );
  t.match(await chain.apply(record).catch((e: unknown) => e), { stage: 'predicate:p' });
});

t.test('close reports every failure but closes every stage', async (t) => {
  const chain = await chainFor({
    transforms: 'a,b,c',
    'transforms.a.type': 'Append',
    'transforms.a.suffix': '-closefail',
    'transforms.b.type': 'Drop',
    'transforms.c.type': 'Append',
    'transforms.c.suffix': '-c',
  });
  await t.rejects(chain.close(), AggregateError);
  t.same(closed, ['-closefail', '-c']);
});

t.test('build errors: unknown plugin, refused config; earlier stages are closed', async (t) => {
  const specs = (suffix: string) => [
    { alias: 'first', type: 'Append', config: { suffix: '-first', async: false, fail: '' }, negate: false },
    { alias: 'second', type: 'Append', config: { suffix, async: false, fail: '' }, negate: false },
  ];
  const err = await buildTransformChain(specs('invalid'), lookup).catch((e: unknown) => e);
  t.type(err, ConfigError);
  t.same((err as ConfigError).errors, [{ key: 'transforms.second.suffix', message: 'is invalid' }]);
  t.same(closed, ['-first']);

  await t.rejects(buildTransformChain([{ alias: 'x', type: 'Missing', config: {}, negate: false }], lookup), {
    errors: [{ key: 'transforms.x.type', message: 'unknown transform "Missing"' }],
  });
  await t.rejects(buildTransformChain([{ alias: 'x', type: 'Drop', config: {}, negate: false, predicate: { alias: 'p', type: 'Nope', config: {} } }], lookup), {
    errors: [{ key: 'predicates.p.type', message: 'unknown predicate "Nope"' }],
  });
});

t.test('a predicate alias shared by stages is one instance', async (t) => {
  let created = 0;
  const chain = await buildTransformChain(
    [
      { alias: 'a', type: 'Drop', config: {}, negate: true, predicate: { alias: 'p', type: 'Count', config: {} } },
      { alias: 'b', type: 'Drop', config: {}, negate: true, predicate: { alias: 'p', type: 'Count', config: {} } },
    ],
    lookupFromMaps({ Drop }, { Count: { name: 'Count', description: '', config: Type.Object({}), create: () => (created++, { test: () => true }) } }),
  );
  t.equal(created, 1);
  const r: ConnectRecord = record;
  t.equal(await chain.apply(r), r, 'negated always-true predicate skips both drops');
});

t.test('run: synchronous while every stage is, a promise from the first asynchronous stage on', async (t) => {
  const sync = await chainFor({
    transforms: 'a,b',
    'transforms.a.type': 'Append',
    'transforms.a.suffix': '-1',
    'transforms.b.type': 'Append',
    'transforms.b.suffix': '-2',
  });
  const out = sync.run(record);
  t.notOk(out instanceof Promise, 'no promise when every stage is synchronous');
  t.equal((out as SinkRecord).topic, 'orders-1-2');

  const mixed = await chainFor({
    transforms: 'a,b,c',
    'transforms.a.type': 'Append',
    'transforms.a.suffix': '-1',
    'transforms.b.type': 'Append',
    'transforms.b.suffix': '-2',
    'transforms.b.async': 'true',
    'transforms.c.type': 'Append',
    'transforms.c.suffix': '-3',
  });
  const pending = mixed.run(record);
  t.ok(pending instanceof Promise, 'a promise once a stage returns one');
  t.equal((await pending)?.topic, 'orders-1-2-3', 'the stages after the asynchronous one still run, in order');

  const failing = await chainFor({ transforms: 'bad', 'transforms.bad.type': 'Append', 'transforms.bad.suffix': '-x', 'transforms.bad.fail': 'data' });
  t.throws(() => failing.run(record), StageError, 'a synchronous failure throws the StageError instead of rejecting');
  t.ok((await buildTransformChain([], lookup)).empty, 'an empty chain says so');
  t.notOk(sync.empty);
});
