/**
 * A polled batch larger than the broker takes in one request is sent as several requests within
 * producer.max.request.size, in order, with the same offset semantics; a record larger than that
 * alone is a data error: the task fails, or it is dead-lettered with the reason. Real Kafka, on
 * topics whose max.message.bytes is small, so the broker's MESSAGE_TOO_LARGE is within reach.
 */
import t, { type Test } from 'tap';
import type { IHeaders } from 'kafkajs';
import { header, kafka } from '../fixtures/kafka.js';
import { startWorker, tempDir } from '../fixtures/worker.js';
import { uniqueName, waitFor } from '../helpers/services.js';

const TOPIC_LIMIT = 20_000;

async function smallTopic(t: Test, prefix: string): Promise<string> {
  const topic = uniqueName(prefix);
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: String(TOPIC_LIMIT) }] }],
  });
  return topic;
}

interface Read {
  key: string;
  value: string | null;
  headers: IHeaders | undefined;
}

/** Reads a topic from the start until `done` says enough; returns what arrived. */
async function readUntil(t: Test, topic: string, done: (records: Read[]) => boolean): Promise<Read[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('reader') });
  await consumer.connect();
  t.teardown(() => consumer.disconnect());
  await consumer.subscribe({ topic, fromBeginning: true });
  const records: Read[] = [];
  await consumer.run({
    eachMessage: async ({ message }) =>
      void records.push({ key: String(message.key), value: message.value === null ? null : message.value.toString(), headers: message.headers }),
  });
  await waitFor(`records on ${topic}`, () => (done(records) ? true : undefined), 60_000);
  return records;
}

const numbers = (records: Read[]) => records.map((r) => (JSON.parse(r.value!) as { n: number }).n);

const source = (topic: string, extra: Record<string, string>) => ({
  'connector.class': 'counting-source',
  topic,
  count: '200',
  'batch.size': '100',
  'pad.bytes': '1000',
  'value.converter': 'json',
  'offset.flush.interval.ms': '100',
  'producer.max.request.size': '16384',
  ...extra,
});

t.test('a poll larger than one request allows is sent as several, in order, every record once', async (t) => {
  const topic = await smallTopic(t, 'split');
  // What the runtime avoids: the same 100 records in one request are refused by the broker.
  const producer = kafka.producer();
  await producer.connect();
  t.teardown(() => producer.disconnect());
  const poll = Array.from({ length: 100 }, (_, n) => ({ key: `x-${n}`, value: JSON.stringify({ n, task: 0, pad: 'x'.repeat(1000) }) }));
  const refused = (await producer.send({ topic, messages: poll, acks: -1 }).then(
    () => undefined,
    (err: unknown) => err,
  )) as { type?: string } | undefined;
  t.equal(refused?.type, 'MESSAGE_TOO_LARGE', 'one request of a 100 KB poll is too large for the topic');

  const worker = await startWorker(t, tempDir(t));
  const name = uniqueName('split-src');
  await worker.createConnector(name, source(topic, {}));
  const records = await readUntil(t, topic, (r) => r.length >= 200);
  t.same(
    numbers(records),
    Array.from({ length: 200 }, (_, n) => n),
    'every record once, in poll order',
  );
  await waitFor('the last offset stored', async () => ((await worker.offsets(name))[0]?.offset?.n === 199 ? true : undefined));
  t.equal(worker.status(name).tasks[0]!.state, 'RUNNING');
  const metrics = await worker.metrics.text();
  t.notMatch(metrics, new RegExp(`conflux_errors_total\\{[^}]*connector="${name}"`), 'no errors on the way');
});

t.test('a record larger than producer.max.request.size is dead-lettered with the reason under errors.tolerance=all', async (t) => {
  const topic = await smallTopic(t, 'huge');
  const dlq = uniqueName('huge-dlq');
  const worker = await startWorker(t, tempDir(t));
  const name = uniqueName('huge-src');
  await worker.createConnector(
    name,
    source(topic, { 'huge.at': '50', 'huge.bytes': '40000', 'errors.tolerance': 'all', 'errors.deadletterqueue.topic.name': dlq }),
  );
  const records = await readUntil(t, topic, (r) => r.length >= 199);
  t.same(
    numbers(records),
    Array.from({ length: 200 }, (_, n) => n).filter((n) => n !== 50),
    'every other record, in order',
  );
  const [dead] = await readUntil(t, dlq, (r) => r.length >= 1);
  t.equal(JSON.parse(dead!.key), '0-50', 'the dead letter is the record, by its key (as JSON, as source records are dead-lettered)');
  t.equal(dead!.value, null, 'without the value Kafka cannot take');
  t.match(
    header(dead!.headers, 'conflux.error.message'),
    /about \d+ bytes once converted, more than producer\.max\.request\.size \(16384\).*MESSAGE_TOO_LARGE/,
  );
  t.equal(header(dead!.headers, 'conflux.error.stage'), 'produce');
  await waitFor('the last offset stored', async () => ((await worker.offsets(name))[0]?.offset?.n === 199 ? true : undefined));
});

t.test('a record larger than producer.max.request.size fails the task under errors.tolerance=none, with the reason', async (t) => {
  const topic = await smallTopic(t, 'huge-none');
  const worker = await startWorker(t, tempDir(t));
  const name = uniqueName('huge-none-src');
  await worker.createConnector(name, source(topic, { 'huge.at': '150', 'huge.bytes': '40000' }));
  const task = await waitFor('the task to fail', () => {
    const s = worker.status(name).tasks[0];
    return s?.state === 'FAILED' ? s : undefined;
  });
  t.match(
    task.trace,
    /produce failed and errors\.tolerance=none: the record for topic \S+ is about \d+ bytes once converted, more than producer\.max\.request\.size/,
  );
  const [stored] = await worker.offsets(name);
  t.equal(stored?.offset?.n, 99, 'the batch before it was sent and committed; nothing of its own batch or after it');
  const records = await readUntil(t, topic, (r) => r.length >= 100);
  t.same(
    numbers(records),
    Array.from({ length: 100 }, (_, n) => n),
    'Kafka holds the records before its batch, once',
  );
});
