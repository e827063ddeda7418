import t from 'tap';
import { createTopic, kafka } from '../fixtures/kafka.js';
import { startWorker, tempDir } from '../fixtures/worker.js';
import { uniqueName, waitFor } from '../helpers/services.js';

/** Every `n` on the topic, in partition order. */
async function topicNumbers(topic: string, expected: number): Promise<number[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('reader') });
  await consumer.connect();
  const seen: number[] = [];
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(JSON.parse(message.value!.toString()).n as number) });
    await waitFor(`${expected} records on ${topic}`, () => (seen.length >= expected ? true : undefined), 60_000);
    // Anything beyond the expected count (a duplicate) would arrive with the same fetches.
    await new Promise((resolve) => setTimeout(resolve, 500));
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

t.test('a source polling ahead of Kafka keeps poll order, and a graceful stop in the middle repeats and loses nothing', async (t) => {
  const topic = uniqueName('pipelined');
  await createTopic(topic);
  const state = tempDir(t);
  const count = 20_000;
  const config = {
    'connector.class': 'counting-source',
    topic,
    count: String(count),
    'batch.size': '50',
    'max.in.flight.batches': '8',
    'value.converter': 'json',
    'offset.flush.interval.ms': '50',
  };
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  const high = async () => Number((await admin.fetchTopicOffsets(topic))[0]!.high);

  const first = await startWorker(t, state);
  await first.createConnector('pipelined', config);
  await waitFor('a few thousand records', async () => ((await high()) > 2_000 ? true : undefined));
  await first.stop();
  const atStop = await high();
  t.ok(atStop < count, `stopped in the middle (${atStop} of ${count})`);

  const second = await startWorker(t, state);
  await second.createConnector('pipelined', config);
  const seen = await topicNumbers(topic, count);
  await second.stop();
  t.equal(seen.length, count, 'exactly one record per number: nothing repeated by the stop, nothing lost');
  t.same(
    seen,
    Array.from({ length: count }, (_, n) => n),
    'in poll order',
  );
});
