/**
 * Conformance of what a source connector relies on besides change events: the replica-set identity in
 * `hello` (so `?replicaSet=` connection strings work) and MongoDB 7's $toHashedIndexKey, which a source task
 * uses to take a hash share of the _ids. From MongoDB's documentation ("hello", "Connection Strings",
 * "$toHashedIndexKey"); passes against a real MongoDB 7 replica set too.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { MongoClient, Timestamp, type ChangeStream, type Document } from 'mongodb';
import { connect, type Doc, freshCollection, mongoTestServer, openStream } from '../../helpers/change-streams.js';
import { servicesScript } from '../../helpers/mongo-test-server.js';
import { waitFor } from '../../helpers/services.js';

t.test('hello and isMaster answer as the primary of a replica set', async (t) => {
  const client = await connect(t);
  const hello = await client.db('admin').command({ hello: 1 });
  t.equal(hello.isWritablePrimary, true);
  t.type(hello.setName, 'string');
  t.ok(Array.isArray(hello.hosts) && hello.hosts.includes(hello.me), 'hosts lists this member');
  t.equal(hello.primary, hello.me);
  if (mongoTestServer) t.equal(hello.setName, 'rs0', 'test server: the replica set is rs0');

  const legacy = await client.db('admin').command({ isMaster: 1 });
  t.equal(legacy.ismaster, true);
  t.equal(legacy.setName, hello.setName);
});

t.test('replies carry the operationTime of the command: a read at or after the writes it saw', async (t) => {
  const client = await connect(t);
  const orders = await freshCollection<Doc>(t, client);
  const stream = await openStream(t, orders);
  await orders.insertOne({ _id: 'o-1' });
  const event = (await stream.next()) as { clusterTime: Timestamp };
  const db = client.db(orders.dbName);
  const read = await db.command({ find: orders.collectionName, filter: {}, readConcern: { level: 'majority' } });
  t.same(
    (read.cursor as { firstBatch: Doc[] }).firstBatch.map((d) => d._id),
    ['o-1'],
  );
  t.ok(read.operationTime instanceof Timestamp, 'a find reply has an operationTime');
  t.ok((read.operationTime as Timestamp).compare(event.clusterTime) >= 0, "at or after the insert's cluster time");
  const counted = await db.command({ count: orders.collectionName });
  t.ok(counted.operationTime instanceof Timestamp, 'so does any other command');
});

t.test('a ?replicaSet= connection string reaches the primary; a wrong set name does not', async (t) => {
  const client = await connect(t);
  const { setName, hosts } = await client.db('admin').command({ hello: 1 });
  const db = `rs-${process.pid}`;
  const rs = new MongoClient(`mongodb://${(hosts as string[]).join(',')}/?replicaSet=${setName}`, { serverSelectionTimeoutMS: 10_000 });
  t.teardown(() => rs.close());
  await rs.db(db).collection<Doc>('c').insertOne({ _id: 'x' });
  t.same(
    await rs
      .db(db)
      .collection('c')
      .findOne({ _id: 'x' as never }),
    { _id: 'x' },
  );
  await rs.db(db).dropDatabase();

  const wrong = new MongoClient(`mongodb://${(hosts as string[])[0]}/?replicaSet=not-${setName}`, { serverSelectionTimeoutMS: 2000 });
  t.teardown(() => wrong.close());
  await t.rejects(wrong.db(db).command({ ping: 1 }), { name: 'MongoServerSelectionError' });
});

t.test(
  'test server: `services env` prints a replicaSet=rs0 connection string',
  { skip: mongoTestServer ? false : 'about the test server scripts' },
  async (t) => {
    const { stdout } = await promisify(execFile)('bash', [servicesScript, 'env', 'mongo']);
    t.match(stdout, /^MONGODB_URI=mongodb:\/\/127\.0\.0\.1:\d+\/\?replicaSet=rs0$/m);
  },
);

t.test('$toHashedIndexKey: the documented example value', async (t) => {
  const client = await connect(t);
  const [row] = await client
    .db('admin')
    .aggregate([{ $documents: [{ val: 'string to hash' }] }, { $addFields: { hashedVal: { $toHashedIndexKey: '$val' } } }])
    .toArray();
  // MongoDB's documentation: hashedVal: Long("763543691661428748")
  t.equal(String(row!.hashedVal), '763543691661428748');
});

const share = (n: number, k: number, path: string): Document => ({
  $match: { $expr: { $eq: [{ $abs: { $mod: [{ $toHashedIndexKey: path }, n] } }, k] } },
});

t.test('$toHashedIndexKey: deterministic and evenly spread over _ids', async (t) => {
  const client = await connect(t);
  const orders = await freshCollection(t, client);
  await orders.insertMany(Array.from({ length: 400 }, (_, i) => ({ _id: `order-${i}` })));

  const hashes = async () =>
    (await orders.aggregate([{ $project: { h: { $toHashedIndexKey: '$_id' } } }, { $sort: { _id: 1 } }]).toArray()).map((d) => String(d.h));
  const first = await hashes();
  t.same(await hashes(), first, 'the same _id always hashes to the same value');
  t.equal(new Set(first).size, 400, 'distinct _ids get distinct hashes');

  for (let k = 0; k < 4; k++) {
    const inShare = await orders.aggregate([share(4, k, '$_id')]).toArray();
    t.ok(inShare.length > 60 && inShare.length < 140, `share ${k} of 4 holds ${inShare.length} of 400 _ids`);
  }
});

t.test('$toHashedIndexKey in a change stream $match $expr: hash shares split the events exactly', async (t) => {
  const client = await connect(t);
  const orders = await freshCollection(t, client);
  const streams: ChangeStream[] = [];
  for (let k = 0; k < 3; k++) streams.push(await openStream(t, orders, [share(3, k, '$documentKey._id')]));
  const ids = Array.from({ length: 60 }, (_, i) => `order-${i}`);
  await orders.insertMany(ids.map((_id) => ({ _id })));

  const seen: string[][] = [[], [], []];
  await waitFor('every event in some share', async () => {
    for (let k = 0; k < 3; k++) {
      const event = await streams[k]!.tryNext();
      if (event && 'documentKey' in event) seen[k]!.push(String((event.documentKey as { _id: unknown })._id));
    }
    return seen.flat().length >= ids.length ? true : undefined;
  });
  t.same(seen.flat().sort(), [...ids].sort(), 'each event reaches exactly one share');
  t.ok(
    seen.every((s) => s.length > 0),
    `every share gets events (${seen.map((s) => s.length).join(', ')})`,
  );
});
