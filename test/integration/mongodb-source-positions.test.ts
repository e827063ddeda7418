/**
 * mongodb-source positions over time: heartbeats move a quiet stream's stored position, and a
 * position that has left the history is handled by token.lost.policy (fail | resnapshot).
 * The token-loss tests need a server with a small history: they start a second test server
 * (CONFLUX_MONGO_OPLOG_MAX_ENTRIES); a real replica set keeps far more than a test can write.
 */
import t, { type Test } from 'tap';
import type { Document } from 'mongodb';
import { setTimeout as delay } from 'node:timers/promises';
import { freshDb, mongo, startCapture, waitForOffsets, waitForRecords } from '../fixtures/mongodb-source.js';
import { startWorker, tempDir } from '../fixtures/worker.js';
import { startMongoTestServer } from '../helpers/mongo-test-server.js';
import { uniqueName, waitFor } from '../helpers/services.js';

interface Envelope {
  op: string;
}

const token = (o: Array<{ offset: Record<string, unknown> | null }>) => o[0]?.offset?.resume_token as string | undefined;

t.test('a quiet collection: the stored position advances by heartbeats, and the age metric shows it', async (t) => {
  const state = tempDir(t);
  const worker = await startWorker(t, state);
  const client = await mongo(t);
  const db = freshDb(t, client);
  const extra = { 'startup.mode': 'stream', 'heartbeat.interval.ms': '300' };
  const capture = await startCapture(t, worker, db, ['orders'], extra);
  const first = token(await waitForOffsets(worker, capture.source, (o) => token(o) !== undefined));
  // Changes elsewhere move the cluster's position; the quiet collection's stream reports it in
  // its postBatchResumeToken, which the heartbeat stores.
  const other = db.collection<{ _id: string } & Document>('other');
  let i = 0;
  const moved = await waitFor(
    'the quiet stream position to move',
    async () => {
      await other.insertOne({ _id: `x-${i++}` });
      const now = token(await worker.offsets(capture.source));
      return now !== undefined && now !== first ? now : undefined;
    },
    60_000,
  );
  t.not(moved, first, 'a newer position is stored without any change on the collection');
  t.equal(capture.records('orders').length, 0, 'heartbeats write nothing to the topic');

  const metrics = await worker.metrics.text();
  const age = new RegExp(`conflux_plugin_source_position_age_seconds\\{connector="${capture.source}",task="0"\\} ([0-9.e+-]+)`).exec(metrics);
  t.ok(age, 'the position age metric is exported');
  t.ok(Number(age![1]) < 60, `the position is recent (${age![1]} s)`);

  // The stored heartbeat position is a valid place to continue from.
  await worker.stop();
  await db.collection<{ _id: string } & Document>('orders').insertOne({ _id: 'after-quiet' });
  const second = await startWorker(t, state);
  const again = await startCapture(t, second, db, ['orders'], extra, { name: capture.source });
  const [record] = await waitForRecords(second, again, 'orders', 1);
  t.equal(record!.key, 'after-quiet');
  t.equal((record!.value as Envelope).op, 'c');
});

async function historyLostSetup(t: Test, policy: 'fail' | 'resnapshot') {
  const uri = await startMongoTestServer(t, { CONFLUX_MONGO_OPLOG_MAX_ENTRIES: '8' });
  const client = await mongo(t, uri);
  const db = freshDb(t, client);
  const orders = db.collection<{ _id: string } & Document>('orders');
  const state = tempDir(t);
  const name = uniqueName(`lost-${policy}`);
  const extra = { 'startup.mode': 'stream', 'heartbeat.interval.ms': '0', 'token.lost.policy': policy };

  const first = await startWorker(t, state);
  let capture = await startCapture(t, first, db, ['orders'], extra, { uri, name });
  await waitForOffsets(first, name, (o) => o.length === 1);
  await orders.insertOne({ _id: 'o-0' });
  await waitForRecords(first, capture, 'orders', 1);
  await waitForOffsets(first, name, (o) => String(token(o)).length > 0 && o[0]?.offset?.resume_token !== undefined);
  await first.stop();
  // More changes than the history holds: the stored position falls out of it.
  for (let i = 1; i <= 20; i++) await orders.insertOne({ _id: `o-${i}` });

  const second = await startWorker(t, state);
  capture = await startCapture(t, second, db, ['orders'], extra, { uri, name, waitRunning: false });
  return { worker: second, capture, orders };
}

t.test('token lost with token.lost.policy=fail: the task fails with a message that names the fix', async (t) => {
  const { worker, capture } = await historyLostSetup(t, 'fail');
  const task = await waitFor(
    'the task to fail',
    () => {
      const s = worker.status(capture.source).tasks[0];
      return s?.state === 'FAILED' ? s : undefined;
    },
    60_000,
  );
  t.match(task.trace, /no longer in the oplog \(ChangeStreamHistoryLost, code 286\)/);
  t.match(task.trace, /token\.lost\.policy=resnapshot/);
  t.match(task.trace, new RegExp(`DELETE /connectors/${capture.source}/offsets`));
});

t.test('token lost with token.lost.policy=resnapshot: the collection is copied again and streaming continues, nothing missing', async (t) => {
  const { worker, capture, orders } = await historyLostSetup(t, 'resnapshot');
  const sink = `${capture.source}-sink`;
  await worker.createConnector(sink, {
    'connector.class': 'collecting-sink',
    topics: capture.topics.orders!,
    collector: capture.collector,
    'value.converter': 'avro',
    'offset.flush.interval.ms': '300',
  });
  await waitForRecords(worker, capture, 'orders', 1 + 21);
  await orders.insertOne({ _id: 'o-after' });
  const records = await waitForRecords(worker, capture, 'orders', 1 + 21 + 1);
  const reads = new Set(records.filter((r) => (r.value as Envelope).op === 'r').map((r) => r.key));
  for (let i = 0; i <= 20; i++) t.ok(reads.has(`o-${i}`), `o-${i} re-copied`);
  t.ok(
    records.some((r) => r.key === 'o-after' && (r.value as Envelope).op === 'c'),
    'streaming continues after the copy',
  );
  const metrics = await worker.metrics.text();
  t.match(metrics, new RegExp(`conflux_plugin_token_lost_resnapshots_total\\{connector="${capture.source}",task="0"\\} 1`), 'counted in metrics');
});

t.test('token.lost.policy=resnapshot when every copy outlasts the history: FAILED after a bounded number of copies, with the fix', async (t) => {
  const uri = await startMongoTestServer(t, { CONFLUX_MONGO_OPLOG_MAX_ENTRIES: '4' });
  const client = await mongo(t, uri);
  const db = freshDb(t, client);
  const orders = db.collection<{ _id: string } & Document>('orders');
  await orders.insertMany(Array.from({ length: 200 }, (_, i) => ({ _id: `o-${String(i).padStart(3, '0')}` })));
  // Writes elsewhere while the copies run push every noted position out of the 4-change history.
  // One every 25 ms: many during a copy, none between noting a position and reading it back.
  const busy = db.collection<{ _id: number } & Document>('busy');
  let writing = true;
  const writer = (async () => {
    for (let i = 0; writing; i++) {
      await busy.insertOne({ _id: i });
      await delay(25);
    }
  })();
  t.teardown(async () => {
    writing = false;
    await writer.catch(() => undefined);
  });
  const worker = await startWorker(t, tempDir(t));
  const name = uniqueName('outlasted');
  // One document per chunk: each copy takes 200 polls, far longer than 4 changes of history.
  await startCapture(
    t,
    worker,
    db,
    ['orders'],
    { 'token.lost.policy': 'resnapshot', 'snapshot.chunk.size': '1', 'heartbeat.interval.ms': '0' },
    { uri, name, waitRunning: false },
  );
  const task = await waitFor(
    'the task to fail',
    () => {
      const s = worker.status(name).tasks[0];
      return s?.state === 'FAILED' ? s : undefined;
    },
    180_000,
  );
  writing = false;
  await writer;
  t.match(task.trace, /was copied 3 times in a row \(token\.lost\.policy=resnapshot\)/);
  t.match(task.trace, /the copy takes longer than the oplog keeps history/);
  t.match(task.trace, /replSetResizeOplog|oplogMinRetentionHours/, 'names the fix');
  const metrics = await worker.metrics.text();
  t.match(metrics, new RegExp(`conflux_plugin_snapshots_started_total\\{connector="${name}",task="0"\\} 3`), 'three copies, no more');
});
