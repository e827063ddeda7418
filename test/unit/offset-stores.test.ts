import { existsSync, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { FatalError } from '../../runtime/api/index.js';
import { FileOffsetStore, MemoryOffsetStore, type OffsetStore } from '../../runtime/offsets/index.js';

const P1 = { db: 'shop', coll: 'orders' };
const P2 = { db: 'shop', coll: 'customers' };

/** Behaviour every store shares. */
function contract(name: string, make: (t: { testdir(): string }) => Promise<OffsetStore>) {
  t.test(`${name}: get/set/delete`, async (t) => {
    const store = await make(t);
    t.equal(await store.get('c1', P1), undefined);
    t.same(await store.getAll('c1'), []);
    await store.set('c1', [
      { partition: P1, offset: { token: 'a' } },
      { partition: P2, offset: { token: 'b' } },
    ]);
    await store.set('c2', [{ partition: P1, offset: { token: 'other' } }]);
    t.same(await store.get('c1', { coll: 'orders', db: 'shop' }), { token: 'a' }, 'partition matched by value');
    await store.set('c1', [
      { partition: P1, offset: { token: 'a2' } },
      { partition: P2, offset: null },
    ]);
    t.same(await store.getAll('c1'), [{ partition: P1, offset: { token: 'a2' } }]);
    await store.deleteAll('c1');
    t.same(await store.getAll('c1'), []);
    t.same(await store.get('c2', P1), { token: 'other' }, 'other connectors untouched');
    await store.flush();
    await store.stop();
  });

  t.test(`${name}: stored values are detached from the caller's objects`, async (t) => {
    const store = await make(t);
    const offset = { token: 'a' };
    await store.set('c', [{ partition: P1, offset }]);
    offset.token = 'mutated';
    t.same(await store.get('c', P1), { token: 'a' });
    await store.stop();
  });
}

contract('memory', async () => {
  const s = new MemoryOffsetStore();
  await s.start();
  return s;
});

contract('file', async (t) => {
  const s = new FileOffsetStore(join(t.testdir(), 'state', 'offsets.json'));
  await s.start();
  return s;
});

t.test('file: survives reopen', async (t) => {
  const path = join(t.testdir(), 'offsets.json');
  const a = new FileOffsetStore(path);
  await a.start();
  await a.set('mongo', [{ partition: P1, offset: { token: 't1', ts: 5 } }]);
  await a.stop();
  const b = new FileOffsetStore(path);
  await b.start();
  t.same(await b.get('mongo', P1), { token: 't1', ts: 5 });
  const doc = JSON.parse(await fsp.readFile(path, 'utf8'));
  t.equal(doc.version, 1);
});

t.test('file: a stray temp file from a crash before rename is ignored and removed', async (t) => {
  const dir = t.testdir();
  const path = join(dir, 'offsets.json');
  const a = new FileOffsetStore(path);
  await a.start();
  await a.set('mongo', [{ partition: P1, offset: { token: 'committed' } }]);
  await a.stop();
  // What a crash between writing the temp file and the rename leaves behind.
  const stray = join(dir, '.offsets.json.tmp-999-1');
  await fsp.writeFile(stray, '{"version":1,"connectors":{"mongo":[{"partition":{},"offset":{"token":"uncommitted"}}]}');
  const b = new FileOffsetStore(path);
  await b.start();
  t.same(await b.get('mongo', P1), { token: 'committed' });
  t.notOk(existsSync(stray), 'cleaned up');
});

t.test('file: a failed rename leaves the previous file intact and rejects set()', async (t) => {
  const dir = t.testdir();
  const path = join(dir, 'offsets.json');
  let failRename = false;
  const store = new FileOffsetStore(path, {
    fileOps: {
      rename: async (from, to) => {
        if (failRename) throw Object.assign(new Error('EIO: simulated'), { code: 'EIO' });
        await fsp.rename(from, to);
      },
    },
  });
  await store.start();
  await store.set('mongo', [{ partition: P1, offset: { token: 'old' } }]);
  failRename = true;
  await t.rejects(store.set('mongo', [{ partition: P1, offset: { token: 'new' } }]), { code: 'EIO' });
  t.same((await fsp.readdir(dir)).sort(), ['offsets.json'], 'no temp file left behind');
  const reopened = new FileOffsetStore(path);
  await reopened.start();
  t.same(await reopened.get('mongo', P1), { token: 'old' });
  failRename = false;
  await store.set('mongo', []);
  const again = new FileOffsetStore(path);
  await again.start();
  t.same(await again.get('mongo', P1), { token: 'new' }, 'the next successful write carries the earlier change');
  await store.stop();
});

t.test('file: concurrent sets are serialised and all land', async (t) => {
  const path = join(t.testdir(), 'offsets.json');
  let writes = 0;
  const store = new FileOffsetStore(path, {
    fileOps: {
      writeFile: async (p, data) => {
        writes++;
        await new Promise((r) => setTimeout(r, 5));
        await fsp.writeFile(p, data);
      },
    },
  });
  await store.start();
  await Promise.all(Array.from({ length: 20 }, (_, i) => store.set('c', [{ partition: { i }, offset: { n: i } }])));
  await store.flush();
  t.ok(writes < 20, `writes are coalesced (${writes})`);
  const reopened = new FileOffsetStore(path);
  await reopened.start();
  t.equal((await reopened.getAll('c')).length, 20);
});

t.test('file: absent file is an empty store; corrupt file is a clear error', async (t) => {
  const dir = t.testdir({
    'bad.json': '{"version":1,"connectors":',
    'wrong.json': '{"version":7}',
    'entries.json': '{"version":1,"connectors":{"c":[{"partition":1}]}}',
    'leaky.json': '{"version":1,"connectors":{"c":[{"partition":{"p":1},"offset":{"token": s3cr3t-value}}]}}',
  });
  const empty = new FileOffsetStore(join(dir, 'missing', 'offsets.json'));
  await empty.start();
  t.same(await empty.getAll('c'), []);
  await t.rejects(new FileOffsetStore(join(dir, 'bad.json')).start(), FatalError);
  await t.rejects(new FileOffsetStore(join(dir, 'bad.json')).start(), { message: /not valid JSON.*move .*bad\.json aside/ });
  const leaky = await new FileOffsetStore(join(dir, 'leaky.json')).start().then(
    () => undefined,
    (err: Error) => err,
  );
  t.notMatch(leaky?.message, /s3cr3t/, 'the error names the file, never its text');
  await t.rejects(new FileOffsetStore(join(dir, 'wrong.json')).start(), { message: /not a conflux offset file of version 1/ });
  await t.rejects(new FileOffsetStore(join(dir, 'entries.json')).start(), { message: /malformed entries for connector c/ });
  await t.rejects(new FileOffsetStore(join(dir, 'x.json')).get('c', P1), /before start/);
});
