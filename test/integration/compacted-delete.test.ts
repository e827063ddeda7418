/**
 * A customer delete survives compaction of its delete record: the source follows each delete
 * with a tombstone that carries the delete's position, and when the log cleaner has removed the
 * `d` envelope while the sink was stopped, the tombstone alone still deletes the row.
 */
import t from 'tap';
import { kafka } from '../fixtures/kafka.js';
import { freshDb, mongo } from '../fixtures/mongodb-source.js';
import { customer } from '../fixtures/shop.js';
import { startWarehouseWorker } from '../fixtures/warehouse.js';
import { tempDir } from '../fixtures/worker.js';
import { readToEnd } from '../helpers/reconcile.js';
import { services, uniqueName, waitFor } from '../helpers/services.js';
import { uniqueSchema } from '../helpers/warehouse.js';

t.test('the log cleaner removed the d record while the sink was stopped: the tombstone deletes the customer', async (t) => {
  const { schema, client } = await uniqueSchema(t);
  const db = freshDb(t, await mongo(t));
  const topic = uniqueName('compact-customers');
  // Compaction as fast as the broker allows: small segments, any dirty share, no lag.
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      {
        topic,
        numPartitions: 1,
        configEntries: [
          { name: 'cleanup.policy', value: 'compact' },
          { name: 'segment.ms', value: '100' },
          { name: 'min.cleanable.dirty.ratio', value: '0.001' },
          { name: 'min.compaction.lag.ms', value: '0' },
          { name: 'delete.retention.ms', value: '3600000' },
        ],
      },
    ],
  });
  const worker = await startWarehouseWorker(t, tempDir(t));
  const source = uniqueName('compact-source');
  await worker.createConnector(source, {
    'connector.class': 'mongodb-source',
    'connection.uri': services().mongoUri,
    database: db.databaseName,
    collections: 'customers',
    'topic.map': `customers:${topic}`,
    'topic.compacted': 'customers',
    'value.schema.customers': 'config/schemas/customers.avsc',
    'value.converter': 'avro',
    'startup.mode': 'stream',
    'offset.flush.interval.ms': '300',
  });
  const sink = uniqueName('compact-sink');
  await worker.createConnector(sink, {
    'connector.class': 'postgres-sink',
    topics: topic,
    'connection.url': services().databaseUrl,
    'warehouse.schema': schema,
    'auto.migrate': 'true',
    'value.converter': 'avro',
    transforms: 'parse',
    'transforms.parse.type': 'ParseCustomer',
  });
  const customers = db.collection<ReturnType<typeof customer>>('customers');
  const gone = customer('gone-1');
  await waitFor('the source streaming', () => (worker.status(source).tasks[0]?.state === 'RUNNING' ? true : undefined));
  // A moment for the change stream to open before the first write.
  await waitFor('the source position stored', async () => ((await worker.offsets(source)).length > 0 ? true : undefined));
  await customers.insertMany([{ ...gone }, { ...customer('stays-1') }]);
  const rows = async () => (await client.query(`SELECT customer_id FROM "${schema}".dim_customers ORDER BY customer_id`)).rows.map((r) => r.customer_id);
  await waitFor('both customers in the warehouse', async () => ((await rows()).length === 2 ? true : undefined));

  await worker.stopConnector(sink);
  await customers.deleteOne({ _id: gone._id });
  // Later writes roll the segment that holds the delete, so the cleaner can compact it.
  const cleaned = await waitFor(
    'the cleaner to remove the d record of the deleted customer',
    async () => {
      await customers.insertOne({ ...customer(uniqueName('filler')) });
      const values: Array<string> = [];
      await readToEnd(kafka, topic, (_p, m) => {
        if (m.key?.toString() === 'gone-1') values.push(m.value === null ? 'tombstone' : 'record');
      });
      return values.length === 1 && values[0] === 'tombstone' ? values : undefined;
    },
    120_000,
  );
  t.same(cleaned, ['tombstone'], 'only the tombstone of the deleted customer is left in the topic');
  await worker.resume(sink);
  await waitFor('the deleted customer gone from the warehouse', async () => (!(await rows()).includes('gone-1') ? true : undefined), 60_000);
  t.ok((await rows()).includes('stays-1'), 'the other customer stays');
});
