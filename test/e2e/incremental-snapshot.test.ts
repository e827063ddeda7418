/**
 * Incremental snapshots on the shipped pipeline: the source reads a collection again while the
 * stream keeps flowing, and the warehouse ends equal to MongoDB, drift made behind the pipeline's
 * back repaired, no chunk overwriting a newer change (the load updates the same orders meanwhile).
 * A SIGKILL mid-snapshot resumes at the last stored chunk, each task reading its share.
 */
import { readFile } from 'node:fs/promises';
import t from 'tap';
import { pipelineEnv, sinksOf, type PipelineEnv } from '../helpers/pipeline-env.js';
import { diffShopWarehouse, readShop, readWarehouse, waitReconciled } from '../helpers/reconcile.js';
import { waitFor } from '../helpers/services.js';
import { runWorkload } from '../helpers/shop-workload.js';

t.setTimeout(8 * 60_000);

interface Snapshot {
  id: string;
  state: string;
  documents: number;
  total?: number;
  chunks: number;
  parts: Array<{ part: string; state: string; documents: number }>;
}

const reconciled = (env: PipelineEnv) =>
  waitReconciled({
    kafka: env.kafka,
    warehouse: env.warehouse,
    db: env.db,
    sinks: sinksOf(env.names),
    timeoutMs: 180_000,
    traceTopics: [env.names.ordersTopic, env.names.ordersDlq],
  });

async function snapshot(env: PipelineEnv, id: string): Promise<Snapshot> {
  const res = await env.worker.rest<Snapshot>('GET', `/connectors/${env.names.source}/snapshots/${id}`);
  if (res.status !== 200) throw new Error(`GET snapshot ${id}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function start(env: PipelineEnv, body: Record<string, unknown>): Promise<Snapshot> {
  const res = await env.worker.rest<Snapshot>('POST', `/connectors/${env.names.source}/snapshots`, body);
  if (res.status !== 201) throw new Error(`POST snapshots: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

const done = (env: PipelineEnv, id: string, timeoutMs = 180_000) =>
  waitFor(
    `snapshot ${id} to be done`,
    async () => {
      const s = await snapshot(env, id);
      if (s.state === 'failed') throw new Error(`snapshot failed: ${JSON.stringify(s)}`);
      return s.state === 'done' ? s : undefined;
    },
    timeoutMs,
  );

t.test('an incremental snapshot during a live load repairs drift and never lets a chunk overwrite a newer change', async (t) => {
  const env = await pipelineEnv(t, { prefix: 'isnap' });
  await env.worker.start();
  await runWorkload(env.db, { seed: 21, customers: 300, orders: 3000, changes: 0, invalidRatio: 0 });
  await reconciled(env);

  // Drift behind the pipeline's back: rows deleted, totals changed, a customer's email changed.
  const ids = (await env.warehouse.query<{ order_id: string }>('SELECT order_id FROM fact_orders ORDER BY order_id LIMIT 25')).rows.map((r) => r.order_id);
  const gone = ids.slice(0, 15);
  const changed = ids.slice(15);
  await env.warehouse.query('DELETE FROM fact_order_items WHERE order_id = ANY($1)', [gone]);
  await env.warehouse.query('DELETE FROM fact_orders WHERE order_id = ANY($1)', [gone]);
  await env.warehouse.query('UPDATE fact_orders SET total = total + 1 WHERE order_id = ANY($1)', [changed]);
  await env.warehouse.query(
    `UPDATE dim_customers SET email = 'drift@example.invalid' WHERE customer_id IN (SELECT customer_id FROM dim_customers ORDER BY customer_id LIMIT 5)`,
  );
  const drift = diffShopWarehouse(await readShop(env.db), await readWarehouse(env.warehouse));
  t.ok(drift.length >= 30, `the warehouse disagrees with MongoDB: ${drift.length} differences`);

  // The load updates the same orders while they are read again.
  const load = runWorkload(env.db, { seed: 22, customers: 0, orders: 0, changes: 2500, invalidRatio: 0, rate: 150 });
  const orders = await start(env, { collection: 'orders', reason: 'test: repair' });
  const customers = await start(env, { collection: 'customers' });
  t.match(orders, { collection: 'orders', state: 'pending', reason: 'test: repair' }, 'POST answers 201 with the request, pending');
  const listed = await env.worker.rest<{ snapshots: Snapshot[] }>('GET', `/connectors/${env.names.source}/snapshots`);
  t.same(listed.body.snapshots.map((s) => s.id).sort(), [orders.id, customers.id].sort(), 'GET lists both');

  const ordersDone = await done(env, orders.id);
  const customersDone = await done(env, customers.id);
  t.ok(ordersDone.documents >= 3000 && ordersDone.chunks >= 3, `orders read again: ${ordersDone.documents} documents in ${ordersDone.chunks} chunks`);
  t.ok(customersDone.documents >= 300, `customers read again: ${customersDone.documents}`);
  const written = await load;
  t.equal(written.done, 2500, 'the load wrote on during the snapshots');
  await reconciled(env);
  t.pass('the warehouse equals MongoDB: the drift is repaired, and no chunk overwrote a newer change');

  const again = await env.worker.rest('POST', `/connectors/${env.names.source}/snapshots`, { collection: 'nope' });
  t.equal(again.status, 400, 'a collection the connector does not capture is a 400');
  t.match(again.body, { errors: [{ key: 'collection' }] });
  const sink = await env.worker.rest('POST', `/connectors/${env.names.ordersSink}/snapshots`, { collection: 'orders' });
  t.equal(sink.status, 400, 'a sink has no snapshots');
  t.equal(
    (await env.worker.rest('DELETE', `/connectors/${env.names.source}/snapshots/000000000000000000000000`)).status,
    404,
    'cancelling an unknown snapshot is a 404',
  );
});

t.test('SIGKILL mid-snapshot: it resumes at its last stored chunk, each of two tasks reading its share', async (t) => {
  const env = await pipelineEnv(t, {
    prefix: 'isnapkill',
    overrides: { 'orders-source': { 'tasks.max': '2', 'snapshot.chunk.size': '10', 'offset.flush.interval.ms': '200' } },
  });
  await env.worker.start();
  await runWorkload(env.db, { seed: 31, customers: 200, orders: 5000, changes: 0, invalidRatio: 0 });
  await reconciled(env);

  const s = await start(env, { collection: 'orders' });
  const before = await waitFor(
    'the snapshot to be under way',
    async () => {
      const now = await snapshot(env, s.id);
      // Past a few offset flushes (every 200 ms here): what a restart resumes from is stored.
      return now.documents >= 1000 ? now : undefined;
    },
    60_000,
  );
  await env.worker.kill('SIGKILL');
  t.ok(before.state === 'running' && before.documents < 5000, `killed at ${before.documents} documents`);

  await env.worker.start();
  const after = await done(env, s.id);
  const log = await readFile(env.worker.logFile, 'utf8');
  const resumed = [...log.matchAll(/incremental snapshot \w+ of [^ ]+ \(([0-9/]+)\): resuming after (\d+) documents/g)].map((m) => Number(m[2]));
  t.equal(resumed.length, 2, 'both shares resumed from their stored positions');
  t.ok(
    resumed.some((n) => n > 0),
    `resumed after ${resumed.join(' and ')} documents`,
  );
  t.equal(after.parts.length, 2, 'two parts');
  t.ok(
    after.parts.every((p) => p.state === 'done' && p.documents > 1000),
    `each share read its part: ${after.parts.map((p) => `${p.part} ${p.documents}`).join(', ')}`,
  );
  t.ok(after.documents >= 5000, `every document read once at least, counting what was read before the kill: ${after.documents}`);
  await reconciled(env);
});
