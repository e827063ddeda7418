/**
 * A cluster rides out a Kafka outage: two `conflux distributed` workers on a Kafka private to this
 * test, which is stopped long enough for the workers' group membership to fail, then started
 * again. Nobody touches the workers: each joins the group again by itself, the tasks run, writes
 * are accepted, and the group holds exactly the two workers (no member left over from a join that
 * was abandoned).
 */
import { readFile } from 'node:fs/promises';
import { Kafka, logLevel } from 'kafkajs';
import t from 'tap';
import { ClusterWorker, clusterSettings, tasksPer, waitAgreed, waitSpread } from '../helpers/cluster.js';
import { PrivateStack } from '../helpers/private-stack.js';
import { services, uniqueName, waitFor } from '../helpers/services.js';
import { freshDb, mongo } from '../fixtures/mongodb-source.js';
import { tempDir } from '../fixtures/worker.js';

t.setTimeout(8 * 60_000);

const MEMBERSHIP_FAILED = 'group membership failed: joining again';

t.test('after a Kafka outage that breaks their group membership, the workers join again by themselves and run every task', async (t) => {
  const stack = await PrivateStack.start(t, ['kafka']);
  const brokers = stack.setting('KAFKA_BROKERS');
  const cluster = clusterSettings(tempDir(t, 'conflux-cluster-outage-'), {
    'bootstrap.servers': brokers,
    'session.timeout.ms': 6000,
    'heartbeat.interval.ms': 1000,
    // As shipped (config/worker-distributed.json): a task that failed on the outage restarts.
    'task.restart.auto': true,
  });
  const workers: ClusterWorker[] = [];
  t.teardown(async () => {
    for (const w of workers) await w.kill('SIGKILL');
  });
  for (const id of ['w1', 'w2']) workers.push(await ClusterWorker.start(cluster, id));
  const client = await mongo(t, services().mongoUri);
  const db = freshDb(t, client);
  await workers[0]!.write('POST', '/connectors', {
    name: 'orders-src',
    config: {
      'connector.class': 'mongodb-source',
      'connection.uri': '${env:MONGODB_URI}',
      database: db.databaseName,
      collections: 'orders',
      'topic.map': `orders:${uniqueName('outage-orders')}`,
      'value.converter': 'json',
      'tasks.max': '2',
    },
  });
  await waitSpread(workers, ['orders-src'], [1, 1], { tasks: 2 });
  t.pass('one task on each worker');

  await stack.stop(['kafka']);
  const logs = () => Promise.all(workers.map((w) => readFile(w.logFile, 'utf8')));
  await waitFor(
    'a worker to lose its group membership',
    async () => ((await logs()).some((log) => log.includes(MEMBERSHIP_FAILED)) ? true : undefined),
    180_000,
  );
  await stack.up(['kafka']);

  t.same(
    tasksPer(await waitAgreed(workers, ['orders-src'], 'RUNNING', { tasks: 2, timeoutMs: 180_000 }), ['w1', 'w2']).reduce((a, b) => a + b),
    2,
    'both tasks run again',
  );
  await workers[1]!.write('PUT', '/connectors/orders-src/pause');
  await waitAgreed(workers, ['orders-src'], 'PAUSED', { tasks: 2 });
  t.pass('a write is accepted and applied by the cluster after the outage');
  t.ok(
    workers.every((w) => w.running),
    'both worker processes ran through the outage',
  );

  const admin = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  const members = await waitFor(
    'the cluster group to be stable',
    async () => {
      const [group] = (await admin.describeGroups([cluster.group])).groups;
      return group?.state === 'Stable' ? group.members : undefined;
    },
    60_000,
  );
  t.equal(members.length, 2, 'the group holds the two workers and nothing else');
});
