/**
 * One id encoding from MongoDB to the warehouse: orders and customers whose `_id`s are ints, longs,
 * strings, Dates and ObjectIds (and a string equal to an ObjectId's hex) go through
 * mongodb-source -> Kafka -> postgres-sink (ParseCustomer; ParseOrder -> EnrichCustomer). Inserts,
 * updates and deletes must all name the same rows, and every order must find its customer.
 */
import t from 'tap';
import { Long, ObjectId, type Document } from 'mongodb';
import { keyOf } from '../../connectors/mongodb-source/bson.js';
import { freshDb, mongo } from '../fixtures/mongodb-source.js';
import { startWarehouseWorker } from '../fixtures/warehouse.js';
import { tempDir, waitForState } from '../fixtures/worker.js';
import { services, uniqueName, waitFor } from '../helpers/services.js';
import { uniqueSchema } from '../helpers/warehouse.js';

const OID = new ObjectId('65a1b2c3d4e5f60718293a4b');
const IDS: Array<[string, unknown]> = [
  ['int', 7],
  ['long', Long.fromNumber(8_000_000_000)],
  ['string', 'c-1'],
  ['date', new Date(Date.UTC(2026, 0, 1))],
  ['objectId', OID],
  ['hex string', OID.toHexString()],
];

const at = new Date(Date.UTC(2026, 5, 1));
const customerDoc = (id: unknown, kind: string): Document => ({
  _id: id,
  name: `Customer ${kind}`,
  email: `${kind.replace(' ', '-')}@example.com`,
  segment: 'consumer',
});
// Each order's _id is of its customer's type too (an ObjectId order gets an ObjectId of its own).
const orderId = (id: unknown): unknown => (id instanceof ObjectId ? new ObjectId('65a1b2c3d4e5f60718293a4c') : typeof id === 'number' ? id + 100 : id);
const orderDoc = (id: unknown, customer: unknown): Document => ({
  _id: id,
  customer_id: customer,
  status: 'pending',
  currency: 'EUR',
  items: [{ line: 1, sku: 'SKU-1', name: 'Mug', quantity: 1, unit_price: 5 }],
  total: 5,
  created_at: at,
  updated_at: at,
});

t.test('int, long, string, Date and ObjectId _ids: inserted, updated, deleted, reconciled', async (t) => {
  const { schema, client } = await uniqueSchema(t);
  const mongoClient = await mongo(t);
  const db = freshDb(t, mongoClient);
  const worker = await startWarehouseWorker(t, tempDir(t));
  const prefix = uniqueName('ids');
  const topics = { orders: `${prefix}-orders`, customers: `${prefix}-customers` };
  const { databaseUrl, mongoUri } = services();
  await worker.createConnector(`${prefix}-source`, {
    'connector.class': 'mongodb-source',
    'connection.uri': mongoUri,
    database: db.databaseName,
    collections: 'orders,customers',
    'topic.map': `orders:${topics.orders},customers:${topics.customers}`,
    'topic.compacted': 'customers',
    'startup.mode': 'stream',
    'poll.await.time.ms': '200',
    'offset.flush.interval.ms': '300',
  });
  await waitForState(worker, `${prefix}-source`, 'RUNNING');
  await waitFor('the source to store its positions', async () => ((await worker.offsets(`${prefix}-source`)).length === 2 ? true : undefined));
  const sink = (name: string, topic: string, transforms: Record<string, string>) =>
    worker.createConnector(name, {
      'connector.class': 'postgres-sink',
      topics: topic,
      'connection.url': databaseUrl,
      'warehouse.schema': schema,
      'auto.migrate': 'true',
      'errors.tolerance': 'none',
      ...transforms,
    });

  const customers = db.collection<Document>('customers');
  const orders = db.collection<Document>('orders');
  await customers.insertMany(IDS.map(([kind, id]) => customerDoc(id, kind)));
  await orders.insertMany(IDS.map(([, id]) => orderDoc(orderId(id), id)));
  await sink(`${prefix}-customers`, topics.customers, { transforms: 'parse', 'transforms.parse.type': 'ParseCustomer' });
  await sink(`${prefix}-orders`, topics.orders, {
    transforms: 'parse,enrich',
    'transforms.parse.type': 'ParseOrder',
    'transforms.enrich.type': 'EnrichCustomer',
    'transforms.enrich.enrich.topic': topics.customers,
  });

  const ordersIn = (n: number) =>
    waitFor(
      `${n} orders in the warehouse`,
      async () => {
        const { rows } = await client.query<{ order_id: string; customer_id: string; customer_name: string | null; status: string }>(
          `SELECT order_id, customer_id, customer_name, status FROM "${schema}".fact_orders ORDER BY order_id`,
        );
        return rows.length === n && rows.every((r) => r.status !== 'pending') ? rows : undefined;
      },
      90_000,
    );
  const failWithStatus = (err: Error): never => {
    const status = [`${prefix}-source`, `${prefix}-customers`, `${prefix}-orders`].map((name) => JSON.stringify(worker.status(name)));
    throw new Error(`${err.message}; ${status.join('; ')}`, { cause: err });
  };
  // Every order is updated; once the warehouse has them, the int and the Date order and the
  // hex-string customer are deleted (an order is enriched with its customer as the table holds it
  // when the order is decided, so the customer goes only after its order landed).
  for (const [, id] of IDS) await orders.updateOne({ _id: orderId(id) as never }, { $set: { status: 'paid' } });
  await ordersIn(IDS.length).catch(failWithStatus);
  await orders.deleteOne({ _id: orderId(7) as never });
  await orders.deleteOne({ _id: IDS[3]![1] as never });
  await customers.deleteOne({ _id: OID.toHexString() as never });
  const rows = await ordersIn(IDS.length - 2).catch(failWithStatus);
  const kept = IDS.filter(([kind]) => kind !== 'int' && kind !== 'date');
  t.same(
    rows.map((r) => r.order_id).sort(),
    kept.map(([, id]) => keyOf(orderId(id))).sort(),
    'each order is one row under its key, and the deletes removed theirs',
  );
  t.ok(
    rows.every((r) => r.status === 'paid'),
    'the updates reached the rows the inserts wrote',
  );
  const byId = new Map(rows.map((r) => [r.order_id, r]));
  for (const [kind, id] of kept) {
    const row = byId.get(keyOf(orderId(id)));
    t.equal(row?.customer_id, keyOf(id), `${kind}: the customer reference is the customer's key`);
    t.equal(row?.customer_name, `Customer ${kind}`, `${kind}: enriched with its own customer`);
  }
  t.not(keyOf(OID), keyOf(OID.toHexString()), 'the ObjectId and its hex string are two ids');

  const customerRows = await waitFor('the customer delete in dim_customers', async () => {
    const { rows } = await client.query<{ customer_id: string }>(`SELECT customer_id FROM "${schema}".dim_customers ORDER BY customer_id`);
    return rows.length === IDS.length - 1 ? rows : undefined;
  });
  t.same(
    customerRows.map((r) => r.customer_id).sort(),
    IDS.filter(([kind]) => kind !== 'hex string')
      .map(([, id]) => keyOf(id))
      .sort(),
    'customers are keyed the same way, and the deleted one is gone',
  );
});
