/**
 * mongodb-source re-tasking: which offset a collection's share starts from when tasks.max
 * changed. Pure logic over stored offsets; the live 1 -> 3 -> 2 run is test/e2e/pipeline-retasking.
 */
import t from 'tap';
import { Timestamp } from 'mongodb';
import type { StoredOffset } from '../../runtime/api/index.js';
import { extendedJson, fromExtendedJson } from '../../connectors/mongodb-source/bson.js';
import { offsetTime, startingOffset } from '../../connectors/mongodb-source/retasking.js';

const hex = (n: number) => n.toString(16).padStart(8, '0');
/** A resume token of the test server's and MongoDB's shape: 0x82, then the cluster time. */
const token = (secs: number, inc = 1) => extendedJson({ _data: `82${hex(secs)}${hex(inc)}0a` });
const streaming = (secs: number) => ({ resume_token: token(secs) });
const copying = (secs: number) => ({ snapshot: 'running', copied: 10, last_id: extendedJson({ v: 'x' }), stream_resume_token: token(secs) });
const part = (share?: string, collection = 'orders') => ({ db: 'shop', collection, ...(share ? { share } : {}) });
const entry = (partition: StoredOffset['partition'], offset: StoredOffset['offset']): StoredOffset => ({ partition, offset });
const startAt = (offset: unknown) => fromExtendedJson((offset as { start_at: string }).start_at) as Timestamp;

t.test('without re-tasking a share keeps its own offset, or has none', async (t) => {
  t.same(startingOffset([], part()), { offset: undefined });
  t.same(startingOffset([entry(part(), streaming(100))], part()), { offset: streaming(100) });
  const three = [entry(part('0/3'), streaming(100)), entry(part('1/3'), streaming(90)), entry(part('2/3'), streaming(120))];
  t.same(startingOffset(three, part('1/3')), { offset: streaming(90) });
  t.same(
    startingOffset([entry(part(undefined, 'customers'), streaming(50))], part()),
    { offset: undefined },
    "another collection's offsets are not this one's",
  );
});

t.test('1 -> 3: every new share continues from the single task position', async (t) => {
  const stored = [entry(part(), streaming(100))];
  for (const share of ['0/3', '1/3', '2/3']) {
    const start = startingOffset(stored, part(share));
    t.equal(start.inheritedFrom, 1, share);
    t.equal(startAt(start.offset).high, 100, `${share} streams from the old position (startAtOperationTime, inclusive)`);
  }
});

t.test('3 -> 2: the new shares continue from the oldest of the three', async (t) => {
  const stored = [entry(part(), streaming(10)), entry(part('0/3'), streaming(200)), entry(part('1/3'), streaming(150)), entry(part('2/3'), streaming(300))];
  const start = startingOffset(stored, part('0/2'));
  t.equal(start.inheritedFrom, 3, 'the newest complete generation, not the older single task');
  t.same({ t: startAt(start.offset).high, i: startAt(start.offset).low }, { t: 150, i: 1 });
});

t.test('once the new shares have stored positions, they hold; a count used before is stale', async (t) => {
  const old3 = [entry(part('0/3'), streaming(200)), entry(part('1/3'), streaming(150)), entry(part('2/3'), streaming(300))];
  const two = [entry(part('0/2'), streaming(400)), entry(part('1/2'), streaming(420))];
  t.same(startingOffset([...old3, ...two], part('1/2')), { offset: streaming(420) }, 'the current generation is the newest');
  const back = startingOffset([...old3, ...two], part('0/3'));
  t.equal(back.inheritedFrom, 2, '2 -> 3 again: the old offsets of the 3 shares are older than the 2 that replaced them');
  t.equal(startAt(back.offset).high, 400);
  t.same(
    startingOffset([entry(part(), streaming(100)), entry(part('0/3'), streaming(500))], part('0/3')),
    { offset: streaming(500) },
    'a share that inherited and moved on keeps its own offset while its siblings have none yet',
  );
  const partial = startingOffset([entry(part(), streaming(100)), entry(part('0/3'), streaming(500))], part('1/2'));
  t.equal(partial.inheritedFrom, 1, 'an incomplete generation is not one to continue from');
});

t.test('a replaced share still copying: the new share copies again and then streams from the oldest noted position', async (t) => {
  const stored = [entry(part('0/2'), streaming(300)), entry(part('1/2'), copying(250))];
  const start = startingOffset(stored, part('0/3'));
  t.equal(start.inheritedFrom, 2);
  t.match(start.offset, { snapshot: 'running', copied: 0, cluster_time_ms: 250_000, cluster_time_seq: 1 });
  t.notOk('last_id' in start.offset!, 'from the first document');
  t.same(offsetTime(start.offset!), { ms: 250_000, seq: 1 });
});

t.test('offsetTime reads tokens, start times and running copies', async (t) => {
  t.same(offsetTime(streaming(7)), { ms: 7000, seq: 1 });
  t.same(offsetTime({ start_at: extendedJson(new Timestamp({ t: 8, i: 3 })) }), { ms: 8000, seq: 3 });
  t.same(offsetTime(copying(9)), { ms: 9000, seq: 1 });
  t.equal(offsetTime({ resume_token: extendedJson({ _data: 'ff' }) }), undefined, 'a token of unknown shape has no time');
});
