import { Kafka, logLevel, type Consumer } from 'kafkajs';
import t, { type Test } from 'tap';
import { collected } from '../fixtures/collecting-sink.js';
import { committedOffsets, createTopic, numbers, produceNumbers, waitForGroup } from '../fixtures/kafka.js';
import { startTwoPartitionSink } from '../fixtures/two-partition-sink.js';
import { sinkEvents } from '../fixtures/scripted-sink.js';
import { startWorker, tempDir, waitForCollected } from '../fixtures/worker.js';
import { services, uniqueName, waitFor } from '../helpers/services.js';

/**
 * Another member of the sink's group. Its client id sorts after the worker's (`conflux-...`), so
 * the round-robin assignor gives it partition 1 of a two-partition topic and the task keeps 0.
 */
async function joinGroup(t: Test, groupId: string, topic: string): Promise<Consumer & { seen: number[] }> {
  const named = new Kafka({ clientId: 'zzz-other-member', brokers: services().kafkaBrokers, logLevel: logLevel.NOTHING });
  const consumer = Object.assign(named.consumer({ groupId }), { seen: [] as number[] });
  await consumer.connect();
  let left = false;
  t.teardown(async () => {
    if (!left) await consumer.disconnect();
  });
  const disconnect = consumer.disconnect.bind(consumer);
  consumer.disconnect = async () => {
    left = true;
    await disconnect();
  };
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void consumer.seen.push(Number(JSON.parse(message.value!.toString()).n)) });
  return consumer;
}

t.test('partitions revoked by a rebalance are closed at once, not when the next batch arrives', async (t) => {
  const { topic, collector, name } = await startTwoPartitionSink(t, 'revoked');

  await joinGroup(t, `connect-${name}`, topic);
  await waitFor(
    'close() of the revoked partition',
    () => (sinkEvents.get(collector)!.some((e) => e.call === 'close' && e.partitions?.includes(`${topic}-1`)) ? true : undefined),
    30_000,
  );
  const closes = sinkEvents.get(collector)!.filter((e) => e.call === 'close');
  t.same(
    closes.flatMap((e) => e.partitions),
    [`${topic}-1`],
    'only the partition that moved was closed',
  );
});

t.test('preCommit offsets of partitions the task does not own are not committed', async (t) => {
  const topic = uniqueName('precommit');
  const other = uniqueName('precommit-other');
  const collector = uniqueName('precommit-collector');
  const name = uniqueName('precommit-sink');
  await createTopic(topic, 1);
  await createTopic(other, 1);
  await produceNumbers(topic, [0, 1, 2]);
  const worker = await startWorker(t, tempDir(t));
  // The sink's preCommit also names partition 0 of a topic the connector does not consume.
  await worker.createConnector(name, {
    'connector.class': 'scripted-sink',
    topics: topic,
    collector,
    'precommit.extra.topic': other,
    'value.converter': 'json',
  });
  await waitForCollected(worker, name, collector, 3, 30_000);
  await waitFor('the commit of the batch', async () => ((await committedOffsets(`connect-${name}`, topic))[0] === '3' ? true : undefined));
  t.same(await committedOffsets(`connect-${name}`, other), { 0: '-1' }, 'nothing committed for the foreign partition');
});

t.test('a seek asked for a partition that is revoked before it was applied does not rewind its next owner', async (t) => {
  const topic = uniqueName('stale-seek');
  const collector = uniqueName('stale-collector');
  const name = uniqueName('stale-sink');
  await createTopic(topic, 2);
  await produceNumbers(topic, [0], { partition: 0 });
  const worker = await startWorker(t, tempDir(t));
  // The first open() seeks both partitions to 0; partition 1 has no record yet, so its seek waits.
  await worker.createConnector(name, { 'connector.class': 'scripted-sink', topics: topic, collector, 'seek.on.open': '0', 'value.converter': 'json' });
  await waitForCollected(worker, name, collector, 1, 30_000);

  // Partition 1 moves to another member, which consumes and commits it, and then leaves.
  const other = await joinGroup(t, `connect-${name}`, topic);
  await waitForGroup(`connect-${name}`, 2);
  await produceNumbers(topic, [10, 11, 12], { partition: 1 });
  await waitFor('the other member to consume partition 1', () => (other.seen.length >= 3 ? true : undefined), 30_000);
  await waitFor('its commit', async () => ((await committedOffsets(`connect-${name}`, topic))[1] === '3' ? true : undefined), 30_000);
  await other.disconnect();
  await waitForGroup(`connect-${name}`, 1);

  // Back with the task, partition 1 continues from the group's offset 3, not the stale seek to 0.
  await produceNumbers(topic, [13], { partition: 1 });
  await waitFor('record 13', () => (numbers(collector).includes(13) ? true : undefined), 30_000);
  t.same(numbers(collector), [0, 13], 'records 10..12 were not written again');
  t.equal(collected.get(collector)!.length, 2);
});
