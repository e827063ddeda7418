import t from 'tap';
import { collected } from '../fixtures/collecting-sink.js';
import { createTopic, kafka, numbers } from '../fixtures/kafka.js';
import { startWorker, tempDir, waitForState } from '../fixtures/worker.js';
import { uniqueName, waitFor } from '../helpers/services.js';

t.test('records flow source -> Kafka (Avro) -> sink and resume after a worker restart with nothing lost or repeated', async (t) => {
  const topic = uniqueName('flow');
  const collector = uniqueName('collector');
  await createTopic(topic);
  const state = tempDir(t);
  const source = (count: number) => ({
    'connector.class': 'counting-source',
    topic,
    count: String(count),
    'batch.size': '7',
    'value.converter': 'avro',
    'offset.flush.interval.ms': '100',
  });
  const sink = { 'connector.class': 'collecting-sink', topics: topic, collector, 'value.converter': 'avro' };

  const first = await startWorker(t, state);
  await first.createConnector('counter', source(30));
  // The sink's name is its consumer group (connect-<name>): unique, so parallel test files never share one.
  const sinkName = uniqueName('collector');
  await first.createConnector(sinkName, sink);
  await waitFor('30 records in the sink', () => (numbers(collector).length >= 30 ? true : undefined));
  t.same(
    numbers(collector),
    Array.from({ length: 30 }, (_, i) => i),
    'the sink got 0..29 in order',
  );
  t.ok(collected.get(collector)![0]!.valueSchema, 'the sink sees the Avro writer schema');
  await waitFor('the source offset of n=29', async () => {
    const offsets = await first.offsets('counter');
    return offsets[0]?.offset?.n === 29 ? true : undefined;
  });
  await first.stop();

  // A new worker on the same state: the source resumes after n=29, the sink after its last commit.
  const second = await startWorker(t, state);
  t.same(await second.offsets('counter').catch(() => 'none'), 'none', 'connectors are not persisted without a config store');
  await second.createConnector('counter', source(60));
  await second.createConnector(sinkName, sink);
  await waitFor('60 records in the sink', () => (numbers(collector).length >= 60 ? true : undefined));
  t.same(
    numbers(collector),
    Array.from({ length: 60 }, (_, i) => i),
    'after the restart: 30..59, no gap, no repeat',
  );
  t.same(
    (await second.offsets(sinkName))[0],
    { partition: { kafka_topic: topic, kafka_partition: 0 }, offset: { kafka_offset: 60 } },
    'sink offsets committed to the group',
  );
});

t.test('pause stops the flow and resume restarts it', async (t) => {
  const topic = uniqueName('pause');
  await createTopic(topic);
  const worker = await startWorker(t, tempDir(t));
  await worker.createConnector('ticker', {
    'connector.class': 'counting-source',
    topic,
    count: '1000000',
    'batch.size': '5',
    'value.converter': 'json',
  });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  const high = async () => Number((await admin.fetchTopicOffsets(topic))[0]!.high);
  await waitFor('records in Kafka', async () => ((await high()) > 20 ? true : undefined));

  await worker.pause('ticker');
  await waitForState(worker, 'ticker', 'PAUSED');
  // The loop parks at its next poll; once paused, the topic must stop growing.
  const atPause = await waitFor('the topic to stop growing', async () => {
    const a = await high();
    await new Promise((r) => setTimeout(r, 300));
    return (await high()) === a ? a : undefined;
  });
  await new Promise((r) => setTimeout(r, 1000));
  t.equal(await high(), atPause, 'nothing produced for a second while paused');

  await worker.resume('ticker');
  await waitForState(worker, 'ticker', 'RUNNING');
  await waitFor('records after resume', async () => ((await high()) > atPause + 20 ? true : undefined));
  t.pass('the flow restarted');
});

t.test('a retriable sink failure is retried and then succeeds', async (t) => {
  const topic = uniqueName('retry');
  const collector = uniqueName('retry-collector');
  await createTopic(topic);
  const worker = await startWorker(t, tempDir(t));
  await worker.createConnector('src', { 'connector.class': 'counting-source', topic, count: '10', 'value.converter': 'json' });
  const flaky = uniqueName('flaky');
  await worker.createConnector(flaky, {
    'connector.class': 'collecting-sink',
    topics: topic,
    collector,
    'fail.put.times': '2',
    'errors.retry.timeout': '30000',
    'errors.retry.delay.max.ms': '200',
    'value.converter': 'json',
  });
  await waitFor('10 records despite two failed puts', () => (numbers(collector).length >= 10 ? true : undefined));
  t.same(
    numbers(collector),
    Array.from({ length: 10 }, (_, i) => i),
  );
  t.equal(worker.status(flaky).tasks[0]!.state, 'RUNNING', 'the task kept running');
  const retried = (await worker.metrics.errors.get()).values.find(
    (v) => v.labels.connector === flaky && v.labels.stage === 'put' && v.labels.outcome === 'retried',
  );
  t.equal(retried?.value, 2, 'two retries counted');
});
