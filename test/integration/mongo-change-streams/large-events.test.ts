/**
 * Change events near and over MongoDB's 16 MB document limit, as the manual documents them
 * ("$changeStreamSplitLargeEvent", "$bsonSize", "Change Events" limits): an event over the limit fails the
 * stream with BSONObjectTooLarge (10334), every time it is resumed before it; $changeStreamSplitLargeEvent
 * (MongoDB 7.0, 6.0.9) returns it as fragments of top-level fields with `splitEvent` and a token each; a batch
 * holds at most 16 MB. Runs against a real replica set too (the split cases when it is 6.0.9+); on the test
 * server, the split cases use a second one that reports MongoDB 7.0.
 */
import t from 'tap';
import { BSON, MongoClient, type ChangeStreamDocument, type Document } from 'mongodb';
import { connect, freshCollection, mongoTestServer, mongoUri, nextEvents, openStream, type Doc } from '../../helpers/change-streams.js';
import { startMongoTestServer } from '../../helpers/mongo-test-server.js';

const MB = 1024 * 1024;
/** A document of about 8 MB, and an update adding 7.5 MB: with updateLookup a 23 MB event. */
const big = (id: string): Doc => ({ _id: id, a: 'x'.repeat(8_000_000) });
const grow = { $set: { b: 'y'.repeat(7_500_000) } };
const keyOf = (event: unknown) => (event as unknown as { documentKey: { _id: string } }).documentKey._id;

t.test('$bsonSize: the size of a document as BSON, null for a missing field', async (t) => {
  const orders = await freshCollection(t, await connect(t));
  const doc = { _id: 'o-1', name: 'Mug', items: [{ sku: 'SKU-1', quantity: 2 }], total: 5.5 };
  await orders.insertOne(doc);
  const [row] = await orders.aggregate([{ $project: { whole: { $bsonSize: '$$ROOT' }, items: { $bsonSize: '$nothing' } } }]).toArray();
  t.equal(row!.whole, BSON.calculateObjectSize(doc), 'as the driver computes it');
  t.equal(row!.items, null);
});

t.test('an event over 16 MB fails the stream with BSONObjectTooLarge, again when resumed before it', async (t) => {
  const orders = await freshCollection(t, await connect(t));
  await orders.insertOne(big('big'));
  const stream = await openStream(t, orders, [], { fullDocument: 'updateLookup' });
  await orders.insertOne({ _id: 'before' });
  const [before] = await nextEvents(stream, 1);
  await orders.updateOne({ _id: 'big' }, grow);
  await t.rejects(nextEvents(stream, 1), { code: 10334, codeName: 'BSONObjectTooLarge' });
  const resumed = await openStream(t, orders, [], { fullDocument: 'updateLookup', resumeAfter: before!._id });
  await t.rejects(nextEvents(resumed, 1), { code: 10334 }, 'the same event stops the resumed stream');
});

t.test('a batch holds at most 16 MB of events: two 9 MB events come in two batches', async (t) => {
  const orders = await freshCollection(t, await connect(t));
  const stream = await openStream(t, orders);
  await orders.insertOne({ _id: 'n-1', a: 'x'.repeat(9 * MB) });
  await orders.insertOne({ _id: 'n-2', a: 'x'.repeat(9 * MB) });
  const [first] = await nextEvents(stream, 1);
  t.equal(keyOf(first), 'n-1');
  t.equal(stream.bufferedCount(), 0, 'the second event was not in the first batch');
  const [second] = await nextEvents(stream, 1);
  t.equal(keyOf(second), 'n-2');
});

/** Why the split cases cannot run on the real server under test (older than 6.0.9), or false. */
async function splitUnsupported(): Promise<string | false> {
  if (mongoTestServer) return false; // a second test server reporting 7.0 is started
  const client = await MongoClient.connect(mongoUri, { serverSelectionTimeoutMS: 10_000 });
  try {
    const version = String((await client.db('admin').command({ buildInfo: 1 })).version);
    const [major = 0, minor = 0, patch = 0] = version.split('.').map(Number);
    return major >= 7 || (major === 6 && minor === 0 && patch >= 9) ? false : `MongoDB ${version} has no $changeStreamSplitLargeEvent`;
  } finally {
    await client.close();
  }
}

type Fragment = ChangeStreamDocument<Doc> & { splitEvent?: { fragment: number; of: number } };

t.test('$changeStreamSplitLargeEvent: fragments of top-level fields, each under 16 MB, each resumable', { skip: await splitUnsupported() }, async (t) => {
  const uri = mongoTestServer ? await startMongoTestServer(t, { CONFLUX_MONGO_VERSION: '7.0' }) : mongoUri;
  const orders = await freshCollection(t, await connect(t, uri));
  await orders.insertOne(big('big'));
  const split = [{ $changeStreamSplitLargeEvent: {} }];
  const stream = await openStream(t, orders, split, { fullDocument: 'updateLookup' });
  await orders.updateOne({ _id: 'big' }, grow);
  await orders.insertOne({ _id: 'next' });
  const first = (await nextEvents(stream, 1))[0] as Fragment;
  const of = first.splitEvent?.of ?? 0;
  t.ok(of >= 2, `the event came in ${of} fragments`);
  const fragments = [first, ...((await nextEvents(stream, of - 1)) as Fragment[])];
  t.same(
    fragments.map((f) => f.splitEvent),
    fragments.map((_, i) => ({ fragment: i + 1, of })),
    'numbered in order',
  );
  for (const f of fragments) t.ok(BSON.calculateObjectSize(f as Document) <= 16 * MB, `fragment ${f.splitEvent?.fragment} is under 16 MB`);
  t.equal(first.operationType, 'update', 'the first fragment carries the event context');
  t.ok('documentKey' in first && 'ns' in first);
  const fields = fragments.flatMap((f) => Object.keys(f).filter((k) => k !== '_id' && k !== 'splitEvent'));
  t.equal(new Set(fields).size, fields.length, 'no field in two fragments');
  t.ok(fields.includes('fullDocument') && fields.includes('updateDescription'));
  const whole = Object.assign({}, ...fragments) as { fullDocument: Doc };
  t.equal((whole.fullDocument.b as string).length, 7_500_000, 'the fields add up to the event');
  t.equal(new Set(fragments.map((f) => JSON.stringify(f._id))).size, of, 'each fragment has its own token');

  const fromFirst = await openStream(t, orders, split, { fullDocument: 'updateLookup', resumeAfter: first._id });
  const [resumed] = (await nextEvents(fromFirst, 1)) as Fragment[];
  t.same(resumed!.splitEvent, { fragment: 2, of }, 'resuming from a fragment starts with the next one');
  const fromLast = await openStream(t, orders, split, { fullDocument: 'updateLookup', resumeAfter: fragments[of - 1]!._id });
  const [after] = await nextEvents(fromLast, 1);
  t.equal(keyOf(after), 'next', 'resuming from the last fragment starts with the next event');
});

t.test('test server: MongoDB 4.4 has no $changeStreamSplitLargeEvent', { skip: mongoTestServer ? false : 'what a 4.4 server answers' }, async (t) => {
  const orders = await freshCollection(t, await connect(t));
  const stream = orders.watch([{ $changeStreamSplitLargeEvent: {} }]);
  t.teardown(() => stream.close());
  await t.rejects(stream.tryNext(), { code: 40324 });
});
