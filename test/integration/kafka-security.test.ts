/**
 * The worker over secured Kafka listeners of the local broker (scripts/services/kafka.sh): SASL
 * SCRAM-SHA-256 without TLS, and TLS with the services' own CA. Records flow source -> Kafka ->
 * sink through the worker's authenticated clients; a wrong password fails visibly without being
 * quoted; incomplete settings are configuration errors naming the key.
 */
import t from 'tap';
import { loadWorkerConfig } from '../../runtime/config/load-worker-config.js';
import type { Herder } from '../../runtime/herder/herder.js';
import { numbers } from '../fixtures/kafka.js';
import { startWorker, tempDir } from '../fixtures/worker.js';
import { uniqueName, waitFor } from '../helpers/services.js';

const env = process.env;
const sasl = {
  'bootstrap.servers': env.KAFKA_SASL_BROKERS,
  'security.protocol': 'SASL_PLAINTEXT',
  'sasl.mechanism': 'SCRAM-SHA-256',
  'sasl.username': env.KAFKA_SASL_USERNAME,
  'sasl.password': env.KAFKA_SASL_PASSWORD,
};
const ssl = { 'bootstrap.servers': env.KAFKA_SSL_BROKERS, 'security.protocol': 'SSL', 'ssl.ca.location': env.KAFKA_SSL_CA };
const configured = Boolean(env.KAFKA_SASL_BROKERS && env.KAFKA_SSL_BROKERS);

/** A counting source and a collecting sink on `worker`: the records the sink got, in order. */
async function flow(worker: Herder, count: number): Promise<number[]> {
  const topic = uniqueName('secured');
  const collector = uniqueName('collector');
  await worker.createConnector(uniqueName('counter'), { 'connector.class': 'counting-source', topic, count: String(count), 'value.converter': 'json' });
  await worker.createConnector(uniqueName('sink'), { 'connector.class': 'collecting-sink', topics: topic, collector, 'value.converter': 'json' });
  await waitFor(`${count} records through the secured listener`, () => (numbers(collector).length >= count ? true : undefined), 60_000);
  return numbers(collector);
}

t.test('SASL SCRAM-SHA-256: the worker and its tasks authenticate', { skip: !configured && 'no secured listeners in this environment' }, async (t) => {
  const worker = await startWorker(t, tempDir(t), sasl);
  t.same(
    await flow(worker, 20),
    Array.from({ length: 20 }, (_, i) => i),
    'source -> Kafka -> sink, all through SASL',
  );
});

t.test('TLS: the worker checks the broker against the CA it is given', { skip: !configured && 'no secured listeners in this environment' }, async (t) => {
  const worker = await startWorker(t, tempDir(t), ssl);
  t.same(
    await flow(worker, 20),
    Array.from({ length: 20 }, (_, i) => i),
    'source -> Kafka -> sink, all over TLS',
  );
});

t.test(
  'a wrong SASL password fails the task, and the trace does not quote it',
  { skip: !configured && 'no secured listeners in this environment' },
  async (t) => {
    const password = 'wrong-password-4711';
    const worker = await startWorker(t, tempDir(t), { ...sasl, 'sasl.password': password }).catch((err: Error) => err);
    if (worker instanceof Error) {
      t.match(worker.message, /SASL|authentication/i, 'the worker does not start: authentication failed');
      t.notMatch(worker.message, new RegExp(password));
      return;
    }
    const name = uniqueName('counter');
    await worker.createConnector(name, { 'connector.class': 'counting-source', topic: uniqueName('secured'), count: '5', 'value.converter': 'json' });
    // The connector stays RUNNING (as in Kafka Connect); its task fails.
    const task = await waitFor(
      'the task to fail',
      () => {
        const task = worker.status(name).tasks[0];
        return task?.state === 'FAILED' ? task : undefined;
      },
      90_000,
    );
    const trace = task.trace ?? '';
    t.match(trace, /SASL SCRAM SHA256 authentication failed/, 'the task says why');
    t.notMatch(trace, new RegExp(password), 'without the password');
  },
);

t.test('incomplete security settings are configuration errors naming the key', async (t) => {
  const errors = async (raw: Record<string, unknown>) =>
    loadWorkerConfig(raw).then(
      () => [],
      (err: { errors?: Array<{ key: string; message: string }> }) => err.errors ?? [],
    );
  t.match(await errors({ 'security.protocol': 'SASL_SSL', 'sasl.mechanism': 'PLAIN', 'sasl.username': 'u' }), [
    { key: 'sasl.password', message: /required with security.protocol=SASL_SSL/ },
  ]);
  t.match(await errors({ 'sasl.username': 'u' }), [{ key: 'sasl.username', message: /no effect with security.protocol=PLAINTEXT/ }]);
  t.match(await errors({ 'security.protocol': 'SSL', 'ssl.key.location': '/k.pem' }), [{ key: 'ssl.certificate.location' }]);
});
