/**
 * Change events over MongoDB's 16 MB limit (cursor.oversize.handling.mode). An update of a 8 MB
 * document that sets 7.5 MB more makes, with updateLookup, a 23 MB event: the getMore that reaches
 * it fails with BSONObjectTooLarge (10334), and so does every resume before it. fail names the
 * document and the fix; skip dead-letters it (even with errors.tolerance=none) and streams on
 * from after it; split ($changeStreamSplitLargeEvent, MongoDB 7.0 / 6.0.9) puts the fragments back
 * together into the one change they are. The split cases run on a second test server that reports
 * MongoDB 7.0 (the shared one reports 4.4, which refuses the stage as 4.4 does); against a real
 * replica set (MONGODB_URI without MONGODB_TEST_SERVER) they run on it, if it is 6.0.9+.
 */
import t, { type Test } from 'tap';
import type { Db } from 'mongodb';
import { header, readTopic } from '../fixtures/kafka.js';
import { freshDb, mongo, startCapture, waitForOffsets, waitForRecords, type Capture } from '../fixtures/mongodb-source.js';
import { startWorker, tempDir } from '../fixtures/worker.js';
import { startMongoTestServer } from '../helpers/mongo-test-server.js';
import { services, waitFor } from '../helpers/services.js';
import type { Herder } from '../../runtime/herder/herder.js';

const DOCUMENT_BYTES = 8_000_000;
const SET_BYTES = 7_500_000;

interface Doc {
  _id: string;
  [field: string]: unknown;
}

/** The 8 MB document, written before the capture starts (its insert event alone would be too large for Kafka). */
async function bigDocument(db: Db): Promise<void> {
  await db.collection<Doc>('docs').insertOne({ _id: 'big', a: 'x'.repeat(DOCUMENT_BYTES) });
}

/** The update whose event (document after it plus update description) is about 23 MB. */
async function oversizedUpdate(db: Db): Promise<void> {
  await db.collection<Doc>('docs').updateOne({ _id: 'big' }, { $set: { b: 'y'.repeat(SET_BYTES) } });
}

const metric = async (worker: Herder, name: string, connector: string) =>
  Number(new RegExp(`conflux_plugin_${name}\\{connector="${connector}",task="0"\\} (\\d+)`).exec(await worker.metrics.text())?.[1] ?? 0);

const failedTrace = (worker: Herder, capture: Capture) =>
  waitFor('the task to fail', () => {
    const task = worker.status(capture.source).tasks[0];
    return task?.state === 'FAILED' ? (task.trace ?? '') : undefined;
  });

t.test('fail (the default): the task fails naming the document, its size and the fix', async (t) => {
  const worker = await startWorker(t, tempDir(t));
  const db = freshDb(t, await mongo(t));
  await bigDocument(db);
  const capture = await startCapture(t, worker, db, ['docs'], { 'startup.mode': 'stream' });
  await waitForOffsets(worker, capture.source, (o) => o.length === 1);
  await db.collection<Doc>('docs').insertOne({ _id: 'before' });
  await waitForRecords(worker, capture, 'docs', 1);
  await oversizedUpdate(db);
  const trace = await failedTrace(worker, capture);
  t.match(trace, /the update event of _id big at cluster time \d+\.\d+ carries \d+ bytes of document and update description in .*\.docs/, 'names the event');
  t.match(trace, /BSONObjectTooLarge, code 10334/);
  t.match(trace, /cursor\.oversize\.handling\.mode=skip .* or split/, 'says how to get past it');
  t.notMatch(trace, /xxxxxxxx/, 'no document content in the trace');
});

t.test('skip: the event is dead-lettered with its _id, collection, size and time, and the stream goes on from after it', async (t) => {
  const worker = await startWorker(t, tempDir(t));
  const db = freshDb(t, await mongo(t));
  const dlq = `${db.databaseName}-dlq`;
  await bigDocument(db);
  const capture = await startCapture(t, worker, db, ['docs'], {
    'startup.mode': 'stream',
    'cursor.oversize.handling.mode': 'skip',
    'errors.tolerance': 'none',
    'errors.deadletterqueue.topic.name': dlq,
  });
  await waitForOffsets(worker, capture.source, (o) => o.length === 1);
  const docs = db.collection<Doc>('docs');
  await docs.insertOne({ _id: 'before' });
  await oversizedUpdate(db);
  await docs.insertOne({ _id: 'after-1' });
  const records = await waitForRecords(worker, capture, 'docs', 2);
  t.same(
    records.map((r) => r.key),
    ['before', 'after-1'],
    'the changes around the skipped event are delivered',
  );
  const [dead] = await readTopic(t, dlq, 1);
  t.equal(dead!.value, '', 'the dead letter has no value');
  const message = header(dead!.headers, 'conflux.error.message') ?? '';
  t.match(message, new RegExp(`the update event of _id big in ${db.databaseName}\\.docs at cluster time \\d+\\.\\d+ carries (\\d+) bytes`), message);
  t.ok(Number(/carries (\d+) bytes/.exec(message)?.[1]) > DOCUMENT_BYTES + 2 * SET_BYTES, 'the size is the document plus the update description');
  t.equal(header(dead!.headers, 'conflux.error.stage'), 'source');
  t.equal(dead!.key, JSON.stringify('big'), 'keyed by the _id');
  t.equal(await metric(worker, 'oversize_events_skipped_total', capture.source), 1);

  // The skipped event's position was stored: a restart does not reach it again.
  await worker.restart(capture.source, { includeTasks: true, onlyFailed: false });
  await docs.insertOne({ _id: 'after-2' });
  const after = await waitForRecords(worker, capture, 'docs', 3);
  t.same(
    after.map((r) => r.key),
    ['before', 'after-1', 'after-2'],
    'nothing again after the restart',
  );
  t.equal(worker.status(capture.source).tasks[0]!.state, 'RUNNING', 'and the task runs, with errors.tolerance=none');
});

/** A server with $changeStreamSplitLargeEvent: a test server reporting 7.0, or the real one under test. */
async function splittingServer(t: Test): Promise<string> {
  if (!services().mongoTestServer) return services().mongoUri;
  return startMongoTestServer(t, { CONFLUX_MONGO_VERSION: '7.0' });
}

t.test('split: the fragments are put back together into one change, dead-lettered only as too large for Kafka', async (t) => {
  const uri = await splittingServer(t);
  const worker = await startWorker(t, tempDir(t));
  const db = freshDb(t, await mongo(t, uri));
  const dlq = `${db.databaseName}-dlq`;
  await bigDocument(db);
  const capture = await startCapture(
    t,
    worker,
    db,
    ['docs'],
    { 'startup.mode': 'stream', 'cursor.oversize.handling.mode': 'split', 'errors.tolerance': 'all', 'errors.deadletterqueue.topic.name': dlq },
    { uri },
  );
  await waitForOffsets(worker, capture.source, (o) => o.length === 1);
  const docs = db.collection<Doc>('docs');
  await oversizedUpdate(db);
  await docs.insertOne({ _id: 'after-1' });
  const records = await waitForRecords(worker, capture, 'docs', 1);
  t.same(
    records.map((r) => r.key),
    ['after-1'],
    'the stream goes on after the split event',
  );
  const [dead] = await readTopic(t, dlq, 1);
  const message = header(dead!.headers, 'conflux.error.message') ?? '';
  t.match(message, /is about (\d+) bytes once converted, more than producer\.max\.request\.size/, message);
  // One record of the whole change: its document (8 + 7.5 MB) and its update description (7.5 MB).
  t.ok(Number(/about (\d+) bytes/.exec(message)?.[1]) > DOCUMENT_BYTES + 2 * SET_BYTES, 'the record holds every fragment');
  t.equal(dead!.key, JSON.stringify('big'));
  t.equal(await metric(worker, 'split_events_total', capture.source), 1);
  t.equal(worker.status(capture.source).tasks[0]!.state, 'RUNNING');
});

const onTestServer = { skip: services().mongoTestServer ? false : 'needs the shared test server, which reports MongoDB 4.4; a real server may have the stage' };

t.test('split on a server without $changeStreamSplitLargeEvent: the task fails saying which versions have it', onTestServer, async (t) => {
  const worker = await startWorker(t, tempDir(t));
  const db = freshDb(t, await mongo(t));
  const capture = await startCapture(t, worker, db, ['docs'], { 'startup.mode': 'stream', 'cursor.oversize.handling.mode': 'split' }, { waitRunning: false });
  t.match(
    await failedTrace(worker, capture),
    /cursor\.oversize\.handling\.mode=split needs MongoDB 6\.0\.9\+ or 7\.0\+ \(\$changeStreamSplitLargeEvent\); this server is 4\.4\.0/,
  );
});
