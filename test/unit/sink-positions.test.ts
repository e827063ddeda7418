import t from 'tap';
import { isFenced, withHeartbeats } from '../../runtime/sink/heartbeat.js';
import { topicPartitionKey } from '../../runtime/api/index.js';
import { SinkPositions } from '../../runtime/sink/positions.js';

t.test('a requested position inside the batch skips what lies below it', async (t) => {
  const p = new SinkPositions();
  p.request('a', 0, '5');
  t.same(p.plan('a', 0, '3', '9'), { kind: 'process', from: 5n });
  t.same(p.plan('a', 0, '10', '12'), { kind: 'process', from: undefined }, 'used once');
});

t.test('a requested position outside the batch seeks, and the batch after the seek is taken as it is', async (t) => {
  const p = new SinkPositions();
  p.request('a', 0, '3');
  t.same(p.plan('a', 0, '7', '9'), { kind: 'seek', offset: '3' }, 'fetched from before the seek');
  const gap = p.plan('a', 0, '6', '9');
  t.equal(gap.kind, 'process', 'offsets 3..5 are gone: no second seek');
  t.match(gap, { from: undefined, note: /3\.\.5 no longer exist/ });
});

t.test('a batch below a sought position means the position was beyond the log end', async (t) => {
  const p = new SinkPositions();
  p.request('a', 0, '1000');
  t.same(p.plan('a', 0, '0', '4'), { kind: 'seek', offset: '1000' });
  t.match(p.plan('a', 0, '0', '4'), { kind: 'process', from: undefined, note: /beyond the end of the log/ });
});

t.test('revoked partitions lose their requests and seeks', async (t) => {
  const p = new SinkPositions();
  p.request('a', 0, '3');
  p.seeking('a', 1, '8');
  p.forget([topicPartitionKey('a', 0), topicPartitionKey('a', 1)]);
  t.same(p.plan('a', 0, '10', '11'), { kind: 'process', from: undefined });
  t.same(p.plan('a', 1, '10', '11'), { kind: 'process', from: undefined });
});

t.test('withHeartbeats beats while the work runs and notices an eviction', async (t) => {
  let beats = 0;
  const result = await withHeartbeats(
    async () => {
      beats += 1;
      if (beats === 2) throw Object.assign(new Error('gone'), { type: 'UNKNOWN_MEMBER_ID' });
    },
    async (membership) => {
      while (beats < 3) await new Promise((resolve) => setTimeout(resolve, 5));
      return membership.lost;
    },
    5,
  );
  t.equal(result, true, 'the membership is lost');
  const after = beats;
  await new Promise((resolve) => setTimeout(resolve, 30));
  t.equal(beats, after, 'no heartbeat once the work is done');
});

t.test('a rebalance in progress is not an eviction', async (t) => {
  t.equal(isFenced(Object.assign(new Error('x'), { type: 'REBALANCE_IN_PROGRESS' })), false);
  t.equal(isFenced(new Error('wrapped', { cause: Object.assign(new Error('x'), { type: 'ILLEGAL_GENERATION' }) })), true);
});
