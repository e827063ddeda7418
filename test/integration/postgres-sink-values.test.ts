/**
 * No value stops the PostgreSQL sink and no rejected version leaves a stale row: poison values are
 * dead letters naming their column while the rest of the batch lands, PostgreSQL's own refusals
 * are isolated, and a valid order updated into an invalid one leaves (or is marked in) the warehouse.
 */
import t from 'tap';
import { createTopic, header, readTopic } from '../fixtures/kafka.js';
import { order, ordersEnvelopeSchema } from '../fixtures/shop.js';
import { orderEvent, orderSinkConfig, storedOffsetSum } from '../fixtures/order-stream.js';
import { produceAvro, startWarehouseWorker } from '../fixtures/warehouse.js';
import { tempDir } from '../fixtures/worker.js';
import { services, uniqueName, waitFor } from '../helpers/services.js';
import { uniqueSchema } from '../helpers/warehouse.js';
import { Value } from 'typebox/value';
import { PostgresSinkConfig } from '../../connectors/postgres-sink/config.js';
import { WarehouseWriter } from '../../connectors/postgres-sink/writer.js';
import { migrate } from '../../connectors/postgres-sink/migrate.js';
import type { OrderChange } from '../../connectors/postgres-sink/records.js';
import { silentLogger, type SinkRecord } from '../../runtime/api/index.js';

const { databaseUrl } = services();
const query = (client: import('pg').Client) => (sql: string, params?: unknown[]) => client.query(sql, params);

t.test('10,000 orders with three poison values in the middle: 9,997 rows, three dead letters naming their column, the task RUNNING', async (t) => {
  const { schema, client } = await uniqueSchema(t);
  const topic = uniqueName('poison-cdc');
  const dlq = uniqueName('poison-dlq');
  await createTopic(topic, 1);
  const events = Array.from({ length: 10_000 }, (_, i) => {
    const doc = order(`o-${i}`);
    if (i === 3000) doc.items[0]!.sku = 'SKU\u0000-1';
    if (i === 5000) doc.items[1]!.name = 'Item\u00002';
    if (i === 7000) doc.status = 'pa\u0000id';
    return orderEvent('c', doc, 1000 + i);
  });
  await produceAvro(topic, ordersEnvelopeSchema(), events);
  const worker = await startWarehouseWorker(t, tempDir(t));
  const name = uniqueName('poison-sink');
  // Without ValidateOrder, whose known-status rule would refuse the status first.
  const config = orderSinkConfig(databaseUrl, topic, schema, {
    transforms: 'parse',
    'errors.tolerance': 'all',
    'errors.deadletterqueue.topic.name': dlq,
    'batch.max.records': '20000',
  });
  delete config['transforms.validate.type'];
  await worker.createConnector(name, config);
  await waitFor('every record handled', async () => ((await storedOffsetSum(query(client), schema, name)) >= 10_000 ? true : undefined), 120_000);
  const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".fact_orders`);
  t.equal(rows[0]!.n, 9_997, 'every order but the three poison ones is in fact_orders');
  const letters = await readTopic(t, dlq, 3);
  const messages = letters.map((l) => header(l.headers, 'conflux.error.message') ?? '').sort();
  t.equal(letters.length, 3, 'three dead letters');
  t.match(messages, [
    /column fact_order_items\.name: contains a NUL character/,
    /column fact_order_items\.sku: contains a NUL character/,
    /column fact_orders\.status: contains a NUL character/,
  ]);
  t.equal(worker.status(name).tasks[0]!.state, 'RUNNING', 'the task is still RUNNING');
});

function writerConfig(schema: string) {
  return Value.Default(PostgresSinkConfig, { 'connection.url': databaseUrl, 'warehouse.schema': schema }) as PostgresSinkConfig;
}

function orderChange(id: string, ts: number, name = 'Item 1'): OrderChange {
  return {
    kind: 'order',
    op: 'upsert',
    id,
    source_ts_ms: ts,
    order: {
      order_id: id,
      customer_id: 'c-1',
      customer_name: null,
      customer_email: null,
      customer_segment: null,
      status: 'paid',
      currency: 'EUR',
      total: '10.25',
      item_count: 1,
      created_at: 1_700_000_000_000,
      updated_at: 1_700_000_000_000,
    },
    items: [{ line: 1, sku: 'SKU-1', name, quantity: 1, unit_price: '10.25' }],
  };
}

t.test('a value PostgreSQL refuses on its own is isolated by halving the batch; the rest commits with the offsets', async (t) => {
  const { schema, client } = await uniqueSchema(t);
  await migrate(client, schema);
  const writer = new WarehouseWriter(writerConfig(schema), 'isolating', silentLogger);
  t.teardown(() => writer.close());
  // The writer is given what no check caught: NUL characters reach PostgreSQL (SQLSTATE 22021).
  const bad = new Set([37, 150]);
  const orders = Array.from({ length: 200 }, (_, i) => {
    const change = orderChange(`w-${i}`, 1000 + i, bad.has(i) ? 'bad\u0000name' : 'Item 1');
    return { change, offset: BigInt(i), tp: 't\u00000', record: { kafkaOffset: String(i) } as SinkRecord };
  });
  const refused: Array<{ id: string; message: string }> = [];
  await writer.write({ orders, customers: [] }, [{ topic: 't', partition: 0, offset: '200' }], async (entry, error) => {
    refused.push({ id: entry.change.id, message: error.message });
  });
  t.same(
    refused.map((r) => r.id),
    ['w-37', 'w-150'],
    'exactly the two refused changes are reported',
  );
  t.match(refused[0]!.message, /PostgreSQL refused the row: .*\(SQLSTATE 22021\)/);
  const { rows } = await client.query<{ orders: number; items: number }>(
    `SELECT (SELECT count(*)::int FROM "${schema}".fact_orders) AS orders, (SELECT count(*)::int FROM "${schema}".fact_order_items) AS items`,
  );
  t.same(rows[0], { orders: 198, items: 198 }, 'the other 198 orders and their items are written');
  const { rows: stored } = await client.query(`SELECT next_offset::int AS n FROM "${schema}".conflux_sink_offsets WHERE connector = 'isolating'`);
  t.same(stored, [{ n: 200 }], 'and the offsets with them, in the same transaction');
});

for (const policy of ['delete', 'keep'] as const) {
  t.test(`a valid order updated into an invalid one: rejected.version.policy=${policy}`, async (t) => {
    const { schema, client } = await uniqueSchema(t);
    const topic = uniqueName(`rejected-${policy}`);
    const dlq = uniqueName(`rejected-${policy}-dlq`);
    await createTopic(topic, 1);
    const v1 = order('r1');
    const broken = order('r1', { updated_at: v1.updated_at + 1000 });
    broken.items[0]!.quantity = 0;
    const fixed = order('r1', { status: 'shipped', updated_at: v1.updated_at + 2000 });
    await produceAvro(topic, ordersEnvelopeSchema(), [orderEvent('c', v1, 1000), orderEvent('c', order('r2'), 1000), orderEvent('u', broken, 2000)]);
    const worker = await startWarehouseWorker(t, tempDir(t));
    const name = uniqueName('rejected-sink');
    await worker.createConnector(
      name,
      orderSinkConfig(databaseUrl, topic, schema, { 'errors.tolerance': 'all', 'errors.deadletterqueue.topic.name': dlq, 'rejected.version.policy': policy }),
    );
    await waitFor('three records handled', async () => ((await storedOffsetSum(query(client), schema, name)) >= 3 ? true : undefined), 60_000);
    const row = async () => (await client.query(`SELECT order_id, status, rejected_rule FROM "${schema}".fact_orders WHERE order_id = 'r1'`)).rows[0];
    if (policy === 'delete') t.equal(await row(), undefined, 'the older valid row is gone with its rejected newer version');
    else t.match(await row(), { status: 'paid', rejected_rule: /^transform:validate: quantity-positive/ }, 'the older row stays, marked with the rule');
    const letters = await readTopic(t, dlq, 1);
    t.match(header(letters[0]!.headers, 'conflux.error.message'), /^quantity-positive/);
    // An older version replayed later cannot bring the row back; a newer valid one does.
    await produceAvro(topic, ordersEnvelopeSchema(), [orderEvent('c', v1, 1000), orderEvent('u', fixed, 3000)]);
    await waitFor('five records handled', async () => ((await storedOffsetSum(query(client), schema, name)) >= 5 ? true : undefined), 60_000);
    t.match(await row(), { status: 'shipped', rejected_rule: null }, 'the fixed version is the row again, unmarked');
    t.equal((await client.query(`SELECT 1 FROM "${schema}".fact_orders WHERE order_id = 'r2'`)).rowCount, 1, 'other orders are untouched');
  });
}
