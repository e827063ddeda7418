/**
 * Change-stream conformance: which events each write emits, and their shape. Written from MongoDB's
 * documentation ("Change Events" and the page of each event type), so it also passes against a real
 * MongoDB 7 replica set (MONGODB_URI=mongodb://host/?replicaSet=rs0).
 */
import t from 'tap';
import { Timestamp, type ChangeStreamDocument } from 'mongodb';
import { connect, type Doc, eventsUntilMarker, freshCollection, nextEvents, openStream, summary } from '../../helpers/change-streams.js';

interface Order extends Doc {
  status?: string;
  total?: number;
  note?: string;
  customer?: { name: string; tier?: string };
}

t.test('insert events: one per document, with _id token, clusterTime, wallTime, ns, documentKey and fullDocument', async (t) => {
  const client = await connect(t);
  const orders = await freshCollection<Order>(t, client);
  const stream = await openStream(t, orders);

  await orders.insertOne({ _id: 'o-1', status: 'new', total: 10 });
  await orders.insertMany([
    { _id: 'o-2', status: 'new' },
    { _id: 'o-3', status: 'new' },
  ]);
  const events = await eventsUntilMarker(stream, orders);
  t.same(events.map(summary), ['insert o-1', 'insert o-2', 'insert o-3']);

  const [first] = events as Extract<ChangeStreamDocument<Order>, { operationType: 'insert' }>[];
  t.type(first!._id, 'object', '_id is the resume token document');
  t.type((first!._id as { _data: unknown })._data, 'string', 'the token carries _data');
  t.ok(first!.clusterTime instanceof Timestamp, 'clusterTime is a BSON timestamp');
  t.ok(first!.wallTime instanceof Date, 'wallTime is a date (MongoDB 6.0+)');
  t.same(first!.ns, { db: orders.dbName, coll: orders.collectionName });
  t.same(first!.documentKey, { _id: 'o-1' });
  t.same(first!.fullDocument, { _id: 'o-1', status: 'new', total: 10 });

  const tokens = events.map((e) => (e._id as { _data: string })._data);
  t.equal(new Set(tokens).size, 3, 'every event has its own resume token');
  const times = events.map((e) => (e as { clusterTime: Timestamp }).clusterTime);
  t.ok(times[0]!.lessThanOrEqual(times[1]!) && times[1]!.lessThanOrEqual(times[2]!), 'clusterTime follows the write order');
});

t.test('a write that fails emits nothing: an ordered insertMany stopped by a duplicate key', async (t) => {
  const client = await connect(t);
  const orders = await freshCollection<Order>(t, client);
  await orders.insertOne({ _id: 'dup' });
  const stream = await openStream(t, orders);

  await t.rejects(orders.insertMany([{ _id: 'a' }, { _id: 'dup' }, { _id: 'c' }]), { code: 11000 });
  t.same((await eventsUntilMarker(stream, orders)).map(summary), ['insert a']);
});

t.test('update events: documentKey {_id}, updateDescription, no fullDocument unless asked for', async (t) => {
  const client = await connect(t);
  const orders = await freshCollection<Order>(t, client);
  await orders.insertOne({ _id: 'o-1', status: 'new', total: 10, note: 'gift', customer: { name: 'Ada' } });
  const stream = await openStream(t, orders);

  await orders.updateOne({ _id: 'o-1' }, { $set: { status: 'paid', 'customer.tier': 'gold' }, $inc: { total: 5 }, $unset: { note: '' } });
  const [update] = await eventsUntilMarker(stream, orders);
  t.equal(update!.operationType, 'update');
  if (update!.operationType !== 'update') return;
  t.same(update.documentKey, { _id: 'o-1' });
  t.same(update.ns, { db: orders.dbName, coll: orders.collectionName });
  t.same(
    update.updateDescription.updatedFields,
    { status: 'paid', 'customer.tier': 'gold', total: 15 },
    'new values of the changed fields, nested ones as dotted paths',
  );
  t.same(update.updateDescription.removedFields, ['note']);
  t.same(update.updateDescription.truncatedArrays ?? [], []);
  t.notOk('fullDocument' in update, 'fullDocument appears on updates only with updateLookup');
});

t.test("fullDocument: 'updateLookup' gives the document as it is now, null once it was deleted", async (t) => {
  const client = await connect(t);
  const orders = await freshCollection<Order>(t, client);
  await orders.insertOne({ _id: 'o-1', status: 'new', total: 10 });
  await orders.insertOne({ _id: 'o-2', status: 'new', total: 20 });
  const stream = await openStream(t, orders, [], { fullDocument: 'updateLookup' });

  await orders.updateOne({ _id: 'o-1' }, { $set: { status: 'paid' } });
  const [looked] = await nextEvents(stream, 1);
  t.same(looked!.operationType === 'update' && looked.fullDocument, { _id: 'o-1', status: 'paid', total: 10 }, 'the whole current document');

  await orders.updateOne({ _id: 'o-2' }, { $set: { status: 'paid' } });
  await orders.deleteOne({ _id: 'o-2' });
  const [gone, deleted] = await nextEvents(stream, 2);
  t.equal(gone!.operationType, 'update');
  t.equal(gone!.operationType === 'update' && gone.fullDocument, null, 'the lookup finds nothing after the delete');
  t.equal(deleted!.operationType, 'delete');
});

t.test('replaceOne emits a replace event with the new document', async (t) => {
  const client = await connect(t);
  const orders = await freshCollection<Order>(t, client);
  await orders.insertOne({ _id: 'o-1', status: 'new', total: 10 });
  const stream = await openStream(t, orders);

  await orders.replaceOne({ _id: 'o-1' }, { status: 'replaced' });
  const [replace] = await eventsUntilMarker(stream, orders);
  t.equal(replace!.operationType, 'replace');
  t.same(replace!.operationType === 'replace' && replace.documentKey, { _id: 'o-1' });
  t.same(replace!.operationType === 'replace' && replace.fullDocument, { _id: 'o-1', status: 'replaced' });
});

t.test('findOneAndUpdate, findOneAndReplace and findOneAndDelete emit update, replace and delete', async (t) => {
  const client = await connect(t);
  const orders = await freshCollection<Order>(t, client);
  await orders.insertMany([
    { _id: 'o-1', status: 'new' },
    { _id: 'o-2', status: 'new' },
    { _id: 'o-3', status: 'new' },
  ]);
  const stream = await openStream(t, orders);

  await orders.findOneAndUpdate({ _id: 'o-1' }, { $set: { status: 'paid' } });
  await orders.findOneAndReplace({ _id: 'o-2' }, { status: 'replaced' });
  await orders.findOneAndDelete({ _id: 'o-3' });
  await orders.findOneAndUpdate({ _id: 'missing' }, { $set: { status: 'paid' } }); // matches nothing
  const events = await eventsUntilMarker(stream, orders);
  t.same(events.map(summary), ['update o-1', 'replace o-2', 'delete o-3']);
  const [update] = events;
  t.same(update!.operationType === 'update' && update.updateDescription.updatedFields, { status: 'paid' });
});

t.test('upserts that insert emit insert events', async (t) => {
  const client = await connect(t);
  const orders = await freshCollection<Order>(t, client);
  const stream = await openStream(t, orders);

  await orders.updateOne({ _id: 'u-1' }, { $set: { status: 'new' } }, { upsert: true });
  await orders.findOneAndUpdate({ _id: 'u-2' }, { $set: { status: 'new' } }, { upsert: true });
  await orders.replaceOne({ _id: 'u-3' }, { status: 'new' }, { upsert: true });
  await orders.updateOne({ _id: 'u-1' }, { $set: { status: 'paid' } }, { upsert: true }); // now an update
  const events = await eventsUntilMarker(stream, orders);
  t.same(events.map(summary), ['insert u-1', 'insert u-2', 'insert u-3', 'update u-1']);
  t.same(events[1]!.operationType === 'insert' && events[1].fullDocument, { _id: 'u-2', status: 'new' });
});

t.test('updateMany emits one event per modified document; an update that changes nothing emits none', async (t) => {
  const client = await connect(t);
  const orders = await freshCollection<Order>(t, client);
  await orders.insertMany([
    { _id: 'o-1', status: 'new' },
    { _id: 'o-2', status: 'paid' },
    { _id: 'o-3', status: 'new' },
  ]);
  const stream = await openStream(t, orders);

  const result = await orders.updateMany({}, { $set: { status: 'paid' } });
  t.equal(result.modifiedCount, 2);
  await orders.updateOne({ _id: 'o-1' }, { $set: { status: 'paid' } }); // already paid
  const events = await eventsUntilMarker(stream, orders);
  t.same(events.map(summary).sort(), ['update o-1', 'update o-3']);
});

t.test('deleteOne and deleteMany emit one delete event per document, with documentKey only', async (t) => {
  const client = await connect(t);
  const orders = await freshCollection<Order>(t, client);
  await orders.insertMany([{ _id: 'o-1' }, { _id: 'o-2' }, { _id: 'o-3' }, { _id: 'keep', status: 'x' }]);
  const stream = await openStream(t, orders);

  await orders.deleteOne({ _id: 'o-1' });
  await orders.deleteMany({ _id: { $in: ['o-2', 'o-3', 'missing'] } });
  const events = await eventsUntilMarker(stream, orders);
  t.same(events.map(summary).slice(0, 1), ['delete o-1']);
  t.same(events.map(summary).slice(1).sort(), ['delete o-2', 'delete o-3']);
  t.notOk('fullDocument' in events[0]!, 'a delete carries no document');
});

t.test('bulkWrite emits the events of each of its writes, in order', async (t) => {
  const client = await connect(t);
  const orders = await freshCollection<Order>(t, client);
  await orders.insertOne({ _id: 'o-0', status: 'new' });
  const stream = await openStream(t, orders);

  await orders.bulkWrite([
    { insertOne: { document: { _id: 'o-1', status: 'new' } } },
    { updateOne: { filter: { _id: 'o-1' }, update: { $set: { status: 'paid' } } } },
    { replaceOne: { filter: { _id: 'o-0' }, replacement: { status: 'replaced' } } },
    { updateOne: { filter: { _id: 'o-2' }, update: { $set: { status: 'new' } }, upsert: true } },
    { deleteOne: { filter: { _id: 'o-1' } } },
  ]);
  const events = await eventsUntilMarker(stream, orders);
  t.same(events.map(summary), ['insert o-1', 'update o-1', 'replace o-0', 'insert o-2', 'delete o-1']);
});

t.test('drop: a drop event, then invalidate, which closes a collection stream', async (t) => {
  const client = await connect(t);
  const orders = await freshCollection<Order>(t, client);
  await orders.insertOne({ _id: 'o-1' });
  const stream = await openStream(t, orders);
  const dbStream = await openStream(t, client.db(orders.dbName));

  await orders.drop();
  const [drop, invalidate] = await nextEvents(stream, 2);
  t.equal(drop!.operationType, 'drop');
  t.same(drop!.operationType === 'drop' && drop.ns, { db: orders.dbName, coll: orders.collectionName });
  t.equal(invalidate!.operationType, 'invalidate');
  t.equal(await stream.tryNext(), null, 'nothing after invalidate');
  t.ok(stream.closed, 'the stream is closed after invalidate');

  const [dbDrop] = await nextEvents(dbStream, 1);
  t.equal(dbDrop!.operationType, 'drop', 'a database stream sees the drop too');
  await client.db(orders.dbName).collection<Doc>('other').insertOne({ _id: 'x' });
  const [after] = await nextEvents(dbStream, 1);
  t.equal(summary(after!), 'insert x', 'and goes on: dropping a collection does not invalidate a database stream');
});

t.test('dropDatabase: drop events, dropDatabase, then invalidate on a database stream', async (t) => {
  const client = await connect(t);
  const orders = await freshCollection<Order>(t, client);
  await orders.insertOne({ _id: 'o-1' });
  const db = client.db(orders.dbName);
  const stream = await openStream(t, db);

  await db.dropDatabase();
  const events = await nextEvents(stream, 3);
  t.same(
    events.map((e) => e.operationType),
    ['drop', 'dropDatabase', 'invalidate'],
  );
  t.same(events[1]!.operationType === 'dropDatabase' && events[1].ns, { db: orders.dbName });
});

t.test('renameCollection: a rename event with `to`, then invalidate on a stream of the old name', async (t) => {
  const client = await connect(t);
  const orders = await freshCollection<Order>(t, client);
  await orders.insertOne({ _id: 'o-1' });
  const stream = await openStream(t, orders);
  const dbStream = await openStream(t, client.db(orders.dbName));

  await orders.rename('orders_v2');
  const renamed = client.db(orders.dbName).collection<Order>('orders_v2');
  const [rename, invalidate] = await nextEvents(stream, 2);
  t.equal(rename!.operationType, 'rename');
  t.same(rename!.operationType === 'rename' && rename.ns, { db: orders.dbName, coll: orders.collectionName });
  t.same(rename!.operationType === 'rename' && rename.to, { db: orders.dbName, coll: 'orders_v2' });
  t.equal(invalidate!.operationType, 'invalidate');

  await renamed.insertOne({ _id: 'o-2' });
  const events = await nextEvents(dbStream, 2);
  t.same(
    events.map((e) => e.operationType),
    ['rename', 'insert'],
    'a database stream sees the rename and goes on',
  );
  t.same(events[1]!.operationType === 'insert' && events[1].ns, { db: orders.dbName, coll: 'orders_v2' }, 'later events carry the new name');
});
