/** mongodb-source with tasks.max = 3: each task reads one hash share of _id, snapshot and stream alike. */
import t from 'tap';
import type { Document } from 'mongodb';
import { freshDb, mongo, startCapture, waitForOffsets, waitForRecords } from '../fixtures/mongodb-source.js';
import { startWorker, tempDir, waitForState } from '../fixtures/worker.js';
import { waitFor } from '../helpers/services.js';

interface Envelope {
  op: string;
  after: string | null;
}

t.test('tasks.max = 3: every change arrives in exactly one task, and per-document order holds', async (t) => {
  const worker = await startWorker(t, tempDir(t));
  const client = await mongo(t);
  const db = freshDb(t, client);
  const orders = db.collection<{ _id: string } & Document>('orders');
  await orders.insertMany(Array.from({ length: 30 }, (_, i) => ({ _id: `pre-${i}`, v: 0 })));
  const capture = await startCapture(t, worker, db, ['orders'], { 'tasks.max': '3' });
  await waitForState(worker, capture.source, 'RUNNING');
  t.equal(worker.status(capture.source).tasks.length, 3, 'three tasks');
  await waitForRecords(worker, capture, 'orders', 30);
  // Each share's snapshot is done once its position is a stream position.
  const offsets = await waitForOffsets(worker, capture.source, (o) => o.length === 3 && o.every((e) => e.offset?.snapshot === undefined));
  t.same(offsets.map((o) => o.partition.share).sort(), ['0/3', '1/3', '2/3'], 'one source partition per share');

  const ids = Array.from({ length: 60 }, (_, i) => `doc-${i}`);
  await orders.insertMany(ids.map((_id) => ({ _id, v: 0 })));
  for (let round = 1; round <= 3; round++) {
    for (const _id of ids) await orders.updateOne({ _id }, { $set: { v: round } });
  }
  const total = 30 + ids.length * 4;
  await waitForRecords(worker, capture, 'orders', total, 120_000);
  // Give a duplicate a chance to show up before counting.
  await waitFor('the sink to settle', async () => {
    const before = capture.records('orders').length;
    await new Promise((r) => setTimeout(r, 1500));
    return capture.records('orders').length === before ? true : undefined;
  });
  const records = capture.records('orders');
  t.equal(records.length, total, 'each change exactly once (three readers of all changes would give three times as many)');
  t.same(
    new Set(records.filter((r) => (r.value as Envelope).op === 'r').map((r) => r.key)).size,
    30,
    'the snapshot split across tasks copied every document once',
  );
  for (const _id of ids) {
    const changes = records.filter((r) => r.key === _id).map((r) => r.value as Envelope);
    // updateLookup gives the document as it is when the event is read, not as the update left it
    // (MongoDB manual, "Lookup Full Document for Update Operations"), so a later version may show
    // up early; it never goes back.
    const versions = changes.map((c) => Number(JSON.parse(c.after!).v.$numberInt));
    t.same(
      changes.map((c) => c.op),
      ['c', 'u', 'u', 'u'],
      `${_id}: its insert and three updates, once each`,
    );
    t.ok(versions.every((v, i) => i === 0 || v >= versions[i - 1]!) && versions.at(-1) === 3, `${_id} in order (${versions.join(',')})`);
  }
});
