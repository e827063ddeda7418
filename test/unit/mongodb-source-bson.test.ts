import t from 'tap';
import { Binary, Decimal128, Long, ObjectId, Timestamp } from 'mongodb';
import { avroValue, extendedJson, fromExtendedJson, keyOf } from '../../connectors/mongodb-source/bson.js';

t.test('keys: ObjectId as hex, strings as is, other ids as canonical Extended JSON', async (t) => {
  const id = new ObjectId('65a4f0c2e1d3b4a5c6d7e8f9');
  t.equal(keyOf(id), '65a4f0c2e1d3b4a5c6d7e8f9');
  t.equal(keyOf('order-1'), 'order-1');
  t.equal(keyOf(42), '{"$numberInt":"42"}');
  t.equal(keyOf({ shop: 'a', n: 1 }), '{"shop":"a","n":{"$numberInt":"1"}}');
});

t.test('typed documents: BSON values become the values of the Avro schemas of record', async (t) => {
  const when = new Date(Date.UTC(2026, 0, 15));
  t.same(
    avroValue({
      _id: new ObjectId('65a4f0c2e1d3b4a5c6d7e8f9'),
      total: Decimal128.fromString('129.90'),
      created_at: when,
      items: [{ quantity: 2, unit_price: Decimal128.fromString('64.95') }],
      big: Long.fromNumber(2 ** 40),
      raw: new Binary(Buffer.from('hi')),
      ts: new Timestamp({ t: 1_700_000_000, i: 3 }),
      address: null,
    }),
    {
      _id: '65a4f0c2e1d3b4a5c6d7e8f9',
      total: '129.90',
      created_at: when.getTime(),
      items: [{ quantity: 2, unit_price: '64.95' }],
      big: 2 ** 40,
      raw: Buffer.from('hi'),
      ts: 1_700_000_000_000,
      address: null,
    },
  );
});

t.test('positions survive the Extended JSON round trip with their BSON types', async (t) => {
  const id = new ObjectId();
  const back = fromExtendedJson(extendedJson({ v: id })) as { v: ObjectId };
  t.ok(back.v instanceof ObjectId && back.v.equals(id));
  const ts = fromExtendedJson(extendedJson(new Timestamp({ t: 5, i: 7 }))) as Timestamp;
  t.equal(ts.high, 5);
  t.equal(ts.low, 7);
});
