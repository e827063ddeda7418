import t, { type Test } from 'tap';
import { Kafka, logLevel } from 'kafkajs';
import { ConfigTopicStore } from '../../runtime/cluster/config-topic-store.js';
import { StatusTopicStore } from '../../runtime/cluster/status-topic-store.js';
import { LogManager } from '../../runtime/observability/logging.js';
import { services, uniqueName, waitFor } from '../helpers/services.js';

const kafka = new Kafka({ brokers: services().kafkaBrokers, logLevel: logLevel.NOTHING });
const logger = new LogManager({ level: 'silent' }).get('cluster');

/** A store started with the test and stopped at its end, as one worker of a cluster would hold it. */
async function started<S extends { start(): Promise<void>; stop(): Promise<void> }>(t: Test, store: S): Promise<S> {
  await store.start();
  t.teardown(() => store.stop());
  return store;
}

async function topicConfig(topic: string): Promise<{ policy: string | undefined; partitions: number }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [config] = (await admin.describeConfigs({ resources: [{ type: 2, name: topic, configNames: ['cleanup.policy'] }], includeSynonyms: false }))
      .resources;
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    return { policy: config?.configEntries[0]?.configValue, partitions: metadata.topics[0]!.partitions.length };
  } finally {
    await admin.disconnect();
  }
}

t.test('config topic: a write on one worker is seen by another; a worker started later reads the state to the end', async (t) => {
  const topic = uniqueName('conflux-configs');
  const a = await started(t, new ConfigTopicStore(kafka, { topic, logger }));
  const b = await started(t, new ConfigTopicStore(kafka, { topic, logger }));
  t.same(await topicConfig(topic), { policy: 'compact', partitions: 1 }, 'created compacted, with one partition');

  const changed: string[] = [];
  b.onChange((name) => changed.push(name));
  await a.putTarget('orders', 'PAUSED');
  await a.putConfig('orders', { 'connector.class': 'counting-source', topic: 'x' });
  await a.putTaskConfigs('orders', [{ share: 0 }, { share: 1 }]);
  await a.putConfig('gone', { 'connector.class': 'counting-source', topic: 'y' });
  t.same(
    a.get('orders'),
    { config: { 'connector.class': 'counting-source', topic: 'x' }, target: 'PAUSED', tasks: [{ share: 0 }, { share: 1 }] },
    'the writer reads its own writes',
  );

  const seen = await waitFor('the other worker to see the connectors', () => (b.connectorNames().length === 2 ? b.connectorNames() : undefined));
  t.same(seen, ['gone', 'orders']);
  t.same(b.get('orders'), a.get('orders'), 'both workers hold the same state');
  t.ok(changed.includes('orders') && changed.includes('gone'), 'listeners hear every change');
  t.equal(b.offset, a.offset, 'both are at the same config offset');

  await b.remove('gone');
  await b.putConfig('orders', { 'connector.class': 'counting-source', topic: 'z' });
  await waitFor('the deletion to reach the first worker', () => (a.get('gone') === undefined && a.get('orders')?.config.topic === 'z' ? true : undefined));
  t.same(
    a.get('orders'),
    { config: { 'connector.class': 'counting-source', topic: 'z' }, target: 'PAUSED' },
    'a new config drops the stale task configs, keeps the target state',
  );

  const late = await started(t, new ConfigTopicStore(kafka, { topic, logger }));
  t.same(late.connectorNames(), ['orders'], 'a worker started later sees the deletes too');
  t.same(late.get('orders'), a.get('orders'));
});

t.test('config topic: an unusable record is skipped, the records after it still apply', async (t) => {
  const topic = uniqueName('conflux-configs-bad');
  const a = await started(t, new ConfigTopicStore(kafka, { topic, logger }));
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic,
    messages: [
      { key: '["connector","broken"]', value: '{"config":{"tasks.max":3}}' },
      { key: 'not json', value: '{}' },
    ],
  });
  await producer.disconnect();
  await a.putConfig('fine', { 'connector.class': 'c' });
  t.same(a.connectorNames(), ['fine'], 'a config that is not a map of strings is not taken');
  const late = await started(t, new ConfigTopicStore(kafka, { topic, logger }));
  t.same(late.connectorNames(), ['fine'], 'nor at start');
});

t.test('config topic: an existing topic that is not compacted is refused', async (t) => {
  const topic = uniqueName('conflux-configs-delete');
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic, configEntries: [{ name: 'cleanup.policy', value: 'delete' }] }], waitForLeaders: true });
  const store = new ConfigTopicStore(kafka, { topic, logger });
  t.teardown(() => store.stop());
  await t.rejects(store.start(), {
    name: 'FatalError',
    message: `the connector configs topic ${topic} has cleanup.policy=delete; it must be compact only, or connector configs would be lost to retention. Set cleanup.policy=compact on the topic or choose another config.storage.topic`,
  });
});

t.test('status topic: every worker sees the state each worker reports, with its worker id; deletes are tombstones', async (t) => {
  const topic = uniqueName('conflux-status');
  const a = await started(t, new StatusTopicStore(kafka, { topic, logger }));
  const b = await started(t, new StatusTopicStore(kafka, { topic, logger }));
  t.same(await topicConfig(topic), { policy: 'compact', partitions: 1 });

  await a.putConnector('orders', { state: 'RUNNING', worker_id: 'w1:8083', generation: 1 });
  await a.putTask('orders', 0, { state: 'RUNNING', worker_id: 'w1:8083', generation: 1 });
  await b.putTask('orders', 1, { state: 'FAILED', worker_id: 'w2:8083', trace: 'Error: boom', generation: 1 });
  await b.putTask('orders', 2, { state: 'RUNNING', worker_id: 'w2:8083', generation: 1 });

  const expected = [
    { id: 0, state: 'RUNNING', worker_id: 'w1:8083', generation: 1 },
    { id: 1, state: 'FAILED', worker_id: 'w2:8083', trace: 'Error: boom', generation: 1 },
    { id: 2, state: 'RUNNING', worker_id: 'w2:8083', generation: 1 },
  ];
  for (const [store, who] of [
    [a, 'first'],
    [b, 'second'],
  ] as const) {
    const tasks = await waitFor(`the ${who} worker to see three tasks`, () => (store.tasksOf('orders').length === 3 ? store.tasksOf('orders') : undefined));
    t.same(tasks, expected, `the ${who} worker sees every task with the worker that runs it`);
    t.same(store.connector('orders'), { state: 'RUNNING', worker_id: 'w1:8083', generation: 1 });
  }

  await a.removeTasks('orders', 2);
  const late = await started(t, new StatusTopicStore(kafka, { topic, logger }));
  t.same(
    late.tasksOf('orders').map((task) => task.id),
    [0, 1],
    'tasks beyond a smaller count are removed',
  );
  await late.removeConnector('orders');
  await waitFor('the deletion to reach the other workers', () => (a.connector('orders') === undefined && b.tasksOf('orders').length === 0 ? true : undefined));
  t.pass('a deleted connector leaves no status behind');
});
