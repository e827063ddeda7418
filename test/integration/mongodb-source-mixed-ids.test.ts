/**
 * A collection whose `_id`s mix BSON types (ObjectIds, strings, numbers, ...) is copied whole by the
 * snapshot, in MongoDB's sort order, and the copy can resume after any of them: a `$gt` on the last
 * `_id` alone would only match `_id`s of its own type (query type bracketing).
 */
import t from 'tap';
import { Binary, Decimal128, Long, ObjectId, type Document } from 'mongodb';
import { afterId } from '../../connectors/mongodb-source/id-order.js';
import { extendedJson, keyOf } from '../../connectors/mongodb-source/bson.js';
import { freshDb, mongo, startCapture, waitForOffsets, waitForRecords } from '../fixtures/mongodb-source.js';
import { startWorker, tempDir } from '../fixtures/worker.js';

// _ids of many types, listed in MongoDB's comparison/sort order (a null _id is left out: the
// driver replaces it by a new ObjectId on insert).
const IDS: unknown[] = [
  1,
  2.5,
  Long.fromNumber(3),
  Decimal128.fromString('4.5'),
  '',
  'a',
  'b',
  { k: 1 },
  { k: 2 },
  new Binary(Buffer.from([1, 2])),
  new ObjectId('000000000000000000000001'),
  new ObjectId('000000000000000000000002'),
  false,
  true,
  new Date(Date.UTC(2026, 0, 1)),
];

const docs = () => IDS.map((_id, n) => ({ _id, n }) as Document);

t.test('resuming after any _id finds exactly the _ids after it in sort order', async (t) => {
  const client = await mongo(t);
  const db = freshDb(t, client);
  const coll = db.collection<Document>('mixed');
  // Inserted shuffled, so that insertion order cannot pass for sort order.
  await coll.insertMany(docs().reverse());
  const all = IDS.map((_, n) => n);
  const sorted = (await coll.find({}).sort({ _id: 1 }).toArray()).map((d) => d.n as number);
  t.same(sorted, all, "the server sorts the _ids in MongoDB's documented type order");
  for (let i = 0; i < IDS.length; i++) {
    const rest = (await coll.find(afterId(IDS[i])).sort({ _id: 1 }).toArray()).map((d) => d.n as number);
    t.same(rest, all.slice(i + 1), `after ${extendedJson(IDS[i])}`);
  }
});

t.test('a snapshot of a collection with mixed _id types copies every document once', async (t) => {
  const worker = await startWorker(t, tempDir(t));
  const client = await mongo(t);
  const db = freshDb(t, client);
  await db.collection<Document>('orders').insertMany(docs());
  // Chunks of 2: chunk boundaries fall inside and between the type groups.
  const capture = await startCapture(t, worker, db, ['orders'], { 'snapshot.chunk.size': '2', 'poll.max.batch.size': '2' });
  await waitForOffsets(worker, capture.source, (o) => typeof o[0]?.offset?.resume_token === 'string');
  const records = await waitForRecords(worker, capture, 'orders', IDS.length);
  const reads = records.filter((r) => (r.value as { op: string }).op === 'r').map((r) => r.key);
  t.same(
    reads,
    IDS.map((id) => keyOf(typeof id === 'object' && id instanceof Long ? id.toNumber() : id)),
    'every document, once, in _id order',
  );
});
