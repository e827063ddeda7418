import t from 'tap';
import { ClusterWorker, clusterSettings } from '../helpers/cluster.js';
import type { ConnectorStatus } from '../helpers/pipeline.js';
import { services, uniqueName, waitFor } from '../helpers/services.js';
import { freshDb, mongo } from '../fixtures/mongodb-source.js';
import { tempDir } from '../fixtures/worker.js';

/** Session timeout of the workers: a killed worker's tasks move after it. */
const SESSION_MS = 6000;
/** What the failover may take beyond the session timeout on a loaded 2-core machine: the rebalance, and the tasks starting elsewhere. */
const FAILOVER_MARGIN_MS = 60_000;

const source = (db: string, collection: string) => ({
  'connector.class': 'mongodb-source',
  'connection.uri': '${env:MONGODB_URI}',
  database: db,
  collections: collection,
  'topic.map': `${collection}:${uniqueName(`${db}.${collection}`)}`,
  'value.converter': 'json',
  'poll.await.time.ms': '200',
  'tasks.max': '3',
});

/** Waits until every worker answers the same status for each connector, every task in `state`; returns the statuses. */
async function agreed(
  workers: ClusterWorker[],
  names: string[],
  state: string,
  timeoutMs = 120_000,
  also: (status: ConnectorStatus) => boolean = () => true,
): Promise<ConnectorStatus[]> {
  let last: unknown;
  try {
    return await waitFor(
      `every worker to show ${names.join(', ')} ${state}`,
      async () => {
        const out: ConnectorStatus[] = [];
        for (const name of names) {
          const seen = await Promise.all(workers.map((w) => w.status(name)));
          last = seen;
          const texts = new Set(seen.map((s) => JSON.stringify(s)));
          const status = seen[0];
          if (texts.size !== 1 || !status || status.connector.state !== state || status.tasks.length !== 3 || !status.tasks.every((task) => task.state === state) || !also(status)) return undefined;
          out.push(status);
        }
        return out;
      },
      timeoutMs,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; last ${JSON.stringify(last)}`, { cause: err });
  }
}

t.test('three worker processes: connectors created through different workers spread over all three; every worker shows the same status; pause on one is seen on all; SIGKILL moves the tasks', async (t) => {
  const dir = tempDir(t, 'conflux-cluster-');
  const cluster = clusterSettings(dir, { 'session.timeout.ms': SESSION_MS, 'heartbeat.interval.ms': 1000 });
  const workers: ClusterWorker[] = [];
  t.teardown(async () => {
    for (const w of workers) await w.kill('SIGTERM');
  });
  for (const id of ['w1', 'w2', 'w3']) workers.push(await ClusterWorker.start(cluster, id));
  const [w1, w2, w3] = workers as [ClusterWorker, ClusterWorker, ClusterWorker];
  for (const w of workers) t.match((await w.rest('GET', '/')).body, { worker_id: w.id, group_id: cluster.group }, `GET / on ${w.id} names it and the group`);

  const client = await mongo(t, services().mongoUri);
  const db = freshDb(t, client);
  await db.collection('orders').insertOne({ _id: 'o1' as never, total: 1 });
  await w1.write('POST', '/connectors', { name: 'orders-src', config: source(db.databaseName, 'orders') });
  await w2.write('POST', '/connectors', { name: 'customers-src', config: source(db.databaseName, 'customers') });

  const [orders, customers] = await agreed(workers, ['orders-src', 'customers-src'], 'RUNNING');
  const owners = [...orders!.tasks, ...customers!.tasks].map((task) => task.worker_id);
  t.same(['w1', 'w2', 'w3'].map((id) => owners.filter((o) => o === id).length), [2, 2, 2], 'six tasks, two on each worker');

  await w3.write('PUT', '/connectors/orders-src/pause');
  await agreed(workers, ['orders-src'], 'PAUSED');
  t.pass('a pause sent to one worker is applied and shown by all three');
  await w1.write('PUT', '/connectors/orders-src/resume');
  await agreed(workers, ['orders-src'], 'RUNNING');

  const config = (await w1.rest<Record<string, string>>('GET', '/connectors/customers-src/config')).body;
  await w3.write('PUT', '/connectors/customers-src/config', { ...config, 'poll.await.time.ms': '300' });
  await waitFor('the change made on w3 to be seen on w1', async () => ((await w1.rest<Record<string, string>>('GET', '/connectors/customers-src/config')).body['poll.await.time.ms'] === '300' ? true : undefined));
  await agreed(workers, ['orders-src', 'customers-src'], 'RUNNING');

  const killedAt = Date.now();
  await w2.kill('SIGKILL');
  const survivors = [w1, w3];
  const after = await agreed(survivors, ['orders-src', 'customers-src'], 'RUNNING', SESSION_MS + FAILOVER_MARGIN_MS, (status) => status.tasks.every((task) => task.worker_id !== 'w2'));
  const failoverMs = Date.now() - killedAt;
  t.comment(`failover after SIGKILL: ${failoverMs} ms (session timeout ${SESSION_MS} ms)`);
  const moved = after.flatMap((s) => s.tasks.map((task) => task.worker_id));
  t.same(['w1', 'w3'].map((id) => moved.filter((o) => o === id).length), [3, 3], 'the six tasks now run three on each survivor');
  t.ok(failoverMs < SESSION_MS + FAILOVER_MARGIN_MS, `moved within the session timeout plus ${FAILOVER_MARGIN_MS} ms`);
});
