/**
 * The customer join decides from event time, never holding the pipeline: orders of unknown
 * customers are rejected as soon as the customers topic's watermark has passed them while valid
 * orders flow on at once; an order whose customers stream lags is parked, not rejected, and enriched
 * once the stream catches up; a customer created after its order is unknown at the order's time.
 */
import { Faker, base, en } from '@faker-js/faker';
import { ObjectId } from 'mongodb';
import t from 'tap';
import { customer, order } from '../../generator/shop-documents.js';
import { pipelineEnv, type PipelineEnv } from '../helpers/pipeline-env.js';
import { readToEnd } from '../helpers/reconcile.js';
import { waitFor } from '../helpers/services.js';

t.setTimeout(5 * 60_000);

const f = new Faker({ locale: [en, base] });
f.seed(42);

interface Letter {
  key: string;
  message: string;
  at: number;
}

async function deadLetters(env: PipelineEnv): Promise<Letter[]> {
  const letters: Letter[] = [];
  await readToEnd(env.kafka, env.names.ordersDlq, (_p, m) => {
    letters.push({ key: m.key?.toString() ?? '', message: String(m.headers?.['conflux.error.message'] ?? ''), at: Number(m.timestamp) });
  });
  return letters;
}

async function rowsOf(env: PipelineEnv, ids: readonly string[]): Promise<Map<string, { latencyMs: number; customerName: string | null }>> {
  const { rows } = await env.warehouse.query<{ order_id: string; latency_ms: string; customer_name: string | null }>(
    `SELECT order_id, (extract(epoch FROM ingest_time - updated_at) * 1000)::bigint AS latency_ms, customer_name FROM fact_orders WHERE order_id = ANY($1)`,
    [ids],
  );
  return new Map(rows.map((r) => [r.order_id, { latencyMs: Number(r.latency_ms), customerName: r.customer_name }]));
}

t.test('shipped configs: valid orders keep flowing while unknown-customer orders arrive every 100 ms; each of those is rejected at once', async (t) => {
  const env = await pipelineEnv(t, { prefix: 'rtjoin' });
  const customers = Array.from({ length: 20 }, () => customer(f, new Date()));
  await env.db.collection('customers').insertMany(customers);
  await env.worker.start();
  await waitFor('the customers in the warehouse', async () => {
    const { rows } = await env.warehouse.query<{ n: string }>('SELECT count(*) AS n FROM dim_customers');
    return Number(rows[0]!.n) === customers.length ? true : undefined;
  });

  const valid: string[] = [];
  const unknown = new Map<string, number>();
  const until = Date.now() + 15_000;
  let tick = 0;
  while (Date.now() < until) {
    // Every 100 ms an order of a customer that does not exist, and two valid ones.
    const ghost = order(f, new ObjectId(), new Date());
    await env.db.collection('orders').insertOne(ghost);
    unknown.set(ghost._id.toHexString(), Date.now());
    for (let i = 0; i < 2; i++) {
      const good = order(f, customers[(tick * 2 + i) % customers.length]!._id, new Date());
      await env.db.collection('orders').insertOne(good);
      valid.push(good._id.toHexString());
    }
    tick++;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  t.ok(unknown.size >= 100, `${unknown.size} unknown-customer orders, ${valid.length} valid ones`);

  const rows = await waitFor('every valid order in the warehouse', async () => {
    const got = await rowsOf(env, valid);
    return got.size === valid.length ? got : undefined;
  });
  const latencies = [...rows.values()].map((r) => r.latencyMs).sort((a, b) => a - b);
  const p99 = latencies[Math.floor(latencies.length * 0.99)]!;
  t.comment(
    `valid orders, MongoDB write to warehouse commit: p50 ${latencies[Math.floor(latencies.length / 2)]} ms, p99 ${p99} ms, max ${latencies.at(-1)} ms`,
  );
  t.ok(latencies.at(-1)! <= 1_000, `each valid order reached the warehouse within 1 s (max ${latencies.at(-1)} ms)`);
  t.ok(
    [...rows.values()].every((r) => r.customerName !== null),
    'every valid order is enriched',
  );

  const letters = await waitFor('every unknown-customer order dead-lettered', async () => {
    const got = await deadLetters(env);
    return new Set(got.map((l) => l.key)).size >= unknown.size ? got : undefined;
  });
  const rejected = new Map(letters.map((l) => [l.key, l]));
  t.same(
    [...unknown.keys()].filter((id) => !rejected.has(id)),
    [],
    'each unknown-customer order is in the dead-letter topic',
  );
  t.ok(
    [...rejected.values()].every((l) => l.message.startsWith('unknown-customer: ')),
    'with the rule unknown-customer in conflux.error.message',
  );
  const delays = [...unknown].map(([id, written]) => rejected.get(id)!.at - written).sort((a, b) => a - b);
  t.comment(`unknown-customer orders, MongoDB write to dead letter: p50 ${delays[Math.floor(delays.length / 2)]} ms, max ${delays.at(-1)} ms`);
  t.ok(
    delays[Math.floor(delays.length * 0.99)]! <= 1_500,
    `rejected within about a second of their write (p99 ${delays[Math.floor(delays.length * 0.99)]} ms)`,
  );
  t.equal((await rowsOf(env, [...unknown.keys()])).size, 0, 'none of them is in the warehouse');
});

t.test('a lagging customers stream parks the order, which is enriched once it catches up; a customer created later is unknown', async (t) => {
  // The customers are captured by a source connector of their own, so that their stream can lag
  // (here: paused) while the orders stream goes on.
  const env = await pipelineEnv(t, {
    prefix: 'rtlag',
    overrides: { 'orders-source': { collections: 'orders', 'topic.map': 'orders:orders-cdc', 'topic.compacted': '', 'value.schema.customers': '' } },
  });
  await env.worker.start();
  const n = env.names;
  const sourceConfig = (await env.worker.rest<{ config: Record<string, string> }>('GET', `/connectors/${n.source}`)).body.config;
  const customersSource = `${n.source}-customers`;
  const { status } = await env.worker.rest('POST', '/connectors', {
    name: customersSource,
    config: {
      ...Object.fromEntries(Object.entries(sourceConfig).filter(([k]) => !k.startsWith('value.schema.') && k !== 'name')),
      'connection.uri': '${env:MONGODB_URI}',
      collections: 'customers',
      'topic.map': `customers:${n.customersTopic}`,
      'topic.compacted': 'customers',
      'value.schema.customers': 'config/schemas/customers.avsc',
    },
  });
  t.equal(status, 201, 'the customers source is created');
  await env.worker.waitState(customersSource, 'RUNNING');
  const known = customer(f, new Date());
  await env.db.collection('customers').insertOne(known);
  await waitFor('the known customer in the warehouse', async () => ((await env.warehouse.query('SELECT 1 FROM dim_customers')).rowCount ? true : undefined));

  // Stopped (its tasks end and commit): from here its stream lags until it is resumed.
  t.equal((await env.worker.rest('PUT', `/connectors/${customersSource}/stop`)).status, 202);
  await waitFor('the customers source stopped', async () => ((await env.worker.status(customersSource)).connector.state === 'STOPPED' ? true : undefined));
  // Written before its order, but its stream lags behind the orders stream.
  const late = customer(f, new Date());
  await env.db.collection('customers').insertOne(late);
  const waiting = order(f, late._id, new Date());
  await env.db.collection('orders').insertOne(waiting);
  t.ok(await env.worker.whenParked(n.ordersSink, 15_000), 'the order waits parked for the customers stream');
  const others = Array.from({ length: 5 }, () => order(f, known._id, new Date()));
  await env.db.collection('orders').insertMany(others);
  await waitFor('the other orders in the warehouse meanwhile', async () =>
    (
      await rowsOf(
        env,
        others.map((o) => o._id.toHexString()),
      )
    ).size === others.length
      ? true
      : undefined,
  );
  t.equal((await rowsOf(env, [waiting._id.toHexString()])).size, 0, 'the waiting order is not in the warehouse yet');
  t.equal((await deadLetters(env)).length, 0, 'and it was not rejected');

  // An order whose customer is created only after it: unknown at the order's time.
  const orphan = order(f, new ObjectId(), new Date());
  await env.db.collection('orders').insertOne(orphan);
  await env.db.collection('customers').insertOne({ ...customer(f, new Date()), _id: orphan.customer_id });

  t.equal((await env.worker.rest('PUT', `/connectors/${customersSource}/resume`)).status, 202);
  await env.worker.waitState(customersSource, 'RUNNING');
  const rows = await waitFor('the waiting order, enriched', async () => {
    const got = await rowsOf(env, [waiting._id.toHexString()]);
    return got.size === 1 ? got : undefined;
  });
  t.equal(rows.get(waiting._id.toHexString())!.customerName, late.name, 'enriched with the customer that came late');
  const letters = await waitFor('the orphan order rejected', async () => {
    const got = await deadLetters(env);
    return got.some((l) => l.key === orphan._id.toHexString()) ? got : undefined;
  });
  t.same(
    letters.map((l) => [l.key, l.message.split(':')[0]]),
    [[orphan._id.toHexString(), 'unknown-customer']],
    'only the order whose customer did not exist at its time is rejected',
  );
});
