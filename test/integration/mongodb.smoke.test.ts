import t from 'tap';
import { MongoClient, type ChangeStreamDocument, type ResumeToken } from 'mongodb';
import { services, uniqueName, waitFor } from '../helpers/services.js';

const { mongoUri } = services();

interface Order {
  _id: string;
  status: string;
  total: number;
}

/** Reads change events with tryNext(); each empty call is one getMore that waits up to maxAwaitTimeMS. */
async function nextEvents(stream: { tryNext(): Promise<ChangeStreamDocument<Order> | null> }, count: number) {
  const events: ChangeStreamDocument<Order>[] = [];
  await waitFor(`${count} change events`, async () => {
    const event = await stream.tryNext();
    if (event) events.push(event);
    return events.length >= count ? true : undefined;
  });
  return events;
}

t.test('mongodb: change stream sees insert, update, delete and resumes from a stored token', async (t) => {
  const client = new MongoClient(mongoUri, { serverSelectionTimeoutMS: 5000 });
  await client.connect().catch((err: Error) => {
    throw new Error(`MongoDB server at ${mongoUri} is not reachable: ${err.message}`);
  });
  t.teardown(() => client.close());
  const orders = client.db(uniqueName('shop')).collection<Order>('orders');
  await orders.insertOne({ _id: 'seed', status: 'new', total: 0 }); // creates the collection

  const stream = orders.watch([], { fullDocument: 'updateLookup' });
  t.teardown(() => stream.close());
  await stream.tryNext(); // opens the cursor before we write

  await orders.insertOne({ _id: 'o-1', status: 'new', total: 10 });
  await orders.updateOne({ _id: 'o-1' }, { $set: { status: 'paid' } });
  // Read before the delete: updateLookup returns the document as it is when the event is read.
  const [insert, update] = await nextEvents(stream, 2);
  await orders.deleteOne({ _id: 'o-1' });
  const [remove] = await nextEvents(stream, 1);
  t.same(
    [insert, update, remove].map((e) => e!.operationType),
    ['insert', 'update', 'delete'],
    'insert, update, delete in order',
  );
  t.equal(insert!.operationType === 'insert' && insert.fullDocument._id, 'o-1', 'insert carries the document');
  t.same(update!.operationType === 'update' && update.documentKey, { _id: 'o-1' }, 'update documentKey is {_id}');
  t.same(update!.operationType === 'update' && update.updateDescription.updatedFields, { status: 'paid' });
  t.same(update!.operationType === 'update' && update.fullDocument, { _id: 'o-1', status: 'paid', total: 10 }, 'updateLookup returns the whole document');

  // Stop, write while stopped, resume from the stored token: nothing may be missed.
  const token: ResumeToken = stream.resumeToken!;
  await stream.close();
  await orders.insertMany([
    { _id: 'o-2', status: 'new', total: 20 },
    { _id: 'o-3', status: 'new', total: 30 },
  ]);
  const resumed = orders.watch([], { resumeAfter: token });
  t.teardown(() => resumed.close());
  const missed = await nextEvents(resumed, 2);
  t.same(
    missed.map((e) => (e.operationType === 'insert' ? e.fullDocument._id : e.operationType)),
    ['o-2', 'o-3'],
    'the events written while stopped arrive after resumeAfter',
  );
});

t.test('mongodb: replaceOne gives a replace event keyed by _id', async (t) => {
  const client = new MongoClient(mongoUri);
  await client.connect();
  t.teardown(() => client.close());
  const orders = client.db(uniqueName('shop')).collection<Order>('orders');
  await orders.insertOne({ _id: 'seed', status: 'new', total: 0 });
  const stream = orders.watch();
  t.teardown(() => stream.close());
  await stream.tryNext();
  await orders.replaceOne({ _id: 'seed' }, { status: 'replaced', total: 1 });
  const [replace] = await nextEvents(stream, 1);
  t.equal(replace!.operationType, 'replace');
  t.same(replace!.operationType === 'replace' && replace.documentKey, { _id: 'seed' });
});
