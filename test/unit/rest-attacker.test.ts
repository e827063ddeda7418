import { Writable } from 'node:stream';
import t from 'tap';
import { validateWorkerConfig } from '../../runtime/config/index.js';
import { LogManager } from '../../runtime/observability/logging.js';
import { SECRET, restHarness, sourceConfig } from '../helpers/rest.js';

const TOKEN = 'a-long-enough-test-token-0123456789';
const json = (body: string) => JSON.parse(body) as Record<string, unknown>;
const post = (payload: string) => ({ method: 'POST' as const, url: '/connectors', headers: { 'content-type': 'application/json' }, payload });

t.test('JSON bodies with __proto__ or constructor.prototype are refused and pollute nothing', async (t) => {
  const { app, worker } = await restHarness(t);
  const bodies = [
    `{"name":"p","config":{"connector.class":"quiet-source","topic":"q","__proto__":{"polluted":"yes"}}}`,
    `{"__proto__":{"polluted":"yes"},"name":"p","config":{"connector.class":"quiet-source","topic":"q"}}`,
    `{"name":"p","config":{"connector.class":"quiet-source","topic":"q","constructor":{"prototype":{"polluted":"yes"}}}}`,
  ];
  for (const body of bodies) {
    const res = await app.inject(post(body));
    t.equal(res.statusCode, 400, body);
    t.equal(json(res.body)['error_code'], 400);
  }
  const patch = await app.inject({
    method: 'PATCH',
    url: '/connectors/x/config',
    headers: { 'content-type': 'application/json' },
    payload: '{"__proto__":{"polluted":"yes"}}',
  });
  t.equal(patch.statusCode, 400);
  t.equal(({} as Record<string, unknown>)['polluted'], undefined, 'Object.prototype untouched');
  t.same(worker.connectorNames(), []);
});

t.test('deeply nested bodies get a 400, not a 500 or a crash', async (t) => {
  const { app } = await restHarness(t);
  const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
  for (const [method, url, body] of [
    ['POST', '/connectors', `{"name":"d","config":{"connector.class":"quiet-source","topic":${deep(100_000)}}}`],
    ['PATCH', '/connectors/d/config', `{"topic":${deep(100_000)}}`],
    ['PUT', '/connector-plugins/quiet-source/config/validate', `{"topic":${deep(100_000)}}`],
  ] as const) {
    const res = await app.inject({ method, url, headers: { 'content-type': 'application/json' }, payload: body });
    t.ok([400, 404].includes(res.statusCode), `${method} ${url}: ${res.statusCode}`);
  }
  t.equal((await app.inject('/connectors')).statusCode, 200, 'the worker still answers');
});

t.test('connector names that could reach paths, URLs or object prototypes are refused', async (t) => {
  const { app, worker } = await restHarness(t);
  for (const name of ['.', '..', '__proto__', 'constructor', 'prototype', 'a\u0000b', 'a\nb', 'a/b', '../etc', 'x'.repeat(250), '']) {
    const created = await app.inject({ method: 'POST', url: '/connectors', payload: { name, config: sourceConfig(), initial_state: 'STOPPED' } });
    t.equal(created.statusCode, 400, `POST ${JSON.stringify(name)}`);
    if (name === '') continue;
    const put = await app.inject({ method: 'PUT', url: `/connectors/${encodeURIComponent(name)}/config`, payload: sourceConfig() });
    t.ok([400, 404, 414].includes(put.statusCode), `PUT ${JSON.stringify(name)}: ${put.statusCode}`);
  }
  t.same(worker.connectorNames(), []);
  for (const name of ['orders-sink', 'a.b_c-1', '...', '.hidden']) {
    const ok = await app.inject({ method: 'POST', url: '/connectors', payload: { name, config: sourceConfig(), initial_state: 'STOPPED' } });
    t.equal(ok.statusCode, 201, `${name} is fine`);
  }
});

t.test('an empty, whitespace or whitespace-padded token is refused when the worker config is loaded', async (t) => {
  for (const token of ['', ' '.repeat(20), '  padded-token-0123456789  ', 'inner space-token-0123456789', 'tab\ttoken-0123456789']) {
    const r = validateWorkerConfig({ 'rest.auth.token': token }, 'box');
    t.notOk(r.ok, JSON.stringify(token));
    if (!r.ok)
      t.ok(
        r.errors.some((e) => e.key === 'rest.auth.token'),
        'names the key',
      );
  }
  t.ok(validateWorkerConfig({ 'rest.auth.token': TOKEN }, 'box').ok);
});

t.test('/admin/loggers: prototype names are just unknown loggers, bad names are refused, creation is bounded and audited', async (t) => {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({ write: (c: Buffer, _e, done) => (lines.push(JSON.parse(c.toString()) as Record<string, unknown>), done()) });
  const logs = new LogManager({ level: 'info', destination, maxLoggers: 5 });
  const { app } = await restHarness(t, { logs });
  for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
    const res = await app.inject(`/admin/loggers/${name}`);
    t.equal(res.statusCode, 404, `GET ${name}`);
  }
  const list = json((await app.inject('/admin/loggers')).body);
  t.same(Object.keys(list).includes('constructor'), false);
  for (const name of ['a%00b', 'a%0Ab', 'x'.repeat(300)]) {
    const res = await app.inject({ method: 'PUT', url: `/admin/loggers/${name}`, payload: { level: 'DEBUG' } });
    t.ok([400, 414].includes(res.statusCode), `PUT ${name.slice(0, 10)}: ${res.statusCode}`);
  }
  const statuses: number[] = [];
  for (let i = 0; i < 8; i++) statuses.push((await app.inject({ method: 'PUT', url: `/admin/loggers/made.up.${i}`, payload: { level: 'DEBUG' } })).statusCode);
  t.ok(statuses.includes(400), 'creating loggers stops at the cap');
  t.ok(Object.keys(json((await app.inject('/admin/loggers')).body)).length <= 6, 'root and at most 5 named loggers');
  t.equal((await app.inject({ method: 'PUT', url: '/admin/loggers/root', payload: { level: 'INFO' } })).statusCode, 200, 'existing loggers stay settable');
  await new Promise((r) => setImmediate(r));
  t.ok(
    lines.some((l) => l['msg'] === 'log level changed' && l['logger'] === 'rest.audit' && l['target'] === 'root' && l['new_level'] === 'INFO'),
    'level changes are logged',
  );
});

t.test('with a token, / needs it; /health tells an anonymous caller the status only', async (t) => {
  const { app } = await restHarness(t, { authToken: TOKEN, health: async () => ({ kafka: 'up', schema_registry: 'up' }) });
  await app.inject({
    method: 'POST',
    url: '/connectors',
    headers: { authorization: `Bearer ${TOKEN}` },
    payload: { name: 'secret-project', config: sourceConfig(), initial_state: 'STOPPED' },
  });
  for (const url of ['/', '/connectors', '/metrics', '/admin/loggers']) t.equal((await app.inject(url)).statusCode, 401, url);
  const health = await app.inject('/health');
  t.same(json(health.body), { status: 'healthy' });
  t.notMatch(health.body, 'secret-project');
  t.equal((await app.inject({ url: '/connectors', headers: { authorization: `Bearer  ${TOKEN}` } })).statusCode, 401, 'a padded token does not match');
});

t.test('a hidden secret is kept only while the connection target stays the same', async (t) => {
  const { app, worker } = await restHarness(t);
  const base = sourceConfig({ 'connection.host': 'db.internal' });
  await app.inject({ method: 'POST', url: '/connectors', payload: { name: 'm', config: base, initial_state: 'STOPPED' } });
  const kept = await app.inject({ method: 'PUT', url: '/connectors/m/config', payload: { ...base, mode: 'slow', 'connection.password': '[hidden]' } });
  t.equal(kept.statusCode, 200, 'an unrelated change keeps the secret');
  t.equal(worker.config('m')['connection.password'], SECRET);

  const moved = await app.inject({
    method: 'PUT',
    url: '/connectors/m/config',
    payload: { ...base, 'connection.host': 'attacker.example', 'connection.password': '[hidden]' },
  });
  t.equal(moved.statusCode, 400, 'a new target with a kept secret is refused');
  t.match(json(moved.body), { errors: [{ key: 'connection.password', message: /send the secret again: connection.host changed/ }] });
  const patched = await app.inject({
    method: 'PATCH',
    url: '/connectors/m/config',
    payload: { 'connection.host': 'attacker.example', 'connection.password': '[hidden]' },
  });
  t.equal(patched.statusCode, 400, 'PATCH too');
  t.equal(worker.config('m')['connection.host'], 'db.internal', 'nothing changed');

  const resent = await app.inject({
    method: 'PUT',
    url: '/connectors/m/config',
    payload: { ...base, 'connection.host': 'new.internal', 'connection.password': 'the-new-password' },
  });
  t.equal(resent.statusCode, 200, 'with the secret sent again the target may change');
});

t.test('a declared secret shorter than 3 characters is refused: it could not be kept out of logs', async (t) => {
  const { app } = await restHarness(t);
  const res = await app.inject({
    method: 'POST',
    url: '/connectors',
    payload: { name: 's', config: sourceConfig({ 'connection.password': 'ab' }), initial_state: 'STOPPED' },
  });
  t.equal(res.statusCode, 400);
  t.match(json(res.body), { errors: [{ key: 'connection.password', message: /at least 3 characters/ }] });
  t.notMatch(res.body, '"ab"');
  const empty = await app.inject({
    method: 'POST',
    url: '/connectors',
    payload: { name: 's', config: sourceConfig({ 'connection.password': '' }), initial_state: 'STOPPED' },
  });
  t.equal(empty.statusCode, 201, 'an empty value means no secret');
});
