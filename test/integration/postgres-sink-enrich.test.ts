import t from 'tap';
import { createTopic, header, readTopic } from '../fixtures/kafka.js';
import { customer, customersEnvelopeSchema, envelope, order, ordersEnvelopeSchema } from '../fixtures/shop.js';
import { produceAvro, startWarehouseWorker } from '../fixtures/warehouse.js';
import { tempDir } from '../fixtures/worker.js';
import { services, uniqueName, waitFor } from '../helpers/services.js';
import { uniqueSchema } from '../helpers/warehouse.js';

const { databaseUrl } = services();

t.test('a worker runs the whole chain, ParseOrder -> EnrichCustomer -> ValidateOrder, into the warehouse', async (t) => {
  const { schema, client } = await uniqueSchema(t);
  const orders = uniqueName('orders-cdc');
  const customers = uniqueName('customers-cdc');
  const dlq = uniqueName('orders-dlq');
  await createTopic(orders, 2);
  await createTopic(customers, 1);
  await produceAvro(customers, customersEnvelopeSchema(), [
    { key: 'c-1', value: envelope('c', 'customers', customer('c-1', { name: 'Ada Lovelace', segment: 'vip' }), 100) },
    { key: 'c-2', value: envelope('c', 'customers', customer('c-2', { name: 'Alan Turing', email: 'alan@example.com' }), 100) },
  ]);
  await produceAvro(orders, ordersEnvelopeSchema(), [
    { key: 'o1', value: envelope('c', 'orders', order('o1', { customer_id: 'c-1' }), 1000) },
    { key: 'o2', value: envelope('c', 'orders', order('o2', { customer_id: 'c-2' }), 1000) },
    { key: 'o3', value: envelope('c', 'orders', order('o3', { customer_id: 'c-unknown' }), 1000) },
  ]);

  const worker = await startWarehouseWorker(t, tempDir(t));
  const name = uniqueName('orders-sink');
  await worker.createConnector(name, {
    'connector.class': 'postgres-sink',
    topics: orders,
    'connection.url': databaseUrl,
    'warehouse.schema': schema,
    'auto.migrate': 'true',
    transforms: 'parse,enrich,validate',
    'transforms.parse.type': 'ParseOrder',
    'transforms.enrich.type': 'EnrichCustomer',
    'transforms.enrich.enrich.topic': customers,
    'transforms.enrich.enrich.missing.policy': 'deadletter',
    'transforms.validate.type': 'ValidateOrder',
    'errors.tolerance': 'all',
    'errors.deadletterqueue.topic.name': dlq,
  });

  const rows = await waitFor(
    'two enriched orders in the warehouse',
    async () => {
      const { rows } = await client.query(`SELECT order_id, customer_name, customer_email, customer_segment FROM "${schema}".fact_orders ORDER BY order_id`);
      return rows.length >= 2 ? rows : undefined;
    },
    120_000,
  );
  t.same(
    rows,
    [
      { order_id: 'o1', customer_name: 'Ada Lovelace', customer_email: 'c-1@example.com', customer_segment: 'vip' },
      { order_id: 'o2', customer_name: 'Alan Turing', customer_email: 'alan@example.com', customer_segment: 'consumer' },
    ],
    "the customer fields come from the customers topic, through the worker's lookup table",
  );
  const [dead] = await readTopic(t, dlq, 1);
  t.equal(header(dead!.headers, 'conflux.error.stage'), 'transform:enrich', 'an order of an unknown customer is dead-lettered by the enrichment');
  t.equal(worker.status(name).tasks[0]!.state, 'RUNNING');
});
