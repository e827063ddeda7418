/**
 * Re-tasking under load: while the generator writes live changes (deletes among them), the
 * source's tasks.max goes 1 -> 3 -> 2. Each new share continues from the positions of the shares
 * it replaces: no collection is copied a second time, and the warehouse reconciles with MongoDB.
 */
import { readFile } from 'node:fs/promises';
import t from 'tap';
import { pipelineEnv, sinksOf } from '../helpers/pipeline-env.js';
import { waitDeadLettersRight, waitReconciled } from '../helpers/reconcile.js';
import { waitFor } from '../helpers/services.js';
import { runWorkload, type WorkloadRun } from '../helpers/shop-workload.js';

t.setTimeout(5 * 60_000);

const CHANGES = 2400;
const RATE = 100; // changes per second: the live run lasts about 24 s

t.test('tasks.max 1 -> 3 -> 2 during a live run: no second snapshot, nothing lost', async (t) => {
  const env = await pipelineEnv(t, { prefix: 'retask' });
  const source = env.names.source;
  await env.worker.start();
  await runWorkload(env.db, { seed: 11, customers: 50, orders: 200, changes: 0, invalidRatio: 0.04 });
  await waitFor('the source to store its first positions', () => (env.worker.storedSourceOffsets(source).length >= 2 ? true : undefined), 60_000);

  const progress: WorkloadRun = { counts: new Map(), done: 0 };
  const workload = runWorkload(env.db, { seed: 12, customers: 0, orders: 0, changes: CHANGES, invalidRatio: 0.04, rate: RATE }, progress);
  const retask = async (tasks: number, afterChanges: number) => {
    await waitFor(`${afterChanges} live changes`, () => (progress.done >= afterChanges ? true : undefined), 60_000);
    const res = await env.worker.rest('PATCH', `/connectors/${source}/config`, { 'tasks.max': String(tasks) });
    t.equal(res.status, 200, `tasks.max=${tasks} accepted at ${progress.done} changes`);
    await waitFor(
      `${tasks} source tasks running`,
      async () => {
        const status = await env.worker.status(source);
        return status.tasks.length === tasks && status.tasks.every((task) => task.state === 'RUNNING') ? true : undefined;
      },
      60_000,
    );
  };
  await retask(3, 600);
  await retask(2, 1500);
  await workload;
  t.equal(progress.done, CHANGES, 'the generator wrote every live change');

  const { warehouse } = await waitReconciled({
    kafka: env.kafka,
    warehouse: env.warehouse,
    db: env.db,
    sinks: sinksOf(env.names),
    timeoutMs: 150_000,
    traceTopics: [env.names.ordersTopic, env.names.ordersDlq],
  });
  t.pass(`the warehouse reconciles with MongoDB: ${warehouse.orders.size} orders, ${warehouse.customers.size} customers`);
  const deletes = progress.counts.get('order-deleted') ?? 0;
  t.ok(deletes > 0, `deletes were among the live changes (${deletes})`);
  await waitDeadLettersRight({ kafka: env.kafka, registry: env.registry, db: env.db, topic: env.names.ordersDlq });

  const log = await readFile(env.worker.logFile, 'utf8');
  const snapshots = log.split('\n').filter((line) => line.includes('"msg":"snapshot of') && line.includes('started'));
  t.equal(snapshots.length, 2, 'orders and customers were copied once, at the first start');
  const inherited = log.split('\n').filter((line) => line.includes('it continues from the oldest position of the'));
  t.equal(inherited.length, 2 * 3 + 2 * 2, 'every new share of both collections took over the replaced positions');
  const shares = (env.worker.storedSourceOffsets(source) as Array<{ partition: { collection: string; share?: string } }>)
    .map((e) => `${e.partition.collection} ${e.partition.share ?? '-'}`)
    .sort();
  t.ok(
    ['orders 0/2', 'orders 1/2', 'customers 0/2', 'customers 1/2'].every((s) => shares.includes(s)),
    `positions of the 2 shares are stored (${shares.join(', ')})`,
  );
});
