import t from 'tap';
import { ConfigError } from '../../runtime/api/index.js';
import { createTopic, header, kafka, readTopic } from '../fixtures/kafka.js';
import { customer, customersEnvelopeSchema, envelope, order, ordersEnvelopeSchema } from '../fixtures/shop.js';
import { assertLatestOrders, orderEvent, orderSinkConfig, orderStream } from '../fixtures/order-stream.js';
import { produceAvro, startWarehouseWorker } from '../fixtures/warehouse.js';
import { tempDir, waitForState } from '../fixtures/worker.js';
import { services, uniqueName, waitFor } from '../helpers/services.js';
import { uniqueSchema } from '../helpers/warehouse.js';

const { databaseUrl } = services();

function sinkConfig(topic: string, schema: string, extra: Record<string, string> = {}) {
  return orderSinkConfig(databaseUrl, topic, schema, { 'errors.retry.timeout': '120000', 'errors.retry.delay.max.ms': '1000', ...extra });
}

const ev = orderEvent;

/** Waits until the sink stored `total` as the sum of its next offsets (every record handled). */
async function waitForOffsets(client: import('pg').Client, schema: string, connector: string, total: number, timeoutMs = 120_000) {
  await waitFor(
    `${connector} to store offsets summing to ${total}`,
    async () => {
      const { rows } = await client.query(`SELECT coalesce(sum(next_offset), 0)::int AS n FROM "${schema}".conflux_sink_offsets WHERE connector = $1`, [
        connector,
      ]);
      return rows[0].n >= total ? true : undefined;
    },
    timeoutMs,
  );
}

t.test('known envelopes, with out-of-order updates, deletes and duplicates, give exactly the expected warehouse', async (t) => {
  const { schema, client } = await uniqueSchema(t);
  const topic = uniqueName('orders-cdc');
  const dlq = uniqueName('orders-dlq');
  await createTopic(topic, 2);
  const o1 = order('o1');
  const o1shipped = order('o1', { status: 'shipped', updated_at: o1.updated_at + 2000 }, 1);
  const o1stale = order('o1', { status: 'pending', updated_at: o1.updated_at + 500 }, 3);
  const o2 = order('o2');
  const o3 = order('o3', { customer_id: 'c-3' });
  const o4 = order('o4', {}, 3);
  const o4less = order('o4', { updated_at: o4.updated_at + 1000 }, 1);
  const o5 = order('o5', { status: 'delivered' });
  const badTotal = order('o7', { total: '999.00' });
  const badCurrency = order('o8', { currency: 'XYZ' });
  const events = [
    ev('c', o1, 1000),
    ev('u', o1shipped, 2000),
    ev('u', o1stale, 1500), // older than the update before it: must not win
    ev('c', o2, 1000),
    ev('d', null, 3000, o2),
    { key: 'o2', value: null }, // the tombstone after a delete: dropped by ParseOrder
    ev('u', o2, 2500), // older than the delete: must not bring o2 back
    ev('c', o3, 1000),
    ev('c', o3, 1000), // a duplicate
    ev('c', o4, 1000),
    ev('u', o4less, 2000),
    ev('c', o4, 1000), // a replay of the first version after the newer one
    ev('r', o5, 500),
    ev('c', badTotal, 1000),
    ev('c', badCurrency, 1000),
  ];
  await produceAvro(topic, ordersEnvelopeSchema(), events);

  const worker = await startWarehouseWorker(t, tempDir(t));
  const name = uniqueName('orders-sink');
  await worker.createConnector(name, sinkConfig(topic, schema, { 'errors.tolerance': 'all', 'errors.deadletterqueue.topic.name': dlq }));
  await waitForOffsets(client, schema, name, events.length);

  const { rows: orders } = await client.query(
    `SELECT order_id, customer_id, status, item_count, total::text, currency, updated_at, source_ts_ms::int
       FROM "${schema}".fact_orders ORDER BY order_id`,
  );
  t.same(orders, [
    {
      order_id: 'o1',
      customer_id: 'c-1',
      status: 'shipped',
      item_count: 1,
      total: o1shipped.total,
      currency: 'EUR',
      updated_at: new Date(o1shipped.updated_at),
      source_ts_ms: 2000,
    },
    {
      order_id: 'o3',
      customer_id: 'c-3',
      status: 'paid',
      item_count: 2,
      total: o3.total,
      currency: 'EUR',
      updated_at: new Date(o3.updated_at),
      source_ts_ms: 1000,
    },
    {
      order_id: 'o4',
      customer_id: 'c-1',
      status: 'paid',
      item_count: 1,
      total: o4less.total,
      currency: 'EUR',
      updated_at: new Date(o4less.updated_at),
      source_ts_ms: 2000,
    },
    {
      order_id: 'o5',
      customer_id: 'c-1',
      status: 'delivered',
      item_count: 2,
      total: o5.total,
      currency: 'EUR',
      updated_at: new Date(o5.updated_at),
      source_ts_ms: 500,
    },
  ]);
  const { rows: items } = await client.query(
    `SELECT order_id, line, sku, quantity, unit_price::text FROM "${schema}".fact_order_items ORDER BY order_id, line`,
  );
  t.same(items, [
    { order_id: 'o1', line: 1, sku: 'SKU-1', quantity: 1, unit_price: '10.25' },
    { order_id: 'o3', line: 1, sku: 'SKU-1', quantity: 1, unit_price: '10.25' },
    { order_id: 'o3', line: 2, sku: 'SKU-2', quantity: 2, unit_price: '11.25' },
    { order_id: 'o4', line: 1, sku: 'SKU-1', quantity: 1, unit_price: '10.25' },
    { order_id: 'o5', line: 1, sku: 'SKU-1', quantity: 1, unit_price: '10.25' },
    { order_id: 'o5', line: 2, sku: 'SKU-2', quantity: 2, unit_price: '11.25' },
  ]);

  const dead = await readTopic(t, dlq, 2);
  const rules = dead.map((d) => header(d.headers, 'conflux.error.message')).sort();
  t.match(rules, [/^currency-iso4217: "XYZ"/, /^total-matches-lines: total 999.00/], 'each invalid order is dead-lettered with its rule');
  t.same(
    dead.map((d) => header(d.headers, 'conflux.error.stage')),
    ['transform:validate', 'transform:validate'],
  );
  t.equal(worker.status(name).tasks[0]!.state, 'RUNNING');
});

t.test('a second configuration writes customers-cdc into dim_customers', async (t) => {
  const { schema, client } = await uniqueSchema(t);
  const topic = uniqueName('customers-cdc');
  await createTopic(topic, 1);
  const events = [
    { key: 'c-1', value: envelope('r', 'customers', customer('c-1'), 100) },
    { key: 'c-2', value: envelope('c', 'customers', customer('c-2', { email: null, address: null }), 200) },
    { key: 'c-1', value: envelope('u', 'customers', customer('c-1', { segment: 'vip', address: { city: 'Oslo', country: 'NO' } }), 300) },
    { key: 'c-3', value: envelope('c', 'customers', customer('c-3'), 300) },
    { key: 'c-3', value: envelope('d', 'customers', null, 400, customer('c-3')) },
    { key: 'c-3', value: null }, // the tombstone after a delete: dropped by ParseCustomer, not an error
  ];
  await produceAvro(topic, customersEnvelopeSchema(), events);
  const worker = await startWarehouseWorker(t, tempDir(t));
  const name = uniqueName('customers-sink');
  const { 'transforms.validate.type': _unused, ...base } = sinkConfig(topic, schema);
  await worker.createConnector(name, { ...base, transforms: 'parse', 'transforms.parse.type': 'ParseCustomer' });
  await waitForOffsets(client, schema, name, events.length);
  const { rows } = await client.query(`SELECT customer_id, name, email, segment, city, country FROM "${schema}".dim_customers ORDER BY 1`);
  t.same(rows, [
    { customer_id: 'c-1', name: 'Customer c-1', email: 'c-1@example.com', segment: 'vip', city: 'Oslo', country: 'NO' },
    { customer_id: 'c-2', name: 'Customer c-2', email: null, segment: 'consumer', city: null, country: null },
  ]);
  t.equal(worker.status(name).tasks[0]!.state, 'RUNNING', 'the tombstone failed nothing (errors.tolerance=none)');
});

t.test('killed mid-stream and restarted with the group offsets lost: every order exactly once, latest state', async (t) => {
  const { schema, client } = await uniqueSchema(t);
  const topic = uniqueName('orders-kill');
  await createTopic(topic, 2);
  const n = 20000;
  const events = orderStream(n);
  await produceAvro(topic, ordersEnvelopeSchema(), events);
  const state = tempDir(t);
  const name = uniqueName('kill-sink');
  const first = await startWarehouseWorker(t, state);
  // Small flushes, so that the stop (which flushes what is staged) comes with most records unwritten.
  await first.createConnector(name, sinkConfig(topic, schema, { 'batch.max.records': '2000' }));
  await waitFor(
    'some rows',
    async () => ((await client.query(`SELECT count(*)::int AS n FROM "${schema}".fact_orders`)).rows[0].n > 0 ? true : undefined),
    120_000,
  );
  await first.stop();
  const { rows: partial } = await client.query(`SELECT coalesce(sum(next_offset), 0)::int AS n FROM "${schema}".conflux_sink_offsets`);
  t.ok(partial[0].n > 0 && partial[0].n < events.length, `stopped mid-stream, with ${partial[0].n} of ${events.length} records written`);

  // Only the offsets in the warehouse survive, as after a crash between COMMIT and the group commit.
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteGroups([`connect-${name}`]);
  await admin.disconnect();

  const more = orderStream(500, n);
  await produceAvro(topic, ordersEnvelopeSchema(), more);
  const second = await startWarehouseWorker(t, state);
  await second.createConnector(name, sinkConfig(topic, schema));
  await waitForOffsets(client, schema, name, events.length + more.length);
  await assertLatestOrders(t, (sql, params) => client.query(sql, params), schema, n + 500);
});

t.test('a dropped PostgreSQL connection mid-stream is retried and nothing is lost', async (t) => {
  const { schema, client } = await uniqueSchema(t);
  const topic = uniqueName('orders-drop');
  await createTopic(topic, 1);
  const worker = await startWarehouseWorker(t, tempDir(t));
  const name = uniqueName('drop-sink');
  await worker.createConnector(name, sinkConfig(topic, schema));
  await waitForState(worker, name, 'RUNNING');
  let produced = 0;
  let terminated = 0;
  for (let round = 0; round < 5; round++) {
    const batch = orderStream(400, round * 400);
    await produceAvro(topic, ordersEnvelopeSchema(), batch);
    produced += batch.length;
    // Kill the sink's backend(s) while it writes, the way a failover or an admin would.
    const { rows } = await client.query(`SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = $1`, [
      `conflux:${name}`,
    ]);
    terminated += rows[0].n;
  }
  t.ok(terminated > 0, `terminated ${terminated} sink connection(s)`);
  await waitForOffsets(client, schema, name, produced);
  await assertLatestOrders(t, (sql, params) => client.query(sql, params), schema, 2000);
  t.equal(worker.status(name).tasks[0]!.state, 'RUNNING', 'the task recovered by itself');
});

t.test('a table name with a quote or a semicolon is rejected by validation', async (t) => {
  const worker = await startWarehouseWorker(t, tempDir(t));
  for (const bad of ['orders"; DROP TABLE x; --', 'orders;', 'public.orders']) {
    const err = await worker.validate({ ...sinkConfig('t', 'public'), 'table.orders': bad }).catch((e: unknown) => e);
    t.ok(err instanceof ConfigError, `${bad} is refused`);
    t.match((err as ConfigError).errors, [{ key: 'table.orders' }]);
  }
  const err = await worker.validate({ ...sinkConfig('t', 'x"y') }).catch((e: unknown) => e);
  t.match((err as ConfigError).errors, [{ key: 'warehouse.schema' }]);
});

t.test('a record the sink cannot write is dead-lettered by the sink; the rest of the batch is written', async (t) => {
  const { schema, client } = await uniqueSchema(t);
  const topic = uniqueName('orders-poison');
  const dlq = uniqueName('poison-dlq');
  await createTopic(topic, 1);
  // A misconfigured stage (ExtractField on records with a 'poison' header) hands the sink a value
  // that is not a warehouse change: the sink reports that record and writes the others.
  const events = [ev('c', order('p1'), 1000), { ...ev('c', order('p2'), 1000), headers: { poison: 'yes' } }, ev('c', order('p3'), 1000)];
  await produceAvro(topic, ordersEnvelopeSchema(), events);
  const worker = await startWarehouseWorker(t, tempDir(t));
  const name = uniqueName('poison-sink');
  await worker.createConnector(name, {
    ...sinkConfig(topic, schema, { 'errors.tolerance': 'all', 'errors.deadletterqueue.topic.name': dlq }),
    transforms: 'parse,validate,broken',
    'transforms.broken.type': 'ExtractField',
    'transforms.broken.field': 'order',
    'transforms.broken.predicate': 'isPoison',
    predicates: 'isPoison',
    'predicates.isPoison.type': 'HasHeaderKey',
    'predicates.isPoison.name': 'poison',
  });
  await waitForOffsets(client, schema, name, events.length);
  const { rows } = await client.query(`SELECT order_id FROM "${schema}".fact_orders ORDER BY 1`);
  t.same(rows, [{ order_id: 'p1' }, { order_id: 'p3' }]);
  const [dead] = await readTopic(t, dlq, 1);
  t.match(header(dead!.headers, 'conflux.error.message'), /^postgres-sink: the value is not a warehouse change/);
  t.equal(header(dead!.headers, 'conflux.error.offset'), '1');
});
