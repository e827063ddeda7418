import { readFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import t from 'tap';
import { probeServices } from '../../runtime/rest/index.js';
import { ENV_SECRET, SECRET, restHarness, sourceConfig } from '../helpers/rest.js';

const json = (body: string) => JSON.parse(body) as Record<string, unknown>;
const TOKEN = 'a-long-enough-test-token-0123456789';

t.test('GET / reports version, commit and worker id', async (t) => {
  const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  const { app } = await restHarness(t, { commit: 'abc123' });
  t.same(
    json((await app.inject('/')).body),
    { version: pkg.version, commit: 'abc123', worker_id: 'test-worker:8083' },
    'the worker that answered; no group standalone',
  );
});

t.test('admin/loggers: list, get, set with log4j level names', async (t) => {
  const { app, logs } = await restHarness(t);
  logs.get('task.a-0');
  logs.get('task.b-0');
  const list = json((await app.inject('/admin/loggers')).body);
  t.same(list['root'], { level: 'OFF' }, 'silent is reported as OFF');

  const changed = await app.inject({ method: 'PUT', url: '/admin/loggers/task', payload: { level: 'debug' } });
  t.equal(changed.statusCode, 200);
  t.same(JSON.parse(changed.body), ['task', 'task.a-0', 'task.b-0'], 'the logger and every logger below it');
  t.same(json((await app.inject('/admin/loggers/task.a-0')).body), { level: 'DEBUG' });

  const bad = await app.inject({ method: 'PUT', url: '/admin/loggers/task', payload: { level: 'LOUD' } });
  t.equal(bad.statusCode, 400);
  t.match(json(bad.body), { error_code: 400, message: /Invalid log level 'LOUD'/ });
  t.equal((await app.inject({ method: 'PUT', url: '/admin/loggers/task', payload: {} })).statusCode, 400);
  t.equal((await app.inject('/admin/loggers/no.such.logger')).statusCode, 404);
});

t.test('GET /health: status only without the token, details with it; 503 when Kafka is down', async (t) => {
  let kafka: 'up' | 'down' = 'up';
  const { app } = await restHarness(t, { authToken: TOKEN, health: async () => ({ kafka, schema_registry: 'disabled' }), healthCacheMs: 0 });
  const auth = { authorization: `Bearer ${TOKEN}` };
  await app.inject({ method: 'POST', url: '/connectors', headers: auth, payload: { name: 'h', config: sourceConfig(), initial_state: 'STOPPED' } });
  const up = await app.inject('/health');
  t.equal(up.statusCode, 200, 'no token needed');
  t.same(json(up.body), { status: 'healthy' }, 'an anonymous caller learns the status, not the connector names');
  const detailed = await app.inject({ url: '/health', headers: auth });
  t.same(json(detailed.body), { status: 'healthy', kafka: 'up', schema_registry: 'disabled', connectors: { h: 'STOPPED' } });
  kafka = 'down';
  const down = await app.inject('/health');
  t.equal(down.statusCode, 503);
  t.same(json(down.body), { status: 'unhealthy' });
  t.match(json((await app.inject({ url: '/health', headers: auth })).body), { status: 'unhealthy', kafka: 'down' });
});

t.test('GET /health reuses one probe result for a while instead of probing on every hit', async (t) => {
  let probes = 0;
  const { app } = await restHarness(t, { authToken: TOKEN, health: async () => (probes++, { kafka: 'up', schema_registry: 'disabled' }) });
  const answers = await Promise.all(Array.from({ length: 20 }, () => app.inject('/health')));
  t.ok(answers.every((r) => r.statusCode === 200));
  await app.inject('/health');
  t.equal(probes, 1, '21 requests, one probe');
});

t.test('GET /health without a probe reports unknown; a hanging probe is cut short', async (t) => {
  const plain = await restHarness(t);
  t.match(json((await plain.app.inject('/health')).body), { status: 'healthy', kafka: 'unknown', schema_registry: 'unknown', connectors: {} });
  const hanging = await restHarness(t, { health: () => new Promise(() => undefined) });
  const started = Date.now();
  const res = await hanging.app.inject('/health');
  t.equal(res.statusCode, 503);
  t.ok(Date.now() - started < 5000, 'answered within the deadline');
});

t.test('probeServices: a listening port is up, a closed one down', async (t) => {
  const server = createServer((s) => s.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const port = (server.address() as AddressInfo).port;
  t.same(await probeServices({ brokers: [`127.0.0.1:${port}`], timeoutMs: 500 })(), { kafka: 'up', schema_registry: 'disabled' });
  t.same(await probeServices({ brokers: ['127.0.0.1:1'], schemaRegistryUrl: 'http://127.0.0.1:1/', timeoutMs: 500 })(), {
    kafka: 'down',
    schema_registry: 'down',
  });
});

t.test('GET /metrics serves Prometheus text', async (t) => {
  const { app } = await restHarness(t);
  const res = await app.inject('/metrics');
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/);
  t.match(res.body, /# TYPE conflux_source_records_polled_total counter/);
  t.notMatch(res.body, /^"/, 'not JSON-encoded');
});

t.test('Swagger UI at /docs is served from the package, the document at /openapi.json', async (t) => {
  const { app } = await restHarness(t);
  const page = await app.inject('/docs/');
  t.equal(page.statusCode, 200);
  t.match(page.headers['content-type'], /text\/html/);
  t.notMatch(page.body, /https?:\/\/(cdn|unpkg|cdnjs)/, 'no CDN');
  const bundle = await app.inject('/docs/static/swagger-ui-bundle.js');
  t.equal(bundle.statusCode, 200, 'assets served locally');
  const doc = json((await app.inject('/openapi.json')).body) as { openapi: string; info: { title: string }; paths: Record<string, unknown> };
  t.equal(doc.openapi, '3.0.3');
  t.equal(doc.info.title, 'conflux');
  t.ok(doc.paths['/connectors/{name}/offsets']);
});

t.test('auth: 401 without or with a wrong token, 200 with it; /health open', async (t) => {
  const { app } = await restHarness(t, { authToken: TOKEN });
  const none = await app.inject('/connectors');
  t.equal(none.statusCode, 401);
  t.same(json(none.body), {
    error_code: 401,
    code: 'CONFLUX_ERR_UNAUTHORIZED',
    message: 'A valid bearer token is required: send Authorization: Bearer <rest.auth.token>',
  });
  t.equal((await app.inject({ url: '/connectors', headers: { authorization: 'Bearer wrong' } })).statusCode, 401);
  t.equal((await app.inject({ url: '/connectors', headers: { authorization: `Basic ${TOKEN}` } })).statusCode, 401);
  t.equal((await app.inject({ url: '/connectors', headers: { authorization: `Bearer ${TOKEN}` } })).statusCode, 200);
  for (const url of ['/', '/metrics', '/admin/loggers', '/no-such-route', '/health/x', '/docsx', '/openapi.json/x']) {
    t.equal((await app.inject(url)).statusCode, 401, `${url} needs the token`);
  }
  // The API description is public, so that Swagger UI can load and then send the token itself.
  for (const url of ['/docs', '/docs/', '/docs/static/swagger-ui-bundle.js', '/openapi.json']) {
    t.equal((await app.inject(url)).statusCode < 400, true, `${url} is served without the token`);
  }
  t.equal((await app.inject({ method: 'POST', url: '/docs/' })).statusCode, 401, 'only reads of the docs are public');
  const created = await app.inject({
    method: 'POST',
    url: '/connectors',
    headers: { authorization: `Bearer ${TOKEN}` },
    payload: { name: 'private-pipeline-7', config: sourceConfig(), initial_state: 'STOPPED' },
  });
  t.equal(created.statusCode, 201);
  t.notMatch((await app.inject('/openapi.json')).body, /private-pipeline-7/, 'the public description names no connector of this worker');
  t.equal((await app.inject({ method: 'POST', url: '/connectors', payload: {} })).statusCode, 401, 'auth before validation');
  t.equal((await app.inject('/health')).statusCode, 200);
  t.equal((await app.inject('/health?verbose=1')).statusCode, 200);
});

t.test('body limit, unknown routes and unexpected errors use the error body; 500s are scrubbed', async (t) => {
  const { app, logs } = await restHarness(t, { bodyLimit: 1024 });
  // Routes that fail on purpose; added before the first request, when the app is still open to them.
  logs.addSecrets([ENV_SECRET]);
  app.get('/boom', async () => {
    throw new Error(`driver said: bad password ${ENV_SECRET}`);
  });
  app.post('/boom-config', async () => {
    throw new Error(`rejected ${SECRET}`);
  });
  app.get('/econnrefused', async () => {
    throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
  });

  const big = await app.inject({ method: 'POST', url: '/connectors', payload: { name: 'big', config: { filler: 'x'.repeat(2000) } } });
  t.equal(big.statusCode, 413);
  t.match(json(big.body), { error_code: 413, code: 'CONFLUX_ERR_BAD_REQUEST' });

  const missing = await app.inject('/nowhere');
  t.same(json(missing.body), { error_code: 404, code: 'CONFLUX_ERR_NOT_FOUND', message: 'Route GET /nowhere not found' });

  const boom = await app.inject('/boom');
  t.equal(boom.statusCode, 500);
  t.same(json(boom.body), { error_code: 500, code: 'CONFLUX_ERR_FATAL', message: 'Internal server error (the worker log has the details)' });
  t.notMatch(boom.body, /at .*\.ts:\d+/, 'no stack');
  t.notMatch(boom.body, /driver said/, "an unexpected failure's text (which may quote data) stays in the log");

  const echoed = await app.inject({ method: 'POST', url: '/boom-config', payload: { name: 'x', config: sourceConfig() } });
  t.equal(echoed.statusCode, 500);
  t.notMatch(echoed.body, SECRET, 'secret values of the request body never reach the response');

  t.match(json((await app.inject('/econnrefused')).body), { error_code: 503, code: 'CONFLUX_ERR_RETRIABLE' });
});
