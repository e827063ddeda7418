import t from 'tap';
import { Kafka, logLevel } from 'kafkajs';
import { BadRequestError } from '../../runtime/errors.js';
import type { Herder } from '../../runtime/herder/herder.js';
import { startWorker, tempDir, waitForState } from '../fixtures/worker.js';
import { services, uniqueName, waitFor } from '../helpers/services.js';

const kafka = new Kafka({ brokers: services().kafkaBrokers, logLevel: logLevel.NOTHING });

t.test('source offsets can be changed only while STOPPED, and the task resumes from the new offset', async (t) => {
  const topic = uniqueName('offsets');
  const worker = await startWorker(t, tempDir(t));
  const config = { 'connector.class': 'counting-source', topic, count: '10', 'value.converter': 'json', 'offset.flush.interval.ms': '50' };
  await worker.createConnector('counter', config);
  await waitFor('offset n=9', async () => ((await worker.offsets('counter'))[0]?.offset?.n === 9 ? true : undefined));

  await t.rejects(worker.alterOffsets('counter', [{ partition: { counter: 0 }, offset: { n: 4 } }]), BadRequestError, 'refused while RUNNING');
  await worker.stopConnector('counter');
  t.equal(worker.status('counter').connector.state, 'STOPPED');
  t.same(worker.status('counter').tasks, [], 'a stopped connector has no tasks');
  await worker.alterOffsets('counter', [{ partition: { counter: 0 }, offset: { n: 4 } }]);
  t.same(await worker.offsets('counter'), [{ partition: { counter: 0 }, offset: { n: 4 } }]);

  await worker.resume('counter');
  await waitForState(worker, 'counter', 'RUNNING');
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  // 10 records first, then n = 5..9 again after rewinding to n=4.
  await waitFor('15 records in the topic', async () => (Number((await admin.fetchTopicOffsets(topic))[0]!.high) === 15 ? true : undefined));

  await worker.stopConnector('counter');
  await worker.resetOffsets('counter');
  t.same(await worker.offsets('counter'), [], 'reset removes every offset');
});

t.test('automatic restart of failed tasks with backoff, when enabled', async (t) => {
  const worker = await startWorker(t, tempDir(t), {
    'task.restart.auto': true,
    'task.restart.backoff.initial.ms': 50,
    'task.restart.backoff.max.ms': 100,
    'task.restart.max.attempts': 2,
  });
  await worker.createConnector('doomed', {
    'connector.class': 'counting-source',
    topic: uniqueName('doomed'),
    'value.converter': 'json',
    transforms: 'reject',
    'transforms.reject.type': 'FailEvery',
    'transforms.reject.every': '1',
  });
  // Each restart fails again on n=0: after 2 automatic restarts the task stays FAILED.
  await waitFor('two automatic restarts', async () =>
    worker.status('doomed').tasks[0]?.state === 'FAILED' && (await restarts(worker)) === 2 ? true : undefined,
  );
  t.equal(worker.status('doomed').tasks[0]!.state, 'FAILED', 'gives up after task.restart.max.attempts');
});

t.test('automatic restarts count again from zero after a healthy run', async (t) => {
  const worker = await startWorker(t, tempDir(t), {
    'task.restart.auto': true,
    'task.restart.backoff.initial.ms': 50,
    'task.restart.backoff.max.ms': 100,
    'task.restart.max.attempts': 1,
    'task.restart.healthy.ms': 300,
  });
  // Each run is healthy for 600 ms, then fails: with one attempt allowed, only a count that starts
  // again after a healthy run keeps restarting it.
  await worker.createConnector('flaky', {
    'connector.class': 'counting-source',
    topic: uniqueName('flaky'),
    'value.converter': 'json',
    'fail.after.ms': '600',
  });
  await waitFor('three automatic restarts', async () => ((await restarts(worker)) >= 3 ? true : undefined), 60_000);
  t.pass('restarted more often than task.restart.max.attempts');
});

async function restarts(worker: Herder): Promise<number> {
  const { values } = await worker.metrics.taskRestarts.get();
  return values.reduce((sum, v) => sum + v.value, 0);
}
