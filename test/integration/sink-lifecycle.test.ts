import t from 'tap';
import { committedOffsets, createTopic, numbers, produceNumbers, waitForGroup } from '../fixtures/kafka.js';
import { startTwoPartitionSink } from '../fixtures/two-partition-sink.js';
import { sinkEvents, type SinkEvent } from '../fixtures/scripted-sink.js';
import { startWorker, tempDir, waitForCollected, waitForState } from '../fixtures/worker.js';
import { uniqueName, waitFor } from '../helpers/services.js';

const calls = (collector: string): string[] => (sinkEvents.get(collector) ?? []).map((e: SinkEvent) => e.call);

t.test('pausing a sink that waits for its topic pauses every task; resume then consumes', async (t) => {
  const topic = uniqueName('paused-early');
  const collector = uniqueName('paused-collector');
  const name = uniqueName('paused-sink');
  const worker = await startWorker(t, tempDir(t));
  await worker.createConnector(name, { 'connector.class': 'collecting-sink', topics: topic, collector, 'tasks.max': '2', 'value.converter': 'json' });
  await waitForState(worker, name, 'RUNNING');

  // Both tasks are still waiting for the topic: kafkajs has not started consuming yet.
  await worker.pause(name);
  t.same(
    worker.status(name),
    { name, connector: { state: 'PAUSED', worker_id: worker.id }, tasks: [0, 1].map((id) => ({ id, state: 'PAUSED', worker_id: worker.id })), type: 'sink' },
    'connector and both tasks PAUSED',
  );

  await createTopic(topic, 2);
  await produceNumbers(topic, [0, 1], { partition: 0 });
  await produceNumbers(topic, [2, 3], { partition: 1 });
  // The tasks found the topic and joined the group, yet fetch nothing while paused.
  await waitForGroup(`connect-${name}`, 2);
  t.same(numbers(collector), [], 'nothing consumed while paused');
  t.same(
    worker.status(name).tasks.map((task) => task.state),
    ['PAUSED', 'PAUSED'],
    'still PAUSED after the topic appeared',
  );

  await worker.resume(name);
  t.same(
    worker.status(name).tasks.map((task) => task.state),
    ['RUNNING', 'RUNNING'],
    'both tasks RUNNING again',
  );
  t.equal(worker.status(name).connector.state, 'RUNNING');
  await waitForCollected(worker, name, collector, 4, 30_000);
  t.same([...numbers(collector)].sort(), [0, 1, 2, 3], 'all records once after resume');
});

t.test('a stop during a slow put lets the batch finish: flushed and committed once, stop() after put()', async (t) => {
  const topic = uniqueName('stop-in-put');
  const collector = uniqueName('stop-collector');
  const name = uniqueName('stop-sink');
  await createTopic(topic, 1);
  await produceNumbers(topic, [0, 1, 2, 3, 4]);
  const worker = await startWorker(t, tempDir(t));
  // Longer than the time the runtime gives the consumer to leave the group on stop (10 s).
  await worker.createConnector(name, { 'connector.class': 'scripted-sink', topics: topic, collector, 'put.sleep.ms': '12000', 'value.converter': 'json' });
  await waitFor('the slow put to start', () => (calls(collector).includes('put') ? true : undefined), 30_000);

  await worker.stopConnector(name);
  t.same(calls(collector), ['open', 'put', 'put-done', 'flush', 'close', 'stop'], 'put, flush and close before stop, never overlapping');
  t.same(numbers(collector), [0, 1, 2, 3, 4], 'the batch in flight was written');
  t.same(await committedOffsets(`connect-${name}`, topic), { 0: '5' }, 'and committed');

  await worker.resume(name);
  await produceNumbers(topic, [5]);
  await waitForCollected(worker, name, collector, 6, 30_000);
  t.same(numbers(collector), [0, 1, 2, 3, 4, 5], 'nothing replayed after the restart');
});

t.test('stopping a sink closes its partitions before stop()', async (t) => {
  const { topic, collector, name, worker } = await startTwoPartitionSink(t, 'close-on-stop');
  await worker.deleteConnector(name);
  const events = sinkEvents.get(collector)!;
  const close = events.find((e) => e.call === 'close');
  t.same([...(close?.partitions ?? [])].sort(), [`${topic}-0`, `${topic}-1`], 'close() named both partitions');
  t.same(
    events.slice(-2).map((e) => e.call),
    ['close', 'stop'],
    'close() came right before stop()',
  );
});
