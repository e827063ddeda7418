import t from 'tap';
import { ENV_SECRET, SECRET, restHarness, sourceConfig } from '../helpers/rest.js';

const json = (body: string) => JSON.parse(body) as Record<string, unknown>;
type Status = { connector: { state: string; trace?: string }; tasks: Array<{ id: number; state: string }> };

/*
 * State changes without Kafka: the connectors start STOPPED or PAUSED; when tasks start they fail
 * to reach the (closed) broker, which does not matter for the connector-level state asserted here.
 * Task states under real traffic are covered by test/integration/rest-worker.test.ts.
 */

t.test('pause, resume, stop and restart are reflected in the status', async (t) => {
  const { app } = await restHarness(t);
  await app.inject({ method: 'POST', url: '/connectors', payload: { name: 's', config: sourceConfig({ 'tasks.max': '2' }), initial_state: 'STOPPED' } });
  const status = async () => json((await app.inject('/connectors/s/status')).body) as unknown as Status;
  const put = (action: string) => app.inject({ method: 'PUT', url: `/connectors/s/${action}` });

  t.match(await status(), { connector: { state: 'STOPPED' }, tasks: [] });

  const resumed = await put('resume');
  t.equal(resumed.statusCode, 202);
  t.equal(resumed.body, '', 'no body');
  const running = await status();
  t.equal(running.connector.state, 'RUNNING');
  t.same(
    running.tasks.map((x) => x.id),
    [0, 1],
    'resume from STOPPED starts the tasks',
  );

  t.equal((await put('pause')).statusCode, 202);
  t.equal((await status()).connector.state, 'PAUSED');

  t.equal((await put('resume')).statusCode, 202);
  t.equal((await status()).connector.state, 'RUNNING');

  t.equal((await put('stop')).statusCode, 202);
  t.match(await status(), { connector: { state: 'STOPPED' }, tasks: [] });

  for (const action of ['pause', 'resume', 'stop']) {
    const missing = await app.inject({ method: 'PUT', url: `/connectors/none/${action}` });
    t.equal(missing.statusCode, 404, `${action} of an unknown connector`);
  }
  t.equal((await app.inject('/connectors/none/status')).statusCode, 404);
});

t.test('restart: 204 without flags, 202 with the status otherwise', async (t) => {
  const { app } = await restHarness(t);
  await app.inject({ method: 'POST', url: '/connectors', payload: { name: 'r', config: sourceConfig(), initial_state: 'PAUSED' } });

  const plain = await app.inject({ method: 'POST', url: '/connectors/r/restart' });
  t.equal(plain.statusCode, 204);
  t.equal(plain.body, '');

  const withTasks = await app.inject({ method: 'POST', url: '/connectors/r/restart?includeTasks=true' });
  t.equal(withTasks.statusCode, 202);
  t.match(json(withTasks.body), { name: 'r', connector: { state: 'PAUSED', worker_id: 'test-worker:8083' }, tasks: [{ id: 0 }], type: 'source' });

  const onlyFailed = await app.inject({ method: 'POST', url: '/connectors/r/restart?includeTasks=true&onlyFailed=true' });
  t.equal(onlyFailed.statusCode, 202);

  // As Python's requests writes booleans: Kafka Connect reads them case-insensitively.
  const pythonic = await app.inject({ method: 'POST', url: '/connectors/r/restart?includeTasks=True&onlyFailed=False' });
  t.equal(pythonic.statusCode, 202, 'includeTasks=True is true');
  t.match(json(pythonic.body), { name: 'r', tasks: [{ id: 0 }] });
  t.equal((await app.inject({ method: 'POST', url: '/connectors/r/restart?includeTasks=FALSE' })).statusCode, 204, 'includeTasks=FALSE is false');
  const maybe = await app.inject({ method: 'POST', url: '/connectors/r/restart?includeTasks=maybe' });
  t.equal(maybe.statusCode, 400);
  t.match(maybe.body, /includeTasks/, 'the 400 names the parameter');
  t.equal((await app.inject({ method: 'POST', url: '/connectors/none/restart' })).statusCode, 404);
});

t.test('tasks: status and restart of one task', async (t) => {
  const { app } = await restHarness(t);
  await app.inject({ method: 'POST', url: '/connectors', payload: { name: 'k', config: sourceConfig(), initial_state: 'PAUSED' } });

  const task = await app.inject('/connectors/k/tasks/0/status');
  t.equal(task.statusCode, 200);
  t.match(json(task.body), { id: 0, state: /^(RUNNING|PAUSED|FAILED|UNASSIGNED)$/, worker_id: 'test-worker:8083' });

  t.equal((await app.inject({ method: 'POST', url: '/connectors/k/tasks/0/restart' })).statusCode, 204);
  t.equal((await app.inject({ method: 'POST', url: '/connectors/k/tasks/7/restart' })).statusCode, 404);
  const missing = await app.inject('/connectors/k/tasks/7/status');
  t.equal(missing.statusCode, 404);
  t.match(json(missing.body), { error_code: 404, message: 'Task k-7 not found' });
  t.equal((await app.inject('/connectors/k/tasks/x/status')).statusCode, 400, 'task id must be an integer');
});

t.test('a failure trace never shows a secret, literal or resolved', async (t) => {
  const { app } = await restHarness(t);
  const create = (name: string, password: string) =>
    app.inject({
      method: 'POST',
      url: '/connectors',
      payload: { name, config: sourceConfig({ 'fail.task.configs': 'true', 'connection.password': password }) },
    });
  t.equal((await create('lit', SECRET)).statusCode, 201);
  t.equal((await create('env', '${env:REST_TEST_SECRET}')).statusCode, 201);

  for (const name of ['lit', 'env']) {
    const status = json((await app.inject(`/connectors/${name}/status`)).body) as unknown as Status;
    t.equal(status.connector.state, 'FAILED');
    t.match(status.connector.trace, /cannot log in with password \[hidden\]/, `${name}: trace kept, secret hidden`);
  }
  const all = await app.inject('/connectors?expand=status&expand=info');
  t.notMatch(all.body, SECRET);
  t.notMatch(all.body, ENV_SECRET);
});

t.test('offsets: readable always, changeable only while STOPPED', async (t) => {
  const { app } = await restHarness(t);
  const offsets = { offsets: [{ partition: { counter: 0 }, offset: { n: 41 } }] };
  const patch = (name: string) => app.inject({ method: 'PATCH', url: `/connectors/${name}/offsets`, payload: offsets });

  await app.inject({ method: 'POST', url: '/connectors', payload: { name: 'p', config: sourceConfig(), initial_state: 'PAUSED' } });
  const refused = await patch('p');
  t.equal(refused.statusCode, 400, 'refused while PAUSED');
  t.match(json(refused.body), { error_code: 400, code: 'CONFLUX_ERR_BAD_REQUEST', message: /STOPPED state/ });

  // Desired state RUNNING; the connector itself failed, so no task needs Kafka.
  await app.inject({ method: 'POST', url: '/connectors', payload: { name: 'run', config: sourceConfig({ 'fail.task.configs': 'true' }) } });
  const whileRunning = await patch('run');
  t.equal(whileRunning.statusCode, 400, 'refused while RUNNING');
  t.match(json(whileRunning.body).message, /run is RUNNING/);

  t.equal((await app.inject({ method: 'PUT', url: '/connectors/p/stop' })).statusCode, 202);
  const accepted = await patch('p');
  t.equal(accepted.statusCode, 200, 'accepted while STOPPED');
  t.same(json(accepted.body), { message: 'The offsets for this connector have been altered successfully' });
  t.same(json((await app.inject('/connectors/p/offsets')).body), offsets);

  const reset = await app.inject({ method: 'DELETE', url: '/connectors/p/offsets' });
  t.equal(reset.statusCode, 200);
  t.same(json(reset.body), { message: 'The offsets for this connector have been reset successfully' });
  t.same(json((await app.inject('/connectors/p/offsets')).body), { offsets: [] });

  t.equal((await app.inject({ method: 'DELETE', url: '/connectors/run/offsets' })).statusCode, 400, 'reset refused while RUNNING');
  t.equal((await app.inject({ method: 'PATCH', url: '/connectors/p/offsets', payload: { partitions: [] } })).statusCode, 400, 'body checked');
  t.equal((await app.inject('/connectors/none/offsets')).statusCode, 404);
  t.equal((await patch('none')).statusCode, 404);
});
