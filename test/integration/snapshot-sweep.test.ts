/**
 * Snapshot markers and the sink's sweep (snapshot.sweep.topics): after a copy of a collection is
 * complete on every partition of its topic, the warehouse loses the rows the collection no longer
 * has. Against the real services: mongodb-source (3 partitions) -> ParseCustomer -> postgres-sink.
 * A re-snapshot after changes the stream never delivered (offsets reset, as after a lost history)
 * deletes the rows of documents deleted meanwhile; a dropped collection empties the table, and a
 * collection created again under the name fills it again.
 */
import t from 'tap';
import type { Document } from 'mongodb';
import { freshDb, mongo } from '../fixtures/mongodb-source.js';
import { startWarehouseWorker } from '../fixtures/warehouse.js';
import { tempDir, waitForState } from '../fixtures/worker.js';
import { services, uniqueName, waitFor } from '../helpers/services.js';
import { uniqueSchema } from '../helpers/warehouse.js';

const customer = (id: string, name = `Customer ${id}`): Document => ({ _id: id, name, email: `${id}@example.com`, segment: 'consumer' });

t.test('a completed snapshot deletes the rows its collection no longer has; a drop empties the table', async (t) => {
  const { schema, client } = await uniqueSchema(t);
  const db = freshDb(t, await mongo(t));
  const worker = await startWarehouseWorker(t, tempDir(t));
  const prefix = uniqueName('sweep');
  const topic = `${prefix}-customers`;
  const source = `${prefix}-source`;
  const { databaseUrl, mongoUri } = services();
  const customers = db.collection<Document>('customers');
  await customers.insertMany(['c-1', 'c-2', 'c-3', 'c-4', 'c-5'].map((id) => customer(id)));

  await worker.createConnector(source, {
    'connector.class': 'mongodb-source',
    'connection.uri': mongoUri,
    database: db.databaseName,
    collections: 'customers',
    'topic.map': `customers:${topic}`,
    'topic.partitions': '3',
    'poll.await.time.ms': '200',
    'offset.flush.interval.ms': '300',
  });
  await worker.createConnector(`${prefix}-sink`, {
    'connector.class': 'postgres-sink',
    topics: topic,
    'connection.url': databaseUrl,
    'warehouse.schema': schema,
    'auto.migrate': 'true',
    'errors.tolerance': 'none',
    'snapshot.sweep.topics': `${topic}:customer`,
    transforms: 'parse',
    'transforms.parse.type': 'ParseCustomer',
  });
  const warehouse = async () =>
    (await client.query<{ customer_id: string; name: string }>(`SELECT customer_id, name FROM "${schema}".dim_customers ORDER BY customer_id`)).rows;
  const sweeps = async () =>
    (
      await client.query<{ rows_deleted: string }>(
        `SELECT rows_deleted::text FROM "${schema}".conflux_sink_snapshot_sweeps WHERE topic = $1 ORDER BY swept_at`,
        [topic],
      )
    ).rows.map((r) => Number(r.rows_deleted));
  const sweptTimes = (n: number) => waitFor(`${n} sweeps of ${topic}`, async () => ((await sweeps()).length >= n ? sweeps() : undefined), 90_000);
  const rowsAre = (ids: string[]) =>
    waitFor(
      `the warehouse to hold ${ids.join(', ') || 'nothing'}`,
      async () => {
        const rows = await warehouse();
        return JSON.stringify(rows.map((r) => r.customer_id)) === JSON.stringify(ids) ? rows : undefined;
      },
      90_000,
    );

  await rowsAre(['c-1', 'c-2', 'c-3', 'c-4', 'c-5']);
  t.same(await sweptTimes(1), [0], 'the first copy completes on all 3 partitions and deletes nothing');

  // Changes the stream never delivers: the source is stopped and its positions reset, as after a
  // lost history; its next start copies the collection again.
  await worker.stopConnector(source);
  await waitFor('the source to stop', () => (worker.status(source).connector.state === 'STOPPED' ? true : undefined));
  await customers.deleteMany({ _id: { $in: ['c-2', 'c-3'] } } as Document);
  await customers.updateOne({ _id: 'c-1' } as Document, { $set: { name: 'Renamed' } });
  await worker.resetOffsets(source);
  await worker.resume(source);
  await waitForState(worker, source, 'RUNNING');
  t.same(await sweptTimes(2), [0, 2], 'the second copy deletes the two documents deleted meanwhile');
  await customers.insertOne(customer('c-6'));
  const rows = await rowsAre(['c-1', 'c-4', 'c-5', 'c-6']);
  t.equal(rows[0]!.name, 'Renamed', 'the copy brought the update too');

  // A drop invalidates the stream: the source copies the (now empty) collection, and the sweep
  // empties the table; a collection created again under the name is copied or streamed in.
  await customers.drop();
  await rowsAre([]);
  t.same((await sweeps()).slice(2), [4], 'the copy after the drop deleted every row');
  await customers.insertOne(customer('c-7'));
  await rowsAre(['c-7']);
  t.equal(worker.status(source).tasks[0]!.state, 'RUNNING');
});
