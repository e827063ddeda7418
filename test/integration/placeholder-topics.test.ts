import t from 'tap';
import { ConfigError } from '../../runtime/api/index.js';
import { kafka } from '../fixtures/kafka.js';
import { startWorker, tempDir } from '../fixtures/worker.js';
import { uniqueName, waitFor } from '../helpers/services.js';

async function listTopics(): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await admin.listTopics();
  } finally {
    await admin.disconnect();
  }
}

const failing = (topic: string, dlq: string) => ({
  'connector.class': 'counting-source',
  topic,
  count: '10',
  'value.converter': 'json',
  transforms: 'reject',
  'transforms.reject.type': 'FailEvery',
  'transforms.reject.every': '5',
  'errors.tolerance': 'all',
  'errors.deadletterqueue.topic.name': dlq,
});

// Suspected: a topic key set to ${env:X} makes Kafka create a topic named after the secret. The
// control below shows the mechanism is real (the worker's producers create the topics named in
// the config); topic keys now refuse placeholders, so no secret can become a topic name.
t.test('topic and dead-letter topic keys refuse placeholders, so no topic is ever named after a secret', async (t) => {
  const secret = uniqueName('secret-named-topic');
  process.env.CONFLUX_TOPIC_SECRET = secret;
  t.teardown(() => void delete process.env.CONFLUX_TOPIC_SECRET);
  const worker = await startWorker(t, tempDir(t));

  for (const [key, config] of [
    ['errors.deadletterqueue.topic.name', failing(uniqueName('src'), '${env:CONFLUX_TOPIC_SECRET}')],
    ['topic', failing('${env:CONFLUX_TOPIC_SECRET}', uniqueName('dlq'))],
  ] as const) {
    const err = await worker.createConnector(uniqueName('refused'), config).catch((e: unknown) => e);
    t.ok(err instanceof ConfigError, `${key}: refused`);
    t.match((err as ConfigError).errors, [{ key, message: /must be a literal value/ }]);
  }

  const source = uniqueName('src');
  const dlq = uniqueName('dlq');
  await worker.createConnector('control', failing(source, dlq));
  await waitFor('the worker to create the topics named in the config', async () => {
    const topics = await listTopics();
    return topics.includes(source) && topics.includes(dlq) ? true : undefined;
  });
  t.notOk(
    (await listTopics()).some((name) => name.includes(secret)),
    'no topic carries the secret',
  );
});
