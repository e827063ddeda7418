import { Writable } from 'node:stream';
import t from 'tap';
import { ConfigError } from '../../runtime/api/index.js';
import { LogManager } from '../../runtime/observability/logging.js';
import { realWorkerHarness, restHarness, sourceConfig } from '../helpers/rest.js';

const TOPIC_SECRET = 'topic-from-env-Secret-9931';
const TYPE_SECRET = 'type-from-env-Secret-7788';
const LIST_SECRET = 'first-part-Secret-11,second-part-Secret-22';

const json = (body: string) => JSON.parse(body) as Record<string, unknown>;

function env(t: { teardown(fn: () => void): void }) {
  process.env.CONFLUX_LEAK_TOPIC = TOPIC_SECRET;
  process.env.CONFLUX_LEAK_TYPE = TYPE_SECRET;
  process.env.CONFLUX_LEAK_LIST = LIST_SECRET;
  t.teardown(() => {
    delete process.env.CONFLUX_LEAK_TOPIC;
    delete process.env.CONFLUX_LEAK_TYPE;
    delete process.env.CONFLUX_LEAK_LIST;
  });
}

const leaks = (body: string) => [TOPIC_SECRET, TYPE_SECRET, ...LIST_SECRET.split(','), LIST_SECRET].filter((s) => body.includes(s));

t.test('GET /connectors/:name/topics never returns a resolved placeholder (topic keys must be literal)', async (t) => {
  env(t);
  const { app } = await realWorkerHarness(t);
  for (const [plugin, key, value] of [
    ['quiet-source', 'topic', '${env:CONFLUX_LEAK_TOPIC}'],
    ['quiet-sink', 'topics', '${env:CONFLUX_LEAK_LIST}'],
    ['quiet-source', 'errors.deadletterqueue.topic.name', '${env:CONFLUX_LEAK_TOPIC}'],
  ] as const) {
    const config = { 'connector.class': plugin, topic: 'quiet', topics: 'quiet', 'value.converter': 'json', [key]: value };
    if (plugin === 'quiet-sink') delete (config as Record<string, string>)['topic'];
    else delete (config as Record<string, string>)['topics'];
    const res = await app.inject({ method: 'POST', url: '/connectors', payload: { name: 'c', config, initial_state: 'STOPPED' } });
    t.equal(res.statusCode, 400, `${key}: a placeholder is refused`);
    t.match(json(res.body), { errors: [{ key, message: /must be a literal value/ }] });
    t.same(leaks(res.body), []);
    t.equal((await app.inject('/connectors/c/topics')).statusCode, 404, 'nothing was created');
  }
  const literal = await app.inject({ method: 'POST', url: '/connectors', payload: { name: 'c', config: sourceConfig(), initial_state: 'STOPPED' } });
  t.equal(literal.statusCode, 201);
  t.same(json((await app.inject('/connectors/c/topics')).body), { c: { topics: ['quiet'] } }, 'literal topics are shown');
});

t.test('topics derived from anything but the literal config are hidden, list parts included', async (t) => {
  const { app, worker } = await restHarness(t);
  await app.inject({ method: 'POST', url: '/connectors', payload: { name: 'c', config: sourceConfig({ topic: 'quiet' }), initial_state: 'STOPPED' } });
  // A worker whose resolver let a placeholder through (the harness resolver has no literal rule).
  await app.inject({
    method: 'POST',
    url: '/connectors',
    payload: { name: 'd', config: { 'connector.class': 'quiet-sink', topics: 'plain,${env:REST_TEST_SECRET}' }, initial_state: 'STOPPED' },
  });
  t.same(worker.topics('d').length, 2);
  t.same(json((await app.inject('/connectors/d/topics')).body), { d: { topics: ['plain', '[hidden]'] } });
});

t.test('validation never echoes resolved values: placeholders in names are refused before resolving', async (t) => {
  env(t);
  const { app } = await realWorkerHarness(t);
  const configs = [
    { transforms: 'a', 'transforms.a.type': '${env:CONFLUX_LEAK_TYPE}' },
    { transforms: '${env:CONFLUX_LEAK_LIST}' },
    { predicates: 'p', 'predicates.p.type': '${env:CONFLUX_LEAK_TYPE}' },
    { transforms: 'a', 'transforms.a.type': 'salt', 'transforms.a.pepper': 'x', 'transforms.a.predicate': '${env:CONFLUX_LEAK_TYPE}' },
  ];
  for (const extra of configs) {
    const config = { ...sourceConfig(), ...extra };
    const dry = await app.inject({ method: 'PUT', url: '/connector-plugins/quiet-source/config/validate', payload: config });
    t.equal(dry.statusCode, 200);
    t.ok((json(dry.body)['error_count'] as number) > 0, 'the placeholder is an error');
    t.same(leaks(dry.body), [], `validate: nothing resolved is echoed for ${JSON.stringify(extra)}`);
    const created = await app.inject({ method: 'POST', url: '/connectors', payload: { name: 'v', config } });
    t.equal(created.statusCode, 400);
    t.same(leaks(created.body), [], 'create: nothing resolved is echoed');
    const keys = (json(created.body)['errors'] as Array<{ key: string }>).map((e) => e.key);
    t.ok(
      keys.every((k) => !k.includes('Secret')),
      'no key is built from a resolved value',
    );
  }
});

t.test('the error handler scrubs errors[].key and every message, not only the top-level message', async (t) => {
  const { app, logs } = await restHarness(t);
  logs.setSecrets('leaky', ['registered-Secret-5566']);
  app.get('/leak', async () => {
    throw new ConfigError([{ key: 'transforms.registered-Secret-5566.type', message: 'unknown transform "registered-Secret-5566"' }]);
  });
  const res = await app.inject('/leak');
  t.equal(res.statusCode, 400);
  t.notMatch(res.body, 'registered-Secret-5566');
  t.match(json(res.body), { errors: [{ key: 'transforms.[hidden].type', message: 'unknown transform "[hidden]"' }] });
});

t.test('a secret is scrubbed in its parts, and in the spellings client libraries quote it in', async (t) => {
  const lines: string[] = [];
  const destination = new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(chunk.toString()), done()) });
  const logs = new LogManager({ level: 'info', destination });
  logs.setSecrets('c', ['alpha-part-Secret,beta-part-Secret', 'p@ss w/rd"x']);
  logs.get('task.c-0').error('cannot subscribe', {
    topics: ['alpha-part-Secret', 'beta-part-Secret'],
    url: `mongodb://u:${encodeURIComponent('p@ss w/rd"x')}@h/`,
    json: JSON.stringify({ password: 'p@ss w/rd"x' }),
    header: Buffer.from('p@ss w/rd"x').toString('base64'),
  });
  await new Promise((r) => setImmediate(r));
  t.equal(lines.length, 1);
  for (const s of ['alpha-part-Secret', 'beta-part-Secret', 'p@ss', 'p%40ss', Buffer.from('p@ss w/rd"x').toString('base64')]) t.notMatch(lines[0], s);

  // A secret that is a URL is not cut into its pieces: they are words of other log lines.
  logs.setSecrets('u', ['http://registry.internal:8081/apis/ccompat/v7']);
  t.equal(logs.scrub('GET http://other.internal/apis failed'), 'GET http://other.internal/apis failed');
  t.equal(logs.scrub('GET http://registry.internal:8081/apis/ccompat/v7 failed'), 'GET [hidden] failed');
});

t.test('log scrubbing reaches nested arrays and objects and Error messages and stacks', async (t) => {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>), done()) });
  const logs = new LogManager({ level: 'info', destination });
  logs.setSecrets('c', ['nested-Secret-3141']);
  const err = new Error('login failed for nested-Secret-3141', { cause: new Error('cause nested-Secret-3141') });
  logs.get('task.c-0').error('failed', { topics: ['nested-Secret-3141'], deep: { a: { b: ['x nested-Secret-3141 y'] } }, error: err });
  logs.root.error(err, 'top-level error object');
  await new Promise((r) => setImmediate(r));
  t.equal(lines.length, 2);
  const text = JSON.stringify(lines);
  t.notMatch(text, 'nested-Secret-3141');
  t.match(lines[0], {
    topics: ['[hidden]'],
    deep: { a: { b: ['x [hidden] y'] } },
    error: { message: 'login failed for [hidden]', stack: /login failed for \[hidden\]/ },
  });
  t.match(lines[1], { message: 'login failed for [hidden]', msg: 'top-level error object' });
});

t.test('secrets are registered after validation, per connector, and dropped with it: rejected configs cannot grow the set', async (t) => {
  const { app, logs } = await restHarness(t);
  const before = logs.secretCount;
  // Many secret-looking keys in a config that fails validation: nothing may be registered.
  const config: Record<string, string> = sourceConfig({ 'connection.password': 'failed' });
  for (let i = 0; i < 900; i++) config[`x${i}.password`] = `word-${i}`;
  const rejected = await app.inject({ method: 'POST', url: '/connectors', payload: { name: 'dos', config } });
  t.equal(rejected.statusCode, 400);
  t.equal(logs.secretCount, before, 'a rejected config registers nothing');
  t.equal(logs.scrub('the request failed'), 'the request failed', 'an ordinary word is not masked by a rejected value');

  const created = await app.inject({ method: 'POST', url: '/connectors', payload: { name: 'ok', config: sourceConfig(), initial_state: 'STOPPED' } });
  t.equal(created.statusCode, 201);
  t.ok(logs.secretCount > before, 'the declared secret of a created connector is registered');
  await app.inject({ method: 'DELETE', url: '/connectors/ok' });
  t.equal(logs.secretCount, before, 'and dropped with the connector');
});

t.test('a config is capped at 1000 keys', async (t) => {
  const { app } = await restHarness(t);
  const config: Record<string, string> = sourceConfig();
  for (let i = 0; i < 5000; i++) config[`k${i}`] = 'v';
  for (const [method, url, payload] of [
    ['POST', '/connectors', { name: 'wide', config }],
    ['PUT', '/connectors/wide/config', config],
    ['PUT', '/connector-plugins/quiet-source/config/validate', config],
  ] as const) {
    const res = await app.inject({ method, url, payload });
    t.equal(res.statusCode, 400, `${method} ${url}`);
    t.match(json(res.body), { message: /must NOT have more than 1000 properties/ });
  }
});
