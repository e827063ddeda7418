import t from 'tap';
import { ClusterWorker, clusterSettings, taskStarts, tasksPer, waitAgreed, waitSpread } from '../helpers/cluster.js';
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

t.test(
  'three worker processes: connectors created through different workers spread over all three; every worker shows the same status; pause on one is seen on all; SIGKILL moves the tasks; a fourth worker process takes a share without restarting the tasks that stay',
  async (t) => {
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

    const both = ['orders-src', 'customers-src'];
    await waitSpread(workers, both, [2, 2, 2], { tasks: 3 });
    t.pass('six tasks, two on each worker');

    await w3.write('PUT', '/connectors/orders-src/pause');
    await waitAgreed(workers, ['orders-src'], 'PAUSED', { tasks: 3 });
    t.pass('a pause sent to one worker is applied and shown by all three');
    await w1.write('PUT', '/connectors/orders-src/resume');
    await waitAgreed(workers, ['orders-src'], 'RUNNING', { tasks: 3 });

    // Every worker names the same leader; a config change made on a follower reaches it.
    const roots = await Promise.all(workers.map(async (w) => (await w.rest<{ leader_id?: string }>('GET', '/')).body.leader_id));
    t.equal(new Set(roots).size, 1, `every worker names the same leader (${roots.join(', ')})`);
    const leader = workers.find((w) => w.id === roots[0]);
    const follower = workers.find((w) => w !== leader)!;
    t.ok(leader, 'the leader is one of the workers');
    const config = (await leader!.rest<Record<string, string>>('GET', '/connectors/customers-src/config')).body;
    await follower.write('PUT', '/connectors/customers-src/config', { ...config, 'poll.await.time.ms': '300' });
    await waitFor(`the change made on ${follower.id} to reach the leader ${leader!.id}`, async () =>
      (await leader!.rest<Record<string, string>>('GET', '/connectors/customers-src/config')).body['poll.await.time.ms'] === '300' ? true : undefined,
    );
    t.pass(`a config change made on the follower ${follower.id} reached the leader ${leader!.id}`);
    await waitAgreed(workers, both, 'RUNNING', { tasks: 3 });

    const killedAt = Date.now();
    await w2.kill('SIGKILL');
    const survivors = [w1, w3];
    const after = await waitAgreed(survivors, both, 'RUNNING', {
      tasks: 3,
      timeoutMs: SESSION_MS + FAILOVER_MARGIN_MS,
      also: (status) => status.tasks.every((task) => task.worker_id !== 'w2'),
    });
    const failoverMs = Date.now() - killedAt;
    t.comment(`failover after SIGKILL: ${failoverMs} ms (session timeout ${SESSION_MS} ms)`);
    t.same(tasksPer(after, ['w1', 'w3']), [3, 3], 'the six tasks now run three on each survivor');
    t.ok(failoverMs < SESSION_MS + FAILOVER_MARGIN_MS, `moved within the session timeout plus ${FAILOVER_MARGIN_MS} ms`);

    // A fourth worker process joins: it takes a share, and the tasks that stay where they are keep running untouched.
    const startsBefore = new Map([
      [w1.id, await taskStarts(w1)],
      [w3.id, await taskStarts(w3)],
    ]);
    const w4 = await ClusterWorker.start(cluster, 'w4');
    workers.push(w4);
    const members = [w1, w3, w4];
    const spread = await waitSpread(members, both, [2, 2, 2], { tasks: 3 });
    t.same(tasksPer(spread, ['w1', 'w3', 'w4']), [2, 2, 2], 'with a fourth worker process the six tasks run two on each of the three live workers');
    const owner = (statuses: typeof after, key: string) =>
      statuses.flatMap((s) => s.tasks.map((task) => [`${s.name}-${task.id}`, task.worker_id] as const)).find(([k]) => k === key)?.[1];
    let stayed = 0;
    for (const w of [w1, w3]) {
      const now = await taskStarts(w);
      for (const [key, before] of startsBefore.get(w.id)!) {
        if (owner(after, key) !== w.id || owner(spread, key) !== w.id) continue;
        stayed += 1;
        t.equal(now.get(key), before, `${key} stayed on ${w.id} and was not restarted`);
      }
    }
    t.equal(stayed, 4, 'four of the six tasks stayed where they ran');
  },
);
