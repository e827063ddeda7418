import { ObjectId } from 'mongodb';
import t from 'tap';
import { ConfigError, documentIdOf, documentKey } from '../../runtime/api/index.js';
import { extendedJson, fromExtendedJson, keyOf } from '../../connectors/mongodb-source/bson.js';
import type { MongoSourceConfig } from '../../connectors/mongodb-source/config.js';
import { collectionOf, parseSnapshotRequest, snapshotInfo, type SignalDoc } from '../../connectors/mongodb-source/snapshot-signals.js';

const config = { collections: 'orders,customers', 'topic.map': 'orders:shop.orders-cdc', 'tasks.max': 2 } as unknown as MongoSourceConfig;

t.test('a record key read back is the id it was made from', async (t) => {
  const oid = new ObjectId();
  for (const id of [oid, 'plain', oid.toHexString(), '{looks-like-json', 7, 7.5, new Date(0), { a: 1 }, true]) {
    const key = keyOf(id);
    const back = fromExtendedJson(JSON.stringify(documentIdOf(key)));
    t.equal(extendedJson(back), extendedJson(id), `${key} -> ${extendedJson(id)}`);
    t.equal(keyOf(back), key, 'and encodes to the same key');
  }
  t.equal(documentKey(documentIdOf('"65a1b2c3d4e5f60718293a4b"')), '"65a1b2c3d4e5f60718293a4b"', 'a hex string stays a string');
});

t.test('snapshot requests: a known collection, one of filter, ids and keys, stored as Extended JSON', async (t) => {
  const bad = (request: Parameters<typeof parseSnapshotRequest>[1]) => {
    try {
      parseSnapshotRequest(config, request);
      return undefined;
    } catch (err) {
      t.ok(err instanceof ConfigError);
      return (err as ConfigError).errors[0];
    }
  };
  t.match(bad({ collection: 'nope' }), { key: 'collection', message: /not one of this connector's collections \(orders, customers\)/ });
  t.match(bad({ collection: 'orders', ids: [1], filter: {} }), { key: 'ids', message: /one of filter, ids and keys/ });
  t.match(bad({ collection: 'orders', ids: [] }), { key: 'ids', message: /lists no _id/ });
  t.match(bad({ collection: 'orders', filter: [1, 2] as never }), { key: 'filter' });
  const parsed = parseSnapshotRequest(config, { collection: 'orders', filter: { status: 'paid', created_at: { $gte: { $date: '2026-01-01T00:00:00Z' } } } });
  t.match(parsed.filter, /"\$date":\{"\$numberLong":"1767225600000"\}/, 'the filter keeps its BSON types, canonical');
  const oid = new ObjectId();
  const keyed = parseSnapshotRequest(config, { collection: 'orders', keys: [oid.toHexString(), '"x"', '{"$numberInt":"3"}'] });
  t.same(fromExtendedJson(keyed.ids!), [oid, 'x', 3], 'keys become the ids they spell');
});

t.test('collectionOf: the collection topic.map sends to a topic', async (t) => {
  t.equal(collectionOf(config, 'shop.orders-cdc'), 'orders');
  t.equal(collectionOf(config, 'customers-cdc'), 'customers', 'the default topic name');
  t.equal(collectionOf(config, 'orders-cdc'), undefined, 'a mapped collection is not at its default name');
});

t.test('snapshotInfo sums the parts; done once every task part is', async (t) => {
  const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
  const doc: SignalDoc = { _id: 'a', type: 'snapshot', connector: 'c', collection: 'orders', requested_at: at(0) };
  t.match(snapshotInfo(doc, 2), { state: 'pending', documents: 0, parts: [] });
  doc.parts = { '0/2': { state: 'running', documents: 100, chunks: 1, total: 500, started_at: at(0), updated_at: at(10) } };
  t.match(snapshotInfo(doc, 2), { state: 'running', documents: 100, total: 1000, chunks: 1, ratePerSecond: 10, etaSeconds: 90 });
  doc.parts['1/2'] = { state: 'done', documents: 500, chunks: 5, total: 500, started_at: at(0), updated_at: at(20) };
  doc.parts['0/2'] = { state: 'done', documents: 500, chunks: 5, total: 500, started_at: at(0), updated_at: at(20) };
  const done = snapshotInfo(doc, 2);
  t.match(done, { state: 'done', documents: 1000, chunks: 10 });
  t.notOk('etaSeconds' in done, 'no time left once done');
  t.match(snapshotInfo({ ...doc, cancelled_at: at(30) }, 2), { state: 'done' }, 'a cancel after the end changes nothing');
  const cancelled = { ...doc, cancelled_at: at(5), parts: { '0/2': { ...doc.parts['0/2']!, state: 'cancelled' as const } } };
  t.match(snapshotInfo(cancelled, 2), { state: 'cancelled' });
  const failed = { ...doc, parts: { ...doc.parts, '0/2': { ...doc.parts['0/2']!, state: 'failed' as const, error: 'no operationTime' } } };
  t.match(snapshotInfo(failed, 2), { state: 'failed', parts: [{ part: '0/2', error: 'no operationTime' }, { part: '1/2' }] });
});
