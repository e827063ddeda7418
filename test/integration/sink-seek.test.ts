import t, { type Test } from 'tap';
import { managedOffsets } from '../fixtures/collecting-sink.js';
import { committedOffsets, createTopic, kafka, numbers, produceNumbers } from '../fixtures/kafka.js';
import { sinkEvents } from '../fixtures/scripted-sink.js';
import { startWorker, tempDir, waitForCollected, waitForState } from '../fixtures/worker.js';
import { uniqueName, waitFor } from '../helpers/services.js';

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/** A collecting sink that keeps its offsets itself, starting from `stored` for partition 0. */
async function managedSink(t: Test, topic: string, stored: string) {
  const collector = uniqueName('seek-collector');
  const name = uniqueName('seek-sink');
  managedOffsets.set(collector, new Map([[`${topic}/0`, stored]]));
  const worker = await startWorker(t, tempDir(t));
  await worker.createConnector(name, { 'connector.class': 'collecting-sink', topics: topic, collector, 'offsets.managed': 'true', 'value.converter': 'json' });
  return { worker, name, collector };
}

t.test('a sink-managed seek to offsets deleted by retention continues at the first record that exists', async (t) => {
  const topic = uniqueName('seek-deleted');
  await createTopic(topic, 1);
  await produceNumbers(topic, range(0, 10));
  const admin = kafka.admin();
  await admin.connect();
  await admin.fetchTopicMetadata({ topics: [topic] });
  // Retention (here: deleteRecords) removed offsets 0..5, past the sink's stored position 3.
  await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '6' }] });
  await admin.disconnect();

  const { worker, name, collector } = await managedSink(t, topic, '3');
  await waitForCollected(worker, name, collector, 4, 30_000);
  t.same(numbers(collector), [6, 7, 8, 9], 'the records that still exist, once');
  await waitFor('the stored offset to move on', () => (managedOffsets.get(collector)!.get(`${topic}/0`) === '10' ? true : undefined));
  t.equal(worker.status(name).tasks[0]!.state, 'RUNNING');
});

t.test('a sink-managed seek to a transaction marker continues at the next record', async (t) => {
  const topic = uniqueName('seek-marker');
  await createTopic(topic, 1);
  // Offsets 0..2 in a transaction, its commit marker at 3, then plain records at 4 and 5.
  await produceNumbers(topic, [0, 1, 2], { transactional: true });
  await produceNumbers(topic, [4, 5]);
  const collector = uniqueName('marker-collector');
  const name = uniqueName('marker-sink');
  managedOffsets.set(collector, new Map([[`${topic}/0`, '3']]));
  // The group is ahead of the sink's own offset, so the runtime must seek back to the marker.
  const admin = kafka.admin();
  await admin.connect();
  await admin.setOffsets({ groupId: `connect-${name}`, topic, partitions: [{ partition: 0, offset: '5' }] });
  await admin.disconnect();

  const worker = await startWorker(t, tempDir(t));
  await worker.createConnector(name, { 'connector.class': 'collecting-sink', topics: topic, collector, 'offsets.managed': 'true', 'value.converter': 'json' });
  await waitForCollected(worker, name, collector, 2, 30_000);
  t.same(numbers(collector), [4, 5], 'the records after the marker, once');
  await waitFor('the stored offset to move on', () => (managedOffsets.get(collector)!.get(`${topic}/0`) === '6' ? true : undefined));
});

t.test('a sink-managed seek beyond the end of the log restarts from the earliest record, like auto.offset.reset=earliest', async (t) => {
  const topic = uniqueName('seek-beyond');
  await createTopic(topic, 1);
  await produceNumbers(topic, range(0, 5));
  // The sink remembers offset 1000 of a log that ends at 5 (say, the topic was re-created).
  const { worker, name, collector } = await managedSink(t, topic, '1000');
  await waitForCollected(worker, name, collector, 5, 30_000);
  t.same(numbers(collector), range(0, 5));
  await waitFor('the stored offset to follow the log', () => (managedOffsets.get(collector)!.get(`${topic}/0`) === '5' ? true : undefined));
  await produceNumbers(topic, [5]);
  await waitForCollected(worker, name, collector, 6, 30_000);
  t.same(numbers(collector), range(0, 6), 'and goes on from there');
});

t.test('a rewind during put is what gets committed, so a crash right after it loses nothing', async (t) => {
  const topic = uniqueName('rewind');
  const collector = uniqueName('rewind-collector');
  const name = uniqueName('rewind-sink');
  await createTopic(topic, 1);
  await produceNumbers(topic, range(0, 5));
  const worker = await startWorker(t, tempDir(t));
  // The first put writes nothing and seeks back to its first record; the put after it crashes.
  await worker.createConnector(name, { 'connector.class': 'scripted-sink', topics: topic, collector, 'rewind.once': 'true', 'value.converter': 'json' });
  await waitFor('the task to crash after the rewind', () => (worker.status(name).tasks[0]?.state === 'FAILED' ? true : undefined), 30_000);
  t.same(await committedOffsets(`connect-${name}`, topic), { 0: '0' }, 'the rewound position was committed, not the end of the batch');
  t.same(numbers(collector), [], 'nothing written yet');

  await worker.restartTask(name, 0);
  await waitForState(worker, name, 'RUNNING');
  await waitForCollected(worker, name, collector, 5, 30_000);
  t.same(numbers(collector), range(0, 5), 'the rewound records, once');
  await waitFor('the commit of the batch', async () => ((await committedOffsets(`connect-${name}`, topic))[0] === '5' ? true : undefined));
  const flushes = sinkEvents
    .get(collector)!
    .filter((e) => e.call === 'flush')
    .map((e) => e.offsets);
  t.same(flushes[0], [`${topic}-0@0`], 'flush after the rewind was told the rewound position');
});
