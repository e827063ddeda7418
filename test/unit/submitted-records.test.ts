import t from 'tap';
import { SubmittedRecords, stableKey } from '../../runtime/offsets/index.js';

const rec = (coll: string, n: number) => ({ sourcePartition: { db: 'shop', coll }, sourceOffset: { n } });

t.test('stableKey ignores key order', async (t) => {
  t.equal(stableKey({ a: 1, b: { d: [1, { y: 1, x: 2 }], c: 2 } }), stableKey({ b: { c: 2, d: [1, { x: 2, y: 1 }] }, a: 1 }));
  t.not(stableKey({ a: 1 }), stableKey({ a: '1' }));
});

t.test('out-of-order acks never commit past a gap', async (t) => {
  const s = new SubmittedRecords();
  const h = [1, 2, 3, 4].map((n) => s.submit(rec('orders', n)));
  t.equal(s.inFlight, 4);
  h[1]?.ack();
  h[3]?.ack();
  let c = s.committableOffsets();
  t.same(c.offsets, [], 'record 1 is still in flight: nothing is committable');
  t.equal(c.pending, 4);
  h[0]?.ack();
  c = s.committableOffsets();
  t.same(c.offsets, [{ partition: { db: 'shop', coll: 'orders' }, offset: { n: 2 } }], 'up to the gap at 3');
  t.equal(c.committable, 2);
  t.equal(c.pending, 2);
  t.same(s.committableOffsets().offsets, [], 'no new progress, nothing reported');
  h[2]?.ack();
  t.same(s.committableOffsets().offsets, [{ partition: { db: 'shop', coll: 'orders' }, offset: { n: 4 } }]);
  t.equal(s.inFlight, 0);
});

t.test('independent partitions progress independently', async (t) => {
  const s = new SubmittedRecords();
  const o1 = s.submit(rec('orders', 1));
  const c1 = s.submit(rec('customers', 1));
  const c2 = s.submit({ sourcePartition: { coll: 'customers', db: 'shop' }, sourceOffset: { n: 2 } });
  c2.ack();
  c1.ack();
  const c = s.committableOffsets();
  t.same(c.offsets, [{ partition: { db: 'shop', coll: 'customers' }, offset: { n: 2 } }], 'orders being blocked does not block customers');
  t.equal(c.pending, 1);
  o1.ack();
  t.same(
    s.committableOffsets().offsets.map((e) => e.offset),
    [{ n: 1 }],
  );
});

t.test('acks are idempotent; dropped records do not block and are not committed', async (t) => {
  const s = new SubmittedRecords();
  const a = s.submit(rec('orders', 1));
  const b = s.submit(rec('orders', 2));
  const c = s.submit(rec('orders', 3));
  a.ack();
  a.ack();
  a.drop();
  t.equal(s.inFlight, 2);
  c.drop();
  b.ack();
  t.same(
    s.committableOffsets().offsets.map((e) => e.offset),
    [{ n: 2 }],
    'the dropped last record is skipped',
  );
  t.equal(s.inFlight, 0);
  const d = s.submit(rec('orders', 4));
  d.drop();
  t.same(s.committableOffsets(), { offsets: [], committable: 0, pending: 0 });
});

t.test('awaitAllAcked resolves when the last record is acked, or times out', async (t) => {
  const s = new SubmittedRecords();
  t.equal(await s.awaitAllAcked(10), true, 'nothing in flight');
  const a = s.submit(rec('orders', 1));
  const b = s.submit(rec('orders', 2));
  t.equal(await s.awaitAllAcked(20), false, 'times out');
  const done = s.awaitAllAcked(1000);
  setTimeout(() => a.ack(), 5);
  setTimeout(() => b.ack(), 10);
  t.equal(await done, true);
});

t.test('awaitInFlightBelow gives backpressure', async (t) => {
  const s = new SubmittedRecords();
  const handles = [1, 2, 3].map((n) => s.submit(rec('orders', n)));
  t.equal(await s.awaitInFlightBelow(4, 10), true);
  const below2 = s.awaitInFlightBelow(2, 1000);
  let resolved = false;
  void below2.then(() => (resolved = true));
  handles[0]?.ack();
  await new Promise((r) => setImmediate(r));
  t.notOk(resolved, 'two still in flight');
  handles[2]?.ack();
  t.equal(await below2, true);
});
