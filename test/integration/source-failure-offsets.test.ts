import t from 'tap';
import { kafka } from '../fixtures/kafka.js';
import { startWorker, tempDir } from '../fixtures/worker.js';
import { uniqueName, waitFor } from '../helpers/services.js';

t.test('a failed source task commits the offsets Kafka acknowledged, so a restart does not send them again', async (t) => {
  const topic = uniqueName('fail-commit');
  const worker = await startWorker(t, tempDir(t));
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  const high = async () => Number((await admin.fetchTopicOffsets(topic))[0]!.high);
  const failed = () => waitFor('the task to fail', () => (worker.status('src').tasks[0]?.state === 'FAILED' ? true : undefined));

  // Batches of 10: n = 0..19 are produced and acknowledged, the poll of the batch holding n=25 fails.
  // The flush interval is far away, so only the failure path can commit n=19.
  await worker.createConnector('src', {
    'connector.class': 'counting-source',
    topic,
    count: '100',
    'value.converter': 'json',
    'offset.flush.interval.ms': '600000',
    'fail.at': '25',
  });
  await failed();
  t.equal(await high(), 20, 'n = 0..19 reached Kafka');
  t.same(await worker.offsets('src'), [{ partition: { counter: 0 }, offset: { n: 19 } }], 'and their offsets were committed');

  await worker.restartTask('src', 0);
  await failed();
  t.equal(await high(), 20, 'the restarted task resumed after n=19 and sent nothing twice');
});
