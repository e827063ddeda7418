/**
 * Outages: while the generator writes live changes, Kafka is stopped and started again, then
 * PostgreSQL is stopped for 30 s. Nobody touches the worker: it recovers by itself and the warehouse
 * reconciles exactly with MongoDB. Kafka and PostgreSQL are private to this test (scripts/services
 * under a temporary state directory, free ports); the shared stack is never stopped.
 */
import t from 'tap';
import { pipelineEnv, sinksOf } from '../helpers/pipeline-env.js';
import { PrivateStack } from '../helpers/private-stack.js';
import { waitReconciled } from '../helpers/reconcile.js';
import { runWorkload, type WorkloadRun } from '../helpers/shop-workload.js';

t.setTimeout(8 * 60_000);

const POSTGRES_OUTAGE_MS = 30_000;

t.test('the pipeline rides out a Kafka restart and 30 s without PostgreSQL, and reconciles', async (t) => {
  const stack = await PrivateStack.start(t, ['kafka', 'postgres']);
  const env = await pipelineEnv(t, {
    prefix: 'outage',
    services: { kafkaBrokers: stack.setting('KAFKA_BROKERS'), databaseUrl: stack.setting('DATABASE_URL') },
  });
  await env.worker.start();

  const progress: WorkloadRun = { counts: new Map(), done: 0 };
  const stop = new AbortController();
  // Live changes until both outages are over (at most 4000, 50/s).
  const workload = runWorkload(env.db, { seed: 11, customers: 40, orders: 150, changes: 4000, invalidRatio: 0.2, rate: 50 }, progress, stop.signal);
  const log = (what: string) => t.comment(`${what} (${progress.done} changes written)`);
  try {
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    // Stopped while orders of unknown customers wait parked for the customers watermark.
    const parked = await env.worker.whenParked(env.names.ordersSink, 10_000);
    log(`stopping Kafka${parked ? ' while orders are parked' : ''}`);
    t.ok(parked, 'orders were parked when Kafka stopped');
    await stack.stop(['kafka']);
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    log('starting Kafka again');
    await stack.up(['kafka']);
    log('Kafka is back');
    await new Promise((resolve) => setTimeout(resolve, 5_000));

    log('stopping PostgreSQL');
    await stack.stop(['postgres']);
    await new Promise((resolve) => setTimeout(resolve, POSTGRES_OUTAGE_MS));
    log(`starting PostgreSQL again after ${POSTGRES_OUTAGE_MS / 1000} s`);
    await stack.up(['postgres']);
    log('PostgreSQL is back');
    await new Promise((resolve) => setTimeout(resolve, 3_000));
  } finally {
    stop.abort();
    await workload;
  }
  t.ok(env.worker.running, 'the worker process ran through both outages');
  t.ok(progress.done > 1000, `the generator wrote live changes throughout (${progress.done})`);

  // The idle warehouse client lost its connection with PostgreSQL.
  await env.warehouse.end().catch(() => undefined);
  const pg = await import('pg');
  const warehouse = new pg.default.Client({ connectionString: env.services.databaseUrl });
  await warehouse.connect();
  t.teardown(() => warehouse.end());

  const { warehouse: rows } = await waitReconciled({
    kafka: env.kafka,
    warehouse,
    db: env.db,
    sinks: sinksOf(env.names),
    timeoutMs: 180_000,
    traceTopics: [env.names.ordersTopic, env.names.ordersDlq],
  });
  t.pass(`the warehouse reconciles with MongoDB: ${rows.orders.size} orders, ${rows.customers.size} customers`);
  for (const connector of [env.names.source, env.names.customersSink, env.names.ordersSink]) {
    const status = await env.worker.status(connector);
    t.same(
      [status.connector.state, ...status.tasks.map((task) => task.state)],
      ['RUNNING', ...status.tasks.map(() => 'RUNNING')],
      `${connector} and its tasks are RUNNING without anyone restarting them`,
    );
  }
});
