import t from 'tap';
import { ENV_SECRET, SECRET, restHarness, sourceConfig } from '../helpers/rest.js';

const json = (body: string) => JSON.parse(body) as Record<string, unknown>;

t.test('POST /connectors creates (201), hides the secret, and copies the name into the config', async (t) => {
  const { app } = await restHarness(t);
  const res = await app.inject({ method: 'POST', url: '/connectors', payload: { name: 'src', config: sourceConfig(), initial_state: 'STOPPED' } });
  t.equal(res.statusCode, 201);
  t.notMatch(res.body, SECRET, 'secret not in the POST response');
  t.same(json(res.body), {
    name: 'src',
    config: { ...sourceConfig(), 'connection.password': '[hidden]', name: 'src' },
    tasks: [],
    type: 'source',
  });
});

t.test('GET /connectors lists names; expand=status and expand=info give the map form', async (t) => {
  const { app } = await restHarness(t);
  for (const name of ['b', 'a']) {
    await app.inject({ method: 'POST', url: '/connectors', payload: { name, config: sourceConfig(), initial_state: 'STOPPED' } });
  }
  t.same(json((await app.inject('/connectors')).body), ['a', 'b']);

  const status = json((await app.inject('/connectors?expand=status')).body);
  t.same(Object.keys(status), ['a', 'b']);
  t.match(status['a'], { status: { name: 'a', connector: { state: 'STOPPED', worker_id: 'test-worker:8083' }, tasks: [], type: 'source' } });
  t.notOk((status['a'] as Record<string, unknown>)['info'], 'no info unless asked');

  const both = await app.inject('/connectors?expand=status&expand=info');
  t.notMatch(both.body, SECRET, 'secret not in expand=info');
  const a = json(both.body)['a'] as { info: { config: Record<string, string> }; status: unknown };
  t.equal(a.info.config['connection.password'], '[hidden]');
  t.ok(a.status);

  const bad = await app.inject('/connectors?expand=everything');
  t.equal(bad.statusCode, 400);
  t.equal(json(bad.body)['error_code'], 400);
});

t.test('POST /connectors error paths: 409 duplicate, 400 invalid config with every key, bad name, name mismatch', async (t) => {
  const { app } = await restHarness(t);
  const create = (payload: object) => app.inject({ method: 'POST', url: '/connectors', payload });
  t.equal((await create({ name: 'dup', config: sourceConfig(), initial_state: 'STOPPED' })).statusCode, 201);

  const dup = await create({ name: 'dup', config: sourceConfig(), initial_state: 'STOPPED' });
  t.equal(dup.statusCode, 409);
  t.match(json(dup.body), { error_code: 409, code: 'CONFLUX_ERR_CONFLICT', message: /dup already exists/ });

  const invalid = await create({ name: 'bad', config: { 'connector.class': 'quiet-source', mode: 'warp', 'no.such.key': 'x', 'connection.password': SECRET } });
  t.equal(invalid.statusCode, 400);
  const body = json(invalid.body) as { message: string; errors: Array<{ key: string }>; code: string };
  t.equal(body.code, 'CONFLUX_ERR_CONFIG');
  t.same(body.errors.map((e) => e.key).sort(), ['mode', 'no.such.key', 'topic']);
  for (const key of ['mode: ', 'no.such.key: ', 'topic: ']) t.match(body.message, key, `message names ${key}`);
  t.notMatch(invalid.body, SECRET, 'secret not in the error');

  const unknownPlugin = await create({ name: 'bad', config: { 'connector.class': 'nope' } });
  t.match(json(unknownPlugin.body), { error_code: 400, errors: [{ key: 'connector.class' }] });

  const badName = await create({ name: 'has space', config: sourceConfig() });
  t.equal(badName.statusCode, 400);
  t.match(json(badName.body), { error_code: 400, code: 'CONFLUX_ERR_BAD_REQUEST', message: /name/ });

  const mismatch = await create({ name: 'one', config: sourceConfig({ name: 'two' }) });
  t.equal(mismatch.statusCode, 400);
  t.match(json(mismatch.body), { errors: [{ key: 'name' }] });

  const noBody = await app.inject({ method: 'POST', url: '/connectors', payload: '{not json', headers: { 'content-type': 'application/json' } });
  t.equal(noBody.statusCode, 400);
  t.equal(json(noBody.body)['error_code'], 400);
});

t.test('GET and DELETE /connectors/:name', async (t) => {
  const { app } = await restHarness(t);
  await app.inject({ method: 'POST', url: '/connectors', payload: { name: 'x', config: sourceConfig(), initial_state: 'PAUSED' } });
  const got = await app.inject('/connectors/x');
  t.equal(got.statusCode, 200);
  t.notMatch(got.body, SECRET, 'secret not in GET connector');
  t.match(json(got.body), { name: 'x', type: 'source', tasks: [{ connector: 'x', task: 0 }], config: { 'connection.password': '[hidden]' } });

  t.equal((await app.inject({ method: 'DELETE', url: '/connectors/x' })).statusCode, 204);
  const gone = await app.inject('/connectors/x');
  t.equal(gone.statusCode, 404);
  t.same(json(gone.body), { error_code: 404, code: 'CONFLUX_ERR_NOT_FOUND', message: 'Connector x not found' });
  t.equal((await app.inject({ method: 'DELETE', url: '/connectors/x' })).statusCode, 404);
});

t.test('GET|PUT|PATCH /connectors/:name/config', async (t) => {
  const { app, worker } = await restHarness(t);
  const put = (name: string, payload: object) => app.inject({ method: 'PUT', url: `/connectors/${name}/config`, payload });

  // fail.task.configs keeps the PUT-created connector from starting tasks (no Kafka here).
  const created = await put('c', sourceConfig({ 'tasks.max': '2', 'fail.task.configs': 'true' }));
  t.equal(created.statusCode, 201, 'PUT creates');
  t.notMatch(created.body, SECRET);
  t.equal(worker.target('c'), 'RUNNING', 'PUT-created connectors run');
  t.equal((await app.inject({ method: 'PUT', url: '/connectors/c/stop' })).statusCode, 202);

  const got = await app.inject('/connectors/c/config');
  t.notMatch(got.body, SECRET, 'secret not in GET config');
  t.same(json(got.body), { ...sourceConfig({ 'tasks.max': '2', 'fail.task.configs': 'true' }), 'connection.password': '[hidden]', name: 'c' });

  // Sending the [hidden] marker back keeps the stored secret instead of overwriting it.
  const updated = await put('c', { ...json(got.body), 'fail.task.configs': false, mode: 'slow', 'tasks.max': 1 });
  t.equal(updated.statusCode, 200, 'PUT updates');
  t.equal(worker.config('c')['connection.password'], SECRET, 'stored secret kept');
  t.equal(worker.config('c')['tasks.max'], '1', 'numbers are stored as strings');

  const patched = await app.inject({ method: 'PATCH', url: '/connectors/c/config', payload: { mode: null, 'connection.password': '${env:REST_TEST_SECRET}' } });
  t.equal(patched.statusCode, 200);
  const cfg = (json(patched.body) as { config: Record<string, string> }).config;
  t.equal(cfg['mode'], undefined, 'null removes the key');
  t.equal(cfg['connection.password'], '${env:REST_TEST_SECRET}', 'a placeholder under a secret key is shown as written: a reference, not a secret');
  t.notMatch(patched.body, ENV_SECRET);
  t.equal(worker.config('c')['connection.password'], '${env:REST_TEST_SECRET}');

  const falsy = await app.inject({ method: 'PATCH', url: '/connectors/c/config', payload: { 'fail.task.configs': false, mode: 'slow' } });
  t.equal(falsy.statusCode, 200, 'false is a value, not a removal');
  t.equal(worker.config('c')['fail.task.configs'], 'false');
  const nested = await app.inject({ method: 'PATCH', url: '/connectors/c/config', payload: { mode: { a: 1 } } });
  t.equal(nested.statusCode, 400, 'objects are not config values');

  const invalid = await app.inject({ method: 'PATCH', url: '/connectors/c/config', payload: { topic: null } });
  t.equal(invalid.statusCode, 400);
  t.match(json(invalid.body), { errors: [{ key: 'topic' }] });

  t.equal((await app.inject('/connectors/none/config')).statusCode, 404);
  t.equal((await app.inject({ method: 'PATCH', url: '/connectors/none/config', payload: { a: '1' } })).statusCode, 404);
  t.equal((await put('bad name!', sourceConfig())).statusCode, 400, 'PUT validates the new name');
  const badPut = await put('d', { 'connector.class': 'quiet-source', 'connection.password': SECRET });
  t.equal(badPut.statusCode, 400);
  t.notMatch(badPut.body, SECRET);
});

t.test('tasks and topics', async (t) => {
  const { app } = await restHarness(t);
  await app.inject({
    method: 'POST',
    url: '/connectors',
    payload: { name: 't', config: sourceConfig({ 'tasks.max': '2', 'connection.password': '${env:REST_TEST_SECRET}' }), initial_state: 'PAUSED' },
  });
  const tasks = await app.inject('/connectors/t/tasks');
  t.equal(tasks.statusCode, 200);
  t.notMatch(tasks.body, ENV_SECRET, 'resolved secret not in task configs');
  const list = JSON.parse(tasks.body) as Array<{ id: unknown; config: Record<string, unknown> }>;
  t.same(
    list.map((x) => x.id),
    [
      { connector: 't', task: 0 },
      { connector: 't', task: 1 },
    ],
  );
  t.equal(list[0]?.config['connection.password'], '${env:REST_TEST_SECRET}', 'a placeholder is a reference: shown as written, as in the config');
  t.equal(list[1]?.config['task'], 1);

  t.same(json((await app.inject('/connectors/t/topics')).body), { t: { topics: ['quiet'] } });
  t.equal((await app.inject('/connectors/nope/tasks')).statusCode, 404);
  t.equal((await app.inject('/connectors/nope/topics')).statusCode, 404);
});

t.test('transform secrets are hidden by the transform schema', async (t) => {
  const { app } = await restHarness(t);
  const config = sourceConfig({ transforms: 's', 'transforms.s.type': 'salt', 'transforms.s.pepper': 'pepper-value-123' });
  const res = await app.inject({ method: 'POST', url: '/connectors', payload: { name: 'tr', config, initial_state: 'STOPPED' } });
  t.equal(res.statusCode, 201);
  t.notMatch(res.body, 'pepper-value-123');
  t.notMatch((await app.inject('/connectors/tr/config')).body, 'pepper-value-123');
});
