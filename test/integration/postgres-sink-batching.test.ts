import t, { type Test } from 'tap';
import { createTopic } from '../fixtures/kafka.js';
import { assertLatestOrders, orderSinkConfig, orderStream, storedOffsetSum, type Query } from '../fixtures/order-stream.js';
import { ordersEnvelopeSchema } from '../fixtures/shop.js';
import { produceAvro, startWarehouseWorker } from '../fixtures/warehouse.js';
import { tempDir, waitForState } from '../fixtures/worker.js';
import type { Herder } from '../../runtime/herder/herder.js';
import { services, uniqueName, waitFor } from '../helpers/services.js';
import { uniqueSchema } from '../helpers/warehouse.js';

const { databaseUrl } = services();

async function batchingSink(t: Test, prefix: string, batch: { maxRecords: number; lingerMs: number }) {
  const { schema, client } = await uniqueSchema(t);
  const query: Query = (sql, params) => client.query(sql, params);
  const topic = uniqueName(`orders-${prefix}`);
  const name = uniqueName(`${prefix}-sink`);
  await createTopic(topic, 2);
  const worker = await startWarehouseWorker(t, tempDir(t));
  await worker.createConnector(
    name,
    orderSinkConfig(databaseUrl, topic, schema, { 'batch.max.records': String(batch.maxRecords), 'batch.linger.ms': String(batch.lingerMs) }),
  );
  await waitForState(worker, name, 'RUNNING');
  return { schema, query, topic, name, worker };
}

/** Sum of a sink metric's series for this connector (a counter, or a histogram's `_count`). */
async function metric(worker: Herder, which: 'recordsConsumed' | 'flushLatency', connector: string): Promise<number> {
  const { values } = await worker.metrics[which].get();
  return values
    .filter((v) => v.labels.connector === connector && (which === 'recordsConsumed' || (v as { metricName?: string }).metricName?.endsWith('_count')))
    .reduce((n, v) => n + v.value, 0);
}

t.test('a trickle far below batch.max.records is flushed once batch.linger.ms has passed, in one transaction', async (t) => {
  const { schema, query, topic, name, worker } = await batchingSink(t, 'linger', { maxRecords: 10_000, lingerMs: 4_000 });
  // Three sends, each fetched on its own, all within the linger of the first.
  for (let i = 0; i < 3; i++) await produceAvro(topic, ordersEnvelopeSchema(), orderStream(1, i));
  await waitFor('the trickle to be stored', async () => ((await storedOffsetSum(query, schema, name)) >= 6 ? true : undefined), 60_000);
  await assertLatestOrders(t, query, schema, 3);
  t.equal(await storedOffsetSum(query, schema, name), 6, 'offsets stored for every record');
  t.equal(await metric(worker, 'flushLatency', name), 1, 'the fetches were gathered into one flush');
});

t.test('records held by the linger are flushed when the connector is paused, and when it is stopped', async (t) => {
  // A linger far longer than the test: only the pause or the stop can flush.
  const { schema, query, topic, name, worker } = await batchingSink(t, 'held', { maxRecords: 10_000, lingerMs: 600_000 });
  await produceAvro(topic, ordersEnvelopeSchema(), orderStream(5));
  await waitFor('the records to be fetched and staged', async () => ((await metric(worker, 'recordsConsumed', name)) >= 10 ? true : undefined), 60_000);
  t.equal(await storedOffsetSum(query, schema, name), 0, 'held back by the linger');

  await worker.pause(name);
  await waitFor('the pause to flush them', async () => ((await storedOffsetSum(query, schema, name)) >= 10 ? true : undefined), 60_000);
  await assertLatestOrders(t, query, schema, 5);

  await worker.resume(name);
  await produceAvro(topic, ordersEnvelopeSchema(), orderStream(5, 5));
  await waitFor('the next records to be staged', async () => ((await metric(worker, 'recordsConsumed', name)) >= 20 ? true : undefined), 60_000);
  t.equal(await storedOffsetSum(query, schema, name), 10, 'held back by the linger again');
  await worker.stopConnector(name);
  t.equal(await storedOffsetSum(query, schema, name), 20, 'the stop flushed what was staged before it returned');
  await assertLatestOrders(t, query, schema, 10);
});

t.test('a stream far above batch.max.records: every order once, offsets at the end, in a few big transactions', async (t) => {
  const { schema, query, topic, name, worker } = await batchingSink(t, 'stream', { maxRecords: 5_000, lingerMs: 200 });
  const events = orderStream(10_000);
  await produceAvro(topic, ordersEnvelopeSchema(), events);
  await waitFor('every record to be stored', async () => ((await storedOffsetSum(query, schema, name)) >= events.length ? true : undefined), 120_000);
  await assertLatestOrders(t, query, schema, 10_000);
  t.equal(await storedOffsetSum(query, schema, name), events.length, 'offsets end at the end of the topic');
  const flushes = await metric(worker, 'flushLatency', name);
  t.ok(flushes <= Math.ceil(events.length / 5_000) + 4, `${flushes} flushes for ${events.length} records with batch.max.records=5000`);
});
