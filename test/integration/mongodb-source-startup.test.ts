/**
 * mongodb-source start-up checks: bad configs fail with a message that names the problem, and the
 * connection string's credentials never appear in status, logs or errors.
 */
import t, { type Test } from 'tap';
import { MongoClient } from 'mongodb';
import { ConfigError } from '../../runtime/api/index.js';
import { startMongoTestServer } from '../helpers/mongo-test-server.js';
import { services, uniqueName, waitFor } from '../helpers/services.js';
import { startWorker, tempDir } from '../fixtures/worker.js';
import type { Herder } from '../../runtime/herder/herder.js';

const base = (uri: string): Record<string, string> => ({
  'connector.class': 'mongodb-source',
  'connection.uri': uri,
  database: 'shop',
  collections: 'orders',
  'topic.map': `orders:${uniqueName('orders')}`,
});

const failedTask = (worker: Herder, name: string) =>
  waitFor(
    `${name} task FAILED`,
    () => {
      const task = worker.status(name).tasks[0];
      return task?.state === 'FAILED' ? task : undefined;
    },
    60_000,
  );

t.test('a connection string that does not parse fails the task with a clear message', async (t) => {
  const worker = await startWorker(t, tempDir(t));
  const name = uniqueName('bad-uri');
  await worker.createConnector(name, base('mongo://127.0.0.1:27117'));
  const task = await failedTask(worker, name);
  t.match(task.trace, /connection\.uri: not a valid MongoDB connection string/);
});

t.test('an unreachable server fails with its host named and the password nowhere', async (t) => {
  const worker = await startWorker(t, tempDir(t), {});
  const name = uniqueName('unreachable');
  const secret = 'Sup3r-s3cret-pw';
  await worker.createConnector(name, base(`mongodb://app:${secret}@127.0.0.1:1/?replicaSet=rs0&serverSelectionTimeoutMS=1000`));
  const task = await failedTask(worker, name);
  t.match(task.trace, /cannot connect to MongoDB at 127\.0\.0\.1:1/);
  t.notMatch(task.trace, new RegExp(secret), 'not in the trace');
  t.notMatch(JSON.stringify(worker.status(name)), new RegExp(secret), 'not in the status');
});

t.test('a config key naming an unknown collection is refused at create with that key', async (t) => {
  const worker = await startWorker(t, tempDir(t));
  const name = uniqueName('unknown-key');
  const err = await worker
    .createConnector(name, { ...base('mongodb://127.0.0.1:27117/?replicaSet=rs0'), 'value.schema.products': 'config/schemas/orders.avsc' })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  t.type(err, ConfigError, 'a 400 through REST, not a connector that fails later');
  t.match((err as ConfigError).errors, [{ key: 'value.schema.products', message: /names collection "products", which is not in collections \(orders\)/ }]);
  t.notOk(worker.has(name), 'nothing was created');
});

t.test('unknown keys and bad values are refused at create, each with its key', async (t) => {
  const worker = await startWorker(t, tempDir(t));
  await t.rejects(worker.createConnector(uniqueName('typo'), { ...base('mongodb://x/?replicaSet=rs0'), collection: 'orders', 'token.lost.policy': 'ignore' }), {
    message: /collection.*|token\.lost\.policy/,
  });
});

// Against a real MongoDB, a standalone mongod to run this on is given by MONGODB_STANDALONE_URI; the test server has a standalone mode.
const standaloneUri = async (t: Test): Promise<string> =>
  services().mongoTestServer ? startMongoTestServer(t, {}, { topology: 'standalone' }) : process.env.MONGODB_STANDALONE_URI!;
const noStandalone = !services().mongoTestServer && !process.env.MONGODB_STANDALONE_URI;

t.test(
  'a standalone server fails the task with a message that asks for a replica set, not a driver error',
  { skip: noStandalone && 'needs a standalone mongod: set MONGODB_STANDALONE_URI' },
  async (t) => {
    const uri = await standaloneUri(t);
    // What MongoDB documents for a standalone mongod: no setName in hello, and $changeStream refused.
    const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10_000 });
    t.teardown(() => client.close());
    const hello = await client.db('admin').command({ hello: 1 });
    t.equal(hello.isWritablePrimary, true, 'a standalone is writable');
    t.notOk('setName' in hello, 'a standalone reports no replica set');
    await t.rejects(
      client.db('shop').collection('orders').watch().tryNext(),
      { code: 40573, message: /only supported on replica sets/ },
      'a standalone refuses $changeStream',
    );

    const worker = await startWorker(t, tempDir(t));
    const name = uniqueName('standalone');
    await worker.createConnector(name, base(uri));
    const task = await failedTask(worker, name);
    t.match(task.trace, /connection\.uri: the server is a standalone MongoDB, but change streams need a replica set or a sharded cluster/);
    t.match(task.trace, /--replSet/, 'says how to run a replica set');
    t.notMatch(task.trace, /MongoServerError|node_modules[\\/]mongodb/, 'no driver error or driver stack');
    t.equal(worker.status(name).tasks[0]!.state, 'FAILED');
  },
);
