import t from 'tap';
import type { Test } from 'tap';
import type { Herder } from '../../runtime/herder/herder.js';
import { liveTasks } from '../fixtures/counting-source.js';
import { kafka, readAllJson, repeated } from '../fixtures/kafka.js';
import { startWorker, tempDir, waitForState } from '../fixtures/worker.js';
import { uniqueName, waitFor } from '../helpers/services.js';

/*
 * Lifecycle operations on one connector that overlap (REST calls arriving together) run one after
 * the other, as on Kafka Connect's herder. The counting source shows an orphaned task twice over:
 * it stays in `liveTasks` after its stop should have ended it, and, starting from the same stored
 * offset as its successor, it writes every n a second time.
 */

const COUNT = 2000;

function source(topic: string, extra: Record<string, string> = {}) {
  return {
    'connector.class': 'counting-source',
    topic,
    count: String(COUNT),
    'batch.size': '10',
    'value.converter': 'json',
    'offset.flush.interval.ms': '50',
    ...extra,
  };
}

async function producing(topic: string, atLeast = 100): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await waitFor(
      `${atLeast} records in ${topic}`,
      async () => (Number((await admin.fetchTopicOffsets(topic))[0]?.high ?? 0) >= atLeast ? true : undefined),
      60_000,
    );
  } finally {
    await admin.disconnect();
  }
}

async function allCommitted(worker: Herder, name: string): Promise<void> {
  await waitFor(`${name} to commit n=${COUNT - 1}`, async () => ((await worker.offsets(name))[0]?.offset?.n === COUNT - 1 ? true : undefined), 120_000);
}

/** The task started (start() is asynchronous) and no second one runs beside it. */
async function oneTask(t: Test, topic: string): Promise<void> {
  await waitFor(`one live task on ${topic}, have ${liveTasks.get(topic)}`, () => (liveTasks.get(topic) === 1 ? true : undefined), 30_000);
  t.pass('one task runs');
}

/** After the worker stopped: no task of the topic lives on, and every n was written exactly once. */
async function assertExactlyOnce(t: Test, worker: Herder, topic: string): Promise<void> {
  await worker.stop();
  t.equal(liveTasks.get(topic), 0, 'no task outlived worker.stop()');
  const values = await readAllJson<{ n: number }>(t, topic);
  t.same(repeated(values), [], 'no n was written twice');
  t.equal(new Set(values.map((v) => v.n)).size, COUNT, 'every n was written');
}

t.test('two concurrent restarts of a task leave one task', async (t) => {
  const topic = uniqueName('race-restart');
  const worker = await startWorker(t, tempDir(t));
  await worker.createConnector('src', source(topic));
  await producing(topic);
  await Promise.all([worker.restartTask('src', 0), worker.restartTask('src', 0)]);
  await oneTask(t, topic);
  t.match(worker.status('src').tasks, [{ id: 0, state: 'RUNNING' }]);
  await allCommitted(worker, 'src');
  await assertExactlyOnce(t, worker, topic);
});

t.test('two concurrent config changes leave one set of tasks', async (t) => {
  const topic = uniqueName('race-put');
  const worker = await startWorker(t, tempDir(t));
  await worker.createConnector('src', source(topic));
  await producing(topic);
  const results = await Promise.all([
    worker.putConnectorConfig('src', source(topic, { 'batch.size': '20' })),
    worker.putConnectorConfig('src', source(topic, { 'batch.size': '30' })),
  ]);
  t.same(
    results.map((r) => r.created),
    [false, false],
  );
  t.equal(worker.config('src')['batch.size'], '30', 'the later change wins');
  await oneTask(t, topic);
  await allCommitted(worker, 'src');
  await assertExactlyOnce(t, worker, topic);
});

t.test('stop and resume together end RUNNING with one task, as asked last', async (t) => {
  const topic = uniqueName('race-stop-resume');
  const worker = await startWorker(t, tempDir(t));
  await worker.createConnector('src', source(topic));
  await producing(topic);
  await Promise.all([worker.stopConnector('src'), worker.resume('src')]);
  t.equal(worker.target('src'), 'RUNNING');
  const status = await waitForState(worker, 'src', 'RUNNING');
  t.equal(status.tasks.length, 1, 'status shows the one task');
  await oneTask(t, topic);
  await allCommitted(worker, 'src');
  await assertExactlyOnce(t, worker, topic);
});

t.test('a config change racing a delete does not bring the connector back', async (t) => {
  const topic = uniqueName('race-delete');
  const dir = tempDir(t);
  const worker = await startWorker(t, dir);
  await worker.createConnector('src', source(topic));
  await producing(topic);
  const [put] = await Promise.allSettled([worker.putConnectorConfig('src', source(topic, { 'batch.size': '20' })), worker.deleteConnector('src')]);
  t.equal(put.status, 'fulfilled', 'the change, asked first, was applied');
  t.notOk(worker.has('src'), 'deleted');
  t.equal(liveTasks.get(topic), 0, 'no task of the deleted connector runs');
  await t.rejects(
    async () => worker.patchConnectorConfig('src', (current) => ({ ...current, 'batch.size': '40' })),
    { name: 'NotFoundError' },
    'a patch after the delete finds no connector',
  );
  await worker.stop();

  const again = await startWorker(t, dir);
  t.same(again.connectorNames(), [], 'the deleted connector is not restored');
});

t.test('a restart racing worker.stop() leaves no task running', async (t) => {
  const topic = uniqueName('race-worker-stop');
  const worker = await startWorker(t, tempDir(t));
  await worker.createConnector('src', source(topic));
  await producing(topic);
  await Promise.allSettled([worker.restartTask('src', 0), worker.stop()]);
  t.equal(worker.status('src').tasks[0]!.state, 'UNASSIGNED', 'the status shows no task running');
  t.equal(liveTasks.get(topic), 0, 'no task outlived worker.stop()');
});

/** Asks for `change` as soon as it is accepted: while the tasks may still be stopping. */
async function changeWhenAccepted(change: () => Promise<void>): Promise<void> {
  for (const deadline = Date.now() + 60_000; ;) {
    await new Promise((resolve) => setImmediate(resolve));
    const refused = await change().then(
      () => undefined,
      (err: Error) => err,
    );
    if (!refused) return;
    if (refused.name !== 'BadRequestError' || Date.now() > deadline) throw refused;
  }
}

t.test('a sink group reset while the sink stops succeeds and stays reset', async (t) => {
  const topic = uniqueName('race-sink-offsets');
  const worker = await startWorker(t, tempDir(t));
  await worker.createConnector('src', source(topic));
  await producing(topic, 500);
  await worker.createConnector('sink', { 'connector.class': 'collecting-sink', topics: topic, collector: uniqueName('race-sink'), 'value.converter': 'json' });
  await waitFor('the sink to commit', async () => ((await worker.offsets('sink')).length > 0 ? true : undefined), 60_000);
  const stopping = worker.stopConnector('sink');
  await changeWhenAccepted(() => worker.resetOffsets('sink'));
  await stopping;
  t.same(await worker.offsets('sink'), [], 'the group has no committed offsets');
});

t.test('offsets reset or altered while the tasks stop are not undone by their final commit', async (t) => {
  const worker = await startWorker(t, tempDir(t));
  for (const [name, change, expected] of [
    ['reset', (w: Herder) => w.resetOffsets('reset'), []],
    ['altered', (w: Herder) => w.alterOffsets('altered', [{ partition: { counter: 0 }, offset: { n: 5 } }]), [{ partition: { counter: 0 }, offset: { n: 5 } }]],
  ] as const) {
    const topic = uniqueName(`race-offsets-${name}`);
    // Nothing is committed until the stop: the final commit carries all the progress.
    await worker.createConnector(name, source(topic, { count: '1000000', 'offset.flush.interval.ms': '600000' }));
    await producing(topic, 500);
    const stopping = worker.stopConnector(name);
    await changeWhenAccepted(() => change(worker));
    await stopping;
    t.same(await worker.offsets(name), expected, `the offsets stay ${name} after the tasks stopped`);
  }
});
