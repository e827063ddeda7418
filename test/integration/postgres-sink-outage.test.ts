import pg from 'pg';
import t from 'tap';
import { createTopic } from '../fixtures/kafka.js';
import { assertLatestOrders, orderSinkConfig, orderStream, storedOffsetSum, type Query } from '../fixtures/order-stream.js';
import { ordersEnvelopeSchema } from '../fixtures/shop.js';
import { produceAvro, startWarehouseWorker } from '../fixtures/warehouse.js';
import { tempDir, waitForState } from '../fixtures/worker.js';
import { PrivateStack } from '../helpers/private-stack.js';
import { uniqueName, waitFor } from '../helpers/services.js';

/** A connection per query: the test's own connections must not hold the server up or die with it. */
const queryOn =
  (url: string): Query =>
  async (sql, params) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return await client.query(sql, params);
    } finally {
      await client.end();
    }
  };

t.test('PostgreSQL stopped for a few seconds mid-stream: the task retries, recovers, nothing lost or doubled', async (t) => {
  // A PostgreSQL of this test's own: stopping the shared one would break every other test.
  const pgs = await PrivateStack.start(t, ['postgres']);
  const url = pgs.setting('DATABASE_URL');
  const query = queryOn(url);
  const schema = 'public';
  const topic = uniqueName('orders-outage');
  const name = uniqueName('outage-sink');
  await createTopic(topic, 2);
  const worker = await startWarehouseWorker(t, tempDir(t));
  await worker.createConnector(
    name,
    orderSinkConfig(url, topic, schema, { 'batch.max.records': '500', 'errors.retry.timeout': '180000', 'errors.retry.delay.max.ms': '1000' }),
  );
  await waitForState(worker, name, 'RUNNING');
  const before = orderStream(1500);
  await produceAvro(topic, ordersEnvelopeSchema(), before);
  await waitFor('some orders written', async () => ((await storedOffsetSum(query, schema, name)) > 0 ? true : undefined), 120_000);

  await pgs.stop(['postgres']);
  // The stream goes on during the outage; the sink can write none of it.
  const during = orderStream(1500, 1500);
  await produceAvro(topic, ordersEnvelopeSchema(), during);
  const retries = async () => {
    const { values } = await worker.metrics.errors.get();
    return values.filter((v) => v.labels.connector === name && v.labels.outcome === 'retried').reduce((n, v) => n + v.value, 0);
  };
  // The outage lasts until the task has failed to write a few times.
  await waitFor('the sink to retry against the stopped PostgreSQL', async () => ((await retries()) >= 3 ? true : undefined), 120_000);
  t.equal(worker.status(name).tasks[0]!.state, 'RUNNING', 'retrying, not failed, while PostgreSQL is down');

  await pgs.up(['postgres']);
  const total = before.length + during.length;
  await waitFor(
    `the sink to store offsets summing to ${total}`,
    async () => ((await storedOffsetSum(query, schema, name)) >= total ? true : undefined),
    180_000,
  );
  await assertLatestOrders(t, query, schema, 3000);
  t.equal(await storedOffsetSum(query, schema, name), total, 'the stored offsets end at the end of the topic');
  t.equal(worker.status(name).tasks[0]!.state, 'RUNNING', 'the task recovered by itself');
});
