/**
 * Change-stream conformance: the cursor. postBatchResumeToken on the aggregate reply and every getMore,
 * getMore waiting up to maxTimeMS, resumeAfter / startAfter / startAtOperationTime, and the pipeline after
 * $changeStream. From MongoDB's documentation ("Change Streams", "Resume a Change Stream", "getMore",
 * "Modify Change Stream Output"); passes against a real MongoDB 7 replica set too.
 */
import t, { type Test } from 'tap';
import { MongoServerError, type Db, type Document, type ResumeToken, type Timestamp } from 'mongodb';
import {
  connect,
  type Doc,
  eventsUntilMarker,
  eventsUntilToken,
  freshCollection,
  mongoTestServer,
  nextEvents,
  openStream,
  summary,
} from '../../helpers/change-streams.js';

interface CursorReply {
  cursor: { id: bigint | number | { toString(): string }; firstBatch?: Document[]; nextBatch?: Document[]; postBatchResumeToken: { _data: string } };
}

const isOpen = (id: CursorReply['cursor']['id']) => id.toString() !== '0';

t.test('postBatchResumeToken: on the aggregate reply and every getMore, advancing on a quiet stream', async (t) => {
  const client = await connect(t);
  const orders = await freshCollection(t, client);
  const db = client.db(orders.dbName);
  const other = db.collection<Doc>('other');

  const opened = (await db.command({ aggregate: orders.collectionName, pipeline: [{ $changeStream: {} }], cursor: {} })) as CursorReply;
  t.ok(isOpen(opened.cursor.id), 'the change stream cursor stays open');
  t.same(opened.cursor.firstBatch, []);
  t.type(opened.cursor.postBatchResumeToken?._data, 'string', 'the aggregate reply carries a postBatchResumeToken');
  t.teardown(() => db.command({ killCursors: orders.collectionName, cursors: [opened.cursor.id] }).catch(() => undefined));

  let token = opened.cursor.postBatchResumeToken._data;
  await other.insertOne({ _id: 'elsewhere' }); // not on the watched collection
  const quiet = await waitForAdvance(t, db, orders.collectionName, opened.cursor.id, token);
  t.same(quiet.cursor.nextBatch, [], 'no events for the watched collection');
  t.ok(quiet.cursor.postBatchResumeToken._data > token, 'yet the token advanced past the write elsewhere');
  token = quiet.cursor.postBatchResumeToken._data;

  await orders.insertOne({ _id: 'o-1' });
  const withEvent = (await db.command({ getMore: opened.cursor.id, collection: orders.collectionName, maxTimeMS: 5000 })) as CursorReply;
  t.equal(withEvent.cursor.nextBatch?.length, 1);
  const event = withEvent.cursor.nextBatch![0]!;
  // MongoDB may report a high-water mark past the last event when it scanned later oplog entries
  // of other namespaces (other tests write to the same server): never one before the event.
  const eventToken = (event._id as { _data: string })._data;
  t.ok(withEvent.cursor.postBatchResumeToken._data >= eventToken, "a batch ending with an event resumes at or after that event's token");
  t.ok(eventToken > token);
});

/** getMore until the postBatchResumeToken moves past `token` (the server's high-water mark may lag a little). */
async function waitForAdvance(t: Test, db: Db, coll: string, id: CursorReply['cursor']['id'], token: string) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const reply = (await db.command({ getMore: id, collection: coll, maxTimeMS: 500 })) as CursorReply;
    t.type(reply.cursor.postBatchResumeToken?._data, 'string', 'every getMore reply carries a postBatchResumeToken');
    if (reply.cursor.postBatchResumeToken._data > token || Date.now() > deadline) return reply;
  }
}

t.test('getMore waits up to maxTimeMS for events, and returns as soon as one arrives', async (t) => {
  const client = await connect(t);
  const orders = await freshCollection(t, client);
  const db = client.db(orders.dbName);
  const opened = (await db.command({ aggregate: orders.collectionName, pipeline: [{ $changeStream: {} }], cursor: {} })) as CursorReply;
  t.teardown(() => db.command({ killCursors: orders.collectionName, cursors: [opened.cursor.id] }).catch(() => undefined));

  const started = Date.now();
  const quiet = (await db.command({ getMore: opened.cursor.id, collection: orders.collectionName, maxTimeMS: 1500 })) as CursorReply;
  const waited = Date.now() - started;
  t.same(quiet.cursor.nextBatch, []);
  t.ok(waited >= 1000, `an empty getMore waited for events (${waited} ms) instead of returning at once`);

  const writer = await connect(t);
  const pending = db.command({ getMore: opened.cursor.id, collection: orders.collectionName, maxTimeMS: 20_000 }) as Promise<CursorReply>;
  const before = Date.now();
  await writer.db(orders.dbName).collection<Doc>(orders.collectionName).insertOne({ _id: 'wake' });
  const woken = await pending;
  t.same(
    woken.cursor.nextBatch?.map((e) => (e.documentKey as { _id: unknown })._id),
    ['wake'],
  );
  t.ok(Date.now() - before < 15_000, 'the write ended the wait long before maxTimeMS');
});

t.test('resumeAfter: a stream resumed from a stored token gets exactly the later events', async (t) => {
  const client = await connect(t);
  const orders = await freshCollection(t, client);
  const stream = await openStream(t, orders);
  await orders.insertMany([{ _id: 'o-1' }, { _id: 'o-2' }, { _id: 'o-3' }, { _id: 'o-4' }]);
  const [, second] = await nextEvents(stream, 2);
  await stream.close();

  const resumed = await openStream(t, orders, [], { resumeAfter: second!._id });
  t.same((await eventsUntilMarker(resumed, orders)).map(summary), ['insert o-3', 'insert o-4']);
});

t.test('resume token of a quiet stream: the driver stores the postBatchResumeToken, and resuming from it loses nothing', async (t) => {
  const client = await connect(t);
  const orders = await freshCollection(t, client);
  const stream = await openStream(t, orders);
  const first: ResumeToken = stream.resumeToken!;
  t.ok(first, 'a stream has a resume token before any event');
  await stream.close();
  await orders.insertOne({ _id: 'while-closed' });

  const resumed = await openStream(t, orders, [], { resumeAfter: first });
  t.same((await eventsUntilMarker(resumed, orders)).map(summary), ['insert while-closed']);
});

t.test('startAtOperationTime: the stream starts at that cluster time, inclusive', async (t) => {
  const client = await connect(t);
  const orders = await freshCollection(t, client);
  const stream = await openStream(t, orders);
  await orders.insertMany([{ _id: 'o-1' }, { _id: 'o-2' }, { _id: 'o-3' }]);
  const [, second] = await nextEvents(stream, 2);
  const at = (second as { clusterTime: Timestamp }).clusterTime;

  const fromTime = await openStream(t, orders, [], { startAtOperationTime: at });
  t.same((await eventsUntilMarker(fromTime, orders)).map(summary), ['insert o-2', 'insert o-3']);
});

t.test('startAfter an invalidate starts a new stream; resumeAfter refuses it', async (t) => {
  const client = await connect(t);
  const orders = await freshCollection(t, client);
  const stream = await openStream(t, orders);
  await orders.insertOne({ _id: 'before' });
  await orders.drop();
  const [, , invalidate] = await nextEvents(stream, 3);
  t.equal(invalidate!.operationType, 'invalidate');
  await orders.insertOne({ _id: 'recreated' });

  const refused = orders.watch([], { resumeAfter: invalidate!._id });
  t.teardown(() => refused.close());
  await t.rejects(refused.next(), MongoServerError, 'resumeAfter an invalidate fails');

  const restarted = await openStream(t, orders, [], { startAfter: invalidate!._id });
  t.same((await eventsUntilMarker(restarted, orders)).map(summary), ['insert recreated']);
});

t.test('the pipeline after $changeStream filters and reshapes events', async (t) => {
  const client = await connect(t);
  const orders = await freshCollection(t, client);
  await orders.insertMany([
    { _id: 'o-1', status: 'new' },
    { _id: 'o-2', status: 'new' },
  ]);

  const updatesOnly = await openStream(t, orders, [{ $match: { operationType: 'update' } }]);
  const oneDocument = await openStream(t, orders, [{ $match: { 'documentKey._id': 'o-2' } }]);
  const paid = await openStream(t, orders, [{ $match: { 'fullDocument.status': 'paid' } }], { fullDocument: 'updateLookup' });
  const byExpr = await openStream(t, orders, [{ $match: { $expr: { $eq: ['$documentKey._id', 'o-1'] } } }]);
  const projected = await openStream(t, orders, [{ $project: { operationType: 1, documentKey: 1 } }]);
  const onlyOrders = await openStream(t, client.db(orders.dbName), [{ $match: { 'ns.coll': orders.collectionName } }]);

  await client.db(orders.dbName).collection<Doc>('other').insertOne({ _id: 'x' });
  await orders.updateOne({ _id: 'o-1' }, { $set: { status: 'paid' } });
  await orders.insertOne({ _id: 'o-3', status: 'paid' });
  await orders.deleteOne({ _id: 'o-2' });

  await orders.insertOne({ _id: 'last', status: 'new' });
  const shaped = await nextEvents(projected, 4);
  t.same(
    shaped.map((e) => Object.keys(e).sort()),
    Array(4).fill(['_id', 'documentKey', 'operationType']),
    '$project keeps the listed fields and _id',
  );
  const end = shaped[3]!._id; // the insert of 'last': every stream below has seen everything up to it

  t.same((await eventsUntilToken(updatesOnly, end)).map(summary), ['update o-1'], '$match on operationType');
  t.same((await eventsUntilToken(oneDocument, end)).map(summary), ['delete o-2'], '$match on documentKey._id');
  t.same((await eventsUntilToken(paid, end)).map(summary), ['update o-1', 'insert o-3'], '$match on fullDocument.*');
  t.same((await eventsUntilToken(byExpr, end)).map(summary), ['update o-1'], '$match with $expr');
  t.same((await eventsUntilToken(onlyOrders, end)).map(summary), ['update o-1', 'insert o-3', 'delete o-2', 'insert last'], '$match on ns');
});

t.test('a pipeline that removes the resume token (_id) fails the stream', async (t) => {
  const client = await connect(t);
  const orders = await freshCollection(t, client);
  const stream = orders.watch([{ $project: { _id: 0 } }], { maxAwaitTimeMS: 300 });
  t.teardown(() => stream.close());
  await stream.tryNext();
  await orders.insertOne({ _id: 'o-1' });
  await t.rejects(
    (async () => {
      for (;;) if (await stream.tryNext()) return;
    })(),
    'the server refuses an event whose _id was modified',
  );
});

t.test(
  'test server: pre- and post-images are refused with a clear error',
  { skip: mongoTestServer ? false : 'pre- and post-images are out of scope (the source connector uses updateLookup)' },
  async (t) => {
    const client = await connect(t);
    const orders = await freshCollection(t, client);
    for (const options of [{ fullDocument: 'required' }, { fullDocument: 'whenAvailable' }, { fullDocumentBeforeChange: 'required' }]) {
      const stream = orders.watch([], options as Document);
      t.teardown(() => stream.close());
      await t.rejects(stream.tryNext(), { message: /images, which this test server does not record/ }, JSON.stringify(options));
    }
  },
);
