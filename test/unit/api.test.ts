import t from 'tap';
import Type from 'typebox';
import {
  ConfigError,
  DataError,
  FatalError,
  RetriableError,
  Secret,
  defineSourceConnector,
  isSecretSchema,
  withHeader,
  withRecord,
  type ConnectorDefinition,
  type SourceRecord,
} from '../../runtime/api/index.js';

const source: SourceRecord = Object.freeze({
  topic: 'orders-cdc',
  key: 'o1',
  value: { total: 1 },
  headers: Object.freeze({ a: '1' }),
  timestamp: 1,
  sourcePartition: { coll: 'orders' },
  sourceOffset: { token: 't1' },
});

t.test('withRecord copies, keeps identity fields and freezes', async (t) => {
  const next = withRecord(source, { value: { total: 2 } });
  t.not(next, source);
  t.same(next.sourceOffset, { token: 't1' }, 'source offset survives the copy');
  t.same(next.value, { total: 2 });
  t.same(source.value, { total: 1 }, 'input untouched');
  t.ok(Object.isFrozen(next));
  t.throws(() => {
    (next as { topic: string }).topic = 'x';
  });
});

t.test('withHeader adds and removes without touching the input', async (t) => {
  const added = withHeader(source.headers, 'b', Buffer.from('x'));
  t.same(Object.keys(added).sort(), ['a', 'b']);
  t.same(Object.keys(withHeader(added, 'a', undefined)), ['b']);
  t.same(Object.keys(source.headers), ['a']);
});

t.test('errors carry a kind and a name', async (t) => {
  t.equal(new RetriableError('x').kind, 'retriable');
  t.equal(new DataError('x').kind, 'data');
  t.equal(new FatalError('x').kind, 'fatal');
  const c = new ConfigError([
    { key: 'a', message: 'is required' },
    { key: 'b', message: 'must be >= 1' },
  ]);
  t.equal(c.kind, 'config');
  t.equal(c.name, 'ConfigError');
  t.equal(c.message, 'a: is required; b: must be >= 1');
  t.equal(c.errors.length, 2);
  t.same(new ConfigError('plain').errors, [{ key: '', message: 'plain' }]);
  t.ok(new DataError('x', { cause: new Error('y') }).cause);
});

t.test('Secret marks a schema and keeps TypeBox modifiers', async (t) => {
  const s = Secret(Type.String({ description: 'pw' }));
  t.ok(isSecretSchema(s));
  t.equal(s.writeOnly, true);
  t.equal((s as { description?: string }).description, 'pw');
  t.notOk(isSecretSchema(Type.String()));
  const obj = Type.Object({ a: Type.Optional(Secret(Type.String())), b: Secret(Type.Optional(Type.String())) });
  t.same(JSON.parse(JSON.stringify(obj)).required ?? [], [], 'both orders stay optional');
});

t.test('typed definitions fit the registry type', async (t) => {
  const schema = Type.Object({ 'collection.name': Type.String() });
  const def = defineSourceConnector({
    name: 'demo',
    type: 'source',
    version: '1',
    description: 'demo',
    config: schema,
    taskConfigs: (config, maxTasks) => Array.from({ length: maxTasks }, (_, i) => ({ ...config, task: i })),
    createTask: () => ({
      start: async () => {},
      poll: async () => [],
      stop: async () => {},
    }),
  });
  const registry: Record<string, ConnectorDefinition> = { demo: def };
  t.equal(registry['demo']?.type, 'source');
  t.same(def.taskConfigs({ 'collection.name': 'c' }, 2), [
    { 'collection.name': 'c', task: 0 },
    { 'collection.name': 'c', task: 1 },
  ]);
  t.ok(Object.isFrozen(def));
});

t.test('topicPartitionKey: one key per partition, parsed back whatever the topic name holds', async (t) => {
  const { topicPartitionKey, parseTopicPartitionKey } = await import('../../runtime/api/index.js');
  t.not(topicPartitionKey('a1', 0), topicPartitionKey('a', 10), 'topic a1 partition 0 and topic a partition 10 differ');
  for (const [topic, partition] of [
    ['orders-cdc', 3],
    ['a.b_c-d', 0],
    ['x', 2147483647],
  ] as const) {
    t.same(parseTopicPartitionKey(topicPartitionKey(topic, partition)), { topic, partition });
  }
});

t.test('backoffDelay doubles from the initial delay up to the ceiling, never beyond', async (t) => {
  const { backoffDelay } = await import('../../runtime/api/index.js');
  t.same(
    [0, 1, 2, 3, 4, 5].map((a) => backoffDelay(a, 250, 3000)),
    [250, 500, 1000, 2000, 3000, 3000],
  );
  t.equal(backoffDelay(10_000, 1, 60_000), 60_000, 'a huge attempt count stays finite and capped');
  t.equal(backoffDelay(-1, 100, 1000), 100, 'a negative attempt is the first');
});
