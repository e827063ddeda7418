import t, { type Test } from 'tap';
import { createDistributedHerder } from '../../runtime/herder/create-herder.js';
import { loadWorkerConfig } from '../../runtime/config/load-worker-config.js';
import type { DistributedHerder } from '../../runtime/herder/distributed-herder.js';
import { LogManager } from '../../runtime/observability/logging.js';
import { buildApp } from '../../runtime/rest/index.js';
import type { ConnectorStatus } from '../../runtime/tasks/status.js';
import { testPlugins } from '../fixtures/worker.js';
import { services, uniqueName, waitFor } from '../helpers/services.js';

/** Session timeout of these workers: a crashed one is noticed after it, a left one at once. */
const SESSION_MS = 6000;

interface Cluster {
  group: string;
  topics: Record<string, string>;
}

function privateCluster(): Cluster {
  const group = uniqueName('conflux-cluster');
  return {
    group,
    topics: { 'config.storage.topic': `${group}-configs`, 'offset.storage.topic': `${group}-offsets`, 'status.storage.topic': `${group}-status` },
  };
}

/** One worker of the cluster, in this process, stopped at teardown unless the test stops it. */
async function startMember(t: Test, cluster: Cluster, workerId: string, logs = new LogManager({ level: 'fatal' })): Promise<DistributedHerder> {
  const herder = await member(cluster, workerId, logs);
  await herder.start();
  let stopped = false;
  t.teardown(async () => {
    if (!stopped) await herder.stop();
  });
  const stop = herder.stop.bind(herder);
  herder.stop = async () => {
    stopped = true;
    await stop();
  };
  return herder;
}

async function member(cluster: Cluster, workerId: string, logs = new LogManager({ level: 'fatal' })): Promise<DistributedHerder> {
  const { config } = await loadWorkerConfig({
    'worker.id': workerId,
    'bootstrap.servers': services().kafkaBrokers.join(','),
    'schema.registry.url': services().schemaRegistryUrl,
    'group.id': cluster.group,
    ...cluster.topics,
    'rest.advertised.url': `http://${workerId}`,
    'session.timeout.ms': SESSION_MS,
    'heartbeat.interval.ms': 500,
  });
  return createDistributedHerder(config, testPlugins, { logs });
}

const counter = (topic: string, tasks: number) => ({
  'connector.class': 'counting-source',
  topic,
  count: '1000000',
  'batch.size': '5',
  'value.converter': 'json',
  'tasks.max': String(tasks),
});

/** A write retried while the cluster answers 409 because it is rebalancing, as a REST client would. */
async function whenSettled<T>(write: () => Promise<T>): Promise<T> {
  let result: T | undefined;
  await waitFor(
    'the cluster to settle',
    async () => {
      try {
        result = await write();
        return true;
      } catch (err) {
        if ((err as { kind?: string }).kind === 'conflict' && /rebalancing/.test((err as Error).message)) return undefined;
        throw err;
      }
    },
    60_000,
  );
  return result as T;
}

/** Task starts per `<connector>-<task>` on one worker, from its metrics. */
async function taskStarts(herder: DistributedHerder): Promise<Map<string, number>> {
  const text = await herder.metrics.text();
  return new Map([...text.matchAll(/^conflux_task_starts_total\{connector="([^"]+)",task="(\d+)"\} (\d+)$/gm)].map((m) => [`${m[1]}-${m[2]}`, Number(m[3])]));
}

/** Waits until every given worker reports the same status, in which every task is in `state`; returns it. */
function waitForAgreement(workers: DistributedHerder[], name: string, state: string, tasks: number, timeoutMs = 90_000): Promise<ConnectorStatus> {
  return waitFor(
    `every worker to report ${name} with ${tasks} tasks ${state}`,
    () => {
      const seen = workers.map((w) => (w.has(name) ? JSON.stringify(w.status(name)) : ''));
      if (new Set(seen).size !== 1 || !seen[0]) return undefined;
      const status = JSON.parse(seen[0]) as ConnectorStatus;
      return status.tasks.length === tasks && status.tasks.every((task) => task.state === state) && status.connector.state === state ? status : undefined;
    },
    timeoutMs,
  );
}

t.test(
  'workers of one group: connectors created on either spread over both; every worker shows the same status; a third worker takes a share without restarting the tasks that stay; pause on one is seen on all; a worker leaving hands its tasks over',
  async (t) => {
    const cluster = privateCluster();
    const a = await startMember(t, cluster, 'worker-a');
    const b = await startMember(t, cluster, 'worker-b');

    await whenSettled(() => a.createConnector('count-a', counter(uniqueName('cluster-a'), 3)));
    await whenSettled(() => b.createConnector('count-b', counter(uniqueName('cluster-b'), 3)));

    const statusA = await waitForAgreement([a, b], 'count-a', 'RUNNING', 3);
    const apps = [a, b].map((herder) => buildApp({ herder, logs: new LogManager({ level: 'fatal' }) }));
    t.teardown(() => Promise.all(apps.map((app) => app.close())));
    const overRest = await Promise.all(apps.map(async (app) => (await app.inject('/connectors/count-a/status')).json() as ConnectorStatus));
    t.same(overRest, [statusA, statusA], 'GET /connectors/count-a/status answers the same on both workers, with the worker of each task');
    t.same(
      await Promise.all(apps.map(async (app) => (await app.inject('/')).json().worker_id + ' ' + (await app.inject('/')).json().group_id)),
      [`worker-a ${cluster.group}`, `worker-b ${cluster.group}`],
      'GET / names the worker and its group',
    );
    const statusB = await waitForAgreement([a, b], 'count-b', 'RUNNING', 3);
    const owners = [...statusA.tasks, ...statusB.tasks].map((task) => task.worker_id);
    t.same(new Set(owners), new Set(['worker-a', 'worker-b']), 'tasks run on both workers');
    t.same(
      ['worker-a', 'worker-b'].map((w) => owners.filter((o) => o === w).length),
      [3, 3],
      'six tasks, three on each',
    );
    t.same(a.connectorNames(), ['count-a', 'count-b'], 'every worker knows every connector');
    t.same(b.info('count-a').tasks.length, 3);

    const c = await startMember(t, cluster, 'worker-c');
    const spread = await waitFor(
      'the third worker to take its share',
      () => {
        const tasks = [a.status('count-a'), a.status('count-b')].flatMap((s) => s.tasks);
        const counts = ['worker-a', 'worker-b', 'worker-c'].map((w) => tasks.filter((task) => task.worker_id === w && task.state === 'RUNNING').length);
        return counts.every((n) => n === 2) ? tasks : undefined;
      },
      90_000,
    );
    t.equal(spread.length, 6, 'a joining worker takes two of the six tasks');
    for (const [herder, id] of [
      [a, 'worker-a'],
      [b, 'worker-b'],
    ] as const) {
      const starts = await taskStarts(herder);
      for (const task of [...statusA.tasks.map((s) => ['count-a', s] as const), ...statusB.tasks.map((s) => ['count-b', s] as const)]) {
        const [name, before] = task;
        const now = a.status(name).tasks.find((x) => x.id === before.id)!;
        if (before.worker_id === id && now.worker_id === id)
          t.equal(starts.get(`${name}-${before.id}`), 1, `${name}-${before.id} stayed on ${id} and was not restarted`);
      }
    }
    await whenSettled(() => b.pause('count-a'));
    await waitForAgreement([a, b, c], 'count-a', 'PAUSED', 3);
    t.pass('a pause written on one worker is applied by the workers that run the tasks, and shown by both');
    await whenSettled(() => a.resume('count-a'));
    await waitForAgreement([a, b, c], 'count-a', 'RUNNING', 3);

    await b.stop();
    const moved = await waitFor(
      'the tasks of the worker that left to run on the other',
      () => {
        const all = [a.status('count-a'), a.status('count-b')].flatMap((s) => s.tasks);
        return all.length === 6 && all.every((task) => task.state === 'RUNNING' && task.worker_id !== 'worker-b') ? all : undefined;
      },
      SESSION_MS + 60_000,
    );
    t.same(
      ['worker-a', 'worker-c'].map((w) => moved.filter((task) => task.worker_id === w).length),
      [3, 3],
      'a worker that leaves hands its tasks over to the others, balanced',
    );

    await whenSettled(() => a.deleteConnector('count-b'));
    t.same(a.connectorNames(), ['count-a'], 'delete applies through the config topic');
  },
);

t.test('GET /connectors/{name}/tasks on every worker, the one running the task or not: placeholders as written, resolved secrets hidden', async (t) => {
  process.env.CONFLUX_CLUSTER_URI = 'mongodb://app:Sup3rS3cretPw@db.internal:27017/shop';
  t.teardown(() => void delete process.env.CONFLUX_CLUSTER_URI);
  const cluster = privateCluster();
  const logs = [new LogManager({ level: 'fatal' }), new LogManager({ level: 'fatal' })];
  const a = await startMember(t, cluster, 'worker-a', logs[0]);
  const b = await startMember(t, cluster, 'worker-b', logs[1]);
  await whenSettled(() =>
    a.createConnector('leaky', {
      ...counter(uniqueName('cluster-leaky'), 1),
      // Not secret-named: only the placeholder says where a secret is. The tasks get it as `uri`.
      'target.uri': '${env:CONFLUX_CLUSTER_URI}',
    }),
  );
  const status = await waitForAgreement([a, b], 'leaky', 'RUNNING', 1);
  const apps = [a, b].map((herder, i) => buildApp({ herder, logs: logs[i]! }));
  t.teardown(() => Promise.all(apps.map((app) => app.close())));
  for (const [i, app] of apps.entries()) {
    const worker = i === 0 ? 'worker-a' : 'worker-b';
    const role = status.tasks[0]!.worker_id === worker ? 'runs the task' : 'does not run the task';
    const res = await app.inject('/connectors/leaky/tasks');
    t.equal(res.statusCode, 200);
    t.notOk(res.body.includes('Sup3rS3cretPw'), `${worker} (${role}) shows no resolved secret`);
    const [task] = res.json() as Array<{ config: Record<string, unknown> }>;
    t.equal(task!.config['target.uri'], '${env:CONFLUX_CLUSTER_URI}', `${worker} (${role}) shows the placeholder as written`);
    t.equal(task!.config['uri'], '[hidden]', `${worker} (${role}) hides the value the placeholder resolved into under the task's own key`);
  }
});

t.test('a worker that has not joined its group yet answers writes with 409 and a clear message', async (t) => {
  const herder = await member(privateCluster(), 'worker-new');
  const app = buildApp({ herder, logs: new LogManager({ level: 'fatal' }) });
  t.teardown(() => app.close());
  const res = await app.inject({ method: 'POST', url: '/connectors', payload: { name: 'c', config: counter('t', 1) } });
  t.equal(res.statusCode, 409);
  t.match(res.json(), { error_code: 409, message: /the cluster is rebalancing.*try again/ });
});
