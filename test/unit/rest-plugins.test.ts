import t from 'tap';
import { ENV_SECRET, SECRET, restHarness, sourceConfig } from '../helpers/rest.js';

type KeyInfo = { name: string; type: string; required: boolean; default_value: string | null; documentation: string; secret: boolean; group: string };
type ConfigInfos = {
  name: string;
  error_count: number;
  groups: string[];
  configs: Array<{ definition: KeyInfo; value: { name: string; value: string | null; errors: string[]; recommended_values: string[]; visible: boolean } }>;
};

t.test('GET /connector-plugins lists connectors, and with connectorsOnly=false transforms too', async (t) => {
  const { app } = await restHarness(t);
  const res = await app.inject('/connector-plugins');
  t.equal(res.statusCode, 200);
  t.same(JSON.parse(res.body), [
    { class: 'quiet-source', type: 'source', version: '2.1.0' },
    { class: 'quiet-sink', type: 'sink', version: '1.0.0' },
  ]);
  const all = JSON.parse((await app.inject('/connector-plugins?connectorsOnly=false')).body) as Array<{ class: string; type: string }>;
  t.ok(all.some((p) => p.class === 'salt' && p.type === 'transformation'));
});

t.test('GET /connector-plugins/:plugin/config describes common and plugin keys from the schema', async (t) => {
  const { app } = await restHarness(t);
  const res = await app.inject('/connector-plugins/quiet-source/config');
  t.equal(res.statusCode, 200);
  const keys = JSON.parse(res.body) as KeyInfo[];
  const byName = new Map(keys.map((k) => [k.name, k]));
  t.match(byName.get('connector.class'), { type: 'STRING', required: true, default_value: null, group: 'Common' });
  t.match(byName.get('tasks.max'), { type: 'INT', required: false, default_value: '1' });
  t.match(byName.get('errors.tolerance'), { group: 'Error Handling', default_value: 'none' });
  t.match(byName.get('topic'), { type: 'STRING', required: true, group: 'quiet-source', documentation: 'Topic it would write to.' });
  t.match(byName.get('connection.password'), { type: 'PASSWORD', required: false, secret: true });
  t.match(byName.get('mode'), { default_value: 'fast', secret: false });
  t.ok(keys.findIndex((k) => k.name === 'connector.class') < keys.findIndex((k) => k.name === 'topic'), 'common keys first');

  const sink = JSON.parse((await app.inject('/connector-plugins/quiet-sink/config')).body) as KeyInfo[];
  t.match(
    sink.find((k) => k.name === 'topics'),
    { type: 'LIST', required: true },
  );

  const transform = JSON.parse((await app.inject('/connector-plugins/salt/config')).body) as KeyInfo[];
  t.same(
    transform.map((k) => k.name),
    ['pepper'],
  );

  const missing = await app.inject('/connector-plugins/nope/config');
  t.equal(missing.statusCode, 404);
  t.match(JSON.parse(missing.body), { error_code: 404, message: 'Plugin nope not found' });
});

t.test('PUT /connector-plugins/:plugin/config/validate reports every key in ConfigInfos form', async (t) => {
  const { app } = await restHarness(t);
  const validate = (plugin: string, payload: object) => app.inject({ method: 'PUT', url: `/connector-plugins/${plugin}/config/validate`, payload });

  const ok = await validate('quiet-source', { topic: 'x', 'connection.password': SECRET });
  t.equal(ok.statusCode, 200);
  t.notMatch(ok.body, SECRET, 'secret not in a valid result');
  const good = JSON.parse(ok.body) as ConfigInfos;
  t.equal(good.name, 'quiet-source');
  t.equal(good.error_count, 0);
  t.ok(good.groups.includes('Common') && good.groups.includes('quiet-source'));
  const pw = good.configs.find((c) => c.definition.name === 'connection.password');
  t.match(pw, { definition: { type: 'PASSWORD', secret: true }, value: { name: 'connection.password', value: '[hidden]', errors: [], visible: true } });
  t.same(good.configs.find((c) => c.definition.name === 'mode')?.value.recommended_values, ['fast', 'slow']);
  t.equal(good.configs.find((c) => c.definition.name === 'mode')?.value.value, 'fast', 'unset keys show their default');

  const bad = await validate('quiet-source', { mode: 'warp', 'typo.key': 'v', 'connection.password': '${env:REST_TEST_SECRET}', 'tasks.max': 0 });
  t.equal(bad.statusCode, 200, 'an invalid config is a 200 with errors, as in Kafka Connect');
  t.notMatch(bad.body, ENV_SECRET);
  const result = JSON.parse(bad.body) as ConfigInfos;
  const errorsOf = (key: string) => result.configs.find((c) => c.definition.name === key)?.value.errors ?? [];
  t.equal(result.error_count, 4);
  t.match(errorsOf('topic'), ['is required']);
  t.match(errorsOf('mode'), [/must be one of/]);
  t.match(errorsOf('typo.key'), [/not a known configuration key/]);
  t.match(errorsOf('tasks.max'), [/>= 1/]);
  t.equal(result.configs.find((c) => c.definition.name === 'connection.password')?.value.value, '[hidden]', 'placeholder under a secret key hidden');

  const chain = await validate('quiet-source', { topic: 'x', transforms: 's', 'transforms.s.type': 'salt', 'transforms.s.pepper': 'pepper-value-123' });
  t.notMatch(chain.body, 'pepper-value-123', 'transform secrets hidden');
  t.match(JSON.parse(chain.body), { error_count: 0, configs: [] });
  t.ok((JSON.parse(chain.body) as ConfigInfos).configs.some((c) => c.definition.name === 'transforms.s.pepper' && c.definition.secret));

  const missingTopics = JSON.parse((await validate('quiet-sink', { 'api.credential': 'cred-value-99' })).body) as ConfigInfos;
  t.equal(missingTopics.error_count, 1, 'sinks need topics');
  t.notMatch(JSON.stringify(missingTopics), 'cred-value-99');

  t.equal((await validate('nope', {})).statusCode, 404);
  const mismatch = await validate('quiet-source', { 'connector.class': 'quiet-sink' });
  t.equal(mismatch.statusCode, 400);
  t.match(JSON.parse(mismatch.body), { code: 'CONFLUX_ERR_BAD_REQUEST' });
  t.equal((await validate('quiet-source', [] as unknown as object)).statusCode, 400, 'body must be an object');
});

t.test("a plugin's own cross-key checks answer config/validate and refuse a create with a 400, each with its key", async (t) => {
  const { app, worker } = await restHarness(t);
  const config = { ...sourceConfig(), topic: 'fast-lane', mode: 'slow' };
  const checked = JSON.parse(
    (await app.inject({ method: 'PUT', url: '/connector-plugins/quiet-source/config/validate', payload: config })).body,
  ) as ConfigInfos;
  t.equal(checked.error_count, 1);
  t.match(checked.configs.find((c) => c.definition.name === 'mode')?.value.errors, [/slow does not fit topic fast-lane/]);
  const created = await app.inject({ method: 'POST', url: '/connectors', payload: { name: 'cross-key', config } });
  t.equal(created.statusCode, 400);
  t.match(JSON.parse(created.body), { errors: [{ key: 'mode', message: /slow does not fit/ }] });
  t.notOk(worker.has('cross-key'), 'nothing was created');
  t.equal((await app.inject({ method: 'POST', url: '/connectors', payload: { name: 'fine', config: { ...config, mode: 'fast' } } })).statusCode, 201);
});
