import t from 'tap';
import avsc from 'avsc';
import { EXTENDED_JSON, cdcEnvelopeSchema } from '../../runtime/api/index.js';
import { customer, customersEnvelopeSchema, envelope, order, ordersEnvelopeSchema, shopSchema } from '../fixtures/shop.js';

t.test('orders.avsc and customers.avsc are valid Avro and round-trip documents exactly', async (t) => {
  const orders = avsc.Type.forSchema(shopSchema('orders') as avsc.Schema);
  const o = order('65a1b2c3d4e5f60718293a4b', { total: '12345678901234.99' });
  t.same(orders.fromBuffer(orders.toBuffer(o)), o, 'money stays exact beyond double precision');
  const customers = avsc.Type.forSchema(shopSchema('customers') as avsc.Schema);
  const c = customer('c-1', { email: null, address: null });
  t.same(customers.fromBuffer(customers.toBuffer(c)), c);
  t.notOk(orders.isValid({ ...o, items: [{ ...o.items[0], quantity: 'one' }] }), 'a document that does not fit is refused');
});

t.test('the envelope schema carries a typed document in before and after', async (t) => {
  const type = avsc.Type.forSchema(ordersEnvelopeSchema() as avsc.Schema);
  const before = order('o1');
  const after = order('o1', { status: 'shipped' });
  const event = { ...envelope('u', 'orders', after, 1000, before), update_description: { updated_fields: '{"status":"shipped"}', removed_fields: [] } };
  t.same(type.fromBuffer(type.toBuffer(event)), event);
  const deleted = envelope('d', 'orders', null, 2000, before);
  t.same(type.fromBuffer(type.toBuffer(deleted)), deleted);
  t.equal((type as unknown as { name: string }).name, 'conflux.cdc.orders.Envelope');
  avsc.Type.forSchema(customersEnvelopeSchema() as avsc.Schema);
});

t.test('the envelope schema of a collection without a schema file carries Extended JSON strings', async (t) => {
  const type = avsc.Type.forSchema(cdcEnvelopeSchema('audit-log', EXTENDED_JSON) as avsc.Schema);
  const event = envelope('c', 'audit-log', '{"_id":{"$oid":"65a1b2c3d4e5f60718293a4b"},"n":{"$numberLong":"1"}}', 1000);
  t.same(type.fromBuffer(type.toBuffer(event)), event);
  t.throws(() => cdcEnvelopeSchema('x', { type: 'string' }), /Avro record schema/);
});
