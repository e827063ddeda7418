import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { loadWorkerConfig } from '../../runtime/config/load-worker-config.js';
import { tempDir } from '../fixtures/worker.js';
import { realWorkerHarness } from '../helpers/rest.js';

// Values that must never come back in a response.
const INSIDE_SECRET = 'inside-file-Secret-4711';
const OUTSIDE_SECRET = 'outside-file-Secret-0815';
const ALLOWED_ENV = 'allowed-env-Secret-2342';
const OTHER_ENV = 'not-allowed-env-Secret-1234';

const json = (body: string) => JSON.parse(body) as { errors?: Array<{ key: string; message: string }>; message?: string } & Record<string, unknown>;

function fixture(t: Parameters<typeof tempDir>[0]) {
  const root = tempDir(t, 'conflux-providers-');
  const allowed = join(root, 'allowed');
  const outside = join(root, 'outside');
  mkdirSync(allowed);
  mkdirSync(outside);
  writeFileSync(join(allowed, 'db.properties'), `password=${INSIDE_SECRET}\n`);
  writeFileSync(join(outside, 'secret.properties'), `password=${OUTSIDE_SECRET}\n`);
  symlinkSync(join(outside, 'secret.properties'), join(allowed, 'link.properties'));
  mkdirSync(join(allowed, 'a-directory'));
  writeFileSync(join(allowed, 'huge.properties'), `password=${'x'.repeat(2 * 1024 * 1024)}\n`);
  execFileSync('mkfifo', [join(allowed, 'pipe.properties')]);
  process.env.CONFLUX_POLICY_TEST_SECRET = ALLOWED_ENV;
  process.env.POLICY_TEST_OTHER = OTHER_ENV;
  t.teardown(() => {
    delete process.env.CONFLUX_POLICY_TEST_SECRET;
    delete process.env.POLICY_TEST_OTHER;
  });
  return { root, allowed, outside };
}

const config = (password: string) => ({ 'connector.class': 'quiet-source', topic: 'quiet', 'value.converter': 'json', 'connection.password': password });

/** The three ways a config reaches the resolver over REST. */
function routes(app: Awaited<ReturnType<typeof realWorkerHarness>>['app']) {
  return {
    post: (password: string) => app.inject({ method: 'POST', url: '/connectors', payload: { name: 'p', config: config(password), initial_state: 'STOPPED' } }),
    put: (password: string) => app.inject({ method: 'PUT', url: '/connectors/q/config', payload: config(password) }),
    validate: (password: string) => app.inject({ method: 'PUT', url: '/connector-plugins/quiet-source/config/validate', payload: config(password) }),
  };
}

/** The error text for the password key, from a 400 (create) or a ConfigInfos (validate). */
function passwordError(body: string): string {
  const parsed = json(body);
  if (parsed.errors)
    return parsed.errors
      .filter((e) => e.key === 'connection.password')
      .map((e) => e.message)
      .join('\n');
  const configs = (parsed as unknown as { configs: Array<{ value: { name: string; errors: string[] } }> }).configs;
  return configs.find((c) => c.value.name === 'connection.password')?.value.errors.join('\n') ?? '';
}

t.test('${file:..} outside config.providers.file.allowed.paths is refused, naming the key and the rule, the same whether the file exists or not', async (t) => {
  const { allowed, outside } = fixture(t);
  const { app } = await realWorkerHarness(t, { 'config.providers.file.allowed.paths': allowed, 'config.providers.env.allowlist': 'CONFLUX_POLICY_*' });
  for (const [route, send] of Object.entries(routes(app))) {
    const existing = await send(`\${file:${outside}/secret.properties:password}`);
    const missing = await send(`\${file:${outside}/missing.properties:password}`);
    const escaping = await send(`\${file:${allowed}/../outside/secret.properties:password}`);
    const device = await send('${file:/dev/zero:password}');
    for (const res of [existing, missing, escaping, device]) {
      t.equal(res.statusCode, route === 'validate' ? 200 : 400, `${route}: rejected`);
      t.notMatch(res.body, OUTSIDE_SECRET, `${route}: the secret is not in the response`);
      t.match(passwordError(res.body), /is refused: the path is outside config\.providers\.file\.allowed\.paths/, `${route}: names the rule`);
    }
    t.equal(
      passwordError(existing.body).replace('secret.properties', 'X'),
      passwordError(missing.body).replace('missing.properties', 'X'),
      `${route}: an existing and a missing file give the same answer`,
    );
  }
});

t.test('inside the allowed paths, every failure reads the same; symlinks, FIFOs, directories and huge files are not read', async (t) => {
  const { allowed } = fixture(t);
  const { app } = await realWorkerHarness(t, { 'config.providers.file.allowed.paths': allowed });
  const { post } = routes(app);
  const messages: string[] = [];
  for (const file of ['link.properties', 'missing.properties', 'a-directory', 'huge.properties', 'pipe.properties']) {
    const res = await post(`\${file:${allowed}/${file}:password}`);
    t.equal(res.statusCode, 400, `${file}: 400`);
    t.notMatch(res.body, OUTSIDE_SECRET, `${file}: the symlink target is not read`);
    messages.push(passwordError(res.body).replace(file, 'X'));
  }
  const noKey = await post(`\${file:${allowed}/db.properties:nokey}`);
  messages.push(passwordError(noKey.body).replace('db.properties:nokey', 'X:password'));
  t.equal(new Set(messages).size, 1, `one message for every cause: ${messages[0]}`);
  t.notMatch(messages[0], /ENOENT|EISDIR|not found|not set|FIFO|large/, 'no cause is named');
});

t.test('${env:..} outside config.providers.env.allowlist is refused, the same whether it is set or not', async (t) => {
  fixture(t);
  const { app } = await realWorkerHarness(t, { 'config.providers.env.allowlist': 'CONFLUX_POLICY_*' });
  for (const [route, send] of Object.entries(routes(app))) {
    const set = await send('${env:POLICY_TEST_OTHER}');
    const unset = await send('${env:POLICY_TEST_UNSET}');
    for (const res of [set, unset]) {
      t.equal(res.statusCode, route === 'validate' ? 200 : 400, `${route}: rejected`);
      t.notMatch(res.body, OTHER_ENV);
      t.match(passwordError(res.body), /is refused: POLICY_TEST_\w+ is not in config\.providers\.env\.allowlist/);
    }
    t.equal(passwordError(set.body).replace('OTHER', 'X').replace('OTHER', 'X'), passwordError(unset.body).replace('UNSET', 'X').replace('UNSET', 'X'));
  }
});

t.test('inside the allow-lists, placeholders resolve (POST, PUT and validate) and the values stay hidden', async (t) => {
  const { allowed } = fixture(t);
  const { app, worker } = await realWorkerHarness(t, { 'config.providers.file.allowed.paths': allowed });
  const { post, put, validate } = routes(app);
  for (const password of [`\${file:${allowed}/db.properties:password}`, '${env:CONFLUX_POLICY_TEST_SECRET}']) {
    const created = await post(password);
    t.equal(created.statusCode, 201, created.body);
    const replaced = await put(password);
    t.ok([200, 201].includes(replaced.statusCode), replaced.body);
    const checked = await validate(password);
    t.equal(json(checked.body)['error_count'], 0, checked.body);
    for (const res of [created, replaced, checked]) {
      t.notMatch(res.body, INSIDE_SECRET);
      t.notMatch(res.body, ALLOWED_ENV);
    }
    await worker.deleteConnector('p');
  }
});

t.test('defaults: the config directory and CONFLUX_* only', async (t) => {
  const { allowed, outside } = fixture(t);
  const { app, worker } = await realWorkerHarness(t, {}, { configDir: allowed });
  const { post } = routes(app);
  t.equal((await post(`\${file:${allowed}/db.properties:password}`)).statusCode, 201, 'a file in the config directory resolves');
  await worker.deleteConnector('p');
  t.match(passwordError((await post(`\${file:${outside}/secret.properties:password}`)).body), /outside config\.providers\.file\.allowed\.paths/);
  t.match(passwordError((await post('${env:POLICY_TEST_OTHER}')).body), /not in config\.providers\.env\.allowlist/);
});

t.test("the worker's own config is not limited", async (t) => {
  const { outside } = fixture(t);
  const { config } = await loadWorkerConfig({
    'rest.auth.token': `\${file:${outside}/secret.properties:password}`,
    'worker.id': '${env:POLICY_TEST_OTHER}',
    'config.providers.env.allowlist': 'NOTHING',
    'config.providers.file.allowed.paths': '/nonexistent',
  });
  t.equal(config['rest.auth.token'], OUTSIDE_SECRET);
  t.equal(config['worker.id'], OTHER_ENV);
});
