import t from 'tap';
import { collected, managedOffsets } from '../fixtures/collecting-sink.js';
import { createTopic, kafka, numbers } from '../fixtures/kafka.js';
import { startWorker, tempDir, waitForCollected } from '../fixtures/worker.js';
import { uniqueName, waitFor } from '../helpers/services.js';

t.test('sink-managed offsets: the sink seeks to its own offsets, so a lost group commit repeats nothing', async (t) => {
  const topic = uniqueName('managed');
  const collector = uniqueName('managed-collector');
  const sinkName = uniqueName('managed-sink');
  await createTopic(topic, 1);
  const state = tempDir(t);
  const source = (count: number) => ({
    'connector.class': 'counting-source',
    topic,
    count: String(count),
    'value.converter': 'json',
    'offset.flush.interval.ms': '50',
  });
  const sink = { 'connector.class': 'collecting-sink', topics: topic, collector, 'offsets.managed': 'true', 'value.converter': 'json' };

  const first = await startWorker(t, state);
  await first.createConnector('counter', source(20));
  await first.createConnector(sinkName, sink);
  await waitFor('20 records', () => (numbers(collector).length >= 20 ? true : undefined));
  t.equal(managedOffsets.get(collector)?.get(`${topic}/0`), '20', 'the sink stored its next offset with the records');
  await first.stop();

  // The group's committed offsets are lost (deleted): only the sink's own offsets remain.
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteGroups([`connect-${sinkName}`]);
  await admin.disconnect();

  const second = await startWorker(t, state);
  await second.createConnector('counter', source(30));
  await second.createConnector(sinkName, sink);
  await waitFor('30 records', () => (numbers(collector).length >= 30 ? true : undefined));
  t.same(
    numbers(collector),
    Array.from({ length: 30 }, (_, i) => i),
    'records 20..29 once, nothing from before the stored offset again',
  );
});

t.test('a sink with tasks.max=2 shares the partitions of its group; with sink-managed offsets every record arrives once, across rebalances', async (t) => {
  const topic = uniqueName('shared');
  const collector = uniqueName('shared-collector');
  await createTopic(topic, 4);
  const worker = await startWorker(t, tempDir(t));
  await worker.createConnector('counter', { 'connector.class': 'counting-source', topic, count: '200', 'batch.size': '20', 'value.converter': 'json' });
  const sinkName = uniqueName('shared-sink');
  // The two tasks join one after the other, so the group rebalances while records flow: a plain
  // sink may see some records twice then (at least once); one that keeps its offsets does not.
  await worker.createConnector(sinkName, {
    'connector.class': 'collecting-sink',
    topics: topic,
    collector,
    'tasks.max': '2',
    'offsets.managed': 'true',
    'value.converter': 'json',
  });
  t.equal(worker.status(sinkName).tasks.length, 2, 'two tasks');
  await waitForCollected(worker, sinkName, collector, 200);
  t.same(
    [...numbers(collector)].sort((a, b) => a - b),
    Array.from({ length: 200 }, (_, i) => i),
    'each record exactly once',
  );
  const partitionsByTask = new Set(collected.get(collector)!.map((r) => r.kafkaPartition));
  t.equal(partitionsByTask.size, 4, 'records came from all four partitions');
  const text = await worker.metrics.text();
  t.match(text, new RegExp(`conflux_sink_records_written_total\\{connector="${sinkName}",task="\\d"\\} \\d+`), 'written records are counted per task');
  t.match(text, /conflux_end_to_end_latency_seconds_count\{connector="[^"]+",task="\d"\} \d+/, 'end-to-end latency is measured');
});

t.test('a sink created before its topic exists waits in RUNNING and consumes once the topic appears', async (t) => {
  const topic = uniqueName('late');
  const collector = uniqueName('late-collector');
  const worker = await startWorker(t, tempDir(t));
  const sinkName = uniqueName('early-sink');
  await worker.createConnector(sinkName, { 'connector.class': 'collecting-sink', topics: topic, collector, 'value.converter': 'json' });
  await waitFor('the sink task to run', () => (worker.status(sinkName).tasks[0]?.state === 'RUNNING' ? true : undefined));
  await worker.createConnector('late-source', { 'connector.class': 'counting-source', topic, count: '5', 'value.converter': 'json' });
  await waitFor('5 records', () => (numbers(collector).length >= 5 ? true : undefined));
  t.same(numbers(collector), [0, 1, 2, 3, 4]);
  t.equal(worker.status(sinkName).tasks[0]!.state, 'RUNNING', 'never failed while waiting');
});
