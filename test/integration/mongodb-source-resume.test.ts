/**
 * mongodb-source resumes from its stored positions: after a stop nothing written meanwhile is lost,
 * and a snapshot interrupted half-way continues after its last stored document, then streams
 * without a gap.
 */
import t from 'tap';
import type { Document } from 'mongodb';
import { freshDb, mongo, startCapture, waitForOffsets, waitForRecords } from '../fixtures/mongodb-source.js';
import { startWorker, tempDir } from '../fixtures/worker.js';
import { startMongoTestServer } from '../helpers/mongo-test-server.js';
import { services, uniqueName } from '../helpers/services.js';

interface Envelope {
  op: string;
  after: string | null;
}

const docs = (prefix: string, n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => ({ _id: `${prefix}-${String(from + i).padStart(6, '0')}`, n: from + i, v: 0 }));

t.test('stop the worker, write more changes, start it: every change arrives', async (t) => {
  const state = tempDir(t);
  const client = await mongo(t);
  const db = freshDb(t, client);
  const orders = db.collection<{ _id: string } & Document>('orders');
  const name = uniqueName('resume');
  const extra = { 'startup.mode': 'stream' };

  const first = await startWorker(t, state);
  let capture = await startCapture(t, first, db, ['orders'], extra, { name });
  await waitForOffsets(first, name, (o) => o.length === 1);
  await orders.insertMany(docs('a', 10));
  await waitForRecords(first, capture, 'orders', 10);
  await first.stop();

  await orders.insertMany(docs('b', 10));
  await orders.updateMany({ _id: { $in: ['a-000001', 'b-000002'] } }, { $set: { v: 1 } });
  await orders.deleteOne({ _id: 'a-000003' });

  const second = await startWorker(t, state);
  capture = await startCapture(t, second, db, ['orders'], extra, { name });
  const records = await waitForRecords(second, capture, 'orders', 23);
  const seen = new Set(records.map((r) => `${(r.value as Envelope | null)?.op ?? 'tombstone'} ${r.key}`));
  for (const d of [...docs('a', 10), ...docs('b', 10)]) t.ok(seen.has(`c ${d._id}`), `insert of ${d._id}`);
  t.ok(seen.has('u a-000001') && seen.has('u b-000002'), 'updates made while stopped');
  t.ok(seen.has('d a-000003'), 'delete made while stopped');
});

t.test('a snapshot of 20k documents interrupted half-way continues from its last chunk and, with the stream, yields every document', async (t) => {
  const TOTAL = 20_000;
  const state = tempDir(t);
  // The test server keeps documents and history in a 512 MB heap shared by every test: 20k
  // documents get a server of their own there. A real replica set is used as it is.
  const uri = services().mongoTestServer ? await startMongoTestServer(t, {}) : services().mongoUri;
  const client = await mongo(t, uri);
  const db = freshDb(t, client);
  const orders = db.collection<{ _id: string } & Document>('orders');
  for (let i = 0; i < TOTAL; i += 5000) await orders.insertMany(docs('o', 5000, i));
  const name = uniqueName('snap');
  const extra = { 'snapshot.chunk.size': '500', 'poll.max.batch.size': '500', 'max.in.flight.batches': '2' };

  const first = await startWorker(t, state);
  let capture = await startCapture(t, first, db, ['orders'], extra, { name, uri });
  const stored = await waitForOffsets(first, name, (o) => Number(o[0]?.offset?.copied ?? 0) >= 4000, 120_000);
  t.equal(stored[0]!.offset!.snapshot, 'running', 'the stored position is a snapshot position');
  // Changes while the copy is interrupted: they must come from the stream noted before the copy.
  await orders.updateOne({ _id: 'o-000010' }, { $set: { v: 1 } });
  await orders.insertOne({ _id: 'o-new-1', n: -1, v: 0 });
  await first.stop();
  const copiedBeforeStop = capture.records('orders').length;
  t.ok(copiedBeforeStop < TOTAL, `stopped during the snapshot (${copiedBeforeStop} copied)`);
  const [kept] = await first.offsets(name);
  t.equal(kept?.offset?.snapshot, 'running', 'stopped with a snapshot position stored');

  const second = await startWorker(t, state);
  capture = await startCapture(t, second, db, ['orders'], extra, { name, uri });
  await orders.updateOne({ _id: 'o-019999' }, { $set: { v: 2 } });
  await orders.insertOne({ _id: 'o-new-2', n: -2, v: 0 });
  await waitForRecords(second, capture, 'orders', TOTAL + 4, 180_000);

  const records = capture.records('orders');
  const reads = records.filter((r) => (r.value as Envelope).op === 'r');
  const distinct = new Set(reads.map((r) => r.key));
  t.ok(
    docs('o', TOTAL).every((d) => distinct.has(d._id)),
    `every document copied (${distinct.size} distinct, documents inserted before the copy reached them included)`,
  );
  t.ok(reads.length < TOTAL + 2 * 500 + copiedBeforeStop / 2, `the copy continued instead of restarting (${reads.length} op r records for ${TOTAL} documents)`);
  // The latest record per document is the document as it is now: nothing changed during the copy was missed.
  const latest = new Map<string, Envelope>();
  for (const r of records) latest.set(String(r.key), r.value as Envelope);
  const check = async () => {
    for (const doc of await orders.find({ _id: { $in: ['o-000010', 'o-019999', 'o-new-1', 'o-new-2'] } }).toArray()) {
      const last = latest.get(String(doc._id));
      t.ok(last, `${doc._id} arrived`);
      t.equal(JSON.parse(last!.after!).v.$numberInt, String(doc.v), `${doc._id} is current`);
    }
  };
  await check();
});
