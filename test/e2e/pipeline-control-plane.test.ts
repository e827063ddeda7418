/**
 * The control plane in the loop: the orders sink of the running pipeline is paused over REST while
 * the generator keeps writing; its lag grows and the warehouse stands still; once resumed it
 * catches up. GET /connectors/{name}/status reports each step, per task.
 */
import t from 'tap';
import { pipelineEnv, sinksOf } from '../helpers/pipeline-env.js';
import { sinkBehind, waitReconciled } from '../helpers/reconcile.js';
import { waitFor } from '../helpers/services.js';
import { runWorkload } from '../helpers/shop-workload.js';

t.setTimeout(5 * 60_000);

const states = (s: { connector: { state: string }; tasks: Array<{ state: string }> }) => [s.connector.state, ...s.tasks.map((task) => task.state)];

t.test('pausing the orders sink over REST stops the warehouse and lets the lag grow; resuming catches up', async (t) => {
  const env = await pipelineEnv(t, { prefix: 'ctl' });
  const { names, worker } = env;
  await worker.start();
  const reconciled = () =>
    waitReconciled({
      kafka: env.kafka,
      warehouse: env.warehouse,
      db: env.db,
      sinks: sinksOf(names),
      timeoutMs: 120_000,
      traceTopics: [names.ordersTopic, names.ordersDlq],
    });

  await runWorkload(env.db, { seed: 3, customers: 30, orders: 100, changes: 200, invalidRatio: 0 });
  await reconciled();
  const running = await worker.status(names.ordersSink);
  t.match(running, { name: names.ordersSink, type: 'sink', connector: { state: 'RUNNING' } }, 'the orders sink is RUNNING');
  t.ok(running.tasks.length > 0 && running.tasks.every((task) => task.state === 'RUNNING'), 'every task of it is RUNNING');

  const pause = await worker.rest('PUT', `/connectors/${names.ordersSink}/pause`);
  t.equal(pause.status, 202, 'PUT /connectors/{name}/pause is accepted');
  const paused = await worker.waitState(names.ordersSink, 'PAUSED');
  t.same(
    states(paused),
    states(paused).map(() => 'PAUSED'),
    'the status shows the connector and each task PAUSED',
  );
  const before = await env.warehouse.query<{ n: string; newest: string | null }>(
    'SELECT count(*)::text AS n, max(ingest_time)::text AS newest FROM fact_orders',
  );
  const storedBefore = await env.warehouse.query('SELECT topic, partition, next_offset FROM conflux_sink_offsets WHERE connector = $1 ORDER BY partition', [
    names.ordersSink,
  ]);

  // Live changes while paused: the source keeps writing them to Kafka.
  const written = await runWorkload(env.db, { seed: 4, customers: 0, orders: 0, changes: 300, invalidRatio: 0 });
  const orderChanges = ['order-created', 'status-changed', 'items-edited', 'order-deleted'].reduce((n, kind) => n + (written.counts.get(kind) ?? 0), 0);
  const lag = await waitFor(
    `the orders sink's lag to grow to the ${orderChanges} order changes written while paused`,
    async () => {
      const behind = await sinkBehind(env.kafka, env.warehouse, names.ordersSink, names.ordersTopic);
      return behind >= orderChanges ? behind : undefined;
    },
    60_000,
  );
  t.ok(lag >= orderChanges, `the lag grew to ${lag} records`);
  t.same(states(await worker.status(names.ordersSink)), states(paused), 'still PAUSED while the lag grows');
  t.same(
    states(await worker.status(names.source)),
    states(await worker.status(names.source)).map(() => 'RUNNING'),
    'the source keeps RUNNING',
  );
  const after = await env.warehouse.query<{ n: string; newest: string | null }>(
    'SELECT count(*)::text AS n, max(ingest_time)::text AS newest FROM fact_orders',
  );
  t.same(after.rows, before.rows, 'fact_orders does not change while the sink is paused');
  const storedAfter = await env.warehouse.query('SELECT topic, partition, next_offset FROM conflux_sink_offsets WHERE connector = $1 ORDER BY partition', [
    names.ordersSink,
  ]);
  t.same(storedAfter.rows, storedBefore.rows, 'nor do its stored offsets');

  const resume = await worker.rest('PUT', `/connectors/${names.ordersSink}/resume`);
  t.equal(resume.status, 202, 'PUT /connectors/{name}/resume is accepted');
  const resumed = await worker.waitState(names.ordersSink, 'RUNNING');
  t.same(
    states(resumed),
    states(resumed).map(() => 'RUNNING'),
    'the status shows the connector and each task RUNNING again',
  );
  await reconciled();
  t.equal(await sinkBehind(env.kafka, env.warehouse, names.ordersSink, names.ordersTopic), 0, 'the orders sink caught up: no lag');
  t.pass('the warehouse reconciles with MongoDB after the resume');
});
