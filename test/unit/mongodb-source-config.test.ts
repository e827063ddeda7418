import t from 'tap';
import { ConfigError } from '../../runtime/api/index.js';
import { validateConnectorConfig } from '../../runtime/config/index.js';
import { mongoSourceConfig, planTasks, type MongoSourceConfig } from '../../connectors/mongodb-source/config.js';
import { mongodbSource } from '../../connectors/mongodb-source/index.js';
import { checkChangeStreamTopology, connectError, redactUri } from '../../connectors/mongodb-source/topology.js';

const base = {
  'connector.class': 'mongodb-source',
  'connection.uri': 'mongodb://127.0.0.1:27017/?replicaSet=rs0',
  database: 'shop',
  collections: 'orders,customers',
};

const validated = (extra: Record<string, unknown> = {}) => {
  const r = validateConnectorConfig(mongoSourceConfig, { ...base, ...extra });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.config as unknown as MongoSourceConfig;
};

const configErrorKeys = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.errors.map((e) => e.key);
    throw err;
  }
  return [];
};

t.test('the schema accepts value.schema.<collection> keys and rejects unknown keys, each by name', async (t) => {
  const ok = validateConnectorConfig(mongoSourceConfig, { ...base, 'value.schema.orders': 'config/schemas/orders.avsc' });
  t.ok(ok.ok, 'value.schema.<collection> is a declared key pattern');
  const bad = validateConnectorConfig(mongoSourceConfig, { ...base, 'value.schemas': 'x', 'startup.mode': 'later', 'value.schema.orders': 'orders.json' });
  t.notOk(bad.ok);
  const keys = bad.ok ? [] : bad.errors.map((e) => e.key);
  t.ok(keys.includes('value.schemas'), `unknown key reported: ${keys.join(', ')}`);
  t.ok(keys.includes('startup.mode'), 'bad enum reported');
  t.ok(keys.includes('value.schema.orders'), 'a schema path that is not .avsc is reported');
});

t.test('defaults: topics <collection>-cdc, snapshot then stream, fail on token loss', async (t) => {
  const [task] = planTasks(validated(), 1);
  t.same(
    task!.collections.map((c) => [c.collection, c.topic, c.compacted, c.documentSchema === undefined]),
    [
      ['orders', 'orders-cdc', false, true],
      ['customers', 'customers-cdc', false, true],
    ],
  );
  t.equal(task!.startupMode, 'snapshot_then_stream');
  t.equal(task!.tokenLostPolicy, 'fail');
  t.equal(task!.fullDocument, 'updateLookup');
  t.equal(task!.share, undefined, 'one task reads everything');
});

t.test('keys that name a collection not in collections are config errors with their key', async (t) => {
  const keys = configErrorKeys(() =>
    planTasks(validated({ 'value.schema.products': 'config/schemas/orders.avsc', 'topic.map': 'order:orders-cdc', 'topic.compacted': 'client' }), 1),
  );
  t.same(keys.sort(), ['topic.compacted', 'topic.map', 'value.schema.products']);
  const err = (() => {
    try {
      planTasks(validated({ 'value.schema.products': 'config/schemas/orders.avsc' }), 1);
    } catch (e) {
      return e as Error;
    }
  })();
  t.match(err?.message, /value\.schema\.products: names collection "products", which is not in collections \(orders, customers\)/);
});

t.test('pipeline must be a JSON array of $match stages; schema files must be Avro records', async (t) => {
  t.same(
    configErrorKeys(() => planTasks(validated({ pipeline: '{not json' }), 1)),
    ['pipeline'],
  );
  t.same(
    configErrorKeys(() => planTasks(validated({ pipeline: '[{"$project": {"a": 1}}]' }), 1)),
    ['pipeline'],
  );
  t.same(
    configErrorKeys(() => planTasks(validated({ 'value.schema.orders': 'config/schemas/missing.avsc' }), 1)),
    ['value.schema.orders'],
  );
  t.same(
    configErrorKeys(() => planTasks(validated({ 'startup.mode': 'timestamp' }), 1)),
    ['startup.timestamp.ms'],
  );
  const [task] = planTasks(validated({ pipeline: '[{"$match": {"operationType": "insert"}}]', 'value.schema.orders': 'config/schemas/orders.avsc' }), 1);
  t.same(task!.pipeline, [{ $match: { operationType: 'insert' } }]);
  t.equal((task!.collections[0]!.documentSchema as { name: string }).name, 'Order');
});

t.test('tasks.max = N gives N tasks, each with its own share of the hash space', async (t) => {
  const tasks = mongodbSource.taskConfigs(validated({ 'tasks.max': 3 }) as never, 3);
  t.same(
    tasks.map((task) => task.share),
    [
      { index: 0, count: 3 },
      { index: 1, count: 3 },
      { index: 2, count: 3 },
    ],
  );
});

t.test('a standalone server is refused with a message that says change streams need a replica set', async (t) => {
  t.doesNotThrow(() => checkChangeStreamTopology({ isWritablePrimary: true, setName: 'rs0' }), 'replica set member');
  t.doesNotThrow(() => checkChangeStreamTopology({ isWritablePrimary: true, msg: 'isdbgrid' }), 'mongos of a sharded cluster');
  t.throws(() => checkChangeStreamTopology({ isWritablePrimary: true, maxWireVersion: 21 }), {
    name: 'ConfigError',
    message: /connection\.uri: the server is a standalone MongoDB, but change streams need a replica set or a sharded cluster/,
  });
});

t.test('credentials never reach an error message', async (t) => {
  const uri = 'mongodb://app:p%40ss-w0rd@db.example:27017/?replicaSet=rs0';
  const redacted = redactUri(`failed for ${uri}: auth as app with p@ss-w0rd`, uri);
  t.notMatch(redacted, /p%40ss-w0rd|p@ss-w0rd/);
  t.match(redacted, /<connection\.uri>/);
  const err = connectError(Object.assign(new Error(`Server selection timed out connecting to ${uri}`), { name: 'MongoServerSelectionError' }), uri);
  t.equal(err.name, 'RetriableError');
  t.match(err.message, /^cannot connect to MongoDB at db\.example:27017: /);
  t.notMatch(err.message, /p%40ss-w0rd/);
  const parse = connectError(Object.assign(new Error('Invalid scheme'), { name: 'MongoParseError' }), 'mongo://x');
  t.equal(parse.name, 'ConfigError');
  t.match(parse.message, /connection\.uri: not a valid MongoDB connection string: Invalid scheme/);
});

t.test('full.document=default is refused, naming the key: its updates carry no document and would be lost', async (t) => {
  t.same(
    configErrorKeys(() => planTasks(validated({ 'full.document': 'default' }), 1)),
    ['full.document'],
  );
  try {
    planTasks(validated({ 'full.document': 'default' }), 1);
  } catch (err) {
    t.match((err as ConfigError).errors[0]!.message, /updateLookup/, 'the message says what to use');
  }
  t.same(
    configErrorKeys(() => planTasks(validated({ 'full.document': 'updateLookup' }), 1)),
    [],
    'updateLookup (the default) passes',
  );
});

t.test('value.schema.<collection> reads only .avsc files below the working directory, and every failure reads the same', async (t) => {
  const { mkdtempSync, writeFileSync, symlinkSync, mkdirSync, rmSync } = await import('node:fs');
  const { join, relative } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const outside = mkdtempSync(join(tmpdir(), 'conflux-avsc-'));
  const inside = mkdtempSync(join(process.cwd(), '.tap-avsc-'));
  t.teardown(() => {
    rmSync(outside, { recursive: true, force: true });
    rmSync(inside, { recursive: true, force: true });
  });
  const secretBytes = '{"type":"record","name":"Outside-Secret-5150","fields":[]}';
  writeFileSync(join(outside, 'private.avsc'), secretBytes);
  symlinkSync(join(outside, 'private.avsc'), join(inside, 'link.avsc'));
  mkdirSync(join(inside, 'dir.avsc'));
  writeFileSync(join(inside, 'huge.avsc'), `{"type":"record","name":"H","fields":[],"doc":"${'x'.repeat(1024 * 1024)}"}`);
  writeFileSync(join(inside, 'broken.avsc'), 'not json: Inside-Bytes-7311');
  const rel = (p: string) => relative(process.cwd(), p);
  const messages: string[] = [];
  for (const path of [
    join(outside, 'private.avsc'),
    rel(join(outside, 'private.avsc')),
    rel(join(inside, 'link.avsc')),
    rel(join(inside, 'dir.avsc')),
    rel(join(inside, 'huge.avsc')),
    rel(join(inside, 'broken.avsc')),
    rel(join(inside, 'missing.avsc')),
  ]) {
    try {
      planTasks(validated({ 'value.schema.orders': path }), 1);
      t.fail(`${path} was read`);
    } catch (err) {
      const e = (err as ConfigError).errors;
      t.same(
        e.map((x) => x.key),
        ['value.schema.orders'],
        `${path}: refused`,
      );
      messages.push(e[0]!.message);
    }
  }
  t.equal(new Set(messages).size, 1, 'one message for every failure: nothing tells what exists');
  t.notMatch(messages[0]!, /Secret-5150|Inside-Bytes-7311/, 'no bytes of any file');
  t.ok(planTasks(validated({ 'value.schema.orders': 'config/schemas/orders.avsc' }), 1).length === 1, 'the shipped schema still loads');
});
