import t from 'tap';
import { noopMetrics, silentLogger, type SinkRecord } from '../../runtime/api/index.js';
import { validateConnectorConfig, lookupFromMaps } from '../../runtime/config/index.js';
import { createConverter } from '../../runtime/converters/index.js';
import { LookupTableRegistry } from '../../runtime/lookup-tables/registry.js';
import { buildTransformChain } from '../../runtime/tasks/transform-chain.js';
import { predicates, transforms } from '../../transforms/index.js';
import Type from 'typebox';
import { kafka } from '../fixtures/kafka.js';
import { customer, customersEnvelopeSchema, envelope, order } from '../fixtures/shop.js';
import { produceAvro, registry as schemaRegistry } from '../fixtures/warehouse.js';
import { uniqueName, waitFor } from '../helpers/services.js';

const lookup = lookupFromMaps(transforms, predicates);

function chainSpecs(topic: string, policy: string) {
  const v = validateConnectorConfig(
    Type.Object({}),
    {
      'connector.class': 'x',
      transforms: 'parse,enrich',
      'transforms.parse.type': 'ParseOrder',
      'transforms.enrich.type': 'EnrichCustomer',
      'transforms.enrich.enrich.topic': topic,
      'transforms.enrich.enrich.missing.policy': policy,
    },
    { lookup },
  );
  if (!v.ok) throw new Error(JSON.stringify(v.errors));
  return v.transforms;
}

const orderRecord = (id: string, customerId: string): SinkRecord =>
  Object.freeze({
    topic: 'orders-cdc',
    kafkaPartition: 0,
    kafkaOffset: '0',
    key: id,
    value: envelope('c', 'orders', order(id, { customer_id: customerId }), 1),
    headers: {},
    timestamp: 0,
  });

t.test('a lookup table is restored before the first record, follows the topic live and is shared per worker', async (t) => {
  const topic = uniqueName('customers-cdc');
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 2, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }], waitForLeaders: true });
  await admin.disconnect();
  await produceAvro(topic, customersEnvelopeSchema(), [
    ...Array.from({ length: 500 }, (_, i) => ({ key: `c-${i}`, value: envelope('r', 'customers', customer(`c-${i}`), 10) })),
    { key: 'c-1', value: envelope('u', 'customers', customer('c-1', { name: 'Renamed', segment: 'vip' }), 20) },
  ]);
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: [{ key: 'c-2', value: null }] }); // a tombstone
  await producer.disconnect();

  const tables = new LookupTableRegistry({ kafka, logger: silentLogger, workerId: 'test' });
  t.teardown(() => tables.close());
  const converters = () => tables.forChain(createConverter('string', 'key', undefined), createConverter('avro', 'value', schemaRegistry));
  const chain = await buildTransformChain(chainSpecs(topic, 'null'), lookup, { logger: silentLogger, metrics: noopMetrics, tables: converters() });

  const enriched = async (id: string, customerId: string) =>
    ((await chain.apply(orderRecord(id, customerId)))!.value as { order: Record<string, unknown> }).order;
  t.match(await enriched('o1', 'c-1'), { customer_name: 'Renamed', customer_segment: 'vip' }, 'the latest value of a key, right after the build');
  t.match(await enriched('o0', 'c-499'), { customer_name: 'Customer c-499', customer_email: 'c-499@example.com' }, 'every partition is restored');
  t.match(await enriched('o2', 'c-2'), { customer_name: null }, 'a tombstone removes the key');

  const second = await buildTransformChain(chainSpecs(topic, 'deadletter'), lookup, { logger: silentLogger, metrics: noopMetrics, tables: converters() });
  t.equal(tables.views, 1, 'two chains share one view of the topic');

  await produceAvro(topic, customersEnvelopeSchema(), [{ key: 'c-new', value: envelope('c', 'customers', customer('c-new', { name: 'Late' }), 30) }]);
  await waitFor('the new customer in the view', async () => ((await enriched('o9', 'c-new')).customer_name === 'Late' ? true : undefined), 60_000);

  await chain.close();
  t.equal(tables.views, 1, 'still used by the second chain');
  await second.close();
  t.equal(tables.views, 0, 'released with the last chain');
});

t.test('a lookup table waits for its topic to be created, as on the first run of a pipeline', async (t) => {
  const tables = new LookupTableRegistry({ kafka, logger: silentLogger, workerId: 'test', topicWaitMs: 60_000 });
  t.teardown(() => tables.close());
  const topic = uniqueName('late-customers');
  const built = buildTransformChain(chainSpecs(topic, 'null'), lookup, {
    logger: silentLogger,
    metrics: noopMetrics,
    tables: tables.forChain(createConverter('string', 'key', undefined), createConverter('avro', 'value', schemaRegistry)),
  });
  let settled = false;
  void built.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  t.notOk(settled, 'the build waits while the topic is missing');
  await produceAvro(topic, customersEnvelopeSchema(), [{ key: 'c-late', value: envelope('c', 'customers', customer('c-late', { name: 'Late' }), 10) }]);
  const chain = await built;
  t.teardown(() => chain.close());
  const out = await chain.apply(orderRecord('o-late', 'c-late'));
  t.match((out!.value as { order: Record<string, unknown> }).order, { customer_name: 'Late' }, 'the table holds what was written once the topic appeared');
});

t.test('opening a lookup table on a topic that never appears fails the chain build with a clear error', async (t) => {
  const tables = new LookupTableRegistry({ kafka, logger: silentLogger, workerId: 'test', topicWaitMs: 1_000 });
  t.teardown(() => tables.close());
  const missing = uniqueName('missing-customers');
  await t.rejects(
    buildTransformChain(chainSpecs(missing, 'null'), lookup, {
      logger: silentLogger,
      metrics: noopMetrics,
      tables: tables.forChain(createConverter('string', 'key', undefined), createConverter('json', 'value', undefined)),
    }),
    { message: new RegExp(`lookup table topic ${missing} does not exist`) },
  );
  t.equal(tables.views, 0);
});

t.test("a lookup table's read horizon moves on a quiet topic and never runs ahead of what it has applied", async (t) => {
  const topic = uniqueName('customers-cdc');
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }], waitForLeaders: true });
  await admin.disconnect();
  const tables = new LookupTableRegistry({ kafka, logger: silentLogger, workerId: 'test' });
  t.teardown(() => tables.close());
  const chainTables = tables.forChain(createConverter('string', 'key', undefined), createConverter('avro', 'value', schemaRegistry));
  t.teardown(() => chainTables.release());
  const table = await chainTables.open(topic);

  const opened = Date.now();
  await waitFor('the horizon to pass the time the table was opened', () => (table.currentAt > opened ? true : undefined), 30_000);
  t.pass('an idle topic still moves the horizon');

  for (let i = 0; i < 3; i++) {
    await produceAvro(topic, customersEnvelopeSchema(), [{ key: `c-${i}`, value: envelope('c', 'customers', customer(`c-${i}`), 10) }]);
    const written = Date.now();
    // Whenever the horizon is seen past the write, the customer must be in the table already.
    const seen = await waitFor('the horizon to pass the write', () => (table.currentAt > written ? table.get(`c-${i}`) !== undefined : undefined), 30_000);
    t.ok(seen, `customer c-${i}, acknowledged before the horizon passed it, is in the table`);
  }
});
