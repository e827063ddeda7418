import t from 'tap';
import { header, kafka, numbers, readTopic } from '../fixtures/kafka.js';
import { startWorker, tempDir } from '../fixtures/worker.js';
import { uniqueName, waitFor } from '../helpers/services.js';

t.test('errors.tolerance=all: a throwing transform dead-letters the record with its reason and the flow continues', async (t) => {
  const topic = uniqueName('dlq-src');
  const dlq = uniqueName('dlq');
  const collector = uniqueName('dlq-collector');
  const worker = await startWorker(t, tempDir(t));
  await worker.createConnector('src', {
    'connector.class': 'counting-source',
    topic,
    count: '20',
    'value.converter': 'json',
    transforms: 'reject',
    'transforms.reject.type': 'FailEvery',
    'transforms.reject.every': '5',
    'errors.tolerance': 'all',
    'errors.deadletterqueue.topic.name': dlq,
  });
  await waitFor('the topic', async () => {
    const admin = kafka.admin();
    await admin.connect();
    const topics = await admin.listTopics();
    await admin.disconnect();
    return topics.includes(topic) ? true : undefined;
  });
  await worker.createConnector(uniqueName('sink'), { 'connector.class': 'collecting-sink', topics: topic, collector, 'value.converter': 'json' });
  const expected = Array.from({ length: 20 }, (_, i) => i).filter((n) => n % 5 !== 0);
  await waitFor('16 records in the sink', () => (numbers(collector).length >= expected.length ? true : undefined));
  t.same(numbers(collector), expected, 'every record but the rejected ones arrived');

  const dead = await readTopic(t, dlq, 4);
  t.same(
    dead.map((d) => JSON.parse(d.value).n),
    [0, 5, 10, 15],
    'the rejected records, with their original value',
  );
  const first = dead[0]!.headers;
  t.equal(header(first, 'conflux.error.stage'), 'transform:reject');
  t.equal(header(first, 'conflux.error.class'), 'DataError');
  t.match(header(first, 'conflux.error.message'), /n=0 is a multiple of 5/);
  t.equal(header(first, 'conflux.error.connector'), 'src');
  t.equal(header(first, 'conflux.error.topic'), topic);
  t.equal(worker.status('src').tasks[0]!.state, 'RUNNING', 'the source kept running');
});

t.test('errors.tolerance=none: the first rejected record fails the task with the trace', async (t) => {
  const worker = await startWorker(t, tempDir(t));
  await worker.createConnector('strict', {
    'connector.class': 'counting-source',
    topic: uniqueName('strict'),
    count: '20',
    'value.converter': 'json',
    transforms: 'reject',
    'transforms.reject.type': 'FailEvery',
    'transforms.reject.every': '7',
  });
  const status = await waitFor('the task to fail', () => {
    const s = worker.status('strict');
    return s.tasks[0]?.state === 'FAILED' ? s : undefined;
  });
  t.equal(status.connector.state, 'RUNNING', 'the connector itself keeps running, as in Kafka Connect');
  t.match(status.tasks[0]!.trace, /transform:reject failed and errors.tolerance=none: n=0 is a multiple of 7/);
  t.match(status.tasks[0]!.trace, /Caused by: DataError/);

  // Restarting a failed task with onlyFailed re-runs it (and it fails again on the same record).
  await worker.restart('strict', { includeTasks: true, onlyFailed: true });
  await waitFor('the task to fail again', () => (worker.status('strict').tasks[0]?.state === 'FAILED' ? true : undefined));
});

t.test('a sink reports a poison record: dead-lettered from the put stage under all, task FAILED under none', async (t) => {
  const topic = uniqueName('poison');
  const dlq = uniqueName('poison-dlq');
  const collector = uniqueName('poison-collector');
  const worker = await startWorker(t, tempDir(t));
  await worker.createConnector('src', { 'connector.class': 'counting-source', topic, count: '12', 'value.converter': 'json' });
  const tolerant = uniqueName('tolerant');
  const base = { 'connector.class': 'collecting-sink', topics: topic, 'reject.every': '4', 'value.converter': 'json' };
  await worker.createConnector(tolerant, { ...base, collector, 'errors.tolerance': 'all', 'errors.deadletterqueue.topic.name': dlq });
  await waitFor('9 records written', () => (numbers(collector).length >= 9 ? true : undefined));
  t.same(numbers(collector), [1, 2, 3, 5, 6, 7, 9, 10, 11], 'the rest of each batch was written');

  const dead = await readTopic(t, dlq, 3);
  t.same(
    dead.map((d) => JSON.parse(d.value).n),
    [0, 4, 8],
    'the original bytes of the poison records',
  );
  t.equal(header(dead[1]!.headers, 'conflux.error.stage'), 'put');
  t.equal(header(dead[1]!.headers, 'conflux.error.message'), 'cannot write n=4');
  t.equal(header(dead[1]!.headers, 'conflux.error.offset'), '4', 'the original offset');

  const strict = uniqueName('strict-sink');
  await worker.createConnector(strict, { ...base, collector: uniqueName('strict-collector') });
  const failed = await waitFor('the strict sink to fail', () => (worker.status(strict).tasks[0]?.state === 'FAILED' ? worker.status(strict) : undefined));
  t.match(failed.tasks[0]!.trace, /put failed and errors.tolerance=none: cannot write n=0/);
});
