/**
 * mongodb-source on a steady stream: a getMore returns as soon as changes exist (MongoDB manual,
 * "Tailable Cursors", maxAwaitTimeMS), so changes must reach Kafka while the stream goes on, not
 * once a poll is full, and a collection of the same task must not wait for a busy one to pause.
 */
import t from 'tap';
import type { Document } from 'mongodb';
import { freshDb, mongo, startCapture, waitForRecords } from '../fixtures/mongodb-source.js';
import { startWorker, tempDir } from '../fixtures/worker.js';
import { waitFor } from '../helpers/services.js';

/** Writes an order every 50 ms, up to 1200 (a minute at least), until stopped. */
function steadyWriter(write: (i: number) => Promise<unknown>) {
  let stopped = false;
  let written = 0;
  const done = (async () => {
    for (; written < 1200 && !stopped; written++) {
      await write(written);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    get running() {
      return !stopped && written < 1200;
    },
    async stop() {
      stopped = true;
      await done;
    },
  };
}

t.test('changes on a busy collection and on a quiet one reach Kafka while the busy one keeps changing', async (t) => {
  const worker = await startWorker(t, tempDir(t));
  const client = await mongo(t);
  const db = freshDb(t, client);
  const capture = await startCapture(t, worker, db, ['orders', 'customers'], {
    'startup.mode': 'stream',
    // One task, the largest wait and a batch the stream needs a minute to fill: a poll that waited
    // for a pause or a full batch would hold every change back until the writer stops.
    'poll.await.time.ms': '1000',
    'poll.max.batch.size': '1000',
    'tasks.max': '1',
  });
  const orders = db.collection<{ _id: string } & Document>('orders');
  const customers = db.collection<{ _id: string } & Document>('customers');
  const writer = steadyWriter((i) => orders.insertOne({ _id: `o-${i}`, i }));
  t.teardown(() => writer.stop());

  await waitForRecords(worker, capture, 'orders', 20, 60_000);
  t.ok(writer.running, 'the first orders reached Kafka while orders kept changing');

  await customers.insertOne({ _id: 'c-1', name: 'quiet' });
  await waitForRecords(worker, capture, 'customers', 1, 60_000);
  t.ok(writer.running, 'a customer change reached Kafka while orders kept changing');

  const before = capture.records('orders').length;
  await waitFor('more orders', () => (capture.records('orders').length >= before + 20 ? true : undefined), 60_000);
  t.ok(writer.running, 'orders kept arriving while they kept changing');
  await writer.stop();
});
