/**
 * mongodb-source: change events become CDC envelopes on the right topics, keyed by _id, decodable
 * with the schema the connector registered; typed (value.schema.orders) and schemaless (customers).
 */
import t from 'tap';
import { BSON, Decimal128, ObjectId, type Document } from 'mongodb';
import { kafka } from '../fixtures/kafka.js';
import { freshDb, mongo, startCapture, waitForOffsets, waitForRecords } from '../fixtures/mongodb-source.js';
import { startWorker, tempDir } from '../fixtures/worker.js';

interface Envelope {
  op: string;
  source: { db: string; collection: string; snapshot: boolean; resume_token: string; cluster_time_ms: number };
  after: Record<string, unknown> | string | null;
  before: unknown;
  update_description: { updated_fields: string; removed_fields: string[] } | null;
}

const T0 = new Date(Date.UTC(2026, 0, 15, 10, 0, 0));

t.test('insert, $set, $inc, $unset, replace, findOneAndUpdate and delete arrive as envelopes', async (t) => {
  const worker = await startWorker(t, tempDir(t));
  const client = await mongo(t);
  const db = freshDb(t, client);
  const capture = await startCapture(t, worker, db, ['orders', 'customers'], {
    'startup.mode': 'stream',
    'value.schema.orders': 'config/schemas/orders.avsc',
    'topic.compacted': 'customers',
    'topic.partitions': '3',
  });
  // The stream position is stored before the first change, so nothing written from now on is missed.
  await waitForOffsets(worker, capture.source, (o) => o.length === 2);

  const orders = db.collection('orders');
  const customers = db.collection<Record<string, unknown> & { _id: string }>('customers');
  const id = new ObjectId();
  const order = {
    _id: id,
    customer_id: 'c-1',
    status: 'pending',
    currency: 'EUR',
    items: [{ line: 1, sku: 'SKU-1', name: 'Mug', quantity: 2, unit_price: Decimal128.fromString('10.25') }],
    total: Decimal128.fromString('20.50'),
    created_at: T0,
    updated_at: T0,
    note: 'gift',
  };
  const { note: _note, ...withoutNote } = order;
  // updateLookup gives the document as it is when the event is read (MongoDB documents this), so
  // each change is awaited before the next to assert on that change's document.
  const writes: Array<[string, () => Promise<unknown>]> = [
    ['orders', () => orders.insertOne(order)],
    ['orders', () => orders.updateOne({ _id: id }, { $set: { status: 'paid' } })],
    ['orders', () => orders.updateOne({ _id: id }, { $inc: { 'items.0.quantity': 1 }, $set: { total: Decimal128.fromString('30.75') } })],
    ['orders', () => orders.updateOne({ _id: id }, { $unset: { note: '' } })],
    ['orders', () => orders.replaceOne({ _id: id }, { ...withoutNote, status: 'shipped', items: [], total: Decimal128.fromString('0.00') })],
    ['orders', () => orders.findOneAndUpdate({ _id: id }, { $set: { status: 'delivered' } })],
    ['orders', () => orders.deleteOne({ _id: id })],
    [
      'customers',
      () =>
        customers.insertOne({ _id: 'c-1', name: 'Ada', email: null, segment: 'vip', address: { city: 'Lyon', country: 'FR' }, created_at: T0, updated_at: T0 }),
    ],
    ['customers', () => customers.updateOne({ _id: 'c-1' }, { $set: { 'address.city': 'Paris' }, $unset: { email: '' } })],
    ['customers', () => customers.findOneAndUpdate({ _id: 'c-1' }, { $inc: { visits: 1 } } as Document)],
    ['customers', () => customers.replaceOne({ _id: 'c-1' }, { name: 'Ada L.', segment: 'vip', created_at: T0, updated_at: T0 })],
    ['customers', () => customers.deleteOne({ _id: 'c-1' })],
  ];
  const counts: Record<string, number> = { orders: 0, customers: 0 };
  for (const [collection, write] of writes) {
    await write();
    await waitForRecords(worker, capture, collection, ++counts[collection]!);
  }

  const withTombstone = await waitForRecords(worker, capture, 'orders', 8);
  t.same(
    withTombstone.map((r) => (r.value === null ? 'tombstone' : (r.value as Envelope).op)),
    ['c', 'u', 'u', 'u', 'u', 'u', 'd', 'tombstone'],
    'ops in order, the delete followed by a tombstone',
  );
  t.equal(withTombstone[7]!.key, id.toHexString(), "the tombstone has the deleted document's key");
  const orderRecords = withTombstone.slice(0, 7);
  const envelopes = orderRecords.map((r) => r.value as Envelope);
  t.ok(
    orderRecords.every((r) => r.key === id.toHexString()),
    'key: the ObjectId as hex',
  );
  t.ok(envelopes.every((e) => e.source.db === db.databaseName && e.source.collection === 'orders' && !e.source.snapshot));
  t.ok(
    envelopes.every((e) => e.source.resume_token.startsWith('{"_data":')),
    'the resume token as canonical Extended JSON',
  );
  t.ok(
    envelopes.every((e) => e.source.cluster_time_ms > Date.UTC(2026, 0, 1)),
    'cluster time in ms',
  );
  t.same(
    envelopes[0]!.after,
    {
      _id: id.toHexString(),
      customer_id: 'c-1',
      status: 'pending',
      currency: 'EUR',
      items: [{ line: 1, sku: 'SKU-1', name: 'Mug', quantity: 2, unit_price: '10.25' }],
      total: '20.50',
      created_at: T0.getTime(),
      updated_at: T0.getTime(),
    },
    'typed after: ObjectId hex, Decimal128 as decimal string, Date as epoch ms',
  );
  t.equal(envelopes[0]!.update_description, null);
  t.equal((envelopes[1]!.after as { status: string }).status, 'paid', 'updateLookup: the full document after $set');
  t.same(BSON.EJSON.parse(envelopes[1]!.update_description!.updated_fields), { status: 'paid' });
  const inc = envelopes[2]!;
  t.equal((inc.after as { items: Array<{ quantity: number }> }).items[0]!.quantity, 3, '$inc');
  t.same(envelopes[3]!.update_description!.removed_fields, ['note'], '$unset');
  t.equal((envelopes[4]!.after as { status: string }).status, 'shipped', 'replace');
  t.equal(envelopes[4]!.update_description, null, 'a replace has no update description');
  t.equal((envelopes[5]!.after as { status: string }).status, 'delivered', 'findOneAndUpdate');
  t.equal(envelopes[6]!.after, null, 'delete: after is null');
  t.ok(
    envelopes.every((e) => e.before === null),
    'before is null without pre-images',
  );

  const customerRecords = await waitForRecords(worker, capture, 'customers', 6);
  t.same(
    customerRecords.map((r) => (r.value === null ? 'tombstone' : (r.value as Envelope).op)),
    ['c', 'u', 'u', 'u', 'd', 'tombstone'],
    'compacted topic: the delete, then the tombstone',
  );
  const ce = customerRecords.slice(0, 5).map((r) => r.value as Envelope);
  t.ok(
    customerRecords.every((r) => r.key === 'c-1'),
    'key: a string _id as is',
  );
  t.equal(typeof ce[0]!.after, 'string', 'schemaless after: a string');
  t.same(
    JSON.parse(ce[0]!.after as string),
    {
      _id: 'c-1',
      name: 'Ada',
      email: null,
      segment: 'vip',
      address: { city: 'Lyon', country: 'FR' },
      created_at: { $date: { $numberLong: String(T0.getTime()) } },
      updated_at: { $date: { $numberLong: String(T0.getTime()) } },
    },
    'canonical Extended JSON of the document',
  );
  t.same(ce[1]!.update_description!.removed_fields, ['email']);
  t.same(BSON.EJSON.parse(ce[1]!.update_description!.updated_fields), { 'address.city': 'Paris' });
  t.match(JSON.parse(ce[2]!.after as string), { visits: { $numberInt: '1' } }, 'findOneAndUpdate with $inc');
  t.equal(ce[4]!.after, null);

  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  const meta = await admin.fetchTopicMetadata({ topics: [capture.topics.orders!] });
  t.equal(meta.topics[0]!.partitions.length, 3, 'orders topic created with topic.partitions');
  const configs = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: 2, name: capture.topics.customers!, configNames: ['cleanup.policy'] }],
  });
  t.equal(configs.resources[0]!.configEntries[0]!.configValue, 'compact', 'customers topic created compacted');
});

t.test('a document that breaks its schema goes to the dead-letter topic with the reason; the stream continues', async (t) => {
  const worker = await startWorker(t, tempDir(t));
  const client = await mongo(t);
  const db = freshDb(t, client);
  const dlq = `${db.databaseName}-dlq`;
  const capture = await startCapture(t, worker, db, ['orders'], {
    'startup.mode': 'stream',
    'value.schema.orders': 'config/schemas/orders.avsc',
    'errors.tolerance': 'all',
    'errors.deadletterqueue.topic.name': dlq,
  });
  await waitForOffsets(worker, capture.source, (o) => o.length === 1);
  const orders = db.collection<{ _id: string; [k: string]: unknown }>('orders');
  const good = (id: string) => ({ _id: id, customer_id: 'c-1', status: 'paid', currency: 'EUR', items: [], total: '0.00', created_at: T0, updated_at: T0 });
  await orders.insertOne(good('o-1'));
  await orders.insertOne({ ...good('o-bad'), customer_id: undefined, total: 12 });
  await orders.insertOne(good('o-2'));
  const records = await waitForRecords(worker, capture, 'orders', 2);
  t.same(
    records.map((r) => r.key),
    ['o-1', 'o-2'],
    'the bad document is not on the topic, the next one is',
  );
  const { readTopic, header } = await import('../fixtures/kafka.js');
  const [dead] = await readTopic(t, dlq, 1);
  t.equal(header(dead!.headers, 'conflux.error.stage'), 'convert');
  t.match(header(dead!.headers, 'conflux.error.message'), /does not match its schema.*(customer_id|total)/);
  t.match(dead!.value, /o-bad/, 'the original record is in the dead letter');
  t.equal(worker.status(capture.source).tasks[0]!.state, 'RUNNING');
});

t.test('customers typed and orders schemaless: the same changes, the other way round (and no tombstones when turned off)', async (t) => {
  const worker = await startWorker(t, tempDir(t));
  const client = await mongo(t);
  const db = freshDb(t, client);
  const capture = await startCapture(t, worker, db, ['orders', 'customers'], {
    'startup.mode': 'stream',
    'value.schema.customers': 'config/schemas/customers.avsc',
    'tombstones.on.delete': 'false',
  });
  await waitForOffsets(worker, capture.source, (o) => o.length === 2);
  const customers = db.collection<Record<string, unknown> & { _id: ObjectId }>('customers');
  const orders = db.collection<Record<string, unknown> & { _id: string }>('orders');
  const id = new ObjectId();
  await customers.insertOne({ _id: id, name: 'Ada', email: null, segment: 'vip', address: { city: 'Lyon', country: 'FR' }, created_at: T0, updated_at: T0 });
  await waitForRecords(worker, capture, 'customers', 1);
  await customers.updateOne({ _id: id }, { $set: { 'address.city': 'Paris' } });
  await waitForRecords(worker, capture, 'customers', 2);
  await customers.deleteOne({ _id: id });
  await orders.insertOne({ _id: 'o-1', total: Decimal128.fromString('1.50'), created_at: T0 });
  await orders.updateOne({ _id: 'o-1' }, { $inc: { n: 1 } } as Document);
  await customers.insertOne({
    _id: new ObjectId(),
    name: 'Bea',
    email: null,
    segment: 'vip',
    address: { city: 'Lyon', country: 'FR' },
    created_at: T0,
    updated_at: T0,
  });
  const cs = (await waitForRecords(worker, capture, 'customers', 4)).map((r) => r.value as Envelope);
  t.same(
    cs.map((e) => e?.op ?? 'tombstone'),
    ['c', 'u', 'd', 'c'],
    'tombstones.on.delete=false: nothing follows the delete',
  );
  t.same(cs[0]!.after, {
    _id: id.toHexString(),
    name: 'Ada',
    email: null,
    segment: 'vip',
    address: { city: 'Lyon', country: 'FR' },
    created_at: T0.getTime(),
    updated_at: T0.getTime(),
  });
  t.same((cs[1]!.after as { address: unknown }).address, { city: 'Paris', country: 'FR' });
  const os = (await waitForRecords(worker, capture, 'orders', 2)).map((r) => r.value as Envelope);
  t.same(
    os.map((e) => e.op),
    ['c', 'u'],
  );
  t.same(
    JSON.parse(os[0]!.after as string),
    {
      _id: 'o-1',
      total: { $numberDecimal: '1.50' },
      created_at: { $date: { $numberLong: String(T0.getTime()) } },
    },
    'Decimal128 stays exact in Extended JSON',
  );
  t.same(BSON.EJSON.parse(os[1]!.update_description!.updated_fields), { n: 1 });
});
