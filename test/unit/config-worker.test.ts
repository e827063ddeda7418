import t from 'tap';
import { isSecretSchema, validateWorkerConfig, workerConfigSchema } from '../../runtime/config/index.js';

t.test('defaults', async (t) => {
  const r = validateWorkerConfig({}, 'box');
  t.ok(r.ok);
  if (!r.ok) return;
  t.same(r.config, {
    'worker.id': 'box:8083',
    'rest.host': '127.0.0.1',
    'rest.port': 8083,
    'rest.allow.insecure.bind': false,
    'bootstrap.servers': '127.0.0.1:9092',
    'security.protocol': 'PLAINTEXT',
    'ssl.endpoint.identification.algorithm': 'https',
    'schema.registry.url': 'http://127.0.0.1:8081',
    'offset.storage': 'file',
    'offset.storage.file.filename': 'state/offsets.json',
    'offset.storage.topic': 'conflux-offsets',
    'offset.storage.replication.factor': -1,
    'config.storage.topic': 'conflux-configs',
    'config.storage.replication.factor': -1,
    'status.storage.topic': 'conflux-status',
    'status.storage.replication.factor': -1,
    'session.timeout.ms': 10000,
    'heartbeat.interval.ms': 3000,
    'rebalance.timeout.ms': 60000,
    'consumer.session.timeout.ms': 30000,
    'consumer.heartbeat.interval.ms': 3000,
    'state.dir': 'state',
    'config.providers.env.allowlist': 'CONFLUX_*',
    'task.restart.auto': false,
    'task.restart.backoff.initial.ms': 1000,
    'task.restart.backoff.max.ms': 60000,
    'task.restart.max.attempts': 10,
    'task.restart.healthy.ms': 300000,
  });
  t.ok(Object.isFrozen(r.config));
});

t.test('explicit values, coerced', async (t) => {
  const r = validateWorkerConfig({ 'worker.id': 'w1', 'rest.port': '9000', 'task.restart.auto': 'true', 'offset.storage': 'kafka' });
  t.ok(r.ok);
  if (!r.ok) return;
  t.equal(r.config['worker.id'], 'w1');
  t.equal(r.config['rest.port'], 9000);
  t.equal(r.config['task.restart.auto'], true);
  t.equal(r.config['offset.storage'], 'kafka');
});

t.test('all errors with keys', async (t) => {
  const r = validateWorkerConfig({ 'rest.port': 70000, 'offset.storage': 'db', 'schema.registry.url': 'not a url', 'rest.auth.token': 'short', extra: 1 });
  t.notOk(r.ok);
  if (r.ok) return;
  t.same(r.errors.map((e) => e.key).sort(), ['extra', 'offset.storage', 'rest.auth.token', 'rest.port', 'schema.registry.url']);
  t.notOk(JSON.stringify(r.errors).includes('short'), 'the secret value is not echoed');
  t.notOk(validateWorkerConfig([]).ok);
});

t.test('the REST token is marked secret', async (t) => {
  t.ok(isSecretSchema(workerConfigSchema.properties['rest.auth.token']));
});

t.test('the shipped config/worker.json loads and states the placeholder defaults', async (t) => {
  const { readFile } = await import('node:fs/promises');
  const { loadWorkerConfig } = await import('../../runtime/config/load-worker-config.js');
  const raw = JSON.parse(await readFile(new URL('../../config/worker.json', import.meta.url), 'utf8')) as unknown;
  const { config } = await loadWorkerConfig(raw, { KAFKA_BROKERS: '127.0.0.1:9092', SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081' });
  t.equal(config['config.providers.file.allowed.paths'], 'config');
  t.equal(config['config.providers.env.allowlist'], 'CONFLUX_*,MONGODB_URI,DATABASE_URL', 'the prefix plus exactly what the shipped connectors read');
});

t.test('a replication factor is -1 (the broker default) or at least 1', async (t) => {
  const r = validateWorkerConfig({ 'config.storage.replication.factor': 0, 'status.storage.replication.factor': -2, 'offset.storage.replication.factor': '3' });
  t.notOk(r.ok);
  if (r.ok) return;
  t.same(r.errors, [
    { key: 'status.storage.replication.factor', message: 'must be >= -1' },
    { key: 'config.storage.replication.factor', message: "must be -1 (the broker's default) or at least 1" },
  ]);
});

t.test('the shipped config/worker-distributed.json loads with a group and its own storage topics', async (t) => {
  const { readFile } = await import('node:fs/promises');
  const { loadWorkerConfig } = await import('../../runtime/config/load-worker-config.js');
  const raw = JSON.parse(await readFile(new URL('../../config/worker-distributed.json', import.meta.url), 'utf8')) as unknown;
  const { config } = await loadWorkerConfig(raw, { KAFKA_BROKERS: '127.0.0.1:9092', SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081' });
  t.equal(config['group.id'], 'conflux-cluster');
  t.same(
    [config['config.storage.topic'], config['offset.storage.topic'], config['status.storage.topic']],
    ['conflux-cluster-configs', 'conflux-cluster-offsets', 'conflux-cluster-status'],
  );
});

t.test('a heartbeat interval must be below its session timeout', async (t) => {
  const r = validateWorkerConfig({ 'consumer.heartbeat.interval.ms': 30000, 'heartbeat.interval.ms': 2000, 'session.timeout.ms': 6000 });
  t.notOk(r.ok);
  if (r.ok) return;
  t.same(r.errors, [{ key: 'consumer.heartbeat.interval.ms', message: 'must be below consumer.session.timeout.ms (30000)' }]);
  const group = validateWorkerConfig({ 'heartbeat.interval.ms': 10000 });
  t.match(group, { ok: false, errors: [{ key: 'heartbeat.interval.ms', message: 'must be below session.timeout.ms (10000)' }] });
});
