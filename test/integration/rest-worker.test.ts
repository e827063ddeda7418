import t from 'tap';
import { LogManager } from '../../runtime/observability/logging.js';
import { buildApp, probeServices } from '../../runtime/rest/index.js';
import { collected } from '../fixtures/collecting-sink.js';
import { startWorker, tempDir } from '../fixtures/worker.js';
import { services, uniqueName, waitFor } from '../helpers/services.js';

type Status = { connector: { state: string }; tasks: Array<{ id: number; state: string }> };
type Offsets = { offsets: Array<{ partition: Record<string, unknown>; offset: Record<string, unknown> | null }> };

/*
 * The REST layer over a worker with real traffic: task states follow pause/resume/stop/restart,
 * offsets are the ones the tasks committed, and changing them is refused until STOPPED.
 */
t.test('REST over a running pipeline: states, offsets, health', async (t) => {
  const worker = await startWorker(t, tempDir(t));
  const app = buildApp({ herder: worker, logs: new LogManager({ level: 'fatal' }), health: probeServices({ brokers: services().kafkaBrokers }) });
  t.teardown(() => app.close());
  const topic = uniqueName('rest');
  const collector = uniqueName('rest-collector');
  const status = async (name: string) => (await app.inject(`/connectors/${name}/status`)).json() as Status;
  const allTasks = (name: string, state: string) =>
    waitFor(`${name} tasks ${state}`, async () => {
      const s = await status(name);
      return s.tasks.length > 0 && s.tasks.every((x) => x.state === state) ? s : undefined;
    });

  const created = await app.inject({
    method: 'POST',
    url: '/connectors',
    payload: { name: 'src', config: { 'connector.class': 'counting-source', topic, count: 20, 'value.converter': 'json', 'offset.flush.interval.ms': 100 } },
  });
  t.equal(created.statusCode, 201, created.body);
  await allTasks('src', 'RUNNING');
  const committed = await waitFor('source offsets', async () => {
    const body = (await app.inject('/connectors/src/offsets')).json() as Offsets;
    return body.offsets[0]?.offset?.['n'] === 19 ? body : undefined;
  });
  t.same(committed.offsets, [{ partition: { counter: 0 }, offset: { n: 19 } }], 'GET offsets shows what the task committed');

  // Sink names are consumer groups (connect-<name>): unique, so parallel test files never share one.
  const sinkName = uniqueName('sink');
  const sink = await app.inject({
    method: 'POST',
    url: '/connectors',
    payload: { name: sinkName, config: { 'connector.class': 'collecting-sink', topics: topic, collector, 'value.converter': 'json' } },
  });
  t.equal(sink.statusCode, 201, sink.body);
  await waitFor('sink to collect 20 records', () => ((collected.get(collector)?.length ?? 0) >= 20 ? true : undefined));
  const sinkOffsets = await waitFor('sink offsets', async () => {
    const body = (await app.inject(`/connectors/${sinkName}/offsets`)).json() as Offsets;
    return body.offsets.length > 0 ? body : undefined;
  });
  t.same(sinkOffsets.offsets, [{ partition: { kafka_topic: topic, kafka_partition: 0 }, offset: { kafka_offset: 20 } }], 'sink offsets from the group');

  const rewind = { offsets: [{ partition: { counter: 0 }, offset: { n: 4 } }] };
  const refused = await app.inject({ method: 'PATCH', url: '/connectors/src/offsets', payload: rewind });
  t.equal(refused.statusCode, 400, 'offsets cannot change while RUNNING');
  t.match(refused.json(), { error_code: 400, message: /STOPPED/ });

  t.equal((await app.inject({ method: 'PUT', url: '/connectors/src/pause' })).statusCode, 202);
  t.equal((await allTasks('src', 'PAUSED')).connector.state, 'PAUSED');
  t.equal((await app.inject({ method: 'PUT', url: '/connectors/src/resume' })).statusCode, 202);
  t.equal((await allTasks('src', 'RUNNING')).connector.state, 'RUNNING');

  const restarted = await app.inject({ method: 'POST', url: '/connectors/src/restart?includeTasks=true' });
  t.equal(restarted.statusCode, 202);
  t.match(restarted.json(), { name: 'src', tasks: [{ id: 0 }] });
  await allTasks('src', 'RUNNING');

  t.equal((await app.inject({ method: 'PUT', url: '/connectors/src/stop' })).statusCode, 202);
  t.match(await status('src'), { connector: { state: 'STOPPED' }, tasks: [] });
  const altered = await app.inject({ method: 'PATCH', url: '/connectors/src/offsets', payload: rewind });
  t.equal(altered.statusCode, 200, altered.body);
  t.same(((await app.inject('/connectors/src/offsets')).json() as Offsets).offsets, rewind.offsets);

  t.equal((await app.inject({ method: 'PUT', url: `/connectors/${sinkName}/stop` })).statusCode, 202);
  const sinkRewind = { offsets: [{ partition: { kafka_topic: topic, kafka_partition: 0 }, offset: { kafka_offset: 5 } }] };
  const sinkAltered = await app.inject({ method: 'PATCH', url: `/connectors/${sinkName}/offsets`, payload: sinkRewind });
  t.equal(sinkAltered.statusCode, 200, sinkAltered.body);
  t.same(((await app.inject(`/connectors/${sinkName}/offsets`)).json() as Offsets).offsets, sinkRewind.offsets);

  const root = (await app.inject('/')).json() as { kafka_cluster_id?: string };
  t.match(root.kafka_cluster_id, /^[A-Za-z0-9_-]{22}$/, 'GET / reports the Kafka cluster id');

  const health = await app.inject('/health');
  t.equal(health.statusCode, 200);
  t.match(health.json(), { status: 'healthy', kafka: 'up', connectors: { src: 'STOPPED', [sinkName]: 'STOPPED' } });

  t.equal((await app.inject({ method: 'DELETE', url: '/connectors/src' })).statusCode, 204);
  t.equal((await app.inject({ method: 'DELETE', url: `/connectors/${sinkName}` })).statusCode, 204);
});
