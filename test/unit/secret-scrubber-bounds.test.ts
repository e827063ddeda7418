/**
 * The scrubber cannot be blown up: a huge secret is refused with its key, thousands of registered
 * values cost a linear scan (a combined regular expression once threw "Regular expression too
 * large" on every scrub and quoted every secret in the error), and a scrub that fails answers a
 * generic 500 and logs a marker, never the text it could not scrub.
 */
import { Writable } from 'node:stream';
import t from 'tap';
import { LogManager, SCRUB_FAILED } from '../../runtime/observability/logging.js';
import { SecretScrubber, MAX_SECRET_LENGTH, MAX_SECRET_PARTS } from '../../runtime/observability/secret-scrubber.js';
import { StringMatcher } from '../../runtime/observability/string-matcher.js';
import { restHarness, sourceConfig } from '../helpers/rest.js';

const json = (body: string) => JSON.parse(body) as Record<string, unknown>;

function capturingLogs(): { logs: LogManager; lines: () => string } {
  let text = '';
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return { logs: new LogManager({ level: 'info', destination }), lines: () => text };
}

t.test('the string matcher finds every occurrence, overlapping ones whole, by code unit', async (t) => {
  const m = new StringMatcher(['he', 'she', 'hers', 'abcxyz', 'xyzdef', 'bc', 'abcde']);
  t.equal(m.replace('ushers', '#'), 'u#', 'overlapping matches merge into one range');
  t.equal(m.replace('abcxyzdef', '#'), '#', 'a secret overlapping another is hidden whole, not only the first');
  t.equal(m.replace('zabcdez', '#'), 'z#z', 'a longer match that starts earlier swallows the shorter one');
  t.equal(m.replace('no match', '#'), 'no match');
  const accent = new StringMatcher(['Secret-e']);
  t.equal(accent.replace('x Secret-e\u0301 y', '#'), 'x #\u0301 y', 'a combining mark after the secret does not hide it');
  t.equal(new StringMatcher([]).replace('abc', '#'), 'abc');
});

t.test('a secret of 5,000 comma-separated parts is a 400 naming its key; nothing is registered', async (t) => {
  const { logs, lines } = capturingLogs();
  const { app } = await restHarness(t, { logs });
  const huge = Array.from({ length: 5000 }, (_, i) => `part-${i}`).join(',');
  const res = await app.inject({
    method: 'POST',
    url: '/connectors',
    payload: { name: 'huge', config: sourceConfig({ 'connection.password': huge }), initial_state: 'STOPPED' },
  });
  t.equal(res.statusCode, 400);
  t.match(json(res.body), { errors: [{ key: 'connection.password', message: /at most \d+ (characters|parts)/ }] });
  t.notMatch(res.body, 'part-1234', 'the value is not echoed');
  const long = 'x'.repeat(MAX_SECRET_LENGTH + 1);
  const tooLong = await app.inject({
    method: 'POST',
    url: '/connectors',
    payload: { name: 'long', config: sourceConfig({ 'connection.password': long }), initial_state: 'STOPPED' },
  });
  t.match(json(tooLong.body), { errors: [{ key: 'connection.password', message: `a secret may have at most ${MAX_SECRET_LENGTH} characters` }] });
  const parts = Array.from({ length: MAX_SECRET_PARTS + 1 }, (_, i) => `p${i}xx`).join(',');
  const tooMany = await app.inject({
    method: 'POST',
    url: '/connectors',
    payload: { name: 'parts', config: sourceConfig({ 'connection.password': parts }), initial_state: 'STOPPED' },
  });
  t.match(json(tooMany.body), { errors: [{ key: 'connection.password', message: /at most 64 parts/ }] });
  t.equal(logs.secretCount, 0, 'a refused config registers no secret');
  const health = await app.inject('/health');
  t.ok([200, 503].includes(health.statusCode), 'GET /health answers');
  t.notMatch(health.body + lines(), 'part-1', 'no part of the refused value anywhere');
});

t.test('thousands of registered secrets: every route still answers, scrubbed, and log lines are still written', async (t) => {
  const { logs, lines } = capturingLogs();
  const values = Array.from({ length: 20_000 }, (_, i) => `registered-Secret-${i}-${'s'.repeat(i % 40)}`);
  logs.addSecrets(values);
  t.ok(logs.secretCount >= 20_000, `${logs.secretCount} values (with their spellings)`);
  const { app } = await restHarness(t, { logs });
  app.get('/quote', async () => {
    const e = Object.assign(new Error(`driver said ${values[12_345]}`), { code: 'ECONNREFUSED' });
    throw e;
  });
  const health = await app.inject('/health');
  t.ok([200, 503].includes(health.statusCode), `GET /health answers (${health.statusCode})`);
  t.notMatch(health.body, /registered-Secret/);
  const quoted = await app.inject('/quote');
  t.equal(quoted.statusCode, 503);
  t.match(json(quoted.body), { message: 'driver said [hidden]' }, 'a retriable failure keeps its message, scrubbed');
  logs.get('worker').warn(`connecting with ${values[19_999]} and ${Buffer.from(values[7]!).toString('base64')}`);
  t.match(lines(), /connecting with \[hidden\] and \[hidden\]/);
  t.notMatch(lines(), /registered-Secret/);
});

t.test('a scrub that fails answers a generic 500 and logs a marker, never the text', async (t) => {
  const { logs, lines } = capturingLogs();
  logs.addSecrets(['the-worker-Token-0042']);
  const { app } = await restHarness(t, { logs });
  app.get('/leaky', async () => ({ value: 'the-worker-Token-0042 and more' }));
  // The scrubber breaks (as the regular expression once did for a large dictionary).
  const scrubber = (logs as unknown as { secrets: SecretScrubber }).secrets;
  t.ok(scrubber instanceof SecretScrubber);
  scrubber.scrub = () => {
    throw new Error('matcher broke: the-worker-Token-0042');
  };
  for (const url of ['/leaky', '/health', '/nowhere']) {
    const res = await app.inject(url);
    t.equal(res.statusCode, 500, url);
    t.same(json(res.body), { error_code: 500, code: 'CONFLUX_ERR_FATAL', message: 'Internal server error (the worker log has the details)' });
  }
  logs.get('worker').error('a log line with the-worker-Token-0042');
  t.match(lines(), SCRUB_FAILED);
  t.notMatch(lines(), /the-worker-Token|matcher broke/, 'neither the text nor the failure reaches the log');
});

t.test('a saved connector with an oversized secret (written before the bounds) is refused at start; the worker runs', async (t) => {
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { FileConnectorConfigStore } = await import('../../runtime/herder/file-config-store.js');
  const { createStandaloneHerder } = await import('../../runtime/herder/create-herder.js');
  const { loadWorkerConfig } = await import('../../runtime/config/load-worker-config.js');
  const { testPlugins } = await import('../helpers/rest.js');
  const dir = await mkdtemp(join(tmpdir(), 'conflux-bounds-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const store = new FileConnectorConfigStore(join(dir, 'connectors.json'));
  const huge = Array.from({ length: 5000 }, (_, i) => `saved-part-${i}`).join(',');
  await store.save('huge', sourceConfig({ 'connection.password': huge }), 'STOPPED');
  await store.save('fine', sourceConfig(), 'STOPPED');
  const { logs, lines } = capturingLogs();
  const { config } = await loadWorkerConfig({
    'bootstrap.servers': '127.0.0.1:1',
    'offset.storage.file.filename': join(dir, 'offsets.json'),
    'state.dir': dir,
  });
  const herder = createStandaloneHerder(config, testPlugins, { logs, configStore: new FileConnectorConfigStore(join(dir, 'connectors.json')) });
  await herder.start();
  t.teardown(() => herder.stop());
  t.same(herder.connectorNames(), ['fine'], 'the other connectors run');
  t.match(lines(), /"connector":"huge","error":"connection\.password: a secret may have at most \d+ characters.*could not restore a saved connector/);
  t.notMatch(lines(), /saved-part-1/, 'the value is not logged');
});
