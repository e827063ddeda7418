import client from 'prom-client';
import t from 'tap';
import { connectors } from '../../connectors/index.js';
import { predicates, transforms } from '../../transforms/index.js';
import { realWorkerHarness } from '../helpers/rest.js';

const SECRET = 'named-by-env-Secret-4471';
const shipped = { plugins: { connectors, transforms, predicates } };

const source = (over: Record<string, string>) => ({
  'connector.class': 'mongodb-source',
  'connection.uri': 'mongodb://127.0.0.1:1/?replicaSet=rs0',
  database: 'shop',
  collections: 'orders,customers',
  ...over,
});

function env(t: { teardown(fn: () => void): void }) {
  process.env.CONFLUX_LEAK_NAME = SECRET;
  process.env.CONFLUX_REST_TOKEN_UNDER_TEST = 'unused';
  t.teardown(() => {
    delete process.env.CONFLUX_LEAK_NAME;
    delete process.env.CONFLUX_REST_TOKEN_UNDER_TEST;
  });
}

t.test('keys that name topics take no placeholder: mongodb-source topic.map, collections, topic.compacted; EnrichCustomer enrich.topic', async (t) => {
  env(t);
  const { app } = await realWorkerHarness(t, {}, shipped);
  const cases: Array<[key: string, config: Record<string, string>]> = [
    ['topic.map', source({ 'topic.map': 'orders:${env:CONFLUX_LEAK_NAME}' })],
    ['collections', source({ collections: '${env:CONFLUX_LEAK_NAME}' })],
    ['topic.compacted', source({ 'topic.compacted': '${env:CONFLUX_LEAK_NAME}' })],
    [
      'transforms.enrich.enrich.topic',
      {
        'connector.class': 'postgres-sink',
        topics: 'orders-cdc',
        'connection.url': 'postgres://127.0.0.1:1/warehouse',
        transforms: 'parse,enrich',
        'transforms.parse.type': 'ParseOrder',
        'transforms.enrich.type': 'EnrichCustomer',
        'transforms.enrich.enrich.topic': '${env:CONFLUX_LEAK_NAME}',
      },
    ],
  ];
  for (const [key, config] of cases) {
    const res = await app.inject({ method: 'POST', url: '/connectors', payload: { name: 'c', config, initial_state: 'STOPPED' } });
    t.equal(res.statusCode, 400, `${key}: a placeholder is refused`);
    t.match(JSON.parse(res.body), { errors: [{ key, message: /must be a literal value/ }] }, `${key}: the 400 names the key`);
    t.notOk(res.body.includes(SECRET), `${key}: nothing was resolved`);
  }
  const literal = await app.inject({
    method: 'POST',
    url: '/connectors',
    payload: { name: 'c', config: source({ 'topic.map': 'orders:orders-cdc' }), initial_state: 'STOPPED' },
  });
  t.equal(literal.statusCode, 201, 'literal names are accepted');
});

t.test("the default allow-list (CONFLUX_*) does not reach the worker's own variables", async (t) => {
  process.env.CONFLUX_REST_TOKEN = 'worker-token-Secret-9012';
  t.teardown(() => void delete process.env.CONFLUX_REST_TOKEN);
  const { app } = await realWorkerHarness(t, {}, shipped);
  const res = await app.inject({
    method: 'POST',
    url: '/connectors',
    payload: { name: 'c', config: source({ 'connection.uri': '${env:CONFLUX_REST_TOKEN}' }), initial_state: 'STOPPED' },
  });
  t.equal(res.statusCode, 400);
  t.match(JSON.parse(res.body), { errors: [{ key: 'connection.uri' }] });
  t.notOk(res.body.includes('worker-token-Secret-9012'));
  const exact = await realWorkerHarness(t, { 'config.providers.env.allowlist': 'CONFLUX_REST_TOKEN' }, shipped);
  const allowed = await exact.app.inject({
    method: 'POST',
    url: '/connectors',
    payload: { name: 'c', config: source({ 'connection.uri': '${env:CONFLUX_REST_TOKEN}' }), initial_state: 'STOPPED' },
  });
  t.equal(allowed.statusCode, 201, 'an entry naming it exactly allows it');
});

t.test('/metrics is scrubbed like every JSON answer', async (t) => {
  const { app, worker, logs } = await realWorkerHarness(t);
  logs.setSecrets('c', ['label-Secret-5531']);
  const gauge = new client.Gauge({
    name: 'conflux_test_labelled',
    help: 'a label that carries a secret',
    labelNames: ['topic'],
    registers: [worker.metrics.registry],
  });
  gauge.set({ topic: 'label-Secret-5531' }, 1);
  const res = await app.inject('/metrics');
  t.equal(res.statusCode, 200);
  t.match(res.body, /conflux_test_labelled\{topic="\[hidden\]"\} 1/);
  t.notOk(res.body.includes('label-Secret-5531'));
});
