import t from 'tap';
import { BATCH_OVERHEAD_BYTES, ProduceRequestBuilder, recordBytes } from '../../runtime/source/produce-requests.js';

const message = (n: number, size: number) => ({ key: `k${n}`, value: Buffer.alloc(size) });

t.test('recordBytes bounds what a record adds: key, value, headers and their overhead', async (t) => {
  const bare = recordBytes({ key: 'ab', value: Buffer.alloc(100) });
  t.ok(bare >= 102 && bare <= 102 + 36, `${bare} bytes for a 2-byte key and a 100-byte value`);
  t.equal(recordBytes({ key: 'ab', value: Buffer.alloc(100), headers: { h: 'xyz', many: ['a', Buffer.from('bc')] } }) - bare, 3 * 10 + 1 + 3 + 2 * 4 + 1 + 2);
  t.equal(recordBytes({ key: null, value: null }), 36, 'a tombstone without key costs the overhead only');
});

t.test('requests stay within the budget and keep the order of the messages across topics', async (t) => {
  const builder = new ProduceRequestBuilder<number>(1000);
  for (let n = 0; n < 10; n++) {
    const m = message(n, 200);
    builder.add(n % 2 ? 'odd' : 'even', m, recordBytes(m), n);
  }
  const requests = builder.finish();
  t.ok(requests.length > 1, `${requests.length} requests`);
  t.same(
    requests.flatMap((r) => r.handles),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    'handles in order, each once',
  );
  for (const r of requests) {
    const bytes = BATCH_OVERHEAD_BYTES + r.topicMessages.flatMap((tm) => tm.messages).reduce((sum, m) => sum + recordBytes(m), 0);
    t.ok(bytes <= 1000, `a request of ${bytes} bytes`);
    const keys = r.topicMessages.find((tm) => tm.topic === 'even')?.messages.map((m) => m.key) ?? [];
    t.same(keys, [...keys].sort(), 'per-topic order within a request');
  }
});

t.test('fits: a message that alone exceeds the budget is the caller’s to reject', async (t) => {
  const builder = new ProduceRequestBuilder<number>(1024);
  t.ok(builder.fits(1024 - BATCH_OVERHEAD_BYTES));
  t.notOk(builder.fits(1024 - BATCH_OVERHEAD_BYTES + 1));
  t.same(builder.finish(), [], 'nothing added, no request');
});
