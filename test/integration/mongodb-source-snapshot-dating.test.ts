/**
 * mongodb-source: how a snapshot dates its copies. Every copy carries the noted stream position's
 * cluster time as its event time (the lower bound that orders it before every change the stream
 * delivers after it, in the stream's own unit: whole seconds) and the read's operationTime as its
 * read time (the upper bound a join takes it as of). A document written during the copy is copied
 * dated before its own insert, so only the read time shows that what it refers to existed.
 */
import t from 'tap';
import type { Document } from 'mongodb';
import {
  READ_TIME_HEADER,
  WATERMARK_HEADER,
  compareEventTime,
  eventTimeOf,
  parseEventTime,
  readTimeOf,
  type EventTime,
  type SinkRecord,
} from '../../runtime/api/index.js';
import { kafka } from '../fixtures/kafka.js';
import { readToEnd } from '../helpers/reconcile.js';
import { freshDb, mongo, startCapture, waitForRecords } from '../fixtures/mongodb-source.js';
import { startWorker, tempDir } from '../fixtures/worker.js';
import { waitFor } from '../helpers/services.js';

interface Envelope {
  op: string;
  source: { cluster_time_ms: number; snapshot: boolean };
  after: Record<string, unknown> | string | null;
}

const envelope = (r: SinkRecord) => r.value as Envelope;
const idOf = (r: SinkRecord) => String(r.key);

t.test('copies are dated by the noted stream position and carry the time they were read', async (t) => {
  const worker = await startWorker(t, tempDir(t));
  const client = await mongo(t);
  const db = freshDb(t, client);
  const orders = db.collection<{ _id: string } & Document>('orders');
  const customers = db.collection<{ _id: string } & Document>('customers');
  const TOTAL = 1500;
  await orders.insertMany(Array.from({ length: TOTAL }, (_, i) => ({ _id: `o-${String(i).padStart(5, '0')}`, customer_id: 'c-old' })));
  // Small chunks one poll at a time: the copy is still running when the late writes happen.
  const capture = await startCapture(t, worker, db, ['orders', 'customers'], {
    'snapshot.chunk.size': '50',
    'poll.max.batch.size': '50',
    'max.in.flight.batches': '1',
    'topic.compacted': 'customers',
    // One partition: the topic's order is the order the source sent in.
    'topic.partitions': '1',
  });
  await waitForRecords(worker, capture, 'orders', 100);
  // Written during the copy: a customer, then its order, whose _id sorts after every other.
  await customers.insertOne({ _id: 'c-late', name: 'Late' });
  await orders.insertOne({ _id: 'o-99999', customer_id: 'c-late' });

  const all = await waitForRecords(worker, capture, 'orders', TOTAL + 2, 180_000);
  const copies = all.filter((r) => envelope(r).op === 'r');
  t.equal(copies.length, TOTAL + 1, 'every document copied once, the late order too');
  const [customerInsert] = await waitFor('the late customer', () => {
    const found = capture.records('customers').filter((r) => envelope(r).op === 'c');
    return found.length > 0 ? found : undefined;
  });
  const lateInsert = all.find((r) => envelope(r).op === 'c')!;
  t.same(idOf(lateInsert), 'o-99999', "the late order's insert is streamed after the copy");

  const start = eventTimeOf(copies[0]!)!;
  t.ok(
    copies.every((r) => compareEventTime(eventTimeOf(r)!, start) === 0 && envelope(r).source.cluster_time_ms === start.ms),
    'every copy is dated with one time: the noted position',
  );
  t.equal(start.ms % 1000, 0, 'in the stream events’ unit (cluster time seconds)');
  const readTimes = copies.map((r) => readTimeOf(r)!);
  t.ok(
    readTimes.every((time, i) => compareEventTime(time, start) >= 0 && (i === 0 || compareEventTime(time, readTimes[i - 1]!) >= 0)),
    'read times are at or after the start and never go back',
  );

  const created: EventTime = eventTimeOf(customerInsert!)!;
  const lateCopy = copies.find((r) => idOf(r) === 'o-99999')!;
  t.ok(compareEventTime(eventTimeOf(lateCopy)!, created) < 0, 'the late order is copied dated before its customer was created');
  t.ok(compareEventTime(readTimeOf(lateCopy)!, created) >= 0, 'and read after: a join finds its customer');
  t.ok(compareEventTime(eventTimeOf(lateInsert)!, eventTimeOf(lateCopy)!) > 0, 'its streamed insert is newer than its copy');

  // The topic as Kafka holds it, watermark records included (the runtime hands none to a sink),
  // read again until a watermark written after the copy is in it.
  const readMarks = async () => {
    const marks: Array<{ time: EventTime; beforeCopyEnd: boolean }> = [];
    let copiesLeft = TOTAL + 1;
    await readToEnd(kafka, capture.topics.orders!, (_partition, message) => {
      const mark = parseEventTime(message.headers?.[WATERMARK_HEADER.time]?.toString());
      if (mark) marks.push({ time: mark, beforeCopyEnd: copiesLeft > 0 });
      else if (message.headers?.[READ_TIME_HEADER] !== undefined) copiesLeft -= 1;
    });
    return marks;
  };
  // The copy's end marker is itself a watermark below the start: wait for the stream's.
  const marks = await waitFor('a watermark of the stream after the copy', async () => {
    const marks = await readMarks();
    return marks.some((m) => !m.beforeCopyEnd && compareEventTime(m.time, start) >= 0) ? marks : undefined;
  });
  const during = marks.filter((m) => m.beforeCopyEnd);
  t.ok(during.length > 0, `the topic has watermarks while the copy runs (${during.length})`);
  t.ok(
    during.every((m) => compareEventTime(m.time, start) < 0),
    'all of them below the snapshot start',
  );
  t.ok(
    marks.some((m) => !m.beforeCopyEnd && compareEventTime(m.time, start) >= 0),
    'once streaming, the watermark passes the start',
  );
});
