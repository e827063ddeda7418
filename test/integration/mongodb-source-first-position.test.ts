/**
 * A source with no stored position notes where the change stream stands before it copies the
 * collection. That position must be stored before any copied document reaches Kafka: a crash
 * after the first documents arrived but before a position was stored would make the next start
 * note a later position, and a document deleted in between would stay in every sink.
 */
import t from 'tap';
import { join } from 'node:path';
import type { Document } from 'mongodb';
import { FileOffsetStore } from '../../runtime/offsets/file-store.js';
import type { OffsetWrite } from '../../runtime/offsets/store.js';
import { kafka } from '../fixtures/kafka.js';
import { freshDb, mongo, startCapture, waitForOffsets, waitForRecords } from '../fixtures/mongodb-source.js';
import { startWorker, tempDir, testPlugins } from '../fixtures/worker.js';

t.test('the stream position noted before a snapshot is stored before the first copied document is sent', async (t) => {
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  const topicEnd = async (topic: string) => Number((await admin.fetchTopicOffsets(topic).catch(() => [{ high: '0' }]))[0]!.high);

  const dir = tempDir(t);
  const file = new FileOffsetStore(join(dir, 'offsets.json'));
  /** Every offset write of the source, with how many records its topic held when it was made. */
  const writes: Array<{ write: OffsetWrite; recordsInKafka: number }> = [];
  let topic = '';
  let connector = '';
  const set = file.set.bind(file);
  file.set = async (name: string, entries: readonly OffsetWrite[]) => {
    if (name === connector) {
      const recordsInKafka = await topicEnd(topic);
      for (const write of entries) writes.push({ write, recordsInKafka });
    }
    return set(name, entries);
  };
  const worker = await startWorker(t, dir, {}, testPlugins, { offsetStore: file });

  const client = await mongo(t);
  const db = freshDb(t, client);
  await db
    .collection<{ _id: string } & Document>('orders')
    .insertMany(Array.from({ length: 200 }, (_, i) => ({ _id: `o-${String(i).padStart(4, '0')}`, v: 0 })));
  const name = `first-position-${Date.now()}`;
  connector = name;
  topic = `${name}-orders`;
  const capture = await startCapture(t, worker, db, ['orders'], { 'snapshot.chunk.size': '20', 'poll.max.batch.size': '20' }, { name });
  await waitForRecords(worker, capture, 'orders', 200);
  await waitForOffsets(worker, name, (o) => o.length === 1 && typeof o[0]!.offset?.resume_token === 'string');

  const first = writes[0];
  t.ok(first, 'the source stored a position');
  const offset = first!.write.offset as Record<string, unknown>;
  t.equal(offset.snapshot, 'running', 'the first stored position is the start of the copy');
  t.equal(offset.copied, 0, 'stored before any document was copied');
  t.equal(first!.recordsInKafka, 0, 'stored while the topic was still empty');
  const noted = offset.stream_resume_token ?? offset.stream_start_at;
  t.ok(typeof noted === 'string', 'with the stream position noted before the copy');
  const copied = writes.map((w) => w.write.offset as Record<string, unknown>).filter((o) => o.snapshot === 'running');
  t.ok(
    copied.every((o) => (o.stream_resume_token ?? o.stream_start_at) === noted),
    'the copy kept that position',
  );
});
