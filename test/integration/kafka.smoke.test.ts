import t from 'tap';
import { Kafka, logLevel } from 'kafkajs';
import { services, uniqueName, waitFor } from '../helpers/services.js';

const { kafkaBrokers } = services();
const kafka = new Kafka({ clientId: 'conflux-smoke', brokers: kafkaBrokers, logLevel: logLevel.NOTHING, retry: { retries: 3 } });

t.test('kafka: idempotent produce, consume in a group, commit and read back offsets', async (t) => {
  const topic = uniqueName('smoke');
  const groupId = uniqueName('smoke-group');
  const admin = kafka.admin();
  await admin.connect().catch((err: Error) => {
    throw new Error(`Kafka broker at ${kafkaBrokers.join(',')} is not reachable: ${err.message}`);
  });
  t.teardown(() => admin.disconnect());
  t.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true }), true, 'topic created');

  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  t.teardown(() => producer.disconnect());
  const sent = await producer.send({
    topic,
    acks: -1,
    messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i % 3}`, value: `v${i}` })),
  });
  t.equal(sent.length > 0, true, 'broker acknowledged the batch');

  const consumer = kafka.consumer({ groupId });
  await consumer.connect();
  t.teardown(() => consumer.disconnect());
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen: string[] = [];
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      seen.push(message.value!.toString());
      await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
    },
  });
  await waitFor('10 consumed records', () => (seen.length === 10 ? true : undefined));
  t.same([...seen].sort(), Array.from({ length: 10 }, (_, i) => `v${i}`).sort(), 'every record consumed once');

  // The group's committed offsets must equal each partition's end offset (-1 means never committed,
  // which is right only for a partition that received no record).
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, p.high]));
  const committed = await waitFor('committed offsets to reach the end of every partition', async () => {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const done = offsets!.partitions.every((p) => p.offset === (ends.get(p.partition) === '0' ? '-1' : ends.get(p.partition)));
    return done ? offsets!.partitions : undefined;
  });
  t.equal(
    committed.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0),
    10,
    'committed offsets cover all 10 records',
  );
});

t.test('kafka: transactional produce is visible to read_committed consumers only after commit', async (t) => {
  const topic = uniqueName('smoke-tx');
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic }], waitForLeaders: true });

  const producer = kafka.producer({ transactionalId: uniqueName('tx'), idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  t.teardown(() => producer.disconnect());

  const aborted = await producer.transaction();
  await aborted.send({ topic, messages: [{ value: 'aborted' }] });
  await aborted.abort();
  const committed = await producer.transaction();
  await committed.send({ topic, messages: [{ value: 'committed' }] });
  await committed.commit();

  const consumer = kafka.consumer({ groupId: uniqueName('tx-group'), readUncommitted: false });
  await consumer.connect();
  t.teardown(() => consumer.disconnect());
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen: string[] = [];
  await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
  await waitFor('the committed record', () => (seen.includes('committed') ? true : undefined));
  t.same(seen, ['committed'], 'the aborted record is never delivered');
});
