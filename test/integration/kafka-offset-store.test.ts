import t from 'tap';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaOffsetStore } from '../../runtime/offsets/kafka-store.js';
import { services, uniqueName, waitFor } from '../helpers/services.js';

const kafka = new Kafka({ brokers: services().kafkaBrokers, logLevel: logLevel.NOTHING });

t.test('kafka offset store: offsets survive a restart of the store; deletes are tombstones', async (t) => {
  const topic = uniqueName('conflux-offsets');
  const first = new KafkaOffsetStore(kafka, topic);
  await first.start();
  await first.set('orders', [
    { partition: { collection: 'orders' }, offset: { token: 'a' } },
    { partition: { collection: 'customers' }, offset: { token: 'b' } },
  ]);
  await first.set('orders', [{ partition: { collection: 'orders' }, offset: { token: 'c' } }]);
  await first.set('other', [{ partition: { p: 1 }, offset: { n: 1 } }]);
  await first.flush();
  await first.stop();

  const second = new KafkaOffsetStore(kafka, topic);
  await second.start();
  t.same(await second.get('orders', { collection: 'orders' }), { token: 'c' }, 'the newest offset wins');
  t.same(await second.get('orders', { collection: 'customers' }), { token: 'b' });
  await second.deleteAll('orders');
  await second.stop();

  const third = new KafkaOffsetStore(kafka, topic);
  await third.start();
  t.same(await third.getAll('orders'), [], 'deleted offsets stay deleted');
  t.same(await third.getAll('other'), [{ partition: { p: 1 }, offset: { n: 1 } }], 'other connectors untouched');
  await third.stop();

  const admin = kafka.admin();
  await admin.connect();
  const [config] = (await admin.describeConfigs({ resources: [{ type: 2, name: topic, configNames: ['cleanup.policy'] }], includeSynonyms: false })).resources;
  await admin.disconnect();
  t.equal(config!.configEntries[0]!.configValue, 'compact', 'the offsets topic is compacted');
});

/** Fails instead of hanging when a store never finishes its replay. */
async function startWithin(store: KafkaOffsetStore, ms = 60_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the offset store did not start within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([store.start(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const offsetMessage = (connector: string, partition: object, offset: object) => ({
  key: JSON.stringify([connector, partition]),
  value: JSON.stringify(offset),
});

t.test('kafka offset store: replay ends when the tail of the topic is a transaction marker, not a record', async (t) => {
  const topic = uniqueName('conflux-offsets-txn');
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }], waitForLeaders: true });
  const producer = kafka.producer({ transactionalId: uniqueName('txn'), idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const txn = await producer.transaction();
  await txn.send({ topic, messages: [offsetMessage('c', { p: 0 }, { n: 7 })] });
  await txn.commit();
  await producer.disconnect();
  // The coordinator writes the commit marker after commit() returns: wait until it is in the log.
  const high = await waitFor('the commit marker in the log', async () => {
    const [end] = await admin.fetchTopicOffsets(topic);
    return end!.high === '2' ? end!.high : undefined;
  });
  t.equal(high, '2', 'the commit marker takes the last offset');

  const store = new KafkaOffsetStore(kafka, topic);
  await startWithin(store);
  t.teardown(() => store.stop());
  t.same(await store.getAll('c'), [{ partition: { p: 0 }, offset: { n: 7 } }]);
});

t.test('kafka offset store: replay ends with an emptied partition whose end is above 0', async (t) => {
  const topic = uniqueName('conflux-offsets-emptied');
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  // Kafka refuses to delete records of a compacted topic: empty a partition first, then compact.
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic,
    messages: [
      { partition: 0, ...offsetMessage('c', { p: 0 }, { n: 1 }) },
      { partition: 1, ...offsetMessage('gone', { p: 1 }, { n: 2 }) },
    ],
  });
  await producer.disconnect();
  await admin.fetchTopicMetadata({ topics: [topic] }); // deleteTopicRecords needs the partition leaders known
  await admin.deleteTopicRecords({ topic, partitions: [{ partition: 1, offset: '-1' }] });
  await admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: topic, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] });
  const ends = await admin.fetchTopicOffsets(topic);
  t.match(
    ends.find((p) => p.partition === 1),
    { low: '1', high: '1' },
    'partition 1 is empty with its end at 1',
  );

  const store = new KafkaOffsetStore(kafka, topic);
  await startWithin(store);
  t.teardown(() => store.stop());
  t.same(await store.getAll('c'), [{ partition: { p: 0 }, offset: { n: 1 } }]);
  t.same(await store.getAll('gone'), [], 'deleted records are not replayed');
});

t.test('kafka offset store: an existing offsets topic that is not compacted is refused', async (t) => {
  const topic = uniqueName('conflux-offsets-delete');
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic, configEntries: [{ name: 'cleanup.policy', value: 'delete' }] }], waitForLeaders: true });
  const store = new KafkaOffsetStore(kafka, topic);
  await t.rejects(startWithin(store), {
    name: 'FatalError',
    message: `the offsets topic ${topic} has cleanup.policy=delete; it must be compact only`,
  });
  await store.stop();
});

t.test('kafka offset store: an unusable stored offset ends the start with an error naming the topic', async (t) => {
  const topic = uniqueName('conflux-offsets-unusable');
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }], waitForLeaders: true });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: [{ key: JSON.stringify(['c', { p: 0 }]), value: '"not an object"' }] });
  await producer.disconnect();
  const store = new KafkaOffsetStore(kafka, topic);
  await t.rejects(startWithin(store), {
    name: 'FatalError',
    message: `the offsets topic ${topic} holds an unusable offset: offset entry 0 of connector c: offset must be a JSON object`,
  });
});
