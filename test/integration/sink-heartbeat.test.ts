import t from 'tap';
import { committedOffsets, createTopic, numbers, produceNumbers, waitForGroup } from '../fixtures/kafka.js';
import { sinkEvents } from '../fixtures/scripted-sink.js';
import { startWorker, tempDir, waitForCollected } from '../fixtures/worker.js';
import { uniqueName, waitFor } from '../helpers/services.js';

/** kafkajs's default session timeout, which the tasks' consumers use. */
const SESSION_TIMEOUT_MS = 30_000;

t.test('a put longer than the session timeout keeps its member in the group: with tasks.max=2 nothing is written twice', async (t) => {
  const topic = uniqueName('slow-put');
  const collector = uniqueName('slow-collector');
  const name = uniqueName('slow-sink');
  await createTopic(topic, 2);
  const worker = await startWorker(t, tempDir(t));
  await worker.createConnector(name, {
    'connector.class': 'scripted-sink',
    topics: topic,
    collector,
    'tasks.max': '2',
    'put.sleep.ms': String(SESSION_TIMEOUT_MS + 6_000),
    'value.converter': 'json',
  });
  // Both tasks own a partition each before anything is written.
  await waitForGroup(`connect-${name}`, 2);
  await produceNumbers(topic, [0, 1, 2, 3, 4], { partition: 0 });
  await produceNumbers(topic, [5, 6, 7, 8, 9], { partition: 1 });

  // The first put sleeps past the session timeout; wait until its task is done with the batch.
  const events = () => sinkEvents.get(collector) ?? [];
  await waitFor(
    'the slow put to finish and its task to flush or close',
    () => {
      const slow = events().find((e) => e.call === 'put');
      if (!slow) return undefined;
      const after = events()
        .slice(events().indexOf(slow) + 1)
        .filter((e) => e.task === slow.task);
      const done = after.findIndex((e) => e.call === 'put-done');
      return done >= 0 && after.slice(done + 1).some((e) => e.call === 'flush' || e.call === 'close') ? true : undefined;
    },
    SESSION_TIMEOUT_MS * 3,
  );
  await waitForCollected(worker, name, collector, 10, 30_000);
  t.same(
    [...numbers(collector)].sort((a, b) => a - b),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    'every record written once: no replay by another task, no zombie write',
  );
  t.same(await committedOffsets(`connect-${name}`, topic), { 0: '5', 1: '5' }, 'both partitions committed');
});
