import t from 'tap';
import { collected } from '../fixtures/collecting-sink.js';
import { committedOffsets, createTopic, numbers, produceNumbers, waitForGroup } from '../fixtures/kafka.js';
import { startWorker, tempDir } from '../fixtures/worker.js';
import { uniqueName, waitFor } from '../helpers/services.js';

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

t.test('records staged but not flushed when a rebalance comes are dropped, never committed, and written once by their owners', async (t) => {
  const topic = uniqueName('staged-rebalance');
  const collector = uniqueName('staged-collector');
  const name = uniqueName('staged-sink');
  await createTopic(topic, 2);
  await produceNumbers(topic, range(0, 10), { partition: 0 });
  await produceNumbers(topic, range(10, 20), { partition: 1 });
  const config = { 'connector.class': 'collecting-sink', topics: topic, collector, 'value.converter': 'json' };

  // The first worker's task holds everything it fetches: a linger far longer than the test.
  const first = await startWorker(t, tempDir(t));
  await first.createConnector(name, { ...config, 'batch.linger.ms': '600000' });
  const consumed = async () => {
    const { values } = await first.metrics.recordsConsumed.get();
    return values.filter((v) => v.labels.connector === name).reduce((n, v) => n + v.value, 0);
  };
  await waitFor('both partitions fetched and staged', async () => ((await consumed()) >= 20 ? true : undefined), 60_000);
  t.same(numbers(collector), [], 'nothing flushed');
  t.same(await committedOffsets(`connect-${name}`, topic), { 0: '-1', 1: '-1' }, 'nothing committed');

  // A second worker's task joins the group: the partitions are shared out again.
  const second = await startWorker(t, tempDir(t));
  await second.createConnector(name, config);
  await waitForGroup(`connect-${name}`, 2);
  await waitFor('the second task to write its partition', () => ((collected.get(collector)?.length ?? 0) >= 10 ? true : undefined), 60_000);
  const moved = [...numbers(collector)].sort((a, b) => a - b);
  t.ok(
    JSON.stringify(moved) === JSON.stringify(range(0, 10)) || JSON.stringify(moved) === JSON.stringify(range(10, 20)),
    `the moved partition, once: ${moved.join(',')}`,
  );

  // The first task dropped what it had staged and fetched its remaining partition again; a stop flushes it.
  await first.stopConnector(name);
  await waitFor('every record', () => ((collected.get(collector)?.length ?? 0) >= 20 ? true : undefined), 60_000);
  t.same(
    [...numbers(collector)].sort((a, b) => a - b),
    range(0, 20),
    'every record once: nothing the first task staged for the moved partition was written',
  );
  await waitFor('both partitions committed', async () => {
    const committed = await committedOffsets(`connect-${name}`, topic);
    return committed[0] === '10' && committed[1] === '10' ? true : undefined;
  });
});
